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
from socialpref.train.metrics import PolicyMetrics, normalise_rows, policy_metrics
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
    """

    method: str
    alpha: float | None
    seed: int
    policy: FloatArray
    profile: FloatArray
    profile_se: FloatArray
    metrics: PolicyMetrics
    final_loss: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "alpha": self.alpha,
            "seed": self.seed,
            "policy_profile": _floats(self.profile),
            "policy_profile_se": _floats(self.profile_se),
            **self.metrics.to_dict(),
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
                "spearman_nbc",
                "spearman_average",
                "top_agreement_optimal",
                "top_agreement_nbc",
            ):
                vals = np.array([getattr(r.metrics, name) for r in rs])
                row[name] = float(vals.mean())
                row[f"{name}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
            prof = np.mean([r.profile for r in rs], axis=0)
            row["mass_at_0"] = float(prof[zero])
            row["mass_at_pm10"] = float(prof[sides].mean()) if sides else float("nan")
            row["peak_delta"] = int(d[int(np.argmax(prof))])
            out.append(row)
        return out

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
    corrected: dict[float, FloatArray] = {}
    if "corrected" in config.methods:
        target = get_method("corrected").target
        corrected = {a: profile_1d(target(env, config, a))[1] for a in config.alphas}
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
        runs=tuple(runs),
        sampling_s=out.sampling_s,
        training_s=out.training_s,
        device=out.device,
    )
