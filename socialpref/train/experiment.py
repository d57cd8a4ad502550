"""Section 7.2's experiment end to end: exact targets, batched training, metrics, results.

:func:`run_synthetic` returns a frozen :class:`SyntheticResults` whose ``to_dict()`` is the
``results.json`` the CLI writes (keys ``delta``, ``optimal_profile``, ``nbc_profile``, ``runs``...).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref._typing import FloatArray, IntArray
from socialpref.train.config import TrainConfig
from socialpref.train.environment import SyntheticEnvironment, profile_1d
from socialpref.train.methods import get_method
from socialpref.train.metrics import (
    PolicyMetrics,
    kl_divergence,
    normalise_rows,
    policy_metrics,
    top_deltas,
)
from socialpref.train.runner import ProgressFn, train_batched

if TYPE_CHECKING:
    import torch


def _floats(a: Any) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


@dataclass(frozen=True)
class RunResult:
    """One trained (or counted) policy and its metrics.

    Attributes
    ----------
    method, alpha, seed
        The run (``alpha`` is None except for ``corrected``).
    policy : ndarray, shape (n, n)
        ``pi(y | x)``.
    profile, profile_se : ndarray
        1-D profile over ``delta`` and its standard error across prompts.
    metrics : PolicyMetrics
    final_loss : float or None
        Last recorded training loss (None for ``nbc``).
    kl_to_target : float
        ``E_x KL(target(.|x) || pi(.|x))`` with the method's own exact infinite-data policy
        (its ``target`` in :mod:`socialpref.train.methods`: DPO's limit for ``dpo``, the Nash
        policy for ``sppo``, ...).
    """

    method: str
    alpha: float | None
    seed: int
    policy: FloatArray
    profile: FloatArray
    profile_se: FloatArray
    metrics: PolicyMetrics
    final_loss: float | None
    kl_to_target: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "alpha": self.alpha,
            "seed": self.seed,
            "policy_profile": _floats(self.profile),
            "policy_profile_se": _floats(self.profile_se),
            **self.metrics.to_dict(),
            "kl_to_target": self.kl_to_target,
            "final_loss": self.final_loss,
        }


@dataclass(frozen=True)
class SyntheticResults:
    """Everything Fig. 3-4 and the README numbers need.

    Attributes
    ----------
    env : SyntheticEnvironment
    config : TrainConfig
    delta : ndarray
        ``y - x`` from ``-n/2`` to ``n/2 - 1``.
    reward_profiles : ndarray, shape (n_types, len(delta))
        Each type's reward over ``delta`` (Fig. 3), and ``average_profile`` their weighted mean.
    optimal_profile, nbc_profile, dpo_limit_profile : ndarray
        pi* (Eq. 10, with ``config``'s reference and beta), NBC under the pairs' sampling
        distribution normalised per prompt to sum to one, and the infinite-data DPO policy.
    corrected_limit_profiles : dict
        Per ``alpha`` of ``corrected``: the infinite-data optimum of the corrected loss with the
        exact variance (:func:`~socialpref.train.limits.corrected_population_table`, global).
    nash_profile : ndarray
        The NLHF Nash policy (``sppo``'s target) with ``config``'s reference and beta.
    top_choices : dict
        ``"average_reward"``, ``"nbc"`` (under the pairs' sampling distribution), ``"nash"``:
        each prompt's top responses as ``delta = y - x`` (ties within 1e-9).
    runs : tuple of RunResult
    sampling_s, training_s : float
    device : str
    """

    env: SyntheticEnvironment
    config: TrainConfig
    delta: IntArray
    reward_profiles: FloatArray
    average_profile: FloatArray
    optimal_profile: FloatArray
    nbc_profile: FloatArray
    dpo_limit_profile: FloatArray
    corrected_limit_profiles: dict[float, FloatArray]
    nash_profile: FloatArray
    top_choices: dict[str, list[list[int]]]
    runs: tuple[RunResult, ...]
    sampling_s: float
    training_s: float
    device: str

    def summary(self) -> list[dict[str, Any]]:
        """Per (method, alpha): mean and standard deviation over seeds of the metrics, and the
        mean policy mass at ``delta = 0`` and at ``delta = +-10`` (the types' favourites)."""
        keys: dict[tuple[str, float | None], list[RunResult]] = {}
        for r in self.runs:
            keys.setdefault((r.method, r.alpha), []).append(r)
        d = np.asarray(self.delta)
        zero = int(np.flatnonzero(d == 0)[0])
        sides = [int(i) for i in np.flatnonzero(np.isin(d, [-10, 10]))]
        out = []
        for (method, alpha), rs in keys.items():
            row: dict[str, Any] = {"method": method, "alpha": alpha, "n_seeds": len(rs)}
            for name in (
                "kl_to_optimal",
                "kl_to_target",
                "spearman_nbc",
                "spearman_average",
                "top_agreement_optimal",
                "top_agreement_nbc",
            ):
                vals = np.array(
                    [
                        r.kl_to_target if name == "kl_to_target" else getattr(r.metrics, name)
                        for r in rs
                    ]
                )
                row[name] = float(vals.mean())
                row[f"{name}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
            prof = np.mean([r.profile for r in rs], axis=0)
            row["mass_at_0"] = float(prof[zero])
            row["mass_at_pm10"] = float(prof[sides].mean()) if sides else float("nan")
            row["peak_delta"] = int(d[int(np.argmax(prof))])
            out.append(row)
        return out

    def nash_top_differs(self) -> dict[str, int]:
        """Number of prompts whose Nash policy's top responses differ from NBC's and from the
        average reward's (as sets, ties included)."""
        nash = self.top_choices["nash"]
        return {
            name: sum(a != b for a, b in zip(nash, self.top_choices[name], strict=True))
            for name in ("nbc", "average_reward")
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.env.to_dict(),
            "config": self.config.to_dict(),
            "device": self.device,
            "sampling_s": self.sampling_s,
            "training_s": self.training_s,
            "delta": [int(v) for v in np.asarray(self.delta)],
            "reward_profiles": [_floats(p) for p in self.reward_profiles],
            "average_profile": _floats(self.average_profile),
            "optimal_profile": _floats(self.optimal_profile),
            "nbc_profile": _floats(self.nbc_profile),
            "dpo_limit_profile": _floats(self.dpo_limit_profile),
            "corrected_limit_profiles": [
                {"alpha": a, "profile": _floats(p)}
                for a, p in sorted(self.corrected_limit_profiles.items())
            ],
            "nash_profile": _floats(self.nash_profile),
            "top_choices": {k: [list(v) for v in rows] for k, rows in self.top_choices.items()},
            "nash_top_differs": self.nash_top_differs(),
            "runs": [r.to_dict() for r in self.runs],
            "summary": self.summary(),
        }


def run_synthetic(
    env: SyntheticEnvironment | None = None,
    config: TrainConfig | None = None,
    device: str | torch.device = "auto",
    progress: ProgressFn | None = None,
) -> SyntheticResults:
    """Run Section 7.2's experiment: train every run of ``config`` and score it against the
    exact pi* (Eq. 10), NBC (Eq. 13) and the average reward.

    Parameters
    ----------
    env : SyntheticEnvironment, optional
        Paper defaults when None.
    config : TrainConfig, optional
        Paper defaults (one DPO run, seed 0) when None. Its ``beta`` (when set) replaces
        ``env.beta``; its ``reference`` is ``pi_ref`` for training and for pi* and the DPO limit;
        NBC uses the pairs' sampling distribution ``config.sampling_table``. The results record
        the beta used in both ``environment`` and ``config``.
    device : {"auto", "cpu", "cuda"}
    progress : callable(done, total), optional

    Returns
    -------
    SyntheticResults
    """
    config = config or TrainConfig()
    env = config.resolve_environment(env or SyntheticEnvironment())
    config = replace(config, beta=env.beta)  # record the beta actually used
    out = train_batched(env, config, device, progress)
    ref, sampling = config.reference_table, config.sampling_table
    optimal = env.optimal_policy(ref)
    nbc_table = env.nbc(sampling)
    average = env.average_reward()
    rewards = env.rewards()
    delta = profile_1d(optimal)[0]
    # each method's exact infinite-data policy, once per (method, alpha)
    targets: dict[tuple[str, float | None], FloatArray] = {}
    for spec in out.runs:
        if (spec.method, spec.alpha) not in targets:
            target = get_method(spec.method).target(env, config, spec.alpha)
            targets[spec.method, spec.alpha] = target
    corrected = {
        float(a): profile_1d(t)[1]
        for (m, a), t in targets.items()
        if m == "corrected" and a is not None
    }
    nash = targets.get(("sppo", None))
    if nash is None:
        nash = env.nash_policy(ref)
    runs = []
    for k, spec in enumerate(out.runs):
        _, prof, se = profile_1d(out.policies[k])
        last = out.losses[k, -1] if out.losses.shape[1] else np.nan
        runs.append(
            RunResult(
                method=spec.method,
                alpha=spec.alpha,
                seed=spec.seed,
                policy=out.policies[k],
                profile=prof,
                profile_se=se,
                metrics=policy_metrics(out.policies[k], optimal, nbc_table, average, ref),
                final_loss=None if np.isnan(last) else float(last),
                kl_to_target=kl_divergence(targets[spec.method, spec.alpha], out.policies[k]),
            )
        )
    return SyntheticResults(
        env=env,
        config=config,
        delta=delta,
        reward_profiles=np.stack([profile_1d(rewards[u])[1] for u in range(env.n_types)]),
        average_profile=profile_1d(average)[1],
        optimal_profile=profile_1d(optimal)[1],
        nbc_profile=profile_1d(normalise_rows(nbc_table))[1],
        dpo_limit_profile=profile_1d(env.dpo_limit_policy(ref, sampling))[1],
        corrected_limit_profiles=corrected,
        nash_profile=profile_1d(nash)[1],
        top_choices={
            "average_reward": top_deltas(average),
            "nbc": top_deltas(nbc_table),
            "nash": top_deltas(nash),
        },
        runs=tuple(runs),
        sampling_s=out.sampling_s,
        training_s=out.training_s,
        device=out.device,
    )
