"""Each seed's training data: the data sets its methods need, and the reward-average relabelling.

Data sets are sampled on the CPU (device-independent) with one generator per seed and kind
(:data:`DATA_STREAMS`): anonymous pairs (stream ``4s``), all-types pairs (``4s + 1``) and paired
preferences (``4s + 2``); the batch stream ``4s + 3`` belongs to the training loop. Section 6's
indirect route fits per-type BT reward tables on the all-types pairs and relabels them by BT on
the ``p(u)``-average (the ``relabelled`` data set), with its own streams (offset ``2**40``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from socialpref.train.config import TrainConfig
from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.methods import get_method
from socialpref.train.models import BatchedRewardTables, FusedAdam
from socialpref.train.samplers import (
    PairedPreferences,
    PreferencePairs,
    sample_all_types,
    sample_anonymous,
    sample_paired,
)

require_torch()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor  # noqa: E402

_REWARD_STREAM = 2**40  # seed offset of the reward-average route's generators

DATA_STREAMS: dict[str, tuple[int, Callable[..., PreferencePairs]]] = {
    "anonymous": (0, sample_anonymous),
    "all-types": (1, sample_all_types),
}
"""Sampled data sets: the generator of seed ``s`` is seeded with ``4 s + k`` (``k`` the stream)."""
_PAIRED_STREAM = 2


@dataclass
class TrainingData:
    """Each seed's data sets, in ``config.seeds`` order.

    Attributes
    ----------
    sets : dict
        Data kind (``"anonymous"``, ``"all-types"``, ``"relabelled"``) -> one
        :class:`PreferencePairs` per seed; only the kinds the methods read.
    paired : list of PairedPreferences
        Paired data per seed, for the joint-likelihood model (empty when no method needs it).
    """

    sets: dict[str, list[PreferencePairs]] = field(default_factory=dict)
    paired: list[PairedPreferences] = field(default_factory=list)


def needed_kinds(config: TrainConfig) -> set[str]:
    """Data kinds the methods of ``config`` read (``relabelled`` implies ``all-types``)."""
    kinds = {k for k in (get_method(m).data for m in config.methods) if k is not None}
    if "relabelled" in kinds:
        kinds.add("all-types")
    return kinds


def sample_training_data(env: SyntheticEnvironment, config: TrainConfig) -> TrainingData:
    """Sample each seed's data sets on the CPU (device-independent), one generator per kind;
    responses from ``config.sampling_table`` (uniform when None). The ``relabelled`` set is added
    by :func:`relabel_by_average` (it needs a fitted reward model)."""
    kinds = needed_kinds(config)
    d = config.sampling_table
    data = TrainingData()
    for seed in config.seeds:
        for kind, (stream, sampler) in DATA_STREAMS.items():
            if kind in kinds:
                g = torch.Generator().manual_seed(4 * seed + stream)
                data.sets.setdefault(kind, []).append(sampler(env, config.n_pairs, g, sampling=d))
        if any(get_method(m).needs_joint for m in config.methods):
            g = torch.Generator().manual_seed(4 * seed + _PAIRED_STREAM)
            data.paired.append(sample_paired(env, config.n_pairs, g, sampling=d))
    return data


def cell_codes(pairs: PreferencePairs, n: int) -> tuple[Tensor, Tensor]:
    """Flat cell codes ``x * n + y1`` and ``x * n + y2``."""
    return pairs.x * n + pairs.y1, pairs.x * n + pairs.y2


def relabel_by_average(
    env: SyntheticEnvironment, config: TrainConfig, data: TrainingData, dev: torch.device
) -> None:
    """Add the ``relabelled`` data set: the all-types pairs labelled by :func:`fit_reward_average`."""
    pairs = data.sets["all-types"]
    labels = fit_reward_average(env, config, pairs, dev).cpu()
    data.sets["relabelled"] = [
        replace(p, labels=labels[k], types=None) for k, p in enumerate(pairs)
    ]


def fit_reward_average(
    env: SyntheticEnvironment,
    config: TrainConfig,
    pairs: list[PreferencePairs],
    dev: torch.device,
) -> Tensor:
    """Section 6's indirect route, steps one and two: fit per-type tabular BT rewards on the
    all-types data of each seed, then relabel every pair by BT on their ``p(u)``-average.
    Returns the new labels, shape ``(n_seeds, N)``."""
    c1 = torch.stack([cell_codes(p, env.n)[0] for p in pairs]).to(dev)
    c2 = torch.stack([cell_codes(p, env.n)[1] for p in pairs]).to(dev)
    lab = torch.stack([p.labels for p in pairs]).to(dev)
    s_count, n_rows = c1.shape
    model = BatchedRewardTables(s_count, env.n_types, env.n).to(dev)
    params = list(model.parameters())
    opt = FusedAdam(params, config.reward_lr)
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
        opt.step(torch.autograd.grad(loss, params))
    weights = torch.as_tensor(env.weights, dtype=torch.float32, device=dev)
    with torch.no_grad():
        margin = (model.margins(c1, c2) * weights).sum(-1)
        u = torch.stack([torch.rand(n_rows, generator=g) for g in gens]).to(dev)
        return (u < torch.sigmoid(margin)).float()
