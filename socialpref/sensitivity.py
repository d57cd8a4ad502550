"""Sensitivity of NBC to the sampling distribution: the smallest TV change that flips a pair.

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

Solvers (the ``solver`` argument):

``"exact"`` (default)
    The closed form of :func:`socialpref.min_tv_exact._greedy_flip` (a fractional-knapsack
    greedy; proof in its docstring), vectorised over pairs and questions. The repair program
    (several constraints, :func:`sensitivity`) has no closed form here and is solved with
    scipy's HiGHS.
``"linprog"``
    One ``scipy.optimize.linprog(method="highs")`` per program, as the paper does.
``"cvxpy"`` or ``"cvxpy:SOLVER"``
    The program as written, through cvxpy (default LP solver HiGHS, else Clarabel). cvxpy is
    imported only inside the functions that use it, so ``socialpref`` imports without it.

The solvers live in :mod:`socialpref.min_tv_exact` (closed form) and :mod:`socialpref.min_tv_lp`
(linprog, cvxpy and the repair LP); this module holds the results, the validation and the
public functions. Many questions at once (vectorised over questions and pairs):
:mod:`socialpref.sensitivity_sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, BoolArray, FloatArray, IntArray
from socialpref.aggregate import TIE_TOL, average_reward, pairwise_matrix
from socialpref.min_tv_exact import _greedy_flip
from socialpref.min_tv_lp import _lp, _repair
from socialpref.population import as_rewards, as_sampling, as_type_weights
from socialpref.preference import PreferenceModel, get_model

#: Default lower bound on every probability of the flipping distribution (paper: 1e-5).
EPS = 1e-5
#: Default margin by which ``j`` must end above ``i`` (paper: 1e-5).
DELTA = 1e-5
#: Minimal TVs closer than this are ties when choosing a question's pair.
TV_TIE_TOL = 1e-12
#: Accepted values of ``solver`` (``"cvxpy:NAME"`` picks a cvxpy LP solver).
SOLVERS: tuple[str, ...] = ("exact", "linprog", "cvxpy")
#: cvxpy LP solvers tried in this order when ``solver="cvxpy"`` names none.
CVXPY_DEFAULTS: tuple[str, ...] = ("HIGHS", "CLARABEL")


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, eq=False)
class FlipResult:
    """Smallest TV change of the sampling distribution that puts ``j`` above ``i``.

    Attributes
    ----------
    pair : tuple of int
        ``(i, j)``: after the change ``NBC_q(j) >= NBC_q(i) + delta``.
    tv : float or None
        ``TV(q, base)`` of the optimal ``q``; None when no ``q >= eps`` flips the pair.
    distribution : (n_options,) array or None
        An optimal ``q`` (None when infeasible).
    """

    pair: tuple[int, int]
    tv: float | None
    distribution: FloatArray | None

    @property
    def feasible(self) -> bool:
        """Whether some distribution with full support flips the pair."""
        return self.tv is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pair": list(self.pair),
            "tv": self.tv,
            "feasible": self.feasible,
            "distribution": None if self.distribution is None else self.distribution.tolist(),
        }


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """How far the sampling distribution must move before NBC's ranking changes (Section 7.1).

    Attributes
    ----------
    min_tv : float or None
        Smallest TV from ``base`` that swaps some pair ordered strictly by NBC under ``base``;
        None when no pair can be swapped (the question is not "flippable").
    pair : tuple of int or None
        The minimising pair ``(i, j)`` (``NBC_base(i) > NBC_base(j)``; after the change ``j``
        is at least ``delta`` above ``i``). Ties in TV (within ``TV_TIE_TOL``) are broken in
        favour of a pair whose ``i`` is an NBC top choice, then by row-major order of ``(i, j)``.
    distribution : (n_options,) array or None
        The flipping distribution for ``pair``.
    top_flip : bool
        Whether the minimising pair involves the NBC top choice (the authors' definition of
        "the preferred choice changes"). Because of the tie rule above, it does not depend on
        the order of the options.
    top_flippable : bool
        Whether *some* feasible pair involves the NBC top choice, i.e. some distribution with
        full support dethrones the top. ``top_flip`` implies ``top_flippable``.
    top_min_tv : float or None
        Smallest TV that dethrones an NBC top choice (None when impossible).
    repair_tv : float or None
        Smallest TV that makes an average-reward winner (Eq. 9) the NBC winner by at least
        ``delta`` over every other option; 0 when it already is, None when impossible or not
        computed (see ``repair_feasible``).
    repair_feasible : bool or None
        Whether the repair is possible (None when it was not computed).
    n_pairs : int
        Ordered pairs with ``NBC_base(i) > NBC_base(j)`` (by more than ``TIE_TOL``).
    n_feasible : int
        How many of them can be swapped.
    nbc : (n_options,) array
        NBC under ``base``.
    nbc_top, average_top : tuple of int
        Options tied for first by NBC under ``base`` and by average reward.
    """

    min_tv: float | None
    pair: tuple[int, int] | None
    distribution: FloatArray | None
    top_flip: bool
    top_flippable: bool
    top_min_tv: float | None
    repair_tv: float | None
    repair_feasible: bool | None
    n_pairs: int
    n_feasible: int
    nbc: FloatArray
    nbc_top: tuple[int, ...]
    average_top: tuple[int, ...]

    @property
    def flippable(self) -> bool:
        """Whether some pair's NBC order can be swapped (the paper's "NBC ranking changes")."""
        return self.min_tv is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_tv": self.min_tv,
            "pair": None if self.pair is None else list(self.pair),
            "distribution": None if self.distribution is None else self.distribution.tolist(),
            "flippable": self.flippable,
            "top_flip": self.top_flip,
            "top_flippable": self.top_flippable,
            "top_min_tv": self.top_min_tv,
            "repair_tv": self.repair_tv,
            "repair_feasible": self.repair_feasible,
            "n_pairs": self.n_pairs,
            "n_feasible": self.n_feasible,
            "nbc": self.nbc.tolist(),
            "nbc_top": list(self.nbc_top),
            "average_top": list(self.average_top),
        }


# --------------------------------------------------------------------------------------------
# validation


def _check_eps_delta(eps: float, delta: float, n_options: int) -> tuple[float, float]:
    try:
        e, d = float(eps), float(delta)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'eps' and 'delta' parameters must be numbers. Got eps={eps!r}, delta={delta!r}."
        ) from None
    if not np.isfinite(e) or e < 0:
        raise ValueError(f"The 'eps' parameter must be a finite number >= 0. Got {eps!r} instead.")
    if e * n_options >= 1:
        raise ValueError(
            f"The 'eps' parameter must satisfy eps * n_options < 1 (every option keeps at least "
            f"eps). Got eps={eps!r} with {n_options} options instead."
        )
    if not np.isfinite(d) or d < 0:
        raise ValueError(
            f"The 'delta' parameter must be a finite number >= 0. Got {delta!r} instead."
        )
    return e, d


def _resolve_solver(solver: str) -> tuple[str, str | None]:
    """``"exact" | "linprog" | "cvxpy[:NAME]"`` -> (kind, cvxpy solver name or None)."""
    if not isinstance(solver, str):
        raise ValueError(
            f"The 'solver' parameter must be one of {SOLVERS}. Got {solver!r} instead."
        )
    kind, _, backend = solver.strip().partition(":")
    kind = kind.lower()
    if kind not in SOLVERS or (backend and kind != "cvxpy"):
        raise ValueError(
            f"The 'solver' parameter must be one of {SOLVERS} (or 'cvxpy:NAME' for a cvxpy LP "
            f"solver). Got {solver!r} instead."
        )
    if kind != "cvxpy":
        return kind, None
    try:
        import cvxpy as cp
    except ImportError:
        raise ValueError(
            f"The 'solver' parameter is {solver!r}, but cvxpy is not installed "
            f"(pip install cvxpy highspy), use solver='exact' or 'linprog'."
        ) from None
    installed = set(cp.installed_solvers())
    if backend:
        name = backend.upper()
        if name not in installed:
            raise ValueError(
                f"The 'solver' parameter names the cvxpy solver {backend!r}, which is not "
                f"installed. Installed: {sorted(installed)}."
            )
        return kind, name
    for name in CVXPY_DEFAULTS:
        if name in installed:
            return kind, name
    raise ValueError(
        f"The 'solver' parameter is {solver!r}, but none of the LP solvers {CVXPY_DEFAULTS} is "
        f"installed for cvxpy (pip install highspy or clarabel). Installed: {sorted(installed)}."
    )


def _check_index(value: Any, name: str, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"The '{name}' parameter must be an option index. Got {value!r} instead.")
    if not 0 <= int(value) < n:
        raise ValueError(f"The '{name}' parameter must be in [0, {n}). Got {value!r} instead.")
    return int(value)


# --------------------------------------------------------------------------------------------
# public API: one pair, one question


def _prepare(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    base: ArrayLike | None,
    eps: float,
    delta: float,
    model: PreferenceModel | str | None,
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, FloatArray]:
    r = as_rewards(rewards)
    w = as_type_weights(type_weights, r.shape[0])
    b = as_sampling(base, r.shape[1], "base")
    e, d = _check_eps_delta(eps, delta, r.shape[1])
    return r, w, b, e, d, pairwise_matrix(r, w, get_model(model))


def min_tv_flip(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    i: int,
    j: int,
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
    rewards : (n_types, n_options) array
    type_weights : (n_types,) array
    i, j : int
        Distinct option indices.
    base : (n_options,) array or None
        Base sampling distribution ``D0``; None is uniform.
    eps, delta : float
        Support floor (``eps * n_options < 1``) and flip margin.
    solver : {"exact", "linprog", "cvxpy", "cvxpy:NAME"}
        See the module docstring.
    model : PreferenceModel, str or None
        Preference model (default Bradley-Terry).

    Returns
    -------
    FlipResult
        ``.tv`` is None when the pair cannot be flipped.

    Raises
    ------
    ValueError
        Bad arrays, indices, ``eps``/``delta``, a ``base`` that is not a distribution, an unknown
        or uninstalled solver.
    RuntimeError
        An LP solver ended with a status other than optimal or infeasible.

    Examples
    --------
    >>> rewards, weights = [[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4]
    >>> res = min_tv_flip(rewards, weights, 2, 1)
    >>> round(res.tv, 4), res.distribution.round(4).tolist()
    (0.0635, [0.1865, 0.25, 0.25, 0.3135])
    >>> min_tv_flip(rewards, weights, 2, 0).feasible
    False
    """
    kind, backend = _resolve_solver(solver)
    r, _, b, e, d, p = _prepare(rewards, type_weights, base, eps, delta, model)
    n = r.shape[1]
    i, j = _check_index(i, "i", n), _check_index(j, "j", n)
    if i == j:
        raise ValueError(f"The 'j' parameter must differ from 'i'. Got i = j = {i}.")
    c = p[i] - p[j]
    if kind == "exact":
        tv, q = _greedy_flip(c, b, np.ones(n, dtype=bool), e, d, want_q=True)
        assert q is not None
        if not np.isfinite(tv):
            return FlipResult(pair=(i, j), tv=None, distribution=None)
        return FlipResult(pair=(i, j), tv=float(tv), distribution=q)
    value, q_lp = _lp(kind, backend, c[None, :], b, e, d)
    return FlipResult(pair=(i, j), tv=value, distribution=q_lp)


def _select(tv: FloatArray, top: BoolArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Pick each question's pair: the smallest TV, ties to a top ``i``, then row-major order.

    ``tv`` is ``(Q, n, n)`` with ``inf`` for infeasible and non-pairs, ``top`` is ``(Q, n)``.
    Returns the flat pair index ``(Q,)``, the minimum ``(Q,)`` and the top minimum ``(Q,)``.
    """
    q_count, n, _ = tv.shape
    flat = tv.reshape(q_count, n * n)
    best = flat.min(axis=1)
    top_i = np.broadcast_to(top[:, :, None], tv.shape).reshape(q_count, n * n)
    cand = np.isfinite(flat) & (flat <= best[:, None] + TV_TIE_TOL)
    priority = cand.astype(np.int64) * (1 + top_i.astype(np.int64))
    pick = priority.argmax(axis=1)
    top_best = np.where(top_i, flat, np.inf).min(axis=1)
    return pick.astype(np.int64), best, top_best


def _question_result(
    p: FloatArray,
    w: FloatArray,
    r: FloatArray,
    b: FloatArray,
    tv: FloatArray,
    pairs: BoolArray,
    pick: int,
    best: float,
    top_best: float,
    q: FloatArray | None,
    top: BoolArray,
    nbc_b: FloatArray,
    repair: bool,
    eps: float,
    delta: float,
    kind: str,
    backend: str | None,
) -> SensitivityResult:
    n = p.shape[0]
    feasible = bool(np.isfinite(best))
    i, j = divmod(int(pick), n)
    avg = average_reward(r, w)
    avg_top = tuple(int(k) for k in np.flatnonzero(avg >= avg.max() - TIE_TOL))
    repair_tv = _repair(p, b, avg_top, eps, delta, kind, backend) if repair else None
    return SensitivityResult(
        min_tv=float(best) if feasible else None,
        pair=(i, j) if feasible else None,
        distribution=q if feasible else None,
        top_flip=bool(feasible and top[i]),
        top_flippable=bool(np.isfinite(top_best)),
        top_min_tv=float(top_best) if np.isfinite(top_best) else None,
        repair_tv=repair_tv,
        repair_feasible=(repair_tv is not None) if repair else None,
        n_pairs=int(pairs.sum()),
        n_feasible=int(np.isfinite(tv[pairs]).sum()),
        nbc=nbc_b,
        nbc_top=tuple(int(k) for k in np.flatnonzero(top)),
        average_top=avg_top,
    )


def sensitivity(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    base: ArrayLike | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    solver: str = "exact",
    model: PreferenceModel | str | None = None,
    repair: bool = True,
) -> SensitivityResult:
    """Minimal TV from ``base`` that changes NBC's ranking of one question (Section 7.1, App. D).

    Solves the min-TV program (see :func:`min_tv_flip`) for every ordered pair with
    ``NBC_base(i) > NBC_base(j)`` (by more than ``TIE_TOL``) and keeps the smallest; then the
    repair program: the smallest TV after which an average-reward winner leads NBC by at least
    ``delta`` over every other option (several constraints: an LP, solved with HiGHS for
    ``solver="exact"`` and ``"linprog"``, with cvxpy for ``"cvxpy"``).

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
    ValueError, RuntimeError
        As in :func:`min_tv_flip`.

    Examples
    --------
    >>> res = sensitivity([[1.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 4.0]], [0.6, 0.4])
    >>> round(res.min_tv, 4), res.pair, res.top_flip, res.nbc_top, res.average_top
    (0.0635, (2, 1), True, (2,), (3,))
    >>> round(res.repair_tv, 4)
    0.2838
    """
    kind, backend = _resolve_solver(solver)
    r, w, b, e, d, p = _prepare(rewards, type_weights, base, eps, delta, model)
    n = r.shape[1]
    nbc_b = p @ b
    top = nbc_b >= nbc_b.max() - TIE_TOL
    pairs = (nbc_b[:, None] - nbc_b[None, :]) > TIE_TOL
    c = p[:, None, :] - p[None, :, :]  # (i, j, options)
    tv = np.full((n, n), np.inf)
    dists: dict[tuple[int, int], FloatArray | None] = {}
    if kind == "exact":
        tv[pairs], _ = _greedy_flip(c[pairs], b, np.ones(n, dtype=bool), e, d)
    else:
        for i, j in zip(*np.nonzero(pairs), strict=True):
            value, q_lp = _lp(kind, backend, c[i, j][None, :], b, e, d)
            tv[i, j] = np.inf if value is None else value
            dists[(int(i), int(j))] = q_lp
    pick, best, top_best = _select(tv[None], top[None])
    q: FloatArray | None = None
    if np.isfinite(best[0]):
        i, j = divmod(int(pick[0]), n)
        if kind == "exact":
            _, q = _greedy_flip(c[i, j], b, np.ones(n, dtype=bool), e, d, want_q=True)
        else:
            q = dists[(i, j)]
    return _question_result(
        p,
        w,
        r,
        b,
        tv,
        pairs,
        int(pick[0]),
        float(best[0]),
        float(top_best[0]),
        q,
        top,
        nbc_b,
        repair,
        e,
        d,
        kind,
        backend,
    )
