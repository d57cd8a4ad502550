"""Sensitivity of NBC to the sampling distribution: the smallest TV change that flips NBC.

Paper Sections 4.3 and 7.1, Appendix D. For a population with pairwise matrix ``P`` (Eq. 8), the
Normalized Borda Count under a sampling distribution ``q`` of alternatives is ``NBC_q = P q``
(Eq. 13). For an ordered pair ``(i, j)`` with ``NBC_D0(i) > NBC_D0(j)`` under a base distribution
``D0`` (uniform by default), the smallest change that puts ``j`` at least ``delta`` above ``i`` is
the linear program of Appendix D::

    minimise    TV(q, D0) = 1/2 ||q - D0||_1
    subject to  q >= eps,  sum(q) = 1,  c @ q <= -delta,      with c = P[i] - P[j].

``eps`` keeps every option in the support and ``delta`` asks for a strict flip
(``eps = delta = 1e-5`` as in the paper). Unlike the authors' code, the slack variables of the
absolute values are *not* bounded below by ``eps`` (that adds about ``N * eps / 2`` to every
objective). An infeasible program means "cannot be flipped", which is a result, not an error.

Modules (one concept each; every name listed here is public):

:mod:`~socialpref.sensitivity.options`
    ``EPS``, ``DELTA``, ``SOLVERS``, :func:`check_options` (validation, no solve).
:mod:`~socialpref.sensitivity.exact`
    :func:`greedy_flip`: the closed form of one flip program (proof in its docstring).
:mod:`~socialpref.sensitivity.repair`
    :func:`repair_tv`: the repair program (an average-reward winner made NBC's winner), exact
    by a certified closed form, with an LP where the certificate fails.
:mod:`~socialpref.sensitivity.lp`
    :func:`lp_linprog`, :func:`lp_cvxpy`: the LP back-ends (``solver="linprog"``, ``"cvxpy"``),
    also the test oracles.
:mod:`~socialpref.sensitivity.memory`
    :func:`plan_sweep`: chunk and block sizes from a memory budget.
:mod:`~socialpref.sensitivity.sweep`
    :func:`sensitivity_sweep`: many questions at once, the one path of every analysis.
:mod:`~socialpref.sensitivity.question`
    :func:`min_tv_flip` (one pair) and :func:`nbc_sensitivity` (one question: a sweep of one).
:mod:`~socialpref.sensitivity.results`
    :class:`FlipResult`, :class:`SensitivityResult`, :class:`SweepResult`.

``sensitivity`` is the earlier name of :func:`nbc_sensitivity` and stays as an alias.

>>> import socialpref.sensitivity as sens
>>> res = sens.nbc_sensitivity([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4])
>>> round(res.min_tv, 4), res.pair, round(res.repair_tv, 4)
(0.0635, (2, 1), 0.2838)
"""

from __future__ import annotations

from socialpref.sensitivity.exact import greedy_flip, greedy_tv_uniform
from socialpref.sensitivity.lp import lp_cvxpy, lp_linprog, solve_lp
from socialpref.sensitivity.memory import MEMORY_BUDGET, SweepPlan, plan_sweep
from socialpref.sensitivity.options import (
    CVXPY_DEFAULTS,
    DELTA,
    EPS,
    SOLVERS,
    TV_TIE_TOL,
    Options,
    Solver,
    check_eps_delta,
    check_options,
    resolve_solver,
)
from socialpref.sensitivity.question import min_tv_flip, nbc_sensitivity
from socialpref.sensitivity.repair import RepairResult, repair_tv
from socialpref.sensitivity.results import FlipResult, SensitivityResult, SweepResult
from socialpref.sensitivity.sweep import select_pairs, sensitivity_sweep, solve_flips

#: The earlier name of :func:`nbc_sensitivity`.
sensitivity = nbc_sensitivity

__all__ = [
    "CVXPY_DEFAULTS",
    "DELTA",
    "EPS",
    "MEMORY_BUDGET",
    "SOLVERS",
    "TV_TIE_TOL",
    "FlipResult",
    "Options",
    "RepairResult",
    "SensitivityResult",
    "Solver",
    "SweepPlan",
    "SweepResult",
    "check_eps_delta",
    "check_options",
    "greedy_flip",
    "greedy_tv_uniform",
    "lp_cvxpy",
    "lp_linprog",
    "min_tv_flip",
    "nbc_sensitivity",
    "plan_sweep",
    "repair_tv",
    "resolve_solver",
    "select_pairs",
    "sensitivity",
    "sensitivity_sweep",
    "solve_flips",
    "solve_lp",
]
