"""Policies on a finite option set: the optimal policy (Eq. 10) and DPO's infinite-data limit (Eq. 18).

scipy is imported inside the functions that use it, so that importing the core stays fast.
"""

from __future__ import annotations

import numpy as np

from socialpref._typing import ArrayLike, FloatArray
from socialpref._validation import check_scalar
from socialpref.aggregate import average_reward, pairwise_matrix
from socialpref.errors import ParameterError, SolverError
from socialpref.population import PopulationLike, as_sampling, population_arrays
from socialpref.preference import PreferenceModel


def _softmax(logits: FloatArray) -> FloatArray:
    from scipy.special import log_softmax

    return np.asarray(np.exp(log_softmax(logits)), dtype=np.float64)


def _reference(reference: ArrayLike | None, n: int) -> FloatArray:
    return as_sampling(reference, n, name="reference")


def optimal_policy(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
) -> FloatArray:
    """Optimal policy of the extended alignment problem, Eq. (10).

    ``pi*(y) = pi_ref(y) exp(rbar(y) / beta) / Z`` with ``rbar`` the average reward (Eq. 9);
    ``reference`` is ``pi_ref`` (uniform when None). It does not depend on the preference model.

    >>> optimal_policy([[0.0, 1.0]], [1.0]).round(4).tolist()
    [0.2689, 0.7311]
    >>> from socialpref.population import Population
    >>> optimal_policy(Population([[0.0, 1.0]], [1.0]), beta=0.5).round(4).tolist()
    [0.1192, 0.8808]
    """
    beta = check_scalar(
        beta, "beta", float, 0.0, include_boundaries="neither", owner="optimal_policy"
    )
    avg = average_reward(rewards, type_weights)
    ref = _reference(reference, avg.shape[0])
    with np.errstate(divide="ignore"):
        logits = np.log(ref) + avg / beta
    return _softmax(logits)


def dpo_limit_log_ratio(
    pairwise: ArrayLike,
    sampling: ArrayLike | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 200,
) -> FloatArray:
    """Induced reward ``g(y) = beta log(pi_DPO(y) / pi_ref(y))`` of the infinite-data DPO policy.

    With pairs ``(y, y')`` drawn i.i.d. from ``D`` and labelled by the population (Eq. 8), the
    DPO loss tends to ``L(g) = -sum_{y,y'} D(y) D(y') P[y, y'] log sigma(g(y) - g(y'))``, whose
    gradient is ``D(y) (sum_y' D(y') sigma(g(y) - g(y')) - NBC(y))``: the first-order condition
    is Eq. (18). ``L`` is convex, strictly convex once ``g`` is centred (``sum_y D(y) g(y) = 0``,
    the gauge fixed here), and has a finite minimiser exactly when the directed graph with an
    edge ``y -> y'`` wherever ``P[y, y'] > 0`` is strongly connected (Zermelo's condition).
    Solved by damped Newton steps to a gradient norm below ``tol``.

    Raises :class:`ParameterError` when ``D`` leaves an option out (its policy is then
    undetermined), :class:`SolverError` when no finite solution exists (e.g. a unanimous
    majority-step population) or Newton's method does not converge.
    """
    from scipy.sparse.csgraph import connected_components
    from scipy.special import expit

    p = np.asarray(pairwise, dtype=np.float64)
    n = p.shape[0]
    d = as_sampling(sampling, n)
    if np.any(d <= 0):
        raise ParameterError(
            f"The 'sampling' parameter must give every option positive probability for a DPO limit; "
            f"options {np.flatnonzero(d <= 0).tolist()} are never sampled. Got {d.tolist()}."
        )
    off = ~np.eye(n, dtype=bool)
    n_comp, _ = connected_components((p > 0) & off, directed=True, connection="strong")
    if n > 1 and n_comp > 1:
        raise SolverError(
            "No finite DPO limit exists: some options beat others with probability 1 "
            "(the win graph is not strongly connected). Use a smooth preference model such as Bradley-Terry."
        )
    nbc_values = p @ d
    dd = np.outer(d, d)

    def loss(g: FloatArray) -> float:
        diff = g[:, None] - g[None, :]
        return float(-(dd * p * -np.logaddexp(0.0, -diff)).sum())

    def gradient(g: FloatArray) -> tuple[FloatArray, FloatArray]:
        s = expit(g[:, None] - g[None, :])
        return d * (s @ d - nbc_values), s

    g = np.zeros(n)
    grad, s = gradient(g)
    for _ in range(max_iter):
        if np.max(np.abs(grad)) < tol:
            return g - d @ g
        w = dd * s * (1.0 - s)
        hess = np.diag(w.sum(axis=1) - np.diag(w)) - (w - np.diag(np.diag(w)))
        step = np.linalg.solve(hess + dd, -grad)
        # Armijo backtracking on the loss; near the optimum the loss is flat to rounding, so a
        # step that reduces the gradient norm is accepted too.
        t, current, norm = 1.0, loss(g), np.linalg.norm(grad)
        while t > 1e-10:
            new_grad, new_s = gradient(g + t * step)
            if (
                loss(g + t * step) <= current + 1e-4 * t * float(grad @ step)
                or np.linalg.norm(new_grad) < norm
            ):
                break
            t *= 0.5
        g, grad, s = g + t * step, new_grad, new_s
    raise SolverError(
        f"The DPO limit did not converge after {max_iter} Newton iterations "
        f"(gradient norm {np.max(np.abs(grad)):.3g}); the preference probabilities may be too close to 0 or 1."
    )


def dpo_limit_policy(
    rewards: PopulationLike,
    type_weights: ArrayLike | None = None,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
) -> FloatArray:
    """Policy DPO converges to with infinite data sampled from ``D`` (Eq. 18, Proposition 4.2).

    ``pi_DPO(y) = pi_ref(y) exp(g(y) / beta) / Z`` where ``g`` solves Eq. (18)
    (see :func:`dpo_limit_log_ratio`). Its order equals NBC's order under ``D`` (Prop. 4.2); with a
    single Bradley-Terry (T = 1) type it equals the optimal policy.

    >>> dpo_limit_policy([[0.0, 1.0]], [1.0]).round(4).tolist()
    [0.2689, 0.7311]
    >>> from socialpref.population import Population
    >>> dpo_limit_policy(Population([[6, 1, 4], [3, 9, 4]], [0.5, 0.5])).round(4).tolist()
    [0.3658, 0.342, 0.2922]
    """
    beta = check_scalar(
        beta, "beta", float, 0.0, include_boundaries="neither", owner="dpo_limit_policy"
    )
    r, w = population_arrays(rewards, type_weights)
    ref = _reference(reference, r.shape[1])
    g = dpo_limit_log_ratio(pairwise_matrix(r, w, model), sampling)
    with np.errstate(divide="ignore"):
        logits = np.log(ref) + g / beta
    return _softmax(logits)
