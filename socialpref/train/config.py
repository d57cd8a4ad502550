"""Settings of a batched synthetic training: :class:`TrainConfig` and its runs (:class:`RunSpec`).

``TrainConfig`` validates every field at construction (``ValueError`` naming the field and the
value), resolves the reference policy ``pi_ref`` and the sampling distribution ``D`` of the pairs
(Section 4: ``pairs_from_reference``), and ``to_dict()`` is the ``config`` of ``results.json``
(a given reference is recorded by shape and SHA-256).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.models import JOINT_KINDS, POLICY_KINDS

METHODS: tuple[str, ...] = (
    "dpo",
    "ipo",
    "corrected",
    "consistent",
    "consistent-b3",
    "nbc",
    "reward-average",
)
# Methods that read the anonymous or the all-types data set (`corrected` also reads paired data).
ANONYMOUS_METHODS: tuple[str, ...] = ("dpo", "ipo", "corrected", "nbc")
ALL_TYPES_METHODS: tuple[str, ...] = ("consistent", "consistent-b3", "reward-average")


@dataclass(frozen=True)
class RunSpec:
    """One run: a method, its correction strength (``corrected`` only, else None) and a seed."""

    method: str
    alpha: float | None
    seed: int

    @property
    def label(self) -> str:
        return self.method if self.alpha is None else f"{self.method} (alpha={self.alpha:g})"


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
