"""Metrics comparing a learned policy table ``pi[x, y]`` with the exact targets (numpy).

- 1-D profiles over ``delta = y - x`` (:func:`socialpref.train.environment.profile_1d`).
- ``KL(pi* || pi)`` averaged over uniform prompts.
- Spearman correlation of 1-D profiles (with NBC, with the average reward).
- Top-response agreement: share of prompts whose most likely response is a top choice of the target;
  each prompt's top responses as ``delta`` (:func:`top_deltas`).

With a non-uniform reference ``pi_ref``, orders are read from the policy's ratio ``pi / pi_ref``
(its induced reward, Eq. 11): that is what has NBC's order under DPO (Prop. 4.2) and the average
reward's order at ``pi*``; with the uniform reference the ratio is ``n pi`` and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from socialpref._typing import ArrayLike, FloatArray
from socialpref.aggregate import top_choices
from socialpref.errors import ParameterError


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Mean over rows (prompts) of ``KL(p(.|x) || q(.|x)) = sum_y p log(p / q)``.

    >>> round(kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]), 6)
    0.143841
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ParameterError(
            f"The 'q' parameter must have the shape of 'p' {p.shape}. Got {q.shape} instead."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(np.maximum(q, 1e-300))), 0.0)
    return float(np.mean(terms.sum(axis=-1)))


_TIE_DIGITS = 10  # values equal to this many significant digits are ties


def _ties_kept(x: FloatArray) -> FloatArray:
    """``x`` rounded to :data:`_TIE_DIGITS` significant digits of its largest magnitude, so that
    values that are equal in exact arithmetic (e.g. a symmetric profile's ``delta`` and
    ``-delta``) rank as ties whatever the last bits of their floating-point computation."""
    scale = float(np.max(np.abs(x)))
    if scale == 0.0:
        return x
    step = 10.0 ** (np.floor(np.log10(scale)) - _TIE_DIGITS)
    return np.asarray(np.round(x / step) * step, dtype=np.float64)


def spearman(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of two 1-D arrays (0 when either is constant).

    Values equal to 10 significant digits are ties (average ranks), so rounding noise in the
    last bits of a computation cannot reorder exactly tied values.

    >>> spearman([1, 2, 3], [10, 20, 15])
    0.5
    >>> spearman([1.0, 2.0, 2.0 + 1e-15, 3.0], [1, 3, 2, 4]) == spearman([1, 2, 2, 3], [1, 3, 2, 4])
    True
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ParameterError(
            f"The 'b' parameter must have the shape of 'a' {a.shape}. Got {b.shape} instead."
        )
    a, b = _ties_kept(a), _ties_kept(b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def top_agreement(policy: ArrayLike, target: ArrayLike, tol: float = 1e-9) -> float:
    """Share of prompts ``x`` where ``argmax_y policy[x, y]`` is among the top choices of
    ``target[x]`` (ties within ``tol`` all count as top).

    >>> top_agreement([[0.1, 0.9], [0.8, 0.2]], [[0.0, 1.0], [0.0, 1.0]])
    0.5
    """
    p = np.asarray(policy, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    hits = [int(np.argmax(p[x])) in set(top_choices(t[x], tol).tolist()) for x in range(p.shape[0])]
    return float(np.mean(hits))


def top_deltas(table: ArrayLike, tol: float = 1e-9) -> list[list[int]]:
    """Each prompt's top responses (ties within ``tol``) as ``delta = y - x`` on the circle,
    from ``-n // 2`` to ``n - n // 2 - 1`` (the axis of :func:`~socialpref.train.environment.profile_1d`).

    >>> top_deltas([[0.1, 0.9, 0.0], [0.5, 0.0, 0.5]])
    [[1], [-1, 1]]
    """
    t = np.asarray(table, dtype=np.float64)
    n = t.shape[-1]
    return [
        sorted(int((y - x + n // 2) % n - n // 2) for y in top_choices(t[x], tol))
        for x in range(t.shape[0])
    ]


def normalise_rows(table: ArrayLike) -> FloatArray:
    """Scale each row of a non-negative table to sum to one (e.g. NBC scores -> a policy)."""
    t = np.asarray(table, dtype=np.float64)
    return np.asarray(t / t.sum(axis=-1, keepdims=True), dtype=np.float64)


@dataclass(frozen=True)
class PolicyMetrics:
    """Metrics of one learned policy against the exact targets.

    Attributes
    ----------
    kl_to_optimal : float
        ``E_x KL(pi*(.|x) || pi(.|x))``.
    spearman_nbc, spearman_average : float
        Spearman correlation of the policy's 1-D profile with NBC's and with the average reward's
        (with a given reference: the profile of ``pi / pi_ref``).
    top_agreement_optimal, top_agreement_nbc : float
        Share of prompts whose top response is a top response of pi* (the average reward when the
        reference is uniform) / of NBC (with a given reference: the top of ``pi / pi_ref``).
    """

    kl_to_optimal: float
    spearman_nbc: float
    spearman_average: float
    top_agreement_optimal: float
    top_agreement_nbc: float

    def to_dict(self) -> dict[str, float]:
        return {
            "kl_to_optimal": self.kl_to_optimal,
            "spearman_nbc": self.spearman_nbc,
            "spearman_average": self.spearman_average,
            "top_agreement_optimal": self.top_agreement_optimal,
            "top_agreement_nbc": self.top_agreement_nbc,
        }


def policy_metrics(
    policy: ArrayLike,
    optimal: ArrayLike,
    nbc_table: ArrayLike,
    average: ArrayLike,
    reference: ArrayLike | None = None,
) -> PolicyMetrics:
    """All metrics of ``policy[x, y]`` against ``pi*``, NBC and the average reward tables.

    ``reference`` is the ``(n, n)`` table ``pi_ref`` (uniform when None); ``optimal`` must be the
    ``pi*`` of that reference.
    """
    from socialpref.train.environment import profile_1d

    if reference is None:
        ratio, top_optimal = np.asarray(policy, dtype=np.float64), average
    else:
        ratio = np.asarray(policy, dtype=np.float64) / np.asarray(reference, dtype=np.float64)
        top_optimal = optimal
    prof = profile_1d(ratio)[1]
    return PolicyMetrics(
        kl_to_optimal=kl_divergence(optimal, policy),
        spearman_nbc=spearman(prof, profile_1d(nbc_table)[1]),
        spearman_average=spearman(prof, profile_1d(average)[1]),
        top_agreement_optimal=top_agreement(policy, top_optimal),
        top_agreement_nbc=top_agreement(ratio, nbc_table),
    )
