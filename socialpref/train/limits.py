"""Exact infinite-data limits of first-order corrected DPO, found globally (numpy and scipy).

:func:`corrected_population_optimum` minimises the population loss of first-order corrected DPO
(Eq. 14-16) for one prompt, with the exact ``Var_u[sigma]`` that a perfect joint-likelihood model
gives (Lemma 5.3); at ``alpha = 0`` it is DPO's limit (Eq. 18), a convex problem.

For ``alpha > 0`` the clamp of the correction and the stable log make the objective non-convex:
on the paper's environment a single L-BFGS run from zero finds the global minimum up to about
``alpha = 3``, but at ``alpha = 4`` it stops in a local minimum (0.34447 against 0.34423) and at
``alpha = 8`` hundreds of random starts find more than a hundred distinct local minima. The search
therefore combines (all seeded by ``rng``) random starts at several scales, continuation in
``alpha`` from zero (the solution at ``alpha * j / K`` starts the solve at ``alpha * (j + 1) / K``,
for several ``K``), and perturbations of the best point found ("basin hopping"), and returns the
lowest objective found; the tests compare it with an independent multi-start search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from socialpref._typing import ArrayLike, FloatArray, RngLike
from socialpref._validation import check_scalar
from socialpref.errors import SolverError
from socialpref.train.environment import SyntheticEnvironment

_START_SCALES = (0.5, 1.0, 2.0, 4.0)  # standard deviations of the random starts' log-ratios
_HOP_SCALES = (0.05, 0.1, 0.3, 1.0)  # standard deviations of the basin-hopping perturbations
_GRAD_TOL = 1e-4  # largest |gradient| accepted at the returned point (kinks of the clamp allowed)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """One BLAS thread while the many tiny L-BFGS-B solves run: with several, the threads'
    synchronisation costs more than the work (measured 6x slower on 2 cores under load)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the 'train' extra
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class CorrectedLimit:
    """The population optimum of corrected DPO for one prompt.

    Attributes
    ----------
    policy : ndarray, shape (n,)
        ``pi(y | prompt) ~ pi_ref(y | prompt) exp(rho(y))``.
    log_ratio : ndarray, shape (n,)
        The minimising ``rho = log pi - log pi_ref`` (defined up to a constant; mean zero here).
    objective : float
        The population loss at ``log_ratio`` (:func:`corrected_population_loss`).
    n_solves : int
        Local solves (L-BFGS runs) of the search.
    n_minima : int
        Distinct local minima found (objective values more than 1e-9 apart).
    """

    policy: FloatArray
    log_ratio: FloatArray
    objective: float
    n_solves: int
    n_minima: int


def _population(
    env: SyntheticEnvironment, prompt: int, sampling: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``Pr(b > a)`` mixed over types, the exact ``Var_u[sigma]`` and the ``D(a) D(b)`` weights of
    one prompt, each ``(n, n)`` (row ``a``, column ``b``)."""
    p = env.win_probabilities()[:, prompt]
    w = env.weights[:, None, None]
    p_mix = (w * p).sum(axis=0)
    var = np.clip((w * p * p).sum(axis=0) - p_mix**2, 0.0, None)
    if sampling is None:
        weights = np.full((env.n, env.n), 1.0 / env.n**2)
    else:
        d = np.asarray(sampling, dtype=np.float64)[prompt]
        weights = np.outer(d, d)
    return p_mix, var, weights


def _objective(
    env: SyntheticEnvironment,
    prompt: int,
    sampling: ArrayLike | None,
    clamp: float,
    eps: float,
) -> Callable[[FloatArray, float], tuple[float, FloatArray]]:
    """The population loss and its gradient, ``rho -> (L, dL/drho)``.

    ``L = sum_{a,b} D(a) D(b) Pr(b > a) l(h_ab)`` with ``h_ab = beta (rho_b - rho_a)`` and ``l``
    the per-pair loss of :func:`~socialpref.train.losses.corrected_dpo_loss`:
    ``l = -log max(s + c, eps)``, ``s = sigma(h)``, ``c = alpha/2 V (1 - 2 s) / (s (1 - s))``
    clamped to ``[-clamp, clamp]`` (numpy, float64; the tests check it against that function and
    its autograd gradient). ``dl/dh = -(s (1 - s) + c') / (s + c)`` where ``s + c >= eps``, with
    ``c' = alpha/2 V (-(1 - s)/s - s/(1 - s))`` inside the clamp and 0 outside.
    """
    p_mix, var, weights = _population(env, prompt, sampling)
    mass = weights * p_mix
    beta = env.beta
    tiny = np.finfo(np.float64).tiny

    def objective(rho: FloatArray, alpha: float) -> tuple[float, FloatArray]:
        h = beta * (rho[None, :] - rho[:, None])
        s = 0.5 * (1.0 + np.tanh(0.5 * h))  # sigma(h), stable for any h
        s_other = 0.5 * (1.0 - np.tanh(0.5 * h))  # sigma(-h)
        dsig = s * s_other
        half_av = 0.5 * alpha * var
        raw = half_av * (s_other - s) / np.maximum(dsig, tiny)
        inside = np.abs(raw) <= clamp
        z = s + np.clip(raw, -clamp, clamp)
        value = float(-(mass * np.log(np.maximum(z, eps))).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            dc = np.where(inside, -half_av * (s_other / s + s / s_other), 0.0)
            dl = np.where(z >= eps, -(dsig + dc) / z, 0.0)
        g = mass * beta * np.nan_to_num(dl)
        return value, g.sum(axis=0) - g.sum(axis=1)

    return objective


def corrected_population_loss(
    env: SyntheticEnvironment,
    alpha: float,
    log_ratio: ArrayLike,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    prompt: int = 0,
    sampling: ArrayLike | None = None,
) -> float:
    """The infinite-data loss of corrected DPO at the log-ratios ``rho`` of one prompt.

    ``sum_{a,b} D(a) D(b) Pr(b > a) (-log max(s + c, eps))`` with ``s = sigma(beta (rho_b -
    rho_a))``, ``c`` the clamped correction of Eq. (14)-(16) and the exact ``Var_u[sigma]``;
    ``D`` the row ``prompt`` of ``sampling`` (uniform when None).
    """
    rho = np.asarray(log_ratio, dtype=np.float64)
    return _objective(env, prompt, sampling, clamp, eps)(rho, float(alpha))[0]


def corrected_population_optimum(
    env: SyntheticEnvironment,
    alpha: float,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    prompt: int = 0,
    reference: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    rng: RngLike = 0,
    n_starts: int = 16,
    continuation: Sequence[int] = (4, 8, 16, 32),
    n_hops: int = 16,
) -> CorrectedLimit:
    """Global infinite-data optimum of first-order corrected DPO for one prompt.

    Minimises :func:`corrected_population_loss` over tabular log-ratios ``rho`` (L-BFGS in
    float64, many starts; see the module docstring). ``alpha = 0`` gives DPO's limit (Eq. 18),
    a convex problem solved once from zero.

    Parameters
    ----------
    env : SyntheticEnvironment
    alpha : float
        Correction strength ``>= 0``.
    clamp, eps : float
        The correction's clamp and the stable log's floor (Section 5.1).
    prompt : int
    reference, sampling : array of shape (n, n), optional
        ``pi_ref`` and the pairs' distribution ``D`` (uniform when None).
    rng : numpy Generator, int or None
        Seeds the random starts and perturbations.
    n_starts : int
        Starts at the target ``alpha``: zero and ``n_starts - 1`` random ones.
    continuation : sequence of int
        Numbers of steps ``K`` of the continuations in ``alpha`` from zero.
    n_hops : int
        Perturbations of the best point found.

    Returns
    -------
    CorrectedLimit

    Raises
    ------
    ParameterError
        If ``alpha`` is negative or not finite.
    SolverError
        If no finite minimum is found, or the gradient at the best point is not small.
    """
    alpha = check_scalar(alpha, "alpha", float, min_val=0, owner="corrected_population_optimum")
    objective = _objective(env, prompt, sampling, clamp, eps)
    gen = np.random.default_rng(rng)
    n = env.n
    solves = 0
    found: list[tuple[float, FloatArray]] = []

    def solve(start: FloatArray, a: float) -> tuple[float, FloatArray]:
        nonlocal solves
        solves += 1

        res = minimize(
            lambda x: objective(x, a),
            start,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-15},
        )
        x = np.asarray(res.x, dtype=np.float64)
        return float(res.fun), x - x.mean()

    def keep(value: float, x: FloatArray) -> None:
        if np.isfinite(value):
            found.append((value, x))

    with _one_blas_thread():
        keep(*solve(np.zeros(n), alpha))
        if alpha > 0:
            for k in range(1, n_starts):
                keep(*solve(gen.normal(size=n) * _START_SCALES[k % len(_START_SCALES)], alpha))
            for steps in continuation:
                x = np.zeros(n)
                for j in range(1, steps + 1):
                    value, x = solve(x, alpha * j / steps)
                keep(value, x)
            if found:
                best_value, best = min(found, key=lambda item: item[0])
                for k in range(n_hops):
                    scale = _HOP_SCALES[k % len(_HOP_SCALES)]
                    keep(*solve(best + gen.normal(size=n) * scale, alpha))
    if not found:
        raise SolverError(
            f"corrected_population_optimum found no finite minimum (alpha={alpha}, prompt={prompt})."
        )
    best_value, best = min(found, key=lambda item: item[0])
    worst = float(np.abs(objective(best, alpha)[1]).max())
    if not worst <= _GRAD_TOL:
        raise SolverError(
            f"corrected_population_optimum did not converge (alpha={alpha}, prompt={prompt}): "
            f"largest gradient {worst:.3g} at the best point after {solves} local solves."
        )
    values = np.sort([v for v, _ in found])
    n_minima = int(1 + np.count_nonzero(np.diff(values) > 1e-9))
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)[prompt]
    logits = best if ref is None else best + np.log(ref)
    policy = np.exp(logits - logits.max())
    return CorrectedLimit(
        policy=policy / policy.sum(),
        log_ratio=best,
        objective=best_value,
        n_solves=solves,
        n_minima=n_minima,
    )


def corrected_population_policy(
    env: SyntheticEnvironment,
    alpha: float,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    prompt: int = 0,
    reference: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    rng: RngLike = 0,
) -> FloatArray:
    """``pi(y | prompt)`` at the global optimum of corrected DPO: the ``policy`` of
    :func:`corrected_population_optimum` (same parameters)."""
    return corrected_population_optimum(
        env,
        alpha,
        clamp=clamp,
        eps=eps,
        prompt=prompt,
        reference=reference,
        sampling=sampling,
        rng=rng,
    ).policy


def corrected_population_table(
    env: SyntheticEnvironment,
    alpha: float,
    *,
    clamp: float = 0.1,
    eps: float = 1e-6,
    reference: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    rng: RngLike = 0,
) -> FloatArray:
    """The ``(n, n)`` table ``pi(y | x)`` of :func:`corrected_population_policy` for every prompt.

    With the uniform reference and uniform pairs the environment is circulant (rewards depend on
    ``y - x`` only), so prompt 0's optimum rolled gives every prompt; otherwise every prompt is
    solved (one generator from ``rng`` serves the prompts in order).
    """
    gen = np.random.default_rng(rng)
    prompts = [0] if reference is None and sampling is None else list(range(env.n))
    rows = [
        corrected_population_policy(
            env,
            alpha,
            clamp=clamp,
            eps=eps,
            prompt=x,
            reference=reference,
            sampling=sampling,
            rng=gen,
        )
        for x in prompts
    ]
    if len(rows) == 1:
        return np.stack([np.roll(rows[0], x) for x in range(env.n)])
    return np.stack(rows)
