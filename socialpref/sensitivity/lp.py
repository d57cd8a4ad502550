"""LP back-ends of the min-TV programs (``solver="linprog"``, ``"cvxpy"``), also the test oracles.

The program of paper Appendix D (see :mod:`socialpref.sensitivity`), with one row of ``a`` per
flip constraint::

    minimise    TV(q, base) = 1/2 ||q - base||_1
    subject to  q >= eps,  sum(q) = 1,  a @ q <= -delta.

One constraint (``a = c[None, :]``, ``c = P[i] - P[j]``) is the pair flip, which
:mod:`socialpref.sensitivity.exact` solves in closed form; several (every other option below an
average-reward winner) are the repair program of :mod:`socialpref.sensitivity.repair`.
:func:`lp_linprog` solves the program with ``scipy.optimize.linprog(method="highs")`` as the
paper does, :func:`lp_cvxpy` as written through cvxpy (one DPP-compiled problem per shape, its
data as parameters); :func:`solve_lp` dispatches on a resolved :class:`Solver`. scipy.optimize
and cvxpy are imported only inside the functions that use them. An infeasible program returns
``(None, None)``; any other outcome that is not optimal raises :class:`SolverError`.

Examples
--------
>>> import numpy as np
>>> a, base = np.array([[0.3, 0.1, -0.1, -0.2]]), np.full(4, 0.25)
>>> tv, q = lp_linprog(a, base, 1e-5, 1e-5)
>>> round(tv, 5), q.round(5).tolist()
(0.05002, [0.19998, 0.25, 0.25, 0.30002])
>>> lp_linprog(np.array([[0.5, 0.4]]), np.full(2, 0.5), 1e-5, 1e-5)  # no q >= eps flips it
(None, None)
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.errors import SolverError
from socialpref.sensitivity.options import Solver


def lp_linprog(
    a: FloatArray, base: FloatArray, eps: float, delta: float, options: dict[str, Any] | None = None
) -> tuple[float | None, FloatArray | None]:
    """``min TV(q, base)`` s.t. ``q >= eps``, ``sum q = 1``, ``a @ q <= -delta`` with HiGHS.

    ``options`` go to ``linprog`` (tests use them to force a solver failure).
    """
    from scipy.optimize import linprog

    m, n = a.shape
    eye = np.eye(n)
    # variables [q, s]; s >= |q - base| (slacks >= 0, not >= eps as in the authors' code)
    a_ub = np.block([[eye, -eye], [-eye, -eye], [a, np.zeros((m, n))]])
    b_ub = np.concatenate([base, -base, np.full(m, -delta)])
    a_eq = np.concatenate([np.ones(n), np.zeros(n)])[None, :]
    cost = np.concatenate([np.zeros(n), np.full(n, 0.5)])
    bounds = [(eps, None)] * n + [(0.0, None)] * n
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
        options=options,
    )
    if res.status == 2:
        return None, None
    if res.status != 0:
        raise SolverError(
            f"scipy linprog (HiGHS) failed on the min-TV program: status {res.status} "
            f"({res.message})."
        )
    return float(res.fun), np.asarray(res.x[:n], dtype=np.float64)


@functools.lru_cache(maxsize=64)
def _cvxpy_problem(m: int, n: int) -> tuple[Any, ...]:
    """A DPP-compiled min-TV problem with parameters (a, base, eps, delta); cached per shape."""
    import cvxpy as cp

    q = cp.Variable(n)
    a = cp.Parameter((m, n))
    base = cp.Parameter(n)
    eps = cp.Parameter(nonneg=True)
    delta = cp.Parameter(nonneg=True)
    objective = cp.Minimize(0.5 * cp.norm1(q - base))
    constraints = [q >= eps, cp.sum(q) == 1, a @ q <= -delta]
    return cp.Problem(objective, constraints), q, a, base, eps, delta


@contextlib.contextmanager
def _silenced_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (C-level solver banners)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def lp_cvxpy(
    a: FloatArray,
    base: FloatArray,
    eps: float,
    delta: float,
    backend: str,
    options: dict[str, Any] | None = None,
) -> tuple[float | None, FloatArray | None]:
    """The min-TV program as written, through cvxpy with the LP solver ``backend``.

    ``options`` go to ``problem.solve`` (tests use them to force a solver failure).
    """
    problem, q, a_par, base_par, eps_par, delta_par = _cvxpy_problem(*a.shape)
    a_par.value, base_par.value, eps_par.value, delta_par.value = a, base, eps, delta
    import cvxpy as cp

    try:
        with _silenced_stdout():  # highspy prints a banner on fd 1 whenever it starts
            problem.solve(solver=backend, **(options or {}))
    except cp.error.SolverError as exc:  # cvxpy's own exception class
        raise SolverError(f"cvxpy solver {backend} failed on the min-TV program: {exc}") from exc
    status = problem.status
    if status == "infeasible":
        return None, None
    if status != "optimal":
        raise SolverError(
            f"cvxpy solver {backend} returned status {status!r} on the min-TV program."
        )
    return float(problem.value), np.asarray(q.value, dtype=np.float64)


def solve_lp(
    a: FloatArray, base: FloatArray, eps: float, delta: float, solver: Solver
) -> tuple[float | None, FloatArray | None]:
    """The min-TV program with the flip rows ``a`` through the LP back-end of ``solver``.

    ``solver.kind == "exact"`` uses HiGHS (``linprog``): the exact solver calls an LP only for
    the repair programs that its closed form cannot certify.
    """
    if solver.kind == "cvxpy":
        assert solver.backend is not None  # Solver.__post_init__ guarantees it
        return lp_cvxpy(a, base, eps, delta, solver.backend)
    return lp_linprog(a, base, eps, delta)


__all__ = ["lp_cvxpy", "lp_linprog", "solve_lp"]
