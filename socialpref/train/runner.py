"""Batched training of many runs (seeds x methods x alphas) on the synthetic environment.

All runs share one device and one optimiser step: the policies are one stacked
:class:`~socialpref.train.models.BatchedPolicy`, each run's loss is a mean over its own batch
and the total is their sum, so runs stay independent (Adam is element-wise). Runs with the same
seed share their data set, their batches and their initial weights (common random numbers), so
methods are compared on equal terms, and a run's result does not depend on the other runs.

Methods: ``dpo``, ``ipo`` (anonymous data); ``corrected`` (first-order corrected DPO, Eq. 14-16,
with a joint-likelihood model trained on paired data alongside and switched on after the
warm-up); ``consistent`` (Prop. 6.1) and ``consistent-b3`` (Prop. B.3) on all-types data;
``reward-average`` (Section 6's indirect route: per-type BT reward tables fitted on all-types
data, pairs relabelled by BT on their average, then DPO); ``nbc`` (tabular win rates, no training).

Reference and sampling are distinct (Section 4): every loss is written in the log-ratio
``rho = log pi - log pi_ref`` (Eq. 15: ``h = beta (rho(y2) - rho(y1))``), with ``pi_ref`` uniform
or a given ``(n, n)`` table (``TrainConfig.reference``); the pairs ``(y1, y2)`` are drawn from the
sampling distribution ``D``, which is ``pi_ref`` (the paper's setting, the default with a given
reference) or uniform (``pairs_from_reference=False``). ``pi*`` depends on ``pi_ref`` and
``beta`` only; NBC on ``D`` only; DPO's limit on both.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.train.device import require_torch, resolve_device
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.losses import b3_loss, consistent_loss, corrected_dpo_loss, dpo_loss, ipo_loss
from socialpref.train.models import (
    JOINT_KINDS,
    POLICY_KINDS,
    BatchedPolicy,
    BatchedRewardTables,
    make_joint_model,
)
from socialpref.train.samplers import (
    PairedPreferences,
    PreferencePairs,
    sample_all_types,
    sample_anonymous,
    sample_paired,
)

torch = require_torch()
F = torch.nn.functional

METHODS: tuple[str, ...] = (
    "dpo",
    "ipo",
    "corrected",
    "consistent",
    "consistent-b3",
    "nbc",
    "reward-average",
)
_ANONYMOUS = ("dpo", "ipo", "corrected", "nbc")
_ALL_TYPES = ("consistent", "consistent-b3", "reward-average")
_CHUNK = 128  # training steps whose batch indices are drawn at once
_REWARD_STREAM = 2**40  # seed offset of the reward-average route's generators

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class RunSpec:
    """One run: a method, its correction strength (``corrected`` only, else None) and a seed."""

    method: str
    alpha: float | None
    seed: int

    @property
    def label(self) -> str:
        return self.method if self.alpha is None else f"{self.method} (alpha={self.alpha:g})"


def _help(text: str) -> Any:
    return field(metadata={"help": text})


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a batched synthetic training (defaults: Section 7.2 and the authors' code)."""

    methods: tuple[str, ...] = field(
        default=("dpo",), metadata={"help": f"Methods among {', '.join(METHODS)}."}
    )
    alphas: tuple[float, ...] = field(
        default=(1.0,), metadata={"help": "Correction strengths of 'corrected'."}
    )
    seeds: tuple[int, ...] = field(
        default=(0,), metadata={"help": "Seeds: data, batches and initial weights."}
    )
    n_pairs: int = field(
        default=500_000, metadata={"help": "Preference pairs per data set and seed."}
    )
    steps: int = field(default=10_000, metadata={"help": "Optimiser steps per run."})
    batch_size: int = field(default=1024, metadata={"help": "Pairs per step and run."})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate of the policy."})
    policy: str = field(
        default="mlp", metadata={"help": "Policy: 'mlp' (one-hot, 2 x 15 tanh) or 'tabular'."}
    )
    hidden: int = field(default=15, metadata={"help": "Hidden width of the MLP policy."})
    layers: int = field(default=2, metadata={"help": "Hidden tanh layers of the MLP policy."})
    joint: str = field(
        default="mixture",
        metadata={
            "help": "Joint-likelihood model J of 'corrected' (Lemma 5.3): 'mixture' (latent tabular"
            " BT rewards) or 'mlp' (one-hot (x, y1, y2, x', y1', y2') -> tanh layers -> logit J)."
        },
    )
    joint_latent: int = field(
        default=3, metadata={"help": "Latent BT components of the mixture J."}
    )
    joint_hidden: int = field(default=64, metadata={"help": "Hidden width of the MLP J."})
    joint_layers: int = field(default=2, metadata={"help": "Hidden tanh layers of the MLP J."})
    joint_lr: float = field(default=1e-2, metadata={"help": "Adam learning rate of J."})
    warmup_steps: int | None = field(
        default=None,
        metadata={
            "help": "Plain DPO steps before the correction (None: 80% of steps, 8,000 of 10,000)."
        },
    )
    reward_lr: float = field(
        default=1e-2, metadata={"help": "Adam learning rate of the per-type reward tables."}
    )
    reward_steps: int | None = field(
        default=None, metadata={"help": "Reward-model steps (None: same as steps)."}
    )
    clamp: float = field(
        default=0.1, metadata={"help": "Bound on the first-order correction term."}
    )
    eps: float = field(default=1e-6, metadata={"help": "Floor of the stable log."})
    log_every: int = field(
        default=100, metadata={"help": "Record the per-run loss every this many steps."}
    )
    beta: float | None = field(
        default=None,
        metadata={
            "help": "KL strength beta > 0 of Eq. (9) for the losses and the exact targets"
            " (None: the environment's beta, 1 by default; a number replaces it)."
        },
    )
    reference: Any = field(
        default=None,
        metadata={
            "help": "Reference policy pi_ref: None or 'uniform', or an (n, n) table pi_ref(y | x)"
            " of strictly positive probabilities with rows summing to 1 (stored as a tuple of rows)."
        },
    )
    pairs_from_reference: bool | None = field(
        default=None,
        metadata={
            "help": "Draw y1, y2 from pi_ref (D = pi_ref, the paper's setting) rather than uniformly"
            " (None: True when a reference is given; with the uniform reference D is uniform either way)."
        },
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "methods", tuple(dict.fromkeys(str(m).strip().lower() for m in self.methods))
        )
        object.__setattr__(self, "alphas", tuple(float(a) for a in self.alphas))
        object.__setattr__(self, "seeds", tuple(dict.fromkeys(int(s) for s in self.seeds)))
        if not self.methods:
            raise ValueError(
                f"The 'methods' parameter must name at least one of {list(METHODS)}. Got ()."
            )
        for m in self.methods:
            if m not in METHODS:
                raise ValueError(
                    f"The 'methods' parameter must hold names among {list(METHODS)}. Got {m!r} instead."
                )
        if not self.seeds:
            raise ValueError("The 'seeds' parameter must hold at least one seed. Got ().")
        if "corrected" in self.methods and not self.alphas:
            raise ValueError(
                "The 'alphas' parameter must hold at least one value for 'corrected'. Got ()."
            )
        for a in self.alphas:
            if not math.isfinite(a) or a < 0:
                raise ValueError(
                    f"The 'alphas' parameter must hold finite numbers >= 0. Got {self.alphas!r} instead."
                )
        for name in (
            "n_pairs",
            "steps",
            "batch_size",
            "hidden",
            "layers",
            "joint_latent",
            "joint_hidden",
            "joint_layers",
            "log_every",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(
                    f"The '{name}' parameter of TrainConfig must be an integer >= 1. Got {v!r} instead."
                )
        for name in ("lr", "joint_lr", "reward_lr", "clamp", "eps"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise ValueError(
                    f"The '{name}' parameter of TrainConfig must be a finite number > 0. Got {v!r} instead."
                )
        for name in ("warmup_steps", "reward_steps"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise ValueError(
                    f"The '{name}' parameter of TrainConfig must be None or an integer >= 0. Got {v!r} instead."
                )
        if self.joint not in JOINT_KINDS:
            raise ValueError(
                f"The 'joint' parameter must be one of {list(JOINT_KINDS)}. Got {self.joint!r} instead."
            )
        if self.policy not in POLICY_KINDS:
            raise ValueError(
                f"The 'policy' parameter must be one of {list(POLICY_KINDS)}. Got {self.policy!r} instead."
            )
        if self.beta is not None:
            b = self.beta
            if (
                isinstance(b, bool)
                or not isinstance(b, (int, float))
                or not math.isfinite(b)
                or b <= 0
            ):
                raise ValueError(
                    f"The 'beta' parameter of TrainConfig must be None or a finite number > 0. Got {b!r} instead."
                )
            object.__setattr__(self, "beta", float(b))
        object.__setattr__(self, "reference", _check_reference(self.reference))
        if self.pairs_from_reference is not None and not isinstance(
            self.pairs_from_reference, bool
        ):
            raise ValueError(
                "The 'pairs_from_reference' parameter of TrainConfig must be None, True or False. "
                f"Got {self.pairs_from_reference!r} instead."
            )

    @property
    def warmup(self) -> int:
        """Steps of plain DPO before the correction switches on."""
        return round(0.8 * self.steps) if self.warmup_steps is None else self.warmup_steps

    @property
    def n_reward_steps(self) -> int:
        return self.steps if self.reward_steps is None else self.reward_steps

    @property
    def reference_table(self) -> FloatArray | None:
        """``pi_ref(y | x)`` as an ``(n, n)`` array, or None for the uniform reference."""
        return None if self.reference is None else np.array(self.reference, dtype=np.float64)

    @property
    def draws_from_reference(self) -> bool:
        """Whether pairs are drawn from ``pi_ref`` (``pairs_from_reference``, resolved)."""
        if self.pairs_from_reference is None:
            return self.reference is not None
        return self.pairs_from_reference

    @property
    def sampling_table(self) -> FloatArray | None:
        """The sampling distribution ``D(y | x)`` of the pairs: ``pi_ref`` when pairs are drawn
        from a given reference, else None (uniform)."""
        return self.reference_table if self.draws_from_reference else None

    def resolve_environment(self, env: SyntheticEnvironment) -> SyntheticEnvironment:
        """``env`` with ``beta`` replaced by this config's (when set); checks that the reference
        table is ``(env.n, env.n)``."""
        ref = self.reference_table
        if ref is not None and ref.shape != (env.n, env.n):
            raise ValueError(
                f"The 'reference' parameter must be a ({env.n}, {env.n}) table for this environment "
                f"(n = {env.n}). Got shape {ref.shape} instead."
            )
        if self.beta is None or self.beta == env.beta:
            return env
        return replace(env, beta=self.beta)

    def runs(self) -> list[RunSpec]:
        """Every run, in the order methods x alphas x seeds."""
        out: list[RunSpec] = []
        for m in self.methods:
            for a in self.alphas if m == "corrected" else (None,):
                out.extend(RunSpec(m, a, s) for s in self.seeds)
        return out

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["methods"], d["alphas"], d["seeds"] = (
            list(self.methods),
            list(self.alphas),
            list(self.seeds),
        )
        ref = self.reference_table
        d["reference"] = (
            "uniform"
            if ref is None
            else {"shape": list(ref.shape), "table_sha256": reference_sha256(ref)}
        )
        d["pairs_from_reference"] = self.draws_from_reference
        return d


def reference_sha256(table: Any) -> str:
    """SHA-256 of a reference table's float64 bytes (C order): identifies it in ``results.json``."""
    return hashlib.sha256(np.ascontiguousarray(table, dtype=np.float64).tobytes()).hexdigest()


def _check_reference(reference: Any) -> tuple[tuple[float, ...], ...] | None:
    """Validate ``TrainConfig.reference``: None / 'uniform', or a 2-D table of strictly positive,
    finite probabilities with rows summing to 1 (within 1e-6; such rows are renormalised)."""
    if reference is None or (isinstance(reference, str) and reference.strip().lower() == "uniform"):
        return None
    if isinstance(reference, str):
        raise ValueError(
            f"The 'reference' parameter must be None, 'uniform' or an (n, n) table. Got {reference!r} instead."
        )
    try:
        t = np.asarray(reference, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "The 'reference' parameter must be an (n, n) table of probabilities. "
            f"Got an object of type {type(reference).__name__} that is not a numeric array."
        ) from None
    if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 2:
        raise ValueError(
            f"The 'reference' parameter must be a 2-D (n_prompts, n_responses) table. Got shape {t.shape} instead."
        )
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(
            "The 'reference' parameter must hold finite, strictly positive probabilities "
            f"(log pi_ref must be finite). Got minimum {float(np.nanmin(t))!r}"
            f"{'' if np.all(np.isfinite(t)) else ' and non-finite entries'} instead."
        )
    sums = t.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > 1e-6:
        raise ValueError(
            "The 'reference' parameter must have rows summing to 1 (one distribution over responses "
            f"per prompt). Got row {worst} summing to {float(sums[worst])!r} instead."
        )
    # Renormalise rows that are off by more than rounding (idempotent: a stored table is kept).
    t = np.where(np.abs(sums - 1.0)[:, None] > 1e-12, t / sums[:, None], t)
    return tuple(tuple(float(v) for v in row) for row in t)


@dataclass(frozen=True)
class TrainOutput:
    """Raw output of :func:`train_batched`.

    Attributes
    ----------
    runs : list of RunSpec
    policies : ndarray, shape (n_runs, n, n)
        Learned ``pi(y | x)`` per run (NBC runs: win rates normalised per prompt).
    scores : ndarray, shape (n_runs, n, n)
        ``log pi`` for trained runs; the raw win rates for NBC runs.
    loss_steps : ndarray
        Steps at which the losses were recorded.
    losses : ndarray, shape (n_runs, len(loss_steps))
        Per-run training loss (NaN for NBC runs).
    sampling_s, training_s : float
        Wall-clock seconds spent sampling data and training.
    device : str
    joint_variance : ndarray, shape (n_seeds, n, n, n), or None
        With ``corrected``: the trained J's estimate of ``Var_u[sigma]`` (Lemma 5.3) for every
        prompt ``x`` and pair ``(a, b)``, per seed in ``config.seeds`` order; else None.
    """

    runs: list[RunSpec]
    policies: FloatArray
    scores: FloatArray
    loss_steps: FloatArray
    losses: FloatArray
    sampling_s: float
    training_s: float
    device: str
    joint_variance: FloatArray | None = None


@dataclass
class _Data:
    anonymous: list[PreferencePairs] = field(default_factory=list)
    all_types: list[PreferencePairs] = field(default_factory=list)
    paired: list[PairedPreferences] = field(default_factory=list)


def _adam(params: Any, lr: float) -> Any:
    """Adam with the fused kernel (one kernel for all tensors; CPU and CUDA), plain if unsupported."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - older torch or unsupported device
        return torch.optim.Adam(params, lr=lr)


def _stack(items: list[Any], dev: Any) -> Any:
    return torch.stack(items).to(dev)


def _sample(env: SyntheticEnvironment, config: TrainConfig) -> _Data:
    """Sample each seed's data sets on the CPU (device-independent), one generator per kind;
    responses from ``config.sampling_table`` (uniform when None)."""
    methods = set(config.methods)
    d = config.sampling_table
    data = _Data()
    for seed in config.seeds:
        if methods & set(_ANONYMOUS):
            g = torch.Generator().manual_seed(4 * seed)
            data.anonymous.append(sample_anonymous(env, config.n_pairs, g, sampling=d))
        if methods & set(_ALL_TYPES):
            g = torch.Generator().manual_seed(4 * seed + 1)
            data.all_types.append(sample_all_types(env, config.n_pairs, g, sampling=d))
        if "corrected" in methods:
            g = torch.Generator().manual_seed(4 * seed + 2)
            data.paired.append(sample_paired(env, config.n_pairs, g, sampling=d))
    return data


def nbc_win_rates(pairs: PreferencePairs, n: int) -> Any:
    """The tabular NBC estimator: win rate of each response per prompt, shape ``(n, n)``.

    ``wins(x, y) / appearances(x, y)`` over anonymous pairs estimates NBC(y | x) of Eq. (13) under
    the sampling distribution ``D`` the pairs were drawn from, whatever it is (each appearance of
    ``y`` meets an independent alternative ``y' ~ D(. | x)``; a pair ``(y, y)`` counts one win in two appearances: the diagonal
    term ``sigma(0) = 1/2``). Cells never seen get 1/2.
    """
    o = pairs.labels.to(torch.float64)
    i1 = pairs.x * n + pairs.y1
    i2 = pairs.x * n + pairs.y2
    wins = torch.bincount(i2, weights=o, minlength=n * n) + torch.bincount(
        i1, weights=1.0 - o, minlength=n * n
    )
    seen = torch.bincount(i1, minlength=n * n) + torch.bincount(i2, minlength=n * n)
    rate = torch.where(seen > 0, wins / seen.clamp_min(1), torch.full_like(wins, 0.5))
    return rate.reshape(n, n)


def _cells(pairs: PreferencePairs, n: int) -> tuple[Any, Any]:
    """Flat cell codes ``x * n + y1`` and ``x * n + y2``."""
    return pairs.x * n + pairs.y1, pairs.x * n + pairs.y2


def _fit_reward_average(
    env: SyntheticEnvironment, config: TrainConfig, pairs: list[PreferencePairs], dev: Any
) -> Any:
    """Section 6's indirect route, steps one and two: fit per-type tabular BT rewards on the
    all-types data of each seed, then relabel every pair by BT on their ``p(u)``-average.
    Returns the new labels, shape ``(n_seeds, N)``."""
    c1 = _stack([_cells(p, env.n)[0] for p in pairs], dev)
    c2 = _stack([_cells(p, env.n)[1] for p in pairs], dev)
    lab = _stack([p.labels for p in pairs], dev)
    s_count, n_rows = c1.shape
    model = BatchedRewardTables(s_count, env.n_types, env.n).to(dev)
    opt = _adam(model.parameters(), config.reward_lr)
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


def train_batched(
    env: SyntheticEnvironment,
    config: TrainConfig,
    device: Any = "auto",
    progress: ProgressFn | None = None,
) -> TrainOutput:
    """Train every run of ``config`` at once on one device.

    Parameters
    ----------
    env : SyntheticEnvironment
    config : TrainConfig
        ``config.beta`` (when set) replaces ``env.beta``; ``config.reference`` is ``pi_ref``
        (uniform when None) and ``config.sampling_table`` the distribution of the pairs.
    device : {"auto", "cpu", "cuda"} or torch.device
    progress : callable(done, total) or None
        Called every few steps (the CLI draws a progress bar with it).

    Returns
    -------
    TrainOutput

    Raises
    ------
    ValueError
        If the reference table is not ``(env.n, env.n)``, or consistent losses meet unequal
        type weights.
    """
    env = config.resolve_environment(env)
    consistent = [m for m in config.methods if m in ("consistent", "consistent-b3")]
    if consistent and float(env.weights.max() - env.weights.min()) > 1e-12:
        # Prop. 6.1 / B.3 assume equally represented types: on unanimous rows they recover the
        # *unweighted* average reward, not the p(u)-weighted one that pi* uses.
        raise ValueError(
            f"The methods {consistent} assume equally represented user types (Prop. 6.1, B.3). "
            f"Got type_weights={env.weights.tolist()}; use equal weights or 'reward-average'."
        )
    dev = resolve_device(device)
    runs = config.runs()
    n = env.n
    t0 = time.perf_counter()
    data = _sample(env, config)
    seed_pos = {s: i for i, s in enumerate(config.seeds)}
    sampling_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    trained = [i for i, r in enumerate(runs) if r.method != "nbc"]
    specs = [runs[i] for i in trained]
    total = config.steps + (config.n_reward_steps if "reward-average" in config.methods else 0)
    done = 0

    relabelled = None
    if "reward-average" in config.methods:
        relabelled = _fit_reward_average(env, config, data.all_types, dev)
        done = config.n_reward_steps
        if progress:
            progress(done, total)

    def flat(pairs: list[PreferencePairs], labels: Any = None) -> tuple[Any, Any, Any]:
        """Cells and labels of every seed, concatenated: row ``i`` of seed ``k`` is ``k * N + i``."""
        c1 = torch.cat([_cells(p, n)[0] for p in pairs]).to(dev)
        c2 = torch.cat([_cells(p, n)[1] for p in pairs]).to(dev)
        lab = torch.cat([p.labels for p in pairs]).to(dev) if labels is None else labels.reshape(-1)
        return c1, c2, lab

    sources: dict[str, Any] = {}
    if data.anonymous:
        sources["anonymous"] = flat(data.anonymous)
    if data.all_types:
        sources["all-types"] = flat(data.all_types)
    if relabelled is not None:
        sources["relabelled"] = flat(data.all_types, relabelled)
    if data.paired:
        sources["paired"] = flat([p.first for p in data.paired]) + flat(
            [p.second for p in data.paired]
        )

    losses_log: list[Any] = []
    loss_steps: list[int] = []
    joint_var = None
    policies = np.zeros((len(runs), n, n))
    scores = np.zeros((len(runs), n, n))
    if specs:
        ref = config.reference_table
        # log pi_ref: the policy's fixed logit offset (it starts at pi_ref) and the baseline of
        # every log-ratio. None for the uniform reference, whose constant cancels (Eq. 15).
        log_ref = None if ref is None else torch.as_tensor(np.log(ref), dtype=torch.float32).to(dev)
        policy = BatchedPolicy(
            n, [r.seed for r in specs], config.policy, config.hidden, config.layers, log_ref
        ).to(dev)
        opt = _adam(policy.parameters(), config.lr)
        run_seed = torch.tensor([seed_pos[r.seed] for r in specs], device=dev)
        groups: list[tuple[str, Any, Any, Any]] = []
        for m in config.methods:
            idx = [k for k, r in enumerate(specs) if r.method == m]
            if idx:
                gi = torch.tensor(idx, device=dev)
                # Offsets into the flat log-probability table (R * n * n) and into the data.
                groups.append((m, gi, (gi * n * n)[:, None], run_seed[gi]))
        joint = None
        if "corrected" in config.methods:
            joint = make_joint_model(
                config.joint,
                n,
                list(config.seeds),
                latent=config.joint_latent,
                hidden=config.joint_hidden,
                layers=config.joint_layers,
            ).to(dev)
            opt_j = _adam(joint.parameters(), config.joint_lr)
            alpha = torch.tensor(
                [r.alpha for r in specs if r.method == "corrected"], device=dev, dtype=torch.float32
            )[:, None]
        gens = [torch.Generator().manual_seed(4 * s + 3) for s in config.seeds]
        n_rows = config.n_pairs
        seed_offsets = (torch.arange(len(config.seeds), device=dev) * n_rows)[:, None]
        for step in range(config.steps):
            if step % _CHUNK == 0:
                size = min(_CHUNK, config.steps - step)
                chunk = torch.stack(
                    [torch.randint(n_rows, (size, config.batch_size), generator=g) for g in gens],
                    dim=1,
                ).to(dev)
                chunk = chunk + seed_offsets  # flat row numbers, (size, n_seeds, B)
            batch = chunk[step % _CHUNK]
            logp = policy.log_probs()
            if log_ref is not None:
                logp = logp - log_ref  # rho = log pi - log pi_ref (Eq. 15)
            logp = logp.reshape(-1)
            per_run = []
            for m, gi, lp_offset, gs in groups:
                rows = batch[gs].reshape(-1)
                size_g = gs.shape[0]
                key = (
                    "anonymous"
                    if m in _ANONYMOUS
                    else "relabelled"
                    if m == "reward-average"
                    else "all-types"
                )
                c1_all, c2_all, lab_all = sources[key]
                c1 = c1_all.index_select(0, rows).view(size_g, -1)
                c2 = c2_all.index_select(0, rows).view(size_g, -1)
                lab = lab_all.index_select(0, rows).view(
                    size_g, config.batch_size, *lab_all.shape[1:]
                )
                # Log-ratios rho(y1), rho(y2) (a uniform reference's constant cancels in margins).
                lp1 = logp.index_select(0, (lp_offset + c1).reshape(-1)).view(size_g, -1)
                lp2 = logp.index_select(0, (lp_offset + c2).reshape(-1)).view(size_g, -1)
                if m in ("consistent", "consistent-b3"):
                    fn = consistent_loss if m == "consistent" else b3_loss
                    loss = fn(lp1, lp2, lab, env.beta)
                else:
                    win = lab > 0.5
                    chosen, rejected = torch.where(win, lp2, lp1), torch.where(win, lp1, lp2)
                    if m == "ipo":
                        loss = ipo_loss(chosen, rejected, env.beta)
                    elif m == "corrected" and step >= config.warmup:
                        var = joint.variance(c1, c2, gs)  # type: ignore[union-attr]
                        loss = corrected_dpo_loss(
                            chosen,
                            rejected,
                            var.detach(),
                            alpha,
                            env.beta,
                            clamp=config.clamp,
                            eps=config.eps,
                        )
                    else:
                        loss = dpo_loss(chosen, rejected, env.beta)
                per_run.append((gi, loss.mean(dim=-1)))
            total_loss = sum(v.sum() for _, v in per_run)
            opt.zero_grad(set_to_none=True)
            total_loss.backward()
            opt.step()
            if joint is not None:
                # The joint-likelihood model trains alongside on paired data (Lemma 5.3), one
                # model per seed (row k of J follows config.seeds).
                rows = batch.reshape(-1)
                pa1, pa2, oa, pb1, pb2, ob = (
                    t.index_select(0, rows).view(batch.shape) for t in sources["paired"]
                )
                nll = joint.nll(pa1, pa2, pb1, pb2, oa * ob)
                opt_j.zero_grad(set_to_none=True)
                nll.mean(dim=-1).sum().backward()
                opt_j.step()
            if step % config.log_every == 0 or step == config.steps - 1:
                vec = torch.zeros(len(specs), device=dev)
                for gi, v in per_run:
                    vec[gi] = v.detach()
                losses_log.append(vec)
                loss_steps.append(step)
            if progress and (step % 50 == 49 or step == config.steps - 1):
                progress(done + step + 1, total)
        with torch.no_grad():
            final = policy.log_probs().double().cpu().numpy()
            if joint is not None:
                joint_var = _variance_table(joint, n, len(config.seeds), dev)
        for k, i in enumerate(trained):
            scores[i] = final[k]
            policies[i] = np.exp(final[k])
    training_s = time.perf_counter() - t1

    loss_arr = np.full((len(runs), len(loss_steps)), np.nan)
    if losses_log:
        trained_losses = torch.stack(losses_log, dim=1).double().cpu().numpy()
        loss_arr[trained] = trained_losses
    for i, r in enumerate(runs):
        if r.method == "nbc":
            rate = nbc_win_rates(data.anonymous[seed_pos[r.seed]], n).cpu().numpy()
            scores[i] = rate
            policies[i] = rate / rate.sum(axis=-1, keepdims=True)
    return TrainOutput(
        runs=runs,
        policies=policies,
        scores=scores,
        loss_steps=np.asarray(loss_steps, dtype=np.float64),
        losses=loss_arr,
        sampling_s=sampling_s,
        training_s=training_s,
        device=str(dev),
        joint_variance=joint_var,
    )


def _variance_table(joint: Any, n: int, n_models: int, dev: Any) -> FloatArray:
    """``Var_u[sigma]`` from each stacked J for every ``(x, a, b)``: shape ``(n_models, n, n, n)``
    (one prompt at a time, to bound memory)."""
    a, b = torch.meshgrid(torch.arange(n, device=dev), torch.arange(n, device=dev), indexing="ij")
    out = np.empty((n_models, n, n, n))
    for x in range(n):
        cell_a = (x * n + a).reshape(1, -1).expand(n_models, -1)
        cell_b = (x * n + b).reshape(1, -1).expand(n_models, -1)
        out[:, x] = joint.variance(cell_a, cell_b).double().cpu().numpy().reshape(n_models, n, n)
    return out


def corrected_population_policy(
    env: SyntheticEnvironment,
    alpha: float,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    prompt: int = 0,
    reference: Any = None,
    sampling: Any = None,
) -> FloatArray:
    """Infinite-data optimum of first-order corrected DPO for one prompt, with the exact variance.

    Minimises ``-sum_{a,b} D(a) D(b) Pr(b > a) log(max(s + c, eps))`` over tabular log-ratios
    ``rho`` (``D`` the row ``prompt`` of ``sampling``, uniform when None), with ``s = sigma(g_b - g_a)``, ``c`` the clamped correction of
    :func:`~socialpref.train.losses.corrected_dpo_loss` and ``Var_sigma`` the exact
    ``Var_u[sigma(Delta r_u)]`` (what a perfect joint-likelihood model gives, Lemma 5.3); by
    L-BFGS in float64. ``alpha = 0`` gives DPO's limit (Eq. 18). Returns
    ``pi(y | prompt) ~ pi_ref(y | prompt) exp(rho(y))`` with ``reference`` the ``(n, n)`` table
    ``pi_ref`` (uniform when None).
    """
    d = None if sampling is None else np.asarray(sampling, dtype=np.float64)[prompt]
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)[prompt]
    weights = None if d is None else torch.as_tensor(np.outer(d, d), dtype=torch.float64)
    p = torch.as_tensor(env.win_probabilities()[:, prompt], dtype=torch.float64)
    w = torch.as_tensor(env.weights, dtype=torch.float64)[:, None, None]
    p_mix = (w * p).sum(0)
    var = ((w * p * p).sum(0) - p_mix**2).clamp_min(0.0)
    g = torch.zeros(env.n, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([g], max_iter=1000, line_search_fn="strong_wolfe", tolerance_grad=1e-12)

    def closure() -> Any:
        opt.zero_grad()
        # Row a, column b: the pair (a, b) with b the winner; c = beta * (rho_b - rho_a).
        chosen = g[None, :].expand(env.n, env.n)
        rejected = g[:, None].expand(env.n, env.n)
        per_pair = p_mix * corrected_dpo_loss(
            chosen, rejected, var, alpha, env.beta, clamp=clamp, eps=eps
        )
        loss = per_pair.mean() if weights is None else (weights * per_pair).sum()
        loss.backward()
        return loss

    opt.step(closure)
    # pi ~ pi_ref exp(rho) with rho the log-ratio.
    logits = g.detach() if ref is None else g.detach() + torch.as_tensor(np.log(ref))
    return np.asarray(torch.softmax(logits, 0).numpy(), dtype=np.float64)
