"""One pair, one question: :func:`min_tv_flip` and :func:`nbc_sensitivity`.

Both run the same code as the sweep: a pair's program goes through
:func:`socialpref.sensitivity.sweep.solve_flips` (the closed form, or the LP back-end of
``solver``), and a question is a sweep of one question
(:func:`socialpref.sensitivity.sweep.sensitivity_sweep`). Both accept a
:class:`~socialpref.population.Population` in place of ``(rewards, type_weights)``.
"""

from __future__ import annotations

import numpy as np

from socialpref._typing import ArrayLike
from socialpref._validation import check_scalar
from socialpref.aggregate import pairwise_matrices
from socialpref.errors import ParameterError
from socialpref.population import PopulationLike, as_sampling, population_arrays
from socialpref.preference import PreferenceModel, get_model
from socialpref.sensitivity.options import DELTA, EPS, check_eps_delta, resolve_solver
from socialpref.sensitivity.results import FlipResult, SensitivityResult
from socialpref.sensitivity.sweep import sensitivity_sweep, solve_flips


def min_tv_flip(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    i: int | None = None,
    j: int | None = None,
    base: ArrayLike | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    solver: str = "exact",
    model: PreferenceModel | str | None = None,
) -> FlipResult:
    """Smallest TV change of the sampling distribution that puts option ``j`` above ``i``.

    Solves the program of Appendix D (Section 7.1): minimise ``TV(q, base)`` over ``q >= eps``,
    ``sum q = 1`` with ``NBC_q(j) >= NBC_q(i) + delta``, NBC as in Eq. (13). When ``j`` is
    already ``delta`` above ``i`` under ``base`` (and ``base >= eps``) the answer is 0.

    Parameters
    ----------
    rewards : (n_types, n_options) array or Population
    type_weights : (n_types,) array, or None with a Population
    i, j : int
        Distinct option indices (required; keywords after a Population).
    base : (n_options,) array or None
        Base sampling distribution ``D0``; None is uniform.
    eps, delta : float
        Support floor (``eps * n_options < 1``) and flip margin.
    solver : {"exact", "linprog", "cvxpy", "cvxpy:NAME"}
        ``"exact"``: the closed form of :func:`socialpref.sensitivity.exact.greedy_flip`;
        otherwise one LP (:mod:`socialpref.sensitivity.lp`).
    model : PreferenceModel, str or None
        Preference model (default Bradley-Terry).

    Returns
    -------
    FlipResult
        ``.tv`` is None when the pair cannot be flipped.

    Raises
    ------
    ParameterError
        Bad arrays, indices, ``eps``/``delta``, a ``base`` that is not a distribution, an unknown
        or uninstalled solver.
    SolverError
        An LP back-end ended with a status other than optimal or infeasible.

    Examples
    --------
    >>> rewards, weights = [[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4]
    >>> res = min_tv_flip(rewards, weights, 2, 1)
    >>> round(res.tv, 4), res.distribution.round(4).tolist()
    (0.0635, [0.1865, 0.25, 0.25, 0.3135])
    >>> min_tv_flip(rewards, weights, 2, 0).feasible
    False
    >>> from socialpref.population import Population
    >>> round(min_tv_flip(Population(rewards, weights), i=2, j=1).tv, 4)
    0.0635
    """
    resolved = resolve_solver(solver)
    sigma = get_model(model)
    r, w = population_arrays(rewards, type_weights)
    n = r.shape[1]
    b = as_sampling(base, n, "base")
    e, d = check_eps_delta(eps, delta, n)
    i = check_scalar(i, "i", int, min_val=0, max_val=n - 1)
    j = check_scalar(j, "j", int, min_val=0, max_val=n - 1)
    if i == j:
        raise ParameterError(f"The 'j' parameter must differ from 'i'. Got i = j = {i}.")
    p = pairwise_matrices(r, w, sigma)
    tv, q = solve_flips((p[i] - p[j])[None, :], b[None, :], e, d, resolved, want_q=True)
    assert q is not None
    if not np.isfinite(tv[0]):
        return FlipResult(pair=(i, j), tv=None, distribution=None)
    return FlipResult(pair=(i, j), tv=float(tv[0]), distribution=q[0])


def nbc_sensitivity(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    base: ArrayLike | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    solver: str = "exact",
    model: PreferenceModel | str | None = None,
    repair: bool = True,
) -> SensitivityResult:
    """Minimal TV from ``base`` that changes NBC's ranking of one question (Section 7.1, App. D).

    The sweep (:func:`socialpref.sensitivity.sensitivity_sweep`) of this one question: the
    program of :func:`min_tv_flip` for every ordered pair with ``NBC_base(i) > NBC_base(j)``
    (by more than ``TIE_TOL``), the smallest of them, and the repair program: the smallest TV
    after which an average-reward winner leads NBC by at least ``delta`` over every other
    option (:mod:`socialpref.sensitivity.repair`).

    Parameters
    ----------
    rewards, type_weights, base, eps, delta, solver, model
        As in :func:`min_tv_flip`.
    repair : bool
        Whether to solve the repair program (``repair_tv``).

    Returns
    -------
    SensitivityResult

    Raises
    ------
    ParameterError, SolverError
        As in :func:`min_tv_flip`.

    Examples
    --------
    >>> res = nbc_sensitivity([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4])
    >>> round(res.min_tv, 4), res.pair, res.top_flip, res.nbc_top, res.average_top
    (0.0635, (2, 1), True, (2,), (3,))
    >>> round(res.repair_tv, 4)
    0.2838
    """
    population = population_arrays(rewards, type_weights)
    sweep = sensitivity_sweep(
        [population],
        bases=[base],
        eps=eps,
        delta=delta,
        model=model,
        repair=repair,
        solver=solver,
    )
    return sweep.question(0)


__all__ = ["min_tv_flip", "nbc_sensitivity"]
