"""The sweep: the min-TV analysis of many questions at once, vectorised with numpy.

Paper Section 7.1 and Fig. 2. Questions may differ in their numbers of options and types; they
are grouped by number of options and cut into chunks (types padded with weight 0), each chunk's
pairs go through the closed form (:func:`socialpref.sensitivity.exact.greedy_flip`) in blocks,
and the repair programs through :func:`socialpref.sensitivity.repair.repair_tv`. Chunk and
block sizes come from a memory budget (:func:`socialpref.sensitivity.memory.plan_sweep`), so
memory grows with the square of the number of options, not its cube. One question
(:func:`socialpref.sensitivity.nbc_sensitivity`) is a sweep of one. Pure: arrays in, arrays
out, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, BoolArray, FloatArray, IntArray
from socialpref._validation import check_scalar
from socialpref.aggregate import TIE_TOL, pairwise_matrices
from socialpref.errors import ParameterError, SocialPrefError
from socialpref.population import (
    Population,
    as_sampling,
    invalid_populations,
    population_arrays,
)
from socialpref.preference import PreferenceModel
from socialpref.sensitivity.exact import greedy_flip, greedy_tv_uniform
from socialpref.sensitivity.lp import solve_lp
from socialpref.sensitivity.memory import MEMORY_BUDGET, SweepPlan, plan_sweep
from socialpref.sensitivity.options import (
    DELTA,
    EPS,
    TV_TIE_TOL,
    Options,
    Solver,
    check_eps_floor,
    check_options,
)
from socialpref.sensitivity.repair import repair_tv
from socialpref.sensitivity.results import SweepResult


def solve_flips(
    c: FloatArray,
    base: FloatArray | None,
    eps: float,
    delta: float,
    solver: Solver,
    want_q: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """Minimal TV of flip programs ``c[r] @ q <= -delta``, one per row of ``c``.

    ``c`` is ``(R, n)``; ``base`` is ``(R, n)`` or None (uniform over the ``n`` options, which
    takes the sort-only path of the closed form when ``want_q`` is False). Returns ``tv``
    ``(R,)`` (``inf`` where infeasible) and, when ``want_q``, an optimal ``q`` ``(R, n)`` (NaN
    rows where infeasible).
    """
    rows, n = c.shape
    if solver.kind == "exact":
        if base is None and not want_q:
            return greedy_tv_uniform(c, eps, delta), None
        b = np.full(n, 1.0 / n) if base is None else base
        return greedy_flip(c, b, np.ones(n, dtype=bool), eps, delta, want_q=want_q)
    tv = np.full(rows, np.inf)
    q = np.full((rows, n), np.nan) if want_q else None
    for r in range(rows):
        b = np.full(n, 1.0 / n) if base is None else base[r]
        value, dist = solve_lp(c[r][None, :], b, eps, delta, solver)
        if value is not None:
            tv[r] = value
            if q is not None and dist is not None:
                q[r] = dist
    return tv, q


def select_pairs(tv: FloatArray, top: BoolArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Pick each question's pair: the smallest TV, ties to a top ``i``, then row-major order.

    ``tv`` is ``(Q, n, n)`` with ``inf`` for infeasible and non-pairs, ``top`` is ``(Q, n)``
    (NBC's top choices). Pairs within :data:`TV_TIE_TOL` of the minimum are tied. Returns the
    flat pair index ``(Q,)`` (``divmod(pick, n)`` is ``(i, j)``), the minimum ``(Q,)`` and the
    smallest TV of a pair whose ``i`` is a top choice ``(Q,)``.

    >>> tv = np.full((1, 3, 3), np.inf)
    >>> tv[0, 1, 0], tv[0, 2, 1] = 0.2, 0.2 + 1e-13  # tied; i = 2 is the top
    >>> pick, best, top_best = select_pairs(tv, np.array([[False, False, True]]))
    >>> divmod(int(pick[0]), 3), float(best[0])
    ((2, 1), 0.2)
    """
    q_count, n, _ = tv.shape
    flat = tv.reshape(q_count, n * n)
    best = flat.min(axis=1)
    top_i = np.repeat(top, n, axis=1)  # (Q, n * n): whether the pair's i is a top choice
    cand = np.isfinite(flat) & (flat <= best[:, None] + TV_TIE_TOL)
    priority = cand.view(np.int8) + (cand & top_i).view(np.int8)
    pick = priority.argmax(axis=1)
    top_best = np.where(top, tv.min(axis=2), np.inf).min(axis=1)
    return np.asarray(pick, dtype=np.int64), best, top_best


def _item(pop: Any, k: int, check_values: bool = True) -> tuple[FloatArray, FloatArray]:
    """One item of ``populations`` as arrays; errors say which item.

    With ``check_values=False`` only shapes are checked here; each chunk checks the values in
    one vectorised pass (:func:`_sweep_chunk`) and comes back here for the message.
    """
    try:
        if isinstance(pop, Population):
            return population_arrays(pop)
        if isinstance(pop, (str, bytes)) or len(pop) != 2:
            raise TypeError
        rewards, type_weights = pop
    except TypeError:
        raise ParameterError(
            f"The 'populations' parameter must hold Population objects or (rewards, "
            f"type_weights) pairs. Item {k} is {pop!r}."
        ) from None
    try:
        return population_arrays(rewards, type_weights, check_values=check_values)
    except SocialPrefError as exc:
        raise type(exc)(f"Population {k}: {exc}") from None


def sensitivity_sweep(
    populations: Sequence[Population | tuple[ArrayLike, ArrayLike]],
    bases: Sequence[ArrayLike | None] | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    model: PreferenceModel | str | None = None,
    repair: bool = True,
    chunk_size: int | None = None,
    *,
    solver: str = "exact",
    memory_budget: int = MEMORY_BUDGET,
) -> SweepResult:
    """The minimal TV that changes NBC's order (Section 7.1, App. D) for many questions at once.

    For each question: the program of :func:`socialpref.sensitivity.min_tv_flip` for every
    ordered pair with ``NBC_base(i) > NBC_base(j)`` (by more than ``TIE_TOL``), the smallest
    of them (ties within ``TV_TIE_TOL`` go to a pair whose ``i`` is an NBC top choice, then to
    row-major order), and the repair program (:mod:`socialpref.sensitivity.repair`).

    Parameters
    ----------
    populations : sequence of Population or (rewards, type_weights)
        Questions with any numbers of options and types.
    bases : sequence of (array or None), or None
        One base distribution per question (None entries, or None for all: uniform).
    eps, delta : float
        Support floor (``eps * n_options < 1``) and flip margin (paper: both 1e-5).
    model : PreferenceModel, str or None
        Preference model (default Bradley-Terry).
    repair : bool
        Whether to solve the repair programs (``repair_tv``).
    chunk_size : int or None
        Most questions whose pairwise matrices are held at once; None: from the memory budget.
        The results do not depend on it.
    solver : {"exact", "linprog", "cvxpy", "cvxpy:NAME"}
        ``"exact"``: closed forms, vectorised. The LP back-ends solve one program per pair
        (and per repair), as the paper does; they are the test oracles.
    memory_budget : int
        Bytes the sweep may use (default 1 GiB); chunks and blocks are sized to it.

    Returns
    -------
    SweepResult
        ``question(k)`` is the :class:`SensitivityResult` of question ``k``.

    Raises
    ------
    ParameterError
        A bad population, base, setting; the message says which item.
    SocialPrefError
        A question too large for ``memory_budget`` (the message gives the estimate), checked
        before any work.
    SolverError
        An LP back-end failed.

    Examples
    --------
    >>> sweep = sensitivity_sweep([([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4]),
    ...                            Population([[0.0, 1.0], [1.0, 0.0]], [0.7, 0.3])])
    >>> sweep.flippable.tolist(), sweep.min_tv.round(4).tolist(), sweep.pair.tolist()
    ([True, False], [0.0635, nan], [[2, 1], [-1, -1]])
    """
    opts = check_options(solver=solver, eps=eps, delta=delta, model=model)  # before the data
    cap = None if chunk_size is None else check_scalar(chunk_size, "chunk_size", int, min_val=1)
    budget = check_scalar(memory_budget, "memory_budget", int, min_val=1)
    items = [_item(pop, k, check_values=False) for k, pop in enumerate(populations)]
    if bases is not None and len(bases) != len(items):
        raise ParameterError(
            f"The 'bases' parameter must have one entry per population ({len(items)}). "
            f"Got {len(bases)} instead."
        )
    sizes = [r.shape for r, _ in items]  # (n_types, n_options) of each question
    n_opts = np.array([n for _, n in sizes], dtype=np.int64)
    check_eps_floor(opts.eps, max((n for _, n in sizes), default=1), eps)
    base_list: list[FloatArray | None] = [None] * len(items)
    if bases is not None:
        base_list = [
            None if b is None else as_sampling(b, sizes[k][1], "base") for k, b in enumerate(bases)
        ]
    by_size: dict[int, list[int]] = {}
    for k, (_, n) in enumerate(sizes):
        by_size.setdefault(n, []).append(k)
    groups = [np.asarray(by_size[n], dtype=np.int64) for n in sorted(by_size)]
    plans = [
        plan_sweep(
            n, max(sizes[k][0] for k in by_size[n]), len(by_size[n]), budget, cap, bool(repair)
        )
        for n in sorted(by_size)
    ]
    if len(groups) == 1 and plans[0].questions_per_chunk >= len(items):  # one chunk, in order
        chunk = _sweep_chunk(populations, groups[0], items, base_list, opts, bool(repair), plans[0])
        return SweepResult(n_options=n_opts, repair=bool(repair), **chunk)
    out = _empty_result(len(items), int(n_opts.max(initial=1)))
    for group, plan in zip(groups, plans, strict=True):
        for start in range(0, group.size, plan.questions_per_chunk):
            idx = group[start : start + plan.questions_per_chunk]
            bases_k = [base_list[k] for k in idx]
            chunk = _sweep_chunk(populations, idx, items, bases_k, opts, bool(repair), plan)
            for key, arr in chunk.items():
                if arr.ndim == 2 and key != "pair":
                    out[key][idx, : arr.shape[1]] = arr
                else:
                    out[key][idx] = arr
    return SweepResult(n_options=n_opts, repair=bool(repair), **out)


def _empty_result(q_count: int, n_max: int) -> dict[str, np.ndarray]:
    return {
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


def _sweep_chunk(
    populations: Sequence[Any],
    idx: IntArray,
    all_items: Sequence[tuple[FloatArray, FloatArray]],
    bases: Sequence[FloatArray | None],
    opts: Options,
    repair: bool,
    plan: SweepPlan,
) -> dict[str, np.ndarray]:
    """Questions ``idx`` (one number of options ``n``): types padded, every pair in blocks."""
    items = [all_items[k] for k in idx]
    eps, delta, solver = opts.eps, opts.delta, opts.solver
    q_count = len(items)
    n = items[0][0].shape[1]
    u = max(r.shape[0] for r, _ in items)
    rew = np.zeros((q_count, u, n))
    wts = np.zeros((q_count, u))
    for k, (r, w) in enumerate(items):
        rew[k, : r.shape[0]] = r
        wts[k, : r.shape[0]] = w
    bad = np.flatnonzero(invalid_populations(rew, wts))
    if bad.size:  # the full checks of the first bad population raise with its message
        k = int(idx[bad[0]])
        _item(populations[k], k, check_values=True)
        raise AssertionError(f"population {k} fails the vectorised checks only")
    uniform = all(b is None for b in bases)
    bas = np.full((q_count, n), 1.0 / n)
    for k, b in enumerate(bases):
        if b is not None:
            bas[k] = b
    p = pairwise_matrices(rew, wts, opts.model)
    nbc_b = np.einsum("qij,qj->qi", p, bas)
    top = nbc_b >= nbc_b.max(axis=1, keepdims=True) - TIE_TOL
    avg = np.einsum("qu,qun->qn", wts, rew)
    avg_top = avg >= avg.max(axis=1, keepdims=True) - TIE_TOL
    pairs = (nbc_b[:, :, None] - nbc_b[:, None, :]) > TIE_TOL
    tv = np.full((q_count, n, n), np.inf)
    flat_pairs = np.flatnonzero(pairs)
    dists: dict[int, FloatArray] = {}
    for start in range(0, flat_pairs.size, plan.pairs_per_block):
        block = flat_pairs[start : start + plan.pairs_per_block]
        qi, rest = np.divmod(block, n * n)
        ii, jj = np.divmod(rest, n)
        c = p[qi, ii] - p[qi, jj]
        value, q_lp = solve_flips(
            c, None if uniform else bas[qi], eps, delta, solver, want_q=solver.kind != "exact"
        )
        tv.reshape(-1)[block] = value
        if q_lp is not None:
            dists.update(zip(block.tolist(), q_lp, strict=True))
    del flat_pairs
    pick, best, top_best = select_pairs(tv, top)
    feasible = np.isfinite(best)
    n_feasible = np.isfinite(tv).sum(axis=(1, 2))
    del tv
    rows = np.arange(q_count)
    pi, pj = np.divmod(pick, n)
    if solver.kind == "exact":
        _, dist = solve_flips(p[rows, pi] - p[rows, pj], bas, eps, delta, solver, want_q=True)
        assert dist is not None
    else:
        dist = np.full((q_count, n), np.nan)
        for k in np.flatnonzero(feasible):
            dist[k] = dists[int(k * n * n + pick[k])]
    repair_values = np.full(q_count, np.nan)
    if repair:
        for start in range(0, q_count, plan.repairs_per_block):
            sl = slice(start, start + plan.repairs_per_block)
            repair_values[sl] = repair_tv(p[sl], bas[sl], avg_top[sl], eps, delta, solver).tv
    pair = np.empty((q_count, 2), dtype=np.int64)
    pair[:, 0], pair[:, 1] = pi, pj
    pair[~feasible] = -1
    return {
        "min_tv": np.where(feasible, best, np.nan),
        "pair": pair,
        "distribution": dist,
        "top_flip": feasible & top[rows, pi],
        "top_flippable": np.isfinite(top_best),
        "top_min_tv": np.where(np.isfinite(top_best), top_best, np.nan),
        "repair_tv": repair_values,
        "repair_feasible": np.isfinite(repair_values),
        "n_pairs": pairs.sum(axis=(1, 2)),
        "n_feasible": n_feasible,
        "nbc": nbc_b,
        "nbc_top": top,
        "average_top": avg_top,
    }


__all__ = ["select_pairs", "sensitivity_sweep", "solve_flips"]
