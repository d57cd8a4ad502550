"""Sensitivity sweeps: the min-TV analysis of :mod:`socialpref.sensitivity` for many questions.

Paper Section 7.1 and Fig. 2: every question of every wave, vectorised with numpy. Questions
may differ in their numbers of options and types; they are sorted by size and padded in chunks,
and every ordered pair of every question of a chunk goes through one call of the closed form
(:func:`socialpref.min_tv_exact._greedy_flip`). Pure: arrays in, arrays out, no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, BoolArray, FloatArray, IntArray
from socialpref.aggregate import TIE_TOL, pairwise_matrices
from socialpref.min_tv_exact import _greedy_flip, _greedy_tv_uniform
from socialpref.min_tv_lp import _repair
from socialpref.population import (
    WEIGHT_SUM_ATOL,
    Population,
    as_rewards,
    as_sampling,
    as_type_weights,
)
from socialpref.preference import PreferenceModel, get_model
from socialpref.sensitivity import (
    DELTA,
    EPS,
    SensitivityResult,
    _check_eps_delta,
    _select,
)


def _opt(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Sensitivity of many questions (:func:`sensitivity_sweep`), as arrays in input order.

    Per-option arrays are padded to ``n_max`` options (NaN / False beyond ``n_options[k]``).
    ``question(k)`` (or ``results``) gives the :class:`SensitivityResult` of one question.

    Attributes
    ----------
    n_options, n_pairs, n_feasible : int arrays (Q,)
    min_tv, top_min_tv, repair_tv : float arrays (Q,), NaN where None
    pair : int array (Q, 2), -1 where not flippable
    distribution : float array (Q, n_max), NaN rows where not flippable
    top_flip, top_flippable, repair_feasible : bool arrays (Q,)
    repair : bool
        Whether the repair programs were solved (else ``repair_tv`` is all NaN).
    nbc : float array (Q, n_max)
    nbc_top, average_top : bool arrays (Q, n_max)
    """

    n_options: IntArray
    min_tv: FloatArray
    pair: IntArray
    distribution: FloatArray
    top_flip: BoolArray
    top_flippable: BoolArray
    top_min_tv: FloatArray
    repair_tv: FloatArray
    repair_feasible: BoolArray
    repair: bool
    n_pairs: IntArray
    n_feasible: IntArray
    nbc: FloatArray
    nbc_top: BoolArray
    average_top: BoolArray

    def __len__(self) -> int:
        return int(self.n_options.size)

    @property
    def flippable(self) -> BoolArray:
        """Whether each question's NBC order can be changed."""
        return np.asarray(np.isfinite(self.min_tv), dtype=bool)

    def question(self, k: int) -> SensitivityResult:
        """The result of question ``k`` as :func:`socialpref.sensitivity.sensitivity` gives it."""
        m = int(self.n_options[k])
        ok = bool(np.isfinite(self.min_tv[k]))
        return SensitivityResult(
            min_tv=_opt(self.min_tv[k]),
            pair=(int(self.pair[k, 0]), int(self.pair[k, 1])) if ok else None,
            distribution=self.distribution[k, :m].copy() if ok else None,
            top_flip=bool(self.top_flip[k]),
            top_flippable=bool(self.top_flippable[k]),
            top_min_tv=_opt(self.top_min_tv[k]),
            repair_tv=_opt(self.repair_tv[k]),
            repair_feasible=bool(self.repair_feasible[k]) if self.repair else None,
            n_pairs=int(self.n_pairs[k]),
            n_feasible=int(self.n_feasible[k]),
            nbc=self.nbc[k, :m].copy(),
            nbc_top=tuple(int(i) for i in np.flatnonzero(self.nbc_top[k, :m])),
            average_top=tuple(int(i) for i in np.flatnonzero(self.average_top[k, :m])),
        )

    @functools.cached_property
    def results(self) -> tuple[SensitivityResult, ...]:
        """Every question's :class:`SensitivityResult`, in input order."""
        return tuple(self.question(k) for k in range(len(self)))

    def summary(self) -> dict[str, Any]:
        """Counts over the questions: flippable (and share), top flips, median minimal TV."""
        n = len(self)
        flippable = int(self.flippable.sum())
        tv = self.min_tv[self.flippable]
        return {
            "questions": n,
            "flippable": flippable,
            "flippable_share": flippable / n if n else None,
            "top_flips": int(self.top_flip.sum()),
            "top_flippable": int(self.top_flippable.sum()),
            "median_min_tv": float(np.median(tv)) if flippable else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"questions": [r.to_dict() for r in self.results], "summary": self.summary()}


def _as_population(pop: Any, k: int) -> tuple[FloatArray, FloatArray]:
    """Cheap conversion; full validation (with its error messages) only when shapes are off."""
    if isinstance(pop, Population):
        return pop.rewards, pop.type_weights
    try:
        raw_r, raw_w = pop
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'populations' parameter must hold Population objects or (rewards, type_weights) "
            f"pairs. Item {k} is {pop!r}."
        ) from None
    try:
        r = np.asarray(raw_r, dtype=np.float64)
        w = np.asarray(raw_w, dtype=np.float64)
    except (TypeError, ValueError):
        r = as_rewards(raw_r)
        return r, as_type_weights(raw_w, r.shape[0])
    if r.ndim != 2 or min(r.shape) < 1 or w.shape != (r.shape[0],):
        r = as_rewards(raw_r)
        return r, as_type_weights(raw_w, r.shape[0])
    return r, w


def sensitivity_sweep(
    populations: Sequence[Population | tuple[ArrayLike, ArrayLike]],
    bases: Sequence[ArrayLike | None] | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    model: PreferenceModel | str | None = None,
    repair: bool = True,
    chunk_size: int = 256,
) -> SweepResult:
    """:func:`socialpref.sensitivity.sensitivity` (exact solver) for many questions at once.

    Questions may differ in their numbers of options and types: they are sorted by size and
    padded in chunks of ``chunk_size``; every pair of every question in a chunk goes through
    one call of the closed form. ``question(k)`` of the result equals
    ``sensitivity(*populations[k], solver="exact")``.

    Parameters
    ----------
    populations : sequence of Population or (rewards, type_weights)
    bases : sequence of (array or None), or None
        One base distribution per question (None entries, or None for all: uniform).
    eps, delta, model
        As in :func:`socialpref.sensitivity.min_tv_flip`.
    repair : bool
        Whether to solve each question's repair program (one HiGHS LP per question whose
        average-reward winner does not already lead NBC).
    chunk_size : int
        Questions per vectorised block (memory ``~ chunk_size * n_max**3`` floats).

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        A bad population, base, ``eps``/``delta``; the message says which item.

    Examples
    --------
    >>> sweep = sensitivity_sweep([([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4]),
    ...                            ([[0.0, 1.0], [1.0, 0.0]], [0.7, 0.3])])
    >>> sweep.flippable.tolist(), sweep.min_tv.round(4).tolist(), sweep.pair.tolist()
    ([True, False], [0.0635, nan], [[2, 1], [-1, -1]])
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"The 'chunk_size' parameter must be an integer >= 1. Got {chunk_size!r}.")
    if bases is not None and len(bases) != len(populations):
        raise ValueError(
            f"The 'bases' parameter must have one entry per population ({len(populations)}). "
            f"Got {len(bases)} instead."
        )
    sigma = get_model(model)
    items = [_as_population(pop, k) for k, pop in enumerate(populations)]
    n_opts = np.array([r.shape[1] for r, _ in items], dtype=np.int64)
    n_max = int(n_opts.max(initial=1))
    e, d = _check_eps_delta(eps, delta, n_max)
    base_list: list[FloatArray | None] = [None] * len(items)
    if bases is not None:
        base_list = [
            None if b is None else as_sampling(b, int(n_opts[k]), "base")
            for k, b in enumerate(bases)
        ]
    q_count = len(items)
    out: dict[str, np.ndarray] = {
        "min_tv": np.full(q_count, np.nan),
        "pair": np.full((q_count, 2), -1, dtype=np.int64),
        "distribution": np.full((q_count, n_max), np.nan),
        "top_flip": np.zeros(q_count, dtype=bool),
        "top_flippable": np.zeros(q_count, dtype=bool),
        "top_min_tv": np.full(q_count, np.nan),
        "repair_tv": np.full(q_count, np.nan),
        "repair_feasible": np.zeros(q_count, dtype=bool),
        "n_pairs": np.zeros(q_count, dtype=np.int64),
        "n_feasible": np.zeros(q_count, dtype=np.int64),
        "nbc": np.full((q_count, n_max), np.nan),
        "nbc_top": np.zeros((q_count, n_max), dtype=bool),
        "average_top": np.zeros((q_count, n_max), dtype=bool),
    }
    order = np.argsort(n_opts, kind="stable")
    # chunks of questions with one number of options: no padding of options
    chunks = [
        group[start : start + chunk_size]
        for group in np.split(order, np.flatnonzero(np.diff(n_opts[order])) + 1)
        for start in range(0, group.size, chunk_size)
    ]
    for idx in chunks:
        chunk = _sweep_chunk(
            [items[k] for k in idx], [base_list[k] for k in idx], idx, e, d, sigma, repair
        )
        for key, arr in chunk.items():
            if arr.ndim == 2 and key != "pair":
                out[key][idx, : arr.shape[1]] = arr
            else:
                out[key][idx] = arr
    return SweepResult(n_options=n_opts, repair=bool(repair), **out)


def _sweep_chunk(
    items: Sequence[tuple[FloatArray, FloatArray]],
    bases: Sequence[FloatArray | None],
    index: IntArray,
    eps: float,
    delta: float,
    sigma: PreferenceModel,
    repair: bool,
) -> dict[str, np.ndarray]:
    """Pad one chunk of questions to a common shape and run the closed form on all pairs."""
    q_count = len(items)
    n = max(r.shape[1] for r, _ in items)
    u = max(r.shape[0] for r, _ in items)
    rew = np.zeros((q_count, u, n))
    wts = np.zeros((q_count, u))
    bas = np.zeros((q_count, n))
    valid = np.zeros((q_count, n), dtype=bool)
    for k, ((r, w), b) in enumerate(zip(items, bases, strict=True)):
        t, m = r.shape
        rew[k, :t, :m] = r
        wts[k, :t] = w
        bas[k, :m] = 1.0 / m if b is None else b
        valid[k, :m] = True
    # vectorised validation; the first bad question is re-validated for its error message
    bad = ~np.isfinite(rew).all(axis=(1, 2)) | ~np.isfinite(wts).all(axis=1)
    bad |= (wts < 0).any(axis=1) | (np.abs(wts.sum(axis=1) - 1.0) > WEIGHT_SUM_ATOL)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        try:
            as_type_weights(items[k][1], as_rewards(items[k][0]).shape[0])
        except ValueError as exc:
            raise ValueError(f"Population {int(index[k])}: {exc}") from None
    p = pairwise_matrices(rew, wts, sigma)
    nbc_b = np.einsum("qij,qj->qi", p, bas)
    top = valid & (nbc_b >= np.where(valid, nbc_b, -np.inf).max(axis=1, keepdims=True) - TIE_TOL)
    avg = np.einsum("qu,qun->qn", wts, rew)
    avg_top = valid & (avg >= np.where(valid, avg, -np.inf).max(axis=1, keepdims=True) - TIE_TOL)
    pairs = valid[:, :, None] & valid[:, None, :]
    pairs &= (nbc_b[:, :, None] - nbc_b[:, None, :]) > TIE_TOL
    qi, ii, jj = np.nonzero(pairs)
    tv = np.full((q_count, n, n), np.inf)
    c = p[qi, ii, :] - p[qi, jj, :]
    if valid.all() and all(b is None for b in bases):
        tv[qi, ii, jj] = _greedy_tv_uniform(c, eps, delta)
    else:
        tv[qi, ii, jj], _ = _greedy_flip(c, bas[qi], valid[qi], eps, delta)
    pick, best, top_best = _select(tv, top)
    pi, pj = np.divmod(pick, n)
    rows = np.arange(q_count)
    _, dist = _greedy_flip(p[rows, pi] - p[rows, pj], bas, valid, eps, delta, want_q=True)
    assert dist is not None
    feasible = np.isfinite(best)
    repair_tv = np.full(q_count, np.nan)
    if repair:
        for k, (r, _) in enumerate(items):
            m = r.shape[1]
            winners = [int(i) for i in np.flatnonzero(avg_top[k])]
            value = _repair(p[k, :m, :m], bas[k, :m], winners, eps, delta, "exact", None)
            repair_tv[k] = np.nan if value is None else value
    return {
        "min_tv": np.where(feasible, best, np.nan),
        "pair": np.where(feasible[:, None], np.stack([pi, pj], axis=1), -1),
        "distribution": np.where(valid, dist, np.nan),
        "top_flip": feasible & top[rows, pi],
        "top_flippable": np.isfinite(top_best),
        "top_min_tv": np.where(np.isfinite(top_best), top_best, np.nan),
        "repair_tv": repair_tv,
        "repair_feasible": np.isfinite(repair_tv),
        "n_pairs": pairs.sum(axis=(1, 2)),
        "n_feasible": np.isfinite(tv).sum(axis=(1, 2)),
        "nbc": np.where(valid, nbc_b, np.nan),
        "nbc_top": top,
        "average_top": avg_top,
    }
