"""Aggregations of heterogeneous rewards: pairwise matrix, average reward, NBC, rankings.

All functions are pure: arrays in, arrays (or small frozen results) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.population import as_rewards, as_sampling, as_type_weights
from socialpref.preference import PreferenceModel, get_model

#: Scores closer than this are treated as tied in rankings and top choices.
TIE_TOL = 1e-12


def _validated(rewards: ArrayLike, type_weights: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r = as_rewards(rewards)
    return r, as_type_weights(type_weights, r.shape[0])


def pairwise_matrix(
    rewards: ArrayLike, type_weights: ArrayLike, model: PreferenceModel | str | None = None
) -> FloatArray:
    """Population preference matrix, Eq. (8): ``P[i, j] = sum_u p(u) sigma(r(i; u) - r(j; u))``.

    The diagonal is ``sigma(0) = 1/2``.

    >>> pairwise_matrix([[1.0, 0.0]], [1.0]).round(4).tolist()
    [[0.5, 0.7311], [0.2689, 0.5]]
    """
    r, w = _validated(rewards, type_weights)
    sigma = get_model(model)
    diffs = r[:, :, None] - r[:, None, :]  # (types, i, j)
    return np.asarray(np.einsum("u,uij->ij", w, sigma.prob(diffs)), dtype=np.float64)


def average_reward(rewards: ArrayLike, type_weights: ArrayLike) -> FloatArray:
    """User-weighted average reward, the objective of Eq. (9): ``rbar(y) = sum_u p(u) r(y; u)``.

    >>> average_reward([[6, 1], [3, 9]], [0.5, 0.5]).tolist()
    [4.5, 5.0]
    """
    r, w = _validated(rewards, type_weights)
    return np.asarray(w @ r, dtype=np.float64)


def nbc_from_matrix(pairwise: ArrayLike, sampling: ArrayLike | None = None) -> FloatArray:
    """NBC from a pairwise matrix, Eq. (13): ``NBC(y) = sum_y' D(y') P[y, y']``."""
    p = np.asarray(pairwise, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise ValueError(
            f"The 'pairwise' parameter must be a square matrix. Got shape {p.shape} instead."
        )
    return np.asarray(p @ as_sampling(sampling, p.shape[0]), dtype=np.float64)


def nbc(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> FloatArray:
    """Normalized Borda Count, Definition 4.1 / Eq. (13).

    ``NBC(y; D) = sum_{y'} D(y') sum_u p(u) sigma(r(y; u) - r(y'; u))``: the probability that a
    random annotator prefers ``y`` to an alternative drawn from ``D`` (uniform when ``sampling``
    is None). As in the authors' code, the alternative may be ``y`` itself, which counts
    ``P(y > y) = sigma(0) = 1/2``; hence ``sum_y D(y) NBC(y) = 1/2`` for every ``D``.

    >>> nbc([[6, 1, 4], [3, 9, 4]], [0.5, 0.5]).round(4).tolist()
    [0.5243, 0.5075, 0.4683]
    """
    r, w = _validated(rewards, type_weights)
    d = as_sampling(sampling, r.shape[1])
    return np.asarray(pairwise_matrix(r, w, model) @ d, dtype=np.float64)


def ranking(scores: ArrayLike, tol: float = TIE_TOL) -> IntArray:
    """Competition ranks (1 = best); scores within ``tol`` of each other share the better rank.

    >>> ranking([0.2, 0.5, 0.5, 0.1]).tolist()
    [3, 1, 1, 4]
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1 or not np.all(np.isfinite(s)):
        raise ValueError(f"The 'scores' parameter must be a finite 1-D vector. Got {s!r} instead.")
    # number of options strictly better (by more than tol) + 1
    better = (s[None, :] - s[:, None]) > tol
    return np.asarray(better.sum(axis=1) + 1, dtype=np.int64)


def top_choices(scores: ArrayLike, tol: float = TIE_TOL) -> IntArray:
    """Indices of the options tied for the best score (within ``tol``).

    >>> top_choices([0.2, 0.5, 0.5]).tolist()
    [1, 2]
    """
    return np.flatnonzero(ranking(scores, tol) == 1).astype(np.int64)


def kendall_tau(a: ArrayLike, b: ArrayLike) -> float:
    """Kendall's tau-b between two score vectors (ties handled); NaN when either is constant."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(
            f"Kendall tau needs two vectors of one length. Got shapes {x.shape} and {y.shape}."
        )
    if x.size < 2 or np.ptp(x) <= TIE_TOL or np.ptp(y) <= TIE_TOL:
        return float("nan")
    # snap near-ties so that floating-point noise does not break ties
    xr, yr = -ranking(x).astype(float), -ranking(y).astype(float)
    return float(kendalltau(xr, yr).statistic)


@dataclass(frozen=True)
class RankComparison:
    """How two score vectors rank the same options.

    Attributes
    ----------
    kendall_tau : float
        Kendall's tau-b of the two rankings (NaN if one is constant).
    top_agreement : bool
        Whether the two sets of top choices (ties included) are equal.
    same_order : bool
        Whether the two rankings are identical (ties included).
    """

    kendall_tau: float
    top_agreement: bool
    same_order: bool


def compare_rankings(a: ArrayLike, b: ArrayLike, tol: float = TIE_TOL) -> RankComparison:
    """Compare the rankings that two score vectors induce."""
    ra, rb = ranking(a, tol), ranking(b, tol)
    return RankComparison(
        kendall_tau=kendall_tau(a, b),
        top_agreement=bool(np.array_equal(np.flatnonzero(ra == 1), np.flatnonzero(rb == 1))),
        same_order=bool(np.array_equal(ra, rb)),
    )


@dataclass(frozen=True, eq=False)
class AggregateComparison:
    """Average reward and NBC of one population, side by side.

    Attributes
    ----------
    average_reward, nbc : arrays (n_options,)
    average_ranking, nbc_ranking : int arrays (n_options,), 1 = best
    average_top, nbc_top : tuple of int, the options tied for first
    comparison : RankComparison
    """

    average_reward: FloatArray
    nbc: FloatArray
    average_ranking: IntArray
    nbc_ranking: IntArray
    average_top: tuple[int, ...]
    nbc_top: tuple[int, ...]
    comparison: RankComparison

    @property
    def tops_differ(self) -> bool:
        return not self.comparison.top_agreement

    def to_dict(self) -> dict[str, Any]:
        return {
            "average_reward": self.average_reward.tolist(),
            "nbc": self.nbc.tolist(),
            "average_ranking": self.average_ranking.tolist(),
            "nbc_ranking": self.nbc_ranking.tolist(),
            "average_top": list(self.average_top),
            "nbc_top": list(self.nbc_top),
            "kendall_tau": self.comparison.kendall_tau,
            "top_agreement": self.comparison.top_agreement,
            "same_order": self.comparison.same_order,
        }


def compare_aggregates(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> AggregateComparison:
    """Average reward (Eq. 9) against NBC (Eq. 13) for one population.

    >>> c = compare_aggregates([[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1/3, 1/3, 1/3])
    >>> c.average_top, c.nbc_top
    ((0, 2), (1,))
    """
    r, w = _validated(rewards, type_weights)
    avg = average_reward(r, w)
    score = nbc(r, w, sampling, model)
    ra, rn = ranking(avg), ranking(score)
    return AggregateComparison(
        average_reward=avg,
        nbc=score,
        average_ranking=ra,
        nbc_ranking=rn,
        average_top=tuple(int(i) for i in np.flatnonzero(ra == 1)),
        nbc_top=tuple(int(i) for i in np.flatnonzero(rn == 1)),
        comparison=compare_rankings(avg, score),
    )
