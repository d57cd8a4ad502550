"""The maximal lottery (Fishburn 1984): the von Neumann winner of the population's preferences.

A lottery ``p`` over the options is *maximal* when no other lottery is preferred to it by the
population: ``sum_{i, j} p(i) q(j) M[i, j] >= 0`` for every lottery ``q``, with the majority
margins ``M = P - P^T`` (Eq. 8). Equivalently ``M^T p >= 0`` componentwise: ``p`` is an optimal
(maximin) mixed strategy of the symmetric zero-sum game with payoff ``P - 1/2`` (whose value is
0). This is the *von Neumann winner* that Nash learning from human feedback and self-play
preference optimisation converge to without regularisation (Munos et al. 2023; Swamy et al.
2024; Wu et al. 2024; Dudik et al. 2015). It depends on ``P`` only, not on the distribution of the compared
alternatives, unlike NBC (Eq. 13).

**Computation.** One linear program (HiGHS dual simplex, scipy ``linprog``):
``max v  s.t.  M^T p >= v 1, sum p = 1, p >= 0``. The solution is then *polished* on its
support ``S``: ``p_S`` spans the null space of ``M_SS``, computed by an SVD, which gives the
probabilities to machine precision.

**Uniqueness.** Decided exactly (up to ``TIE_TOL``) by the following theorem for symmetric
zero-sum games (Kaplansky 1945; see also Laffond, Laslier and Le Breton 1997): an optimal
strategy ``p`` with support ``S`` is the *only* one if and only if (a) ``M_SS`` has a
one-dimensional null space and (b) every option outside ``S`` is strictly beaten by ``p``,
``(M^T p)_j > 0`` for ``j`` not in ``S``. Proof: if (a) and (b) hold and ``q`` is optimal, then
complementary slackness against ``p`` gives ``q_j = 0`` off ``S`` by (b), and ``M_SS q_S = 0``,
so ``q = p`` by (a). Conversely a unique optimal ``p`` is strictly complementary
(Goldman-Tucker), which is (b), and any second null vector of ``M_SS`` would move ``p`` inside
the optimal set, so (a) holds. Margins generic in the reals, or coming from an odd number of
voters with strict rankings, always give a unique maximal lottery (Laffond et al. 1997).

**Tie-breaking.** When the maximal lotteries form a polytope (exact ties among the margins,
e.g. duplicated options or an even number of voters), the one returned is the lottery of
**maximum entropy** among them: the unique minimiser of ``KL(p || uniform)`` over the optimal
set. It is the limit of the Nash policy of NLHF with a uniform reference as ``beta -> 0``
(:func:`socialpref.targets.nash_policy`; Tikhonov regularisation of the game), and it is
neutral: relabelling the options relabels it. It is computed from the dual
``min_{lambda} log sum_{i in E} exp((M lambda)_i)`` (``lambda_j >= 0`` for options ``j`` outside
the essential set ``E``, the options in the support of some maximal lottery, found by one more
LP; ``p_i`` proportional to ``exp((M lambda)_i)`` on ``E``), by L-BFGS-B then Newton steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp, softmax

from socialpref._typing import ArrayLike, FloatArray
from socialpref.aggregate import TIE_TOL
from socialpref.errors import SolverError
from socialpref.population import Population
from socialpref.preference import PreferenceModel
from socialpref.targets.majority import condorcet_winner_batch
from socialpref.targets.matrix import margins, pairwise_stack, resolve_pairwise

#: Probabilities below this are outside the support; probabilities within it are tied for the top.
LOTTERY_TOL = 1e-9
#: The returned lottery satisfies ``M^T p >= -FEASIBILITY_TOL`` (it is checked).
FEASIBILITY_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class MaximalLottery:
    """A maximal lottery of one population.

    Attributes
    ----------
    probabilities : (n_options,) array
        The lottery ``p``: non-negative, summing to one, with ``M^T p >= 0``.
    support : tuple of int
        The options with positive probability (above ``LOTTERY_TOL``).
    unique : bool
        Whether ``p`` is the only maximal lottery. When False, ``p`` is the maximal lottery of
        maximum entropy (see the module docstring).
    """

    probabilities: FloatArray
    support: tuple[int, ...]
    unique: bool

    @property
    def top(self) -> tuple[int, ...]:
        """The options of highest probability (within ``LOTTERY_TOL``)."""
        p = self.probabilities
        return tuple(int(i) for i in np.flatnonzero(p >= p.max() - LOTTERY_TOL))

    @property
    def deterministic(self) -> bool:
        """Whether the lottery puts all its mass on one option (a Condorcet winner, when unique)."""
        return len(self.support) == 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "probabilities": self.probabilities.tolist(),
            "support": list(self.support),
            "unique": self.unique,
            "top": list(self.top),
        }


def _lp(
    c: FloatArray, a_ub: FloatArray, b_ub: FloatArray, a_eq: Any, b_eq: Any, bounds: Any
) -> FloatArray:
    from scipy.optimize import linprog  # imported here: scipy.optimize is slow to import

    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
    if res.status != 0 or res.x is None:
        raise SolverError(f"The maximal-lottery linear program failed: {res.message}")
    return np.asarray(res.x, dtype=np.float64)


def _one_optimal(m: FloatArray) -> FloatArray:
    """A vertex of the optimal set: ``max v s.t. M^T p >= v, sum p = 1, p >= 0``."""
    n = m.shape[0]
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-m.T, np.ones((n, 1))])
    a_eq = np.concatenate([np.ones(n), [0.0]])[None, :]
    x = _lp(c, a_ub, np.zeros(n), a_eq, [1.0], [(0, None)] * n + [(None, None)])
    return np.asarray(x[:n], dtype=np.float64)


def _polish_unique(m: FloatArray, p0: FloatArray) -> FloatArray | None:
    """``p`` to machine precision when the criterion of uniqueness holds at ``p0``; else None."""
    support = np.flatnonzero(p0 > LOTTERY_TOL)
    sub = m[np.ix_(support, support)]
    if support.size == 1:
        kernel = np.ones(1)
    else:
        _, s, vt = np.linalg.svd(sub)
        if s[-2] <= TIE_TOL:  # a null space of dimension >= 2: (a) fails
            return None
        kernel = vt[-1]
    kernel = kernel / kernel.sum()
    if np.any(kernel <= 0):
        return None
    p = np.zeros(m.shape[0])
    p[support] = kernel
    outside = np.setdiff1d(np.arange(m.shape[0]), support)
    if np.any((m.T @ p)[outside] <= TIE_TOL):  # (b) fails
        return None
    return p


def _essential_set(m: FloatArray) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Options in the support of some maximal lottery: ``max sum z, z <= y, z <= 1, M^T y >= 0``."""
    n = m.shape[0]
    c = np.concatenate([np.zeros(n), -np.ones(n)])
    a_ub = np.block([[-m.T, np.zeros((n, n))], [-np.eye(n), np.eye(n)]])
    x = _lp(c, a_ub, np.zeros(2 * n), None, None, [(0, None)] * n + [(0, 1)] * n)
    return np.flatnonzero(x[n:] > 0.5)


def _max_entropy(m: FloatArray) -> FloatArray:
    """The maximal lottery of maximum entropy (the optimal set is not a single point)."""
    from scipy.optimize import minimize

    n = m.shape[0]
    ess = _essential_set(m)
    rows = m[ess]  # p_E proportional to exp(rows @ lam)
    outside = np.setdiff1d(np.arange(n), ess)

    def p_of(lam: FloatArray) -> FloatArray:
        return np.asarray(softmax(rows @ lam), dtype=np.float64)

    def fun(lam: FloatArray) -> tuple[float, FloatArray]:
        return float(logsumexp(rows @ lam)), rows.T @ p_of(lam)

    essential = set(ess.tolist())
    bounds = [(None, None) if j in essential else (0.0, None) for j in range(n)]
    sol = minimize(
        fun,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-13, "ftol": 1e-16, "maxiter": 1000},
    )
    lam = np.asarray(sol.x, dtype=np.float64)
    # Newton steps on the free multipliers (those of E, and those outside E that are positive)
    for _ in range(50):
        p = p_of(lam)
        grad = rows.T @ p
        free = np.ones(n, dtype=bool)
        free[outside] = (lam[outside] > 0) | (grad[outside] < 0)
        if np.max(np.abs(grad[free]), initial=0.0) <= 1e-15:
            break
        cov = np.diag(p) - np.outer(p, p)
        hess = rows.T @ cov @ rows
        step = np.zeros(n)
        step[free] = -np.linalg.lstsq(hess[np.ix_(free, free)], grad[free], rcond=1e-13)[0]
        new = lam + step
        new[outside] = np.maximum(new[outside], 0.0)
        if np.max(np.abs(rows.T @ p_of(new))[free]) >= np.max(np.abs(grad[free])):
            break
        lam = new
    p = np.zeros(n)
    p[ess] = p_of(lam)
    slack = m.T @ p
    if np.any(slack < -FEASIBILITY_TOL) or np.any(np.abs(slack[ess]) > FEASIBILITY_TOL):
        raise SolverError(
            "The maximum-entropy maximal lottery did not converge: the lottery found is beaten "
            f"by {max(-slack.min(), np.abs(slack[ess]).max()):.3g} (tolerance {FEASIBILITY_TOL:g})."
        )
    return p


def _maximal_lottery(m: FloatArray) -> MaximalLottery:
    p = _polish_unique(m, _one_optimal(m))
    unique = p is not None
    if p is None:
        p = _max_entropy(m)
    return MaximalLottery(
        probabilities=p,
        support=tuple(int(i) for i in np.flatnonzero(p > LOTTERY_TOL)),
        unique=unique,
    )


def maximal_lottery_batch(
    pairwise: ArrayLike, n_options: ArrayLike | None = None
) -> list[MaximalLottery]:
    """The maximal lottery of each item of a stack of pairwise matrices.

    An item with a Condorcet winner ``c`` has the unique maximal lottery ``delta_c`` (no LP is
    solved); every other item takes one LP (two when the maximal lottery is not unique).

    Parameters
    ----------
    pairwise : (B, n, n) array
        Pairwise matrices ``P`` (Eq. 8).
    n_options : (B,) ints, optional
        Options of each item when the stack is padded; padded options get probability 0.

    Returns
    -------
    list of MaximalLottery
        Probability vectors of length ``n``.

    Raises
    ------
    ParameterError
        The stack is not one of pairwise matrices.
    SolverError
        An LP fails, or the maximum-entropy tie-breaking does not converge.

    Examples
    --------
    >>> cycle = [[0.5, 0.7, 0.4], [0.3, 0.5, 0.6], [0.6, 0.4, 0.5]]
    >>> [(ml.probabilities.round(4).tolist(), ml.unique) for ml in maximal_lottery_batch([cycle])]
    [([0.25, 0.25, 0.5], True)]
    """
    stack, counts = pairwise_stack(pairwise, n_options, owner="maximal_lottery_batch")
    n = stack.shape[1]
    winners = condorcet_winner_batch(stack, counts)
    out = []
    for b in range(stack.shape[0]):
        if winners[b] >= 0:
            p = np.zeros(n)
            p[winners[b]] = 1.0
            out.append(MaximalLottery(probabilities=p, support=(int(winners[b]),), unique=True))
            continue
        k = int(counts[b])
        ml = _maximal_lottery(margins(stack[b, :k, :k]))
        p = np.zeros(n)
        p[:k] = ml.probabilities
        out.append(MaximalLottery(probabilities=p, support=ml.support, unique=ml.unique))
    return out


def maximal_lottery(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> MaximalLottery:
    """The maximal lottery (Fishburn 1984): the optimal mixed strategy of the game ``P - 1/2``.

    ``p`` with ``sum_i p(i) (P[i, j] - 1/2) >= 0`` for every option ``j``: drawn from ``p``, an
    option is preferred to any fixed alternative by at least half the population. Unique for
    generic margins; otherwise the maximum-entropy one (see :mod:`socialpref.targets.lottery`).

    Parameters
    ----------
    pairwise : (n, n) array, Population, or (n_types, n_options) rewards
        The pairwise matrix ``P`` (Eq. 8); or a population, or rewards with ``type_weights``.
    type_weights : (n_types,) array, optional
        Only with rewards.
    model : PreferenceModel or str, optional
        Preference model of Eq. (8) (default Bradley-Terry); only with a population or rewards.

    Returns
    -------
    MaximalLottery

    Examples
    --------
    A Condorcet cycle (three types with cyclic rankings) gives a genuine lottery:

    >>> ml = maximal_lottery([[2, 1, 0], [0, 2, 1], [1, 0, 2]], [0.4, 0.35, 0.25], model="majority")
    >>> ml.probabilities.round(4).tolist(), ml.support, ml.unique
    ([0.5, 0.2, 0.3], (0, 1, 2), True)

    With exact ties the maximal lotteries form a set; the maximum-entropy one is returned:

    >>> ml = maximal_lottery([[0.5, 0.5], [0.5, 0.5]])
    >>> ml.probabilities.tolist(), ml.unique
    ([0.5, 0.5], False)
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="maximal_lottery")
    return maximal_lottery_batch(p[None])[0]


__all__ = [
    "FEASIBILITY_TOL",
    "LOTTERY_TOL",
    "MaximalLottery",
    "maximal_lottery",
    "maximal_lottery_batch",
]
