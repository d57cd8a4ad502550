"""The KL-regularised Nash policy of Nash learning from human feedback (NLHF).

Munos et al. (2023), "Nash Learning from Human Feedback", Section 3: with a reference policy
``mu`` and a regularisation ``beta > 0`` (their ``tau``), the regularised preference
``P_beta(pi > pi') = P(pi > pi') - beta KL(pi || mu) + beta KL(pi' || mu)`` defines a
two-player symmetric game whose Nash equilibrium

    ``pi*_beta = argmax_pi min_pi' P_beta(pi > pi')``

is unique (their Proposition 1) and is the fixed point

    ``pi*(y) = mu(y) exp(P(y > pi*) / beta) / Z``,  with ``P(y > pi) = sum_y' pi(y') P[y, y']``.

This is what NLHF (Nash-MD), self-play preference optimisation (SPPO) and related methods
target with infinite data. As ``beta -> 0`` it tends to a maximal lottery (the von Neumann
winner, :func:`socialpref.targets.maximal_lottery`; the one closest to ``mu`` in KL when there are
several); as ``beta -> infinity`` it tends to ``mu``. With a uniform ``mu`` its order is that of
``P(y > pi*)``: NBC (Eq. 13) under the sampling distribution ``D = pi*`` itself, hence the order
of NBC under a uniform ``D`` for large ``beta``.

**Solver.** Damped Newton steps on ``G(pi) = softmax(log mu + P pi / beta) - pi = 0``, all items
of a batch at once. The Jacobian ``J = (diag(q) - q q^T) P / beta - I`` (``q`` the softmax) is
invertible everywhere: ``(diag(q) - q q^T) P`` equals ``(diag(q) - q q^T) (P - 1/2)``, a positive
semidefinite matrix times a skew-symmetric one, whose eigenvalues are imaginary, so those of
``J`` have real part -1. Newton's direction therefore decreases ``|G|^2`` and Armijo
backtracking converges to the unique root; each item stops when ``max |G| <= tol``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from socialpref._typing import ArrayLike, FloatArray
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError, SolverError
from socialpref.population import Population
from socialpref.preference import PreferenceModel
from socialpref.targets.matrix import active_mask, pairwise_stack, resolve_pairwise

#: Default stopping tolerance on ``max |pi - softmax(log mu + P pi / beta)|``.
NASH_TOL = 1e-13
#: Solves for ``beta`` below this start at this ``beta`` and follow a path of decreasing ``beta``.
CONTINUATION_START = 0.1
#: Ratio of consecutive ``beta`` on that path.
CONTINUATION_FACTOR = 2.0
#: Tolerance of the intermediate solves of the path.
STAGE_TOL = 1e-9
#: For small ``beta`` the tolerance is at least ``ROUNDING_FACTOR * eps / beta``.
ROUNDING_FACTOR = 4.0
_EPS = float(np.finfo(np.float64).eps)
#: Armijo constant and the smallest step tried.
_ARMIJO, _MIN_STEP = 1e-4, 2.0**-40


def _references(
    reference: ArrayLike | None, n_items: int, n: int, mask: np.ndarray, owner: str
) -> FloatArray:
    """``(B, n)`` reference policies: uniform on each item's options, or validated rows."""
    if reference is None:
        mu = mask / mask.sum(axis=1, keepdims=True)
        return np.asarray(mu, dtype=np.float64)
    mu = np.array(reference, dtype=np.float64)
    if mu.ndim == 1:
        mu = np.broadcast_to(mu, (n_items, mu.shape[0])).copy()
    if mu.shape != (n_items, n):
        raise ParameterError(
            f"The 'reference' parameter of {owner} must have shape ({n},) or ({n_items}, {n}). "
            f"Got shape {np.shape(reference)} instead."
        )
    mu[~mask] = 0.0
    bad = ~np.isfinite(mu).all(axis=1) | (mu < 0).any(axis=1) | (np.abs(mu.sum(axis=1) - 1) > 1e-8)
    if bad.any():
        b = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"The 'reference' parameter of {owner} must hold distributions over each item's "
            f"options (finite, non-negative, summing to 1). Row {b} is {mu[b].tolist()!r}."
        )
    return np.asarray(mu / mu.sum(axis=1, keepdims=True), dtype=np.float64)


def nash_policy_batch(
    pairwise: ArrayLike,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
    n_options: ArrayLike | None = None,
    *,
    tol: float = NASH_TOL,
    max_iter: int = 200,
) -> FloatArray:
    """The NLHF Nash policy of each item of a stack of pairwise matrices.

    Parameters
    ----------
    pairwise : (B, n, n) array
        Pairwise matrices ``P`` (Eq. 8).
    beta : float
        Regularisation ``beta > 0`` (``tau`` in Munos et al. 2023).
    reference : (n,) or (B, n) array, optional
        Reference policy ``mu`` (uniform over each item's options when None). Options with
        ``mu(y) = 0`` get ``pi(y) = 0``.
    n_options : (B,) ints, optional
        Options of each item when the stack is padded; padded options get probability 0.
    tol : float
        Stop when ``max_y |pi(y) - mu(y) exp(P(y > pi) / beta) / Z| <= tol``; for small ``beta``
        the rounding of the logits ``P pi / beta`` limits what is attainable, and the tolerance
        used is at least ``4 eps / beta`` (``eps`` the float64 machine epsilon).
    max_iter : int
        Newton iterations at most.

    Returns
    -------
    (B, n) array
        ``pi*_beta`` of each item.

    Raises
    ------
    ParameterError
        Bad ``beta``, ``reference``, ``tol`` or ``max_iter``, or a stack that is not one of
        pairwise matrices.
    SolverError
        Some item did not reach ``tol`` within ``max_iter`` iterations.

    Examples
    --------
    >>> nash_policy_batch([[[0.5, 0.8], [0.2, 0.5]]], beta=0.5).round(4).tolist()
    [[0.6457, 0.3543]]
    """
    owner = "nash_policy_batch"
    beta = check_scalar(beta, "beta", float, min_val=0.0, include_boundaries="neither", owner=owner)
    tol = check_scalar(tol, "tol", float, min_val=0.0, include_boundaries="neither", owner=owner)
    max_iter = check_scalar(max_iter, "max_iter", int, min_val=1, owner=owner)
    stack, counts = pairwise_stack(pairwise, n_options, owner=owner)
    n_items, n = stack.shape[0], stack.shape[1]
    mu = _references(reference, n_items, n, active_mask(counts, n), owner)
    # Continuation in beta: from CONTINUATION_START down to beta by factors of at most
    # CONTINUATION_FACTOR, each stage warm-started at the previous solution.
    stages = [beta]
    while stages[-1] < CONTINUATION_START:
        stages.append(stages[-1] * CONTINUATION_FACTOR)
    pi = mu.copy()
    for stage in reversed(stages):
        # rounding of the logits P pi / beta bounds the attainable residual by ~eps / beta
        goal = max(tol if stage == beta else STAGE_TOL, ROUNDING_FACTOR * _EPS / stage)
        pi, err = _newton(stack, mu, stage, pi, goal, max_iter)
        if np.any(err > goal):
            bad = np.flatnonzero(err > goal)
            raise SolverError(
                f"The Nash policy did not converge for {bad.size} of {n_items} items (first: "
                f"item {int(bad[0])}, residual {err[bad[0]]:.3g}) within {max_iter} Newton "
                f"iterations at beta = {stage:g}; a larger beta or max_iter may help."
            )
    return pi


def _newton(
    stack: FloatArray, mu: FloatArray, beta: float, pi0: FloatArray, tol: float, max_iter: int
) -> tuple[FloatArray, FloatArray]:
    """Damped Newton steps on ``G(pi) = softmax(log mu + P pi / beta) - pi`` for every item.

    Returns the iterates and ``max |G|`` of each item (``<= tol`` where converged).
    """
    n_items, n = pi0.shape
    with np.errstate(divide="ignore"):
        log_mu = np.log(mu)
    scaled = stack / beta

    def residual(pi: FloatArray, items: np.ndarray) -> tuple[FloatArray, FloatArray]:
        logits = log_mu[items] + np.einsum("bij,bj->bi", scaled[items], pi)
        q = np.asarray(softmax(logits, axis=1), dtype=np.float64)
        return q - pi, q

    pi = pi0.copy()
    g, q = residual(pi, np.arange(n_items))
    err = np.abs(g).max(axis=1, initial=0.0)
    eye = np.eye(n)
    for _ in range(max_iter):
        todo = np.flatnonzero(err > tol)
        if todo.size == 0:
            break
        gt, qt = g[todo], q[todo]
        cov = qt[:, :, None] * eye[None] - qt[:, :, None] * qt[:, None, :]
        step = np.linalg.solve(cov @ scaled[todo] - eye[None], -gt[:, :, None])[:, :, 0]
        merit = 0.5 * (gt**2).sum(axis=1)
        t = np.ones(todo.size)
        accepted = np.zeros(todo.size, dtype=bool)
        while not accepted.all() and t.min() >= _MIN_STEP:
            trial = np.flatnonzero(~accepted)
            cand = pi[todo[trial]] + t[trial, None] * step[trial]
            cg, cq = residual(cand, todo[trial])
            ok = 0.5 * (cg**2).sum(axis=1) <= (1.0 - 2.0 * _ARMIJO * t[trial]) * merit[trial]
            # near the root the merit is flat to rounding: a full step that does not increase
            # the largest residual is kept
            ok |= (t[trial] == 1.0) & (np.abs(cg).max(axis=1) <= np.abs(gt[trial]).max(axis=1))
            items = todo[trial[ok]]
            pi[items], g[items], q[items] = cand[ok], cg[ok], cq[ok]
            err[items] = np.abs(cg[ok]).max(axis=1, initial=0.0)
            accepted[trial[ok]] = True
            t[trial[~ok]] *= 0.5
        if not accepted.any():
            break
    return pi, err


def nash_policy(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
    tol: float = NASH_TOL,
    max_iter: int = 200,
) -> FloatArray:
    """The Nash equilibrium of NLHF's regularised preference game (Munos et al. 2023, Sec. 3).

    The unique ``pi*`` with ``pi* = argmax_pi min_pi' P(pi > pi') - beta KL(pi || mu) +
    beta KL(pi' || mu)``, i.e. ``pi*(y) = mu(y) exp(P(y > pi*) / beta) / Z``; solved by Newton's
    method to ``tol`` (see :mod:`socialpref.targets.nash`).

    Parameters
    ----------
    pairwise : (n, n) array, Population, or (n_types, n_options) rewards
        The pairwise matrix ``P`` (Eq. 8); or a population, or rewards with ``type_weights``.
    type_weights : (n_types,) array, optional
        Only with rewards.
    beta : float
        Regularisation ``beta > 0``.
    reference : (n_options,) array, optional
        Reference policy ``mu`` (uniform when None).
    model : PreferenceModel or str, optional
        Preference model of Eq. (8) (default Bradley-Terry); only with a population or rewards.
    tol, max_iter
        Stopping rule of the Newton iteration.

    Returns
    -------
    (n_options,) array

    Raises
    ------
    ParameterError, SolverError
        As :func:`nash_policy_batch`.

    Examples
    --------
    Two options: ``log(pi(y1) / pi(y2)) = log(mu(y1) / mu(y2)) + (2 P[0, 1] - 1) / (2 beta)``.

    >>> nash_policy([[0.5, 0.8], [0.2, 0.5]], beta=0.5).round(4).tolist()
    [0.6457, 0.3543]

    The tyranny-of-majority population: NLHF follows the 90% majority, as NBC does.

    >>> nash_policy([[0.5, 1.0], [0.5, -10.0]], [0.9, 0.1], beta=0.1).round(4).tolist()
    [0.3538, 0.6462]
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="nash_policy")
    return np.asarray(
        nash_policy_batch(p[None], beta, reference, tol=tol, max_iter=max_iter)[0],
        dtype=np.float64,
    )


__all__ = ["NASH_TOL", "nash_policy", "nash_policy_batch"]
