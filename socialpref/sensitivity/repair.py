"""The repair program: the smallest TV that makes an average-reward winner NBC's winner.

For a question with pairwise matrix ``P`` (Eq. 8), base ``b`` and an average-reward winner
``w`` (Eq. 9), the repair program asks ``w`` to lead NBC (Eq. 13) by at least ``delta`` over
every other option::

    minimise    TV(q, b) = 1/2 ||q - b||_1
    subject to  q >= eps,  sum(q) = 1,  a_k @ q <= -delta  for every k != w,
    with        a_k = P[k] - P[w].

Each constraint alone is a flip program (``k`` overtaken by ``w``) with the closed form of
:func:`socialpref.sensitivity.exact.greedy_flip`. :func:`repair_tv` solves the repair programs of
many questions at once with ``solver="exact"`` as follows (vectorised over questions, winners
and constraints):

1. ``w`` already leads (``a_k @ b <= -delta`` for every ``k`` and ``b >= eps``): the answer is 0.
2. Solve every single-constraint program ``R_k`` in closed form. **Lower bound**: the feasible
   set of the repair program is the intersection of those of the ``R_k``, so its minimum is at
   least ``L = max_k TV(R_k)``, and it is infeasible when some ``R_k`` is.
3. **Certificate**: let ``k*`` attain ``L`` and ``q*`` be the closed-form optimum of ``R_k*``
   (``TV(q*, b) = L``). If ``q*`` meets every constraint ``a_k @ q* <= -delta`` (to
   :data:`CERTIFICATE_TOL`), it is feasible for the repair program at TV ``L``, which no
   feasible point beats (step 2): ``L`` is the exact minimum.
4. Otherwise (measured: about 3% of the programs with a positive answer on random populations;
   they need two or more constraints at once), solve the program as an LP with HiGHS
   (:func:`socialpref.sensitivity.lp.lp_linprog`), which also decides feasibility.

A question with several average-reward winners (ties) takes the smallest value over them, and 0
as soon as one of them already leads. With ``solver="linprog"`` or ``"cvxpy"`` every program with
a positive answer goes to that LP back-end (steps 1 and 4 only): the oracles stay independent of
the closed form.

Examples
--------
Section 4.3's population with a fourth option (the average reward prefers option 1, NBC option 0)
is repaired by the closed form; in the second question the closed-form optimum of the hardest
constraint violates another constraint, so HiGHS solves it (``n_lp``):

>>> import numpy as np
>>> from socialpref.aggregate import pairwise_matrix
>>> p = np.stack([
...     pairwise_matrix([[6.0, 1.0, 4.0, 0.0], [3.0, 9.0, 4.0, 0.0]], [0.5, 0.5]),
...     pairwise_matrix([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4]),
... ])
>>> winners = np.array([[False, True, False, False], [False, False, False, True]])
>>> res = repair_tv(p, np.full((2, 4), 0.25), winners, eps=1e-5, delta=1e-5)
>>> res.tv.round(4).tolist(), res.n_lp.tolist()
([0.4629, 0.2838], [0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialpref._typing import BoolArray, FloatArray, IntArray
from socialpref.sensitivity.exact import greedy_flip
from socialpref.sensitivity.lp import solve_lp
from socialpref.sensitivity.options import Solver

#: A closed-form optimum of one constraint certifies the repair program when it violates no
#: other constraint by more than this.
CERTIFICATE_TOL = 1e-12

_EXACT = Solver("exact")


@dataclass(frozen=True, eq=False)
class RepairResult:
    """Repair programs of many questions (:func:`repair_tv`).

    Attributes
    ----------
    tv : (Q,) float array
        The smallest TV that makes an average-reward winner lead NBC by ``delta``; NaN where no
        distribution with full support does.
    n_lp : (Q,) int array
        LP solves each question needed (0 when the closed form decided it).
    """

    tv: FloatArray
    n_lp: IntArray


def repair_tv(
    pairwise: FloatArray,
    base: FloatArray,
    winners: BoolArray,
    eps: float,
    delta: float,
    solver: Solver = _EXACT,
) -> RepairResult:
    """Solve the repair program (module docstring) of ``Q`` questions of ``n`` options.

    Parameters
    ----------
    pairwise : (Q, n, n) array
        Pairwise matrices (Eq. 8), already validated.
    base : (Q, n) array
        Base distributions (rows summing to one).
    winners : (Q, n) bool array
        The average-reward winners of each question (at least one per row).
    eps, delta : float
        Support floor and margin, already validated.
    solver : Solver
        ``"exact"`` (closed form, certified, LP fallback), ``"linprog"`` or ``"cvxpy"``.

    Returns
    -------
    RepairResult

    Raises
    ------
    SolverError
        An LP back-end failed.
    """
    q_count, n, _ = pairwise.shape
    tv = np.full(q_count, np.nan)
    n_lp = np.zeros(q_count, dtype=np.int64)
    if q_count == 0:
        return RepairResult(tv=tv, n_lp=n_lp)
    if n == 1:
        tv[:] = 0.0
        return RepairResult(tv=tv, n_lp=n_lp)
    cq, cw = np.nonzero(winners)  # one program per (question, winner)
    programs = np.arange(cq.size)
    # a[c, k] = P[k] - P[w]; the row k = w is zero and is left out below
    a = pairwise[cq] - pairwise[cq, cw][:, None, :]
    b = base[cq]
    slack = np.einsum("ckn,cn->ck", a, b)
    slack[programs, cw] = -np.inf  # the winner against itself: no constraint
    leads = (slack <= -delta).all(axis=1) & (b >= eps).all(axis=1)
    value = np.where(leads, 0.0, np.nan)
    settled = np.zeros(q_count, dtype=bool)
    settled[cq[leads]] = True  # some winner already leads: the question's answer is 0
    todo = np.flatnonzero(~settled[cq])
    if todo.size:
        others = np.arange(n)[None, :] != cw[todo, None]  # the constraints k != w
        rows = a[todo][others].reshape(todo.size, n - 1, n)
        if solver.kind == "exact":
            value[todo], lp_needed = _closed_form(rows, b[todo], eps, delta)
        else:
            lp_needed = np.ones(todo.size, dtype=bool)
        for t in np.flatnonzero(lp_needed):
            c = int(todo[t])
            lp_value, _ = solve_lp(rows[t], b[c], eps, delta, solver)
            value[c] = np.nan if lp_value is None else lp_value
            n_lp[cq[c]] += 1
    # the best winner of each question (NaN: impossible for every winner)
    if cq.size == q_count and (cq == programs).all():  # one winner per question: no ties
        tv[:] = value
    else:
        finite = np.where(np.isnan(value), np.inf, value)
        best = np.full(q_count, np.inf)
        np.minimum.at(best, cq, finite)
        tv[:] = np.where(np.isfinite(best), best, np.nan)
    return RepairResult(tv=tv, n_lp=n_lp)


def _closed_form(
    rows: FloatArray, base: FloatArray, eps: float, delta: float
) -> tuple[FloatArray, BoolArray]:
    """Steps 2-3 of the module docstring for ``C`` programs with ``m`` constraints each.

    ``rows`` is ``(C, m, n)``, ``base`` ``(C, n)``. Returns the certified minimum (NaN where
    infeasible, unused where not certified) and which programs still need an LP.
    """
    c_count, _, n = rows.shape
    single, q = greedy_flip(rows, base[:, None, :], np.ones(n, dtype=bool), eps, delta, want_q=True)
    assert q is not None
    lower = single.max(axis=1)
    infeasible = ~np.isfinite(lower)
    top = single.argmax(axis=1)
    q_top = q[np.arange(c_count), top]  # (C, n), NaN rows where infeasible
    worst = np.einsum("ckn,cn->ck", rows, np.nan_to_num(q_top)).max(axis=1)
    certified = ~infeasible & (worst <= -delta + CERTIFICATE_TOL)
    value = np.where(certified, lower, np.nan)
    return value, ~certified & ~infeasible


__all__ = ["CERTIFICATE_TOL", "RepairResult", "repair_tv"]
