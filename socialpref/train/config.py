"""Settings of a batched synthetic training: :class:`TrainConfig` and its runs (:class:`RunSpec`).

``TrainConfig`` validates every field at construction (:class:`~socialpref.errors.ParameterError`
naming the field and the value; methods are looked up in :mod:`socialpref.train.methods`), resolves the reference policy ``pi_ref`` and the sampling distribution ``D`` of the pairs
(Section 4: ``pairs_from_reference``), and ``to_dict()`` is the ``config`` of ``results.json``
(a given reference is recorded by shape and SHA-256).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
from socialpref.train.environment import SyntheticEnvironment

# This module imports no torch, so that the command line can build its options from TrainConfig's
# fields; the method table (torch) is looked up when a config is made.
POLICY_KINDS: tuple[str, ...] = ("mlp", "tabular")
JOINT_KINDS: tuple[str, ...] = ("mixture", "mlp")
BUILTIN_METHODS: tuple[str, ...] = (
    "dpo",
    "ipo",
    "corrected",
    "consistent",
    "consistent-b3",
    "nbc",
    "reward-average",
    "sppo",
)
"""The methods socialpref registers in :mod:`socialpref.train.methods` (more can be added there)."""

_POSITIVE_INTS = (
    "n_pairs",
    "steps",
    "batch_size",
    "hidden",
    "layers",
    "joint_latent",
    "joint_hidden",
    "joint_layers",
    "log_every",
)
_POSITIVE_FLOATS = ("lr", "joint_lr", "reward_lr", "clamp", "eps")


@dataclass(frozen=True)
class RunSpec:
    """One run: a method, its correction strength (methods that use alpha, else None) and a seed."""

    method: str
    alpha: float | None
    seed: int

    @property
    def label(self) -> str:
        return self.method if self.alpha is None else f"{self.method} (alpha={self.alpha:g})"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a batched synthetic training (defaults: Section 7.2, Fig. 4 and the authors' code).

    The defaults are the grid of Fig. 4: DPO, corrected DPO at alpha = 1, 2, 4, the consistent
    loss of Prop. 6.1 and the NBC win rates, 5 seeds. Each field's ``help`` is also the help of
    its ``socialpref train synthetic`` option.
    """

    methods: tuple[str, ...] = field(
        default=("dpo", "corrected", "consistent", "nbc"),
        metadata={"help": f"Training methods, among {', '.join(BUILTIN_METHODS)}."},
    )
    alphas: tuple[float, ...] = field(
        default=(1.0, 2.0, 4.0),
        metadata={"help": "Correction strengths alpha >= 0 of 'corrected' (one run each)."},
    )
    seeds: tuple[int, ...] = field(
        default=(0, 1, 2, 3, 4), metadata={"help": "Seeds: data, batches and initial weights."}
    )
    n_pairs: int = field(
        default=500_000, metadata={"help": "Preference pairs per data set and seed."}
    )
    steps: int = field(default=10_000, metadata={"help": "Optimiser (Adam) steps per run."})
    batch_size: int = field(default=1024, metadata={"help": "Pairs per step and run."})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate of the policy."})
    policy: str = field(
        default="mlp",
        metadata={"help": "Policy: 'mlp' (one-hot prompt, 2 x 15 tanh, the paper's) or 'tabular'."},
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
        from socialpref.train.methods import get_method

        object.__setattr__(
            self, "methods", tuple(dict.fromkeys(str(m).strip().lower() for m in self.methods))
        )
        if not self.methods:
            raise ParameterError(
                "The 'methods' parameter must name at least one training method. Got ()."
            )
        chosen = [get_method(m) for m in self.methods]  # unknown names list the valid ones
        alphas = tuple(
            check_scalar(a, "alphas", float, min_val=0, owner="TrainConfig") for a in self.alphas
        )
        object.__setattr__(self, "alphas", alphas)
        seeds = tuple(
            check_scalar(s, "seeds", int, min_val=0, owner="TrainConfig") for s in self.seeds
        )
        object.__setattr__(self, "seeds", tuple(dict.fromkeys(seeds)))
        if not self.seeds:
            raise ParameterError("The 'seeds' parameter must hold at least one seed. Got ().")
        if any(m.uses_alpha for m in chosen) and not self.alphas:
            raise ParameterError(
                "The 'alphas' parameter must hold at least one value for "
                f"{[m.name for m in chosen if m.uses_alpha]}. Got ()."
            )
        for name in _POSITIVE_INTS:
            check_scalar(getattr(self, name), name, int, min_val=1, owner="TrainConfig")
        for name in _POSITIVE_FLOATS:
            value = check_scalar(
                getattr(self, name),
                name,
                float,
                min_val=0,
                include_boundaries="neither",
                owner="TrainConfig",
            )
            object.__setattr__(self, name, value)
        for name in ("warmup_steps", "reward_steps"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), name, int, min_val=0, owner="TrainConfig")
        if self.joint not in JOINT_KINDS:
            raise ParameterError(
                f"The 'joint' parameter must be one of {list(JOINT_KINDS)}. Got {self.joint!r} instead."
            )
        if self.policy not in POLICY_KINDS:
            raise ParameterError(
                f"The 'policy' parameter must be one of {list(POLICY_KINDS)}. Got {self.policy!r} instead."
            )
        if self.beta is not None:
            beta = check_scalar(
                self.beta,
                "beta",
                float,
                min_val=0,
                include_boundaries="neither",
                owner="TrainConfig",
            )
            object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "reference", _check_reference(self.reference))
        if self.pairs_from_reference is not None and not isinstance(
            self.pairs_from_reference, bool
        ):
            raise ParameterError(
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
            raise ParameterError(
                f"The 'reference' parameter must be a ({env.n}, {env.n}) table for this environment "
                f"(n = {env.n}). Got shape {ref.shape} instead."
            )
        if self.beta is None or self.beta == env.beta:
            return env
        return replace(env, beta=self.beta)

    def runs(self) -> list[RunSpec]:
        """Every run, in the order methods x alphas x seeds (alphas only for methods that use them)."""
        from socialpref.train.methods import get_method

        out: list[RunSpec] = []
        for m in self.methods:
            alphas: tuple[float | None, ...] = (None,)
            if get_method(m).uses_alpha:
                alphas = self.alphas
            for a in alphas:
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
        raise ParameterError(
            f"The 'reference' parameter must be None, 'uniform' or an (n, n) table. Got {reference!r} instead."
        )
    try:
        t = np.asarray(reference, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            "The 'reference' parameter must be an (n, n) table of probabilities. "
            f"Got an object of type {type(reference).__name__} that is not a numeric array."
        ) from None
    if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 2:
        raise ParameterError(
            f"The 'reference' parameter must be a 2-D (n_prompts, n_responses) table. Got shape {t.shape} instead."
        )
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ParameterError(
            "The 'reference' parameter must hold finite, strictly positive probabilities "
            f"(log pi_ref must be finite). Got minimum {float(np.nanmin(t))!r}"
            f"{'' if np.all(np.isfinite(t)) else ' and non-finite entries'} instead."
        )
    sums = t.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > 1e-6:
        raise ParameterError(
            "The 'reference' parameter must have rows summing to 1 (one distribution over responses "
            f"per prompt). Got row {worst} summing to {float(sums[worst])!r} instead."
        )
    # Renormalise rows that are off by more than rounding (idempotent: a stored table is kept).
    t = np.where(np.abs(sums - 1.0)[:, None] > 1e-12, t / sums[:, None], t)
    return tuple(tuple(float(v) for v in row) for row in t)
