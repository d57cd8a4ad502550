"""Each seed's training data: the data sets its methods need, and the reward-average relabelling.

Data sets are sampled on the CPU (device-independent) with one generator per seed and kind:
anonymous pairs (stream ``4s``), all-types pairs (``4s + 1``) and paired preferences
(``4s + 2``); the batch stream ``4s + 3`` belongs to the training loop. Section 6's indirect
route (``reward-average``) fits per-type BT reward tables on the all-types pairs and relabels
them by BT on the ``p(u)``-average, with its own streams (offset ``2**40``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from socialpref.train.config import ALL_TYPES_METHODS, ANONYMOUS_METHODS, TrainConfig
from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.models import BatchedRewardTables, fused_adam
from socialpref.train.samplers import (
    PairedPreferences,
    PreferencePairs,
    sample_all_types,
    sample_anonymous,
    sample_paired,
)

torch = require_torch()
F = torch.nn.functional

_REWARD_STREAM = 2**40  # seed offset of the reward-average route's generators


@dataclass
class TrainingData:
    """Each seed's data sets, in ``config.seeds`` order (a list is empty when no method needs it)."""

    anonymous: list[PreferencePairs] = field(default_factory=list)
    all_types: list[PreferencePairs] = field(default_factory=list)
    paired: list[PairedPreferences] = field(default_factory=list)


def _stack(items: list[Any], dev: Any) -> Any:
    return torch.stack(items).to(dev)


def sample_training_data(env: SyntheticEnvironment, config: TrainConfig) -> TrainingData:
    """Sample each seed's data sets on the CPU (device-independent), one generator per kind;
    responses from ``config.sampling_table`` (uniform when None)."""
    methods = set(config.methods)
    d = config.sampling_table
    data = TrainingData()
    for seed in config.seeds:
        if methods & set(ANONYMOUS_METHODS):
            g = torch.Generator().manual_seed(4 * seed)
            data.anonymous.append(sample_anonymous(env, config.n_pairs, g, sampling=d))
        if methods & set(ALL_TYPES_METHODS):
            g = torch.Generator().manual_seed(4 * seed + 1)
            data.all_types.append(sample_all_types(env, config.n_pairs, g, sampling=d))
        if "corrected" in methods:
            g = torch.Generator().manual_seed(4 * seed + 2)
            data.paired.append(sample_paired(env, config.n_pairs, g, sampling=d))
    return data


def cell_codes(pairs: PreferencePairs, n: int) -> tuple[Any, Any]:
    """Flat cell codes ``x * n + y1`` and ``x * n + y2``."""
    return pairs.x * n + pairs.y1, pairs.x * n + pairs.y2


def fit_reward_average(
    env: SyntheticEnvironment, config: TrainConfig, pairs: list[PreferencePairs], dev: Any
) -> Any:
    """Section 6's indirect route, steps one and two: fit per-type tabular BT rewards on the
    all-types data of each seed, then relabel every pair by BT on their ``p(u)``-average.
    Returns the new labels, shape ``(n_seeds, N)``."""
    c1 = _stack([cell_codes(p, env.n)[0] for p in pairs], dev)
    c2 = _stack([cell_codes(p, env.n)[1] for p in pairs], dev)
    lab = _stack([p.labels for p in pairs], dev)
    s_count, n_rows = c1.shape
    model = BatchedRewardTables(s_count, env.n_types, env.n).to(dev)
    opt = fused_adam(model.parameters(), config.reward_lr)
    # Its own streams, distinct from the data (4s, 4s+1, 4s+2) and batch (4s+3) streams.
    gens = [torch.Generator().manual_seed(_REWARD_STREAM + s) for s in config.seeds]
    rr = torch.arange(s_count, device=dev)[:, None]
    for _ in range(config.n_reward_steps):
        idx = torch.stack(
            [torch.randint(n_rows, (config.batch_size,), generator=g) for g in gens]
        ).to(dev)
        m = model.margins(c1[rr, idx], c2[rr, idx])
        loss = (
            F.binary_cross_entropy_with_logits(m, lab[rr, idx], reduction="none")
            .mean(dim=(1, 2))
            .sum()
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    weights = torch.as_tensor(env.weights, dtype=torch.float32, device=dev)
    with torch.no_grad():
        margin = (model.margins(c1, c2) * weights).sum(-1)
        u = torch.stack([torch.rand(n_rows, generator=g) for g in gens]).to(dev)
        return (u < torch.sigmoid(margin)).float()
