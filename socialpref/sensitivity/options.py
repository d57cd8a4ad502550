"""Settings of the min-TV programs and their validation: ``eps``, ``delta``, the solver.

Every public function of :mod:`socialpref.sensitivity` checks its settings here, once, before
any work: :func:`check_eps_delta` and :func:`resolve_solver`, or both at once with
:func:`check_options` (which also resolves the preference model). Nothing here solves a
program.

>>> check_options(solver="linprog", eps=1e-5, delta=0.0, n_options=4)
Options(solver=Solver(kind='linprog', backend=None), eps=1e-05, delta=0.0, model=BradleyTerry(temperature=1.0))
>>> check_eps_delta(0.3, 1e-5, n_options=4)
Traceback (most recent call last):
...
socialpref.errors.ParameterError: The 'eps' parameter must satisfy eps * n_options < 1 (every option keeps at least eps). Got eps=0.3 with 4 options instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
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

SolverKind = Literal["exact", "linprog", "cvxpy"]


@dataclass(frozen=True)
class Solver:
    """A resolved ``solver`` argument.

    Attributes
    ----------
    kind : {"exact", "linprog", "cvxpy"}
        ``"exact"``: the closed forms (:mod:`socialpref.sensitivity.exact`,
        :mod:`socialpref.sensitivity.repair`); ``"linprog"``: scipy's HiGHS, one program at a
        time; ``"cvxpy"``: cvxpy with the LP solver ``backend``.
    backend : str or None
        The cvxpy solver name (None unless ``kind == "cvxpy"``).
    """

    kind: SolverKind
    backend: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SOLVERS or (self.kind == "cvxpy") != (self.backend is not None):
            raise ParameterError(
                f"A Solver needs a kind in {SOLVERS} and a backend name exactly when the kind is "
                f"'cvxpy'. Got kind={self.kind!r}, backend={self.backend!r}."
            )


@dataclass(frozen=True)
class Options:
    """Validated settings shared by every program of one call (see :func:`check_options`)."""

    solver: Solver
    eps: float
    delta: float
    model: PreferenceModel


def check_eps_delta(eps: object, delta: object, n_options: int) -> tuple[float, float]:
    """``eps`` and ``delta`` as floats: finite, ``>= 0``, and ``eps * n_options < 1``.

    Raises
    ------
    ParameterError
        Naming the parameter and the value received.
    """
    e = check_scalar(eps, "eps", float, min_val=0.0)
    d = check_scalar(delta, "delta", float, min_val=0.0)
    check_eps_floor(e, n_options, eps)
    return e, d


def check_eps_floor(eps: float, n_options: int, given: object = None) -> None:
    """Raise unless ``eps * n_options < 1`` (``eps`` already checked; ``given``: as passed).

    For a call that checked ``eps`` before it knew the largest number of options.
    """
    if eps * n_options >= 1:
        shown = eps if given is None else given
        raise ParameterError(
            f"The 'eps' parameter must satisfy eps * n_options < 1 (every option keeps at least "
            f"eps). Got eps={shown!r} with {n_options} options instead."
        )


def resolve_solver(solver: object) -> Solver:
    """``"exact" | "linprog" | "cvxpy" | "cvxpy:NAME"`` -> :class:`Solver`.

    cvxpy is imported only here and only for ``"cvxpy..."``, to check that it and the named LP
    solver are installed (without ``NAME``: the first installed of :data:`CVXPY_DEFAULTS`).

    Raises
    ------
    ParameterError
        An unknown solver, cvxpy not installed, or a cvxpy solver that is not installed.
    """
    if not isinstance(solver, str):
        raise ParameterError(
            f"The 'solver' parameter must be one of {SOLVERS}. Got {solver!r} instead."
        )
    kind, _, backend = solver.strip().partition(":")
    kind = kind.lower()
    if kind not in SOLVERS or (backend and kind != "cvxpy"):
        raise ParameterError(
            f"The 'solver' parameter must be one of {SOLVERS} (or 'cvxpy:NAME' for a cvxpy LP "
            f"solver). Got {solver!r} instead."
        )
    if kind == "exact":
        return Solver("exact")
    if kind == "linprog":
        return Solver("linprog")
    try:
        import cvxpy as cp
    except ImportError:
        raise ParameterError(
            f"The 'solver' parameter is {solver!r}, but cvxpy is not installed "
            f"(pip install cvxpy highspy); use solver='exact' or 'linprog'."
        ) from None
    installed = set(cp.installed_solvers())
    if backend:
        name = backend.upper()
        if name not in installed:
            raise ParameterError(
                f"The 'solver' parameter names the cvxpy solver {backend!r}, which is not "
                f"installed. Installed: {sorted(installed)}."
            )
        return Solver("cvxpy", name)
    for name in CVXPY_DEFAULTS:
        if name in installed:
            return Solver("cvxpy", name)
    raise ParameterError(
        f"The 'solver' parameter is {solver!r}, but none of the LP solvers {CVXPY_DEFAULTS} is "
        f"installed for cvxpy (pip install highspy or clarabel). Installed: {sorted(installed)}."
    )


def check_options(
    *,
    solver: object = "exact",
    eps: object = EPS,
    delta: object = DELTA,
    model: PreferenceModel | str | None = None,
    n_options: int = 1,
) -> Options:
    """Validate every setting of a sensitivity call at once, before any work.

    ``n_options`` is the largest number of options the call will see (for ``eps * n < 1``;
    the default 1 checks only that ``eps < 1``).

    Raises
    ------
    ParameterError
        A bad solver, ``eps``, ``delta`` or model, naming the parameter.
    """
    resolved = resolve_solver(solver)
    e, d = check_eps_delta(eps, delta, n_options)
    return Options(solver=resolved, eps=e, delta=d, model=get_model(model))


__all__ = [
    "CVXPY_DEFAULTS",
    "DELTA",
    "EPS",
    "SOLVERS",
    "TV_TIE_TOL",
    "Options",
    "Solver",
    "SolverKind",
    "check_eps_delta",
    "check_eps_floor",
    "check_options",
    "resolve_solver",
]
