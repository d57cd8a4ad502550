"""Aggregations of heterogeneous rewards: pairwise matrix, average reward, NBC, rankings.

All functions are pure: arrays in, arrays (or small frozen results) out. Rankings and Kendall's
tau work on stacks of score vectors too (:func:`ranking` ranks along the last axis,
:func:`kendall_tau_rows` compares rows), and :func:`compare_aggregates_batch` is
:func:`compare_aggregates` for many populations of one shape at once (the survey analysis uses
it for every question of a wave).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.errors import ParameterError
from socialpref.population import (
    WEIGHT_SUM_ATOL,
    PopulationLike,
    as_sampling,
    population_arrays,
)
from socialpref.preference import PreferenceModel, get_model

#: Scores closer than this are treated as tied in rankings and top choices.
TIE_TOL = 1e-12


def pairwise_matrices(
    rewards: FloatArray, type_weights: FloatArray, model: PreferenceModel
) -> FloatArray:
    """Eq. (8) for a stack of already validated populations, no checks.

    ``rewards`` has shape ``(..., n_types, n_options)`` and ``type_weights`` ``(..., n_types)``;
    returns ``(..., n_options, n_options)`` with ``P[..., i, j] = sum_u p(u) sigma(r(i; u) - r(j; u))``.
    Padded types with weight 0 contribute nothing.
    """
    diffs = rewards[..., :, :, None] - rewards[..., :, None, :]  # (..., types, i, j)
    return np.asarray(
        np.einsum("...u,...uij->...ij", type_weights, model.prob(diffs)), dtype=np.float64
    )


def pairwise_matrix(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> FloatArray:
    """Population preference matrix, Eq. (8): ``P[i, j] = sum_u p(u) sigma(r(i; u) - r(j; u))``.

    The diagonal is ``sigma(0) = 1/2``. ``rewards`` may be a :class:`Population` (then
    ``type_weights`` is None), as in every function of this module.

    >>> pairwise_matrix([[1.0, 0.0]], [1.0]).round(4).tolist()
    [[0.5, 0.7311], [0.2689, 0.5]]
    >>> from socialpref.population import Population
    >>> pairwise_matrix(Population([[1.0, 0.0]], [1.0]), model="bt:2").round(4).tolist()
    [[0.5, 0.6225], [0.3775, 0.5]]
    """
    r, w = population_arrays(rewards, type_weights)
    return pairwise_matrices(r, w, get_model(model))


def average_reward(rewards: PopulationLike, type_weights: ArrayLike | None = None) -> FloatArray:
    """User-weighted average reward, the objective of Eq. (9): ``rbar(y) = sum_u p(u) r(y; u)``.

    >>> average_reward([[6, 1], [3, 9]], [0.5, 0.5]).tolist()
    [4.5, 5.0]
    >>> from socialpref.population import Population
    >>> average_reward(Population([[6, 1], [3, 9]], [0.5, 0.5])).tolist()
    [4.5, 5.0]
    """
    r, w = population_arrays(rewards, type_weights)
    return np.asarray(w @ r, dtype=np.float64)


def nbc_from_matrix(pairwise: ArrayLike, sampling: ArrayLike | None = None) -> FloatArray:
    """NBC from a pairwise matrix, Eq. (13): ``NBC(y) = sum_y' D(y') P[y, y']``."""
    p = np.asarray(pairwise, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise ParameterError(
            f"The 'pairwise' parameter must be a square matrix. Got shape {p.shape} instead."
        )
    return np.asarray(p @ as_sampling(sampling, p.shape[0]), dtype=np.float64)


def nbc(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
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
    >>> from socialpref.population import Population
    >>> nbc(Population([[6, 1, 4], [3, 9, 4]], [0.5, 0.5]), sampling=[0.49, 0.49, 0.02]).round(5).tolist()
    [0.50046, 0.50144, 0.45333]
    """
    r, w = population_arrays(rewards, type_weights)
    d = as_sampling(sampling, r.shape[1])
    return np.asarray(pairwise_matrix(r, w, model) @ d, dtype=np.float64)


def ranking(scores: ArrayLike, tol: float = TIE_TOL) -> IntArray:
    """Competition ranks (1 = best); scores within ``tol`` of each other share the better rank.

    ``scores`` may be a stack of score vectors, shape ``(..., n_options)``: each vector (the
    last axis) is ranked on its own.

    >>> ranking([0.2, 0.5, 0.5, 0.1]).tolist()
    [3, 1, 1, 4]
    >>> ranking([[0.2, 0.5, 0.5], [3.0, 2.0, 1.0]]).tolist()
    [[3, 1, 1], [1, 2, 3]]
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim < 1 or not np.all(np.isfinite(s)):
        raise ParameterError(
            "The 'scores' parameter must be a finite vector or stack of vectors (options on the "
            f"last axis). Got {s!r} instead."
        )
    # number of options strictly better (by more than tol) + 1
    better = (s[..., None, :] - s[..., :, None]) > tol
    return np.asarray(better.sum(axis=-1) + 1, dtype=np.int64)


def top_choices(scores: ArrayLike, tol: float = TIE_TOL) -> IntArray:
    """Indices of the options tied for the best score (within ``tol``).

    >>> top_choices([0.2, 0.5, 0.5]).tolist()
    [1, 2]
    """
    return np.flatnonzero(ranking(scores, tol) == 1).astype(np.int64)


def kendall_tau_rows(x: ArrayLike, y: ArrayLike) -> FloatArray:
    """Kendall's tau-b between each row of ``x`` and the same row of ``y``; shape ``(B,)``.

    The scores are first snapped to competition ranks (:func:`ranking` with ``TIE_TOL``), so
    floating-point noise does not break ties; then tau-b is computed as scipy's
    ``kendalltau`` does: ``(concordant - discordant) / sqrt(n0 - n1) / sqrt(n0 - n2)``, with
    ``n0`` the pairs and ``n1``, ``n2`` the pairs tied in ``x``, in ``y``. NaN where a row has
    fewer than two options or either row is constant (within ``TIE_TOL``).

    >>> kendall_tau_rows([[1, 2, 3], [1, 1, 1]], [[1, 3, 2], [1, 2, 3]]).round(4).tolist()
    [0.3333, nan]
    """
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ParameterError(
            "Kendall tau needs two arrays of one shape (rows, options). "
            f"Got shapes {a.shape} and {b.shape}."
        )
    n = a.shape[1]
    out = np.full(a.shape[0], np.nan)
    if n < 2 or a.shape[0] == 0:
        return out
    rx, ry = ranking(a).astype(np.float64), ranking(b).astype(np.float64)
    iu, ju = np.triu_indices(n, k=1)
    sx = np.sign(rx[:, iu] - rx[:, ju])
    sy = np.sign(ry[:, iu] - ry[:, ju])
    tot = iu.size
    xtie = (sx == 0).sum(axis=1)
    ytie = (sy == 0).sum(axis=1)
    con_minus_dis = (sx * sy).sum(axis=1).astype(np.int64)
    ok = (np.ptp(a, axis=1) > TIE_TOL) & (np.ptp(b, axis=1) > TIE_TOL)
    ok &= (xtie < tot) & (ytie < tot)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
    out[ok] = np.clip(tau[ok], -1.0, 1.0)
    return out


def kendall_tau(a: ArrayLike, b: ArrayLike) -> float:
    """Kendall's tau-b between two score vectors (ties handled); NaN when either is constant.

    One row of :func:`kendall_tau_rows`.

    >>> kendall_tau([1, 2, 3], [1, 3, 2])  # doctest: +ELLIPSIS
    0.333...
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ParameterError(
            f"Kendall tau needs two vectors of one length. Got shapes {x.shape} and {y.shape}."
        )
    return float(kendall_tau_rows(x[None, :], y[None, :])[0])


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
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> AggregateComparison:
    """Average reward (Eq. 9) against NBC (Eq. 13) for one population.

    >>> c = compare_aggregates([[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1/3, 1/3, 1/3])
    >>> c.average_top, c.nbc_top
    ((0, 2), (1,))
    """
    r, w = population_arrays(rewards, type_weights)
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


def _batch_arrays(
    rewards: ArrayLike, type_weights: ArrayLike, sampling: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate the stacks of :func:`compare_aggregates_batch` (vectorised checks)."""
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 3 or min(r.shape[1:], default=0) < 1:
        raise ParameterError(
            "The 'rewards' parameter must be an array of shape (n_populations, n_types, "
            f"n_options) with at least one type and option. Got shape {r.shape} instead."
        )
    n_pop, n_types, n_options = r.shape
    w = np.asarray(type_weights, dtype=np.float64)
    if sampling is None:
        d = np.full((n_pop, n_options), 1.0 / n_options)
    else:
        d = np.asarray(sampling, dtype=np.float64)
    for name, arr, shape in (
        ("type_weights", w, (n_pop, n_types)),
        ("sampling", d, (n_pop, n_options)),
    ):
        if arr.shape != shape:
            raise ParameterError(
                f"The '{name}' parameter must have shape {shape}. Got shape {arr.shape} instead."
            )
        bad = ~np.isfinite(arr).all(axis=1) | (arr < 0).any(axis=1)
        bad |= np.abs(arr.sum(axis=1) - 1.0) > WEIGHT_SUM_ATOL
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ParameterError(
                f"The '{name}' parameter must hold distributions (finite, non-negative, rows "
                f"summing to 1). Row {k} is {arr[k].tolist()!r}."
            )
    if not np.isfinite(r).all():
        k = int(np.flatnonzero(~np.isfinite(r).all(axis=(1, 2)))[0])
        raise ParameterError(f"The 'rewards' parameter must be finite. Population {k} is not.")
    return r, w, d


def compare_aggregates_batch(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> list[AggregateComparison]:
    """:func:`compare_aggregates` for ``B`` populations of one shape, with one numpy call per step.

    Same formulas (Eq. 9, Eq. 8, Eq. 13), the same tie tolerance for rankings and tops, and
    Kendall's tau-b from :func:`kendall_tau_rows`; element ``b`` equals
    ``compare_aggregates(rewards[b], type_weights[b], sampling[b], model)``.

    Parameters
    ----------
    rewards : (B, n_types, n_options) array
    type_weights : (B, n_types) array, rows summing to one
    sampling : (B, n_options) array, rows summing to one, optional
        The distribution ``D`` of alternatives of each population (uniform when None).
    model : PreferenceModel or str, optional
        Preference model of NBC (default Bradley-Terry).

    Returns
    -------
    list of AggregateComparison

    Raises
    ------
    ParameterError
        Shapes that do not fit, non-finite rewards, rows that are not distributions.

    Examples
    --------
    >>> cs = compare_aggregates_batch([[[0, 1, 4], [4, 1, 0], [0, 1, 0]]], [[1/3, 1/3, 1/3]])
    >>> cs[0].average_top, cs[0].nbc_top
    ((0, 2), (1,))
    """
    r, w, d = _batch_arrays(rewards, type_weights, sampling)
    sigma = get_model(model)
    avg = np.einsum("bu,bui->bi", w, r)
    score = np.einsum("bij,bj->bi", pairwise_matrices(r, w, sigma), d)
    ra, rn = ranking(avg), ranking(score)
    tau = kendall_tau_rows(avg, score)
    out = []
    for b in range(r.shape[0]):
        top_a = np.flatnonzero(ra[b] == 1)
        top_n = np.flatnonzero(rn[b] == 1)
        out.append(
            AggregateComparison(
                average_reward=avg[b],
                nbc=score[b],
                average_ranking=ra[b],
                nbc_ranking=rn[b],
                average_top=tuple(int(i) for i in top_a),
                nbc_top=tuple(int(i) for i in top_n),
                comparison=RankComparison(
                    kendall_tau=float(tau[b]),
                    top_agreement=bool(np.array_equal(top_a, top_n)),
                    same_order=bool(np.array_equal(ra[b], rn[b])),
                ),
            )
        )
    return out
