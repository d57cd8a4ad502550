"""Search for new counterexamples of a requested kind.

A seeded random search over populations (rewards in ``[-max_reward, max_reward]``, type weights
from a softmax), then local optimisation of a *margin* with scipy's bounded Nelder-Mead, then a
shrink toward small, round instances (per-type shifts to a minimum of 0, rewards rounded to
integers or halves of a small maximum, equal or round type weights) while the property holds.

The kinds are registered in :mod:`socialpref.counterexamples.kinds`, one function each
(:data:`~socialpref.counterexamples.kinds.KINDS`); :data:`SEARCH_KINDS` lists their names.

Each margin is positive exactly when the property holds strictly. A result counts as found when
its margin exceeds :data:`MARGIN_TOL`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax

from socialpref._typing import FloatArray, RngLike
from socialpref._validation import check_scalar
from socialpref.aggregate import average_reward, nbc
from socialpref.counterexamples.kinds import KINDS, KindSettings, Margin
from socialpref.errors import ParameterError
from socialpref.population import Population
from socialpref.preference import PreferenceModel, get_model
from socialpref.serialize import to_jsonable

#: The kinds :func:`search` accepts, in the order of registration.
SEARCH_KINDS: tuple[str, ...] = tuple(KINDS)
#: A property holds when its margin is above this (guards against floating-point ties).
MARGIN_TOL = 1e-9
#: Bound on the type-weight logits in the optimisation.
LOGIT_BOUND = 3.0

#: The claim of each kind (format fields ``tv``, ``t0``, ``t1``).
CLAIMS: Mapping[str, str] = {name: kind.claim for name, kind in KINDS.items()}


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Outcome of :func:`search`.

    Attributes
    ----------
    kind : str
    found : bool
        Whether an instance with the property was found within the budget.
    population : Population or None
        The (shrunk) instance; None when nothing was found.
    certificate : mapping
        The numbers that show the property (NBC values, average rewards, the pair, the
        flipping distribution...), and ``margin``; when nothing was found, the best margin.
    message : str
        One sentence for humans, saying clearly whether anything was found.
    model : PreferenceModel
        The preference model of NBC (for ``temperature-flip``: BT at the first temperature).
    seed : int or None
    budget : int
        Maximum number of margin evaluations of the random search and local optimisation.
    evaluations : int
        Margin evaluations used (shrinking excluded).
    parameters : mapping
        The search's settings (n_types, n_options, tv, temperatures, max_reward).
    """

    kind: str
    found: bool
    population: Population | None
    certificate: Mapping[str, Any]
    message: str
    model: PreferenceModel
    seed: int | None
    budget: int
    evaluations: int
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def claim(self) -> str:
        return CLAIMS[self.kind].format(
            tv=self.parameters.get("tv", 0.0),
            t0=self.parameters.get("temperatures", (1.0, 2.0))[0],
            t1=self.parameters.get("temperatures", (1.0, 2.0))[1],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON keys of the catalogue (``name, claim, rewards, ..., holds``) plus the search's."""
        pop = self.population
        out: dict[str, Any] = {"name": f"search:{self.kind}", "claim": self.claim}
        if pop is None:
            out.update(
                {
                    "rewards": None,
                    "type_weights": None,
                    "options": None,
                    "types": None,
                    "sampling": None,
                    "nbc": None,
                    "average_reward": None,
                }
            )
        else:
            out.update(pop.to_dict())
            out["sampling"] = np.full(pop.n_options, 1.0 / pop.n_options).tolist()
            out["nbc"] = nbc(pop.rewards, pop.type_weights, None, self.model).tolist()
            out["average_reward"] = average_reward(pop.rewards, pop.type_weights).tolist()
        out.update(
            {
                "model": self.model.name,
                "holds": self.found,
                "kind": self.kind,
                "found": self.found,
                "message": self.message,
                "certificate": to_jsonable(dict(self.certificate)),
                "seed": self.seed,
                "budget": self.budget,
                "evaluations": self.evaluations,
                "parameters": to_jsonable(dict(self.parameters)),
            }
        )
        return out


# ------------------------------------------------------------------------------ search


def _round_weights(w: FloatArray, grid: float) -> FloatArray | None:
    units = np.maximum(np.round(w / grid), 1.0)
    total = round(1.0 / grid)
    units[int(np.argmax(units))] += total - units.sum()
    if np.any(units < 1):
        return None
    return np.asarray(units / total, dtype=np.float64)


def _shrink(
    r: FloatArray, w: FloatArray, margin: Margin, max_reward: float
) -> tuple[FloatArray, FloatArray]:
    """Smallest round instance near ``(r, w)`` that keeps ``margin > MARGIN_TOL``.

    Every kind is invariant under per-type shifts of the rewards, so rows are first shifted to
    a minimum of 0. Tried in order: weights equal, rounded to tenths, to twentieths, as found;
    for each, rewards rescaled to a maximum ``M = 1, 2, ...`` and rounded to integers, then to
    halves. Falls back to two decimals, then to the instance as found.
    """
    n = w.shape[0]
    r0 = r - r.min(axis=1, keepdims=True)
    top = float(r0.max()) or 1.0
    weight_options: list[FloatArray] = [np.full(n, 1.0 / n)]
    for grid in (0.1, 0.05):
        if n * grid <= 1.0:
            rw = _round_weights(w, grid)
            if rw is not None:
                weight_options.append(rw)
    weight_options.append(w)
    for wc in weight_options:
        for m_max in range(1, int(max_reward) + 1):
            for step in (1.0, 0.5):
                cand = np.round(r0 / top * m_max / step) * step
                if margin(cand, wc) > MARGIN_TOL:
                    return cand, wc
    for wc in weight_options[1:]:
        cand = np.round(r0, 2)
        if margin(cand, wc) > MARGIN_TOL:
            return cand, wc
    return r0, w


def search(
    kind: str,
    n_types: int | None = None,
    n_options: int = 3,
    seed: RngLike = 0,
    budget: int = 2000,
    *,
    model: PreferenceModel | str | None = None,
    tv: float = 0.1,
    temperatures: Sequence[float] = (1.0, 2.0),
    max_reward: float = 10.0,
) -> SearchResult:
    """Find a population of the requested kind (see the module docstring).

    Parameters
    ----------
    kind : str
        One of :data:`SEARCH_KINDS` (see :mod:`socialpref.counterexamples.kinds`).
    n_types : int, optional
        Number of user types (default: the kind's ``default_types``, 2 for every kind but
        ``lottery-mixes``, which uses 3).
    n_options : int
        Number of options (``iia``, ``condorcet-rejected`` and ``lottery-mixes`` need
        ``n_options >= 3``; for ``iia`` the last option is the added one).
    seed : int, Generator or None
        Randomness of the search; the same integer seed gives the same instance.
    budget : int
        Maximum margin evaluations: half for random draws, the rest for Nelder-Mead.
    model : PreferenceModel, str or None
        Preference model of NBC and the pairwise matrix (default BT). Not allowed for
        ``temperature-flip``, which compares ``BradleyTerry(t)`` for ``t`` in ``temperatures``.
    tv : float
        For ``sampling-flip``: the largest total variation from uniform allowed.
    temperatures : pair of float
        For ``temperature-flip``.
    max_reward : float
        Bound on |reward| during the search, and on the shrunk rewards.

    Returns
    -------
    SearchResult
        ``found`` is False (with a message saying so) when nothing was found in the budget.

    Raises
    ------
    ParameterError
        An unknown kind or an argument out of range (the message names it).

    >>> res = search("top-disagreement", 2, 3, seed=0, budget=300)
    >>> res.found
    True
    """
    if kind not in KINDS:
        raise ParameterError(
            f"The 'kind' parameter must be one of {', '.join(SEARCH_KINDS)}. Got {kind!r} instead."
        )
    spec = KINDS[kind]
    n_types = spec.default_types if n_types is None else n_types
    n_types = check_scalar(n_types, "n_types", int, min_val=1, owner="search")
    n_options = check_scalar(n_options, "n_options", int, min_val=spec.min_options, owner="search")
    budget = check_scalar(budget, "budget", int, min_val=1, owner="search")
    tv = check_scalar(tv, "tv", float, 0.0, 1.0, include_boundaries="neither", owner="search")
    max_reward = check_scalar(max_reward, "max_reward", float, min_val=1.0, owner="search")
    try:
        temps = tuple(float(t) for t in temperatures)
    except (TypeError, ValueError):
        temps = ()
    if len(temps) != 2 or not all(np.isfinite(t) and t > 0 for t in temps) or temps[0] == temps[1]:
        raise ParameterError(
            "The 'temperatures' parameter of search must be two distinct numbers > 0. "
            f"Got {temperatures!r} instead."
        )
    if spec.fixed_model is not None and model is not None:
        raise ParameterError(
            f"The 'model' parameter of search must be None for kind {kind!r} "
            f"(it sets its own preference model). Got {model!r} instead."
        )
    pair = (temps[0], temps[1])
    sigma = get_model(model) if spec.fixed_model is None else spec.fixed_model(pair)
    margin_fn, certify = spec.build(KindSettings(model=sigma, tv=tv, temperatures=pair))
    seed_value = int(seed) if isinstance(seed, (int, np.integer)) else None
    rng = np.random.default_rng(seed)
    n_r = n_types * n_options
    evaluations = 0

    def unpack(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        r = x[:n_r].reshape(n_types, n_options)
        w = np.asarray(softmax(x[n_r:]), dtype=np.float64) if n_types > 1 else np.ones(1)
        return r, w

    def objective(x: FloatArray) -> float:
        nonlocal evaluations
        evaluations += 1
        return margin_fn(*unpack(x))

    n_random = max(1, budget // 2)
    draws = np.concatenate(
        [
            np.clip(rng.normal(0.0, max_reward / 3.0, (n_random, n_r)), -max_reward, max_reward),
            np.clip(rng.normal(0.0, 1.0, (n_random, n_types)), -LOGIT_BOUND, LOGIT_BOUND),
        ],
        axis=1,
    )
    scores = np.array([objective(x) for x in draws])
    order = np.argsort(-scores, kind="stable")
    best_x, best = draws[order[0]], float(scores[order[0]])
    remaining = budget - evaluations
    if remaining > 0:
        bounds = [(-max_reward, max_reward)] * n_r + [(-LOGIT_BOUND, LOGIT_BOUND)] * n_types
        starts = order[:1] if best > MARGIN_TOL else order[: min(3, len(order))]
        per_start = max(1, remaining // len(starts))
        for k in starts:
            if evaluations >= budget:
                break
            sol = minimize(
                lambda x: -objective(x),
                draws[k],
                method="Nelder-Mead",
                bounds=bounds,
                options={
                    "maxfev": min(per_start, budget - evaluations),
                    "xatol": 1e-10,
                    "fatol": 1e-12,
                },
            )
            if -float(sol.fun) > best:
                best_x, best = np.asarray(sol.x, dtype=np.float64), -float(sol.fun)
    params = {
        "n_types": n_types,
        "n_options": n_options,
        "tv": tv,
        "temperatures": list(temps),
        "max_reward": max_reward,
    }
    common: dict[str, Any] = {
        "model": sigma,
        "seed": seed_value,
        "budget": budget,
        "evaluations": evaluations,
        "parameters": params,
    }
    if best <= MARGIN_TOL:
        return SearchResult(
            kind=kind,
            found=False,
            population=None,
            certificate={"best_margin": best},
            message=(
                f"Nothing found: no {kind} instance with {n_types} types and {n_options} options "
                f"within a budget of {budget} evaluations (best margin {best:.3g} <= {MARGIN_TOL:g})."
            ),
            **common,
        )
    r, w = _shrink(*unpack(best_x), margin_fn, max_reward)
    pop = Population(r, w)
    cert = certify(pop.rewards, pop.type_weights)
    return SearchResult(
        kind=kind,
        found=True,
        population=pop,
        certificate=cert,
        message=(
            f"Found an instance of {kind!r} with {n_types} types and {n_options} options after "
            f"{evaluations} evaluations (margin {cert['margin']:.3g})."
        ),
        **common,
    )


__all__ = ["CLAIMS", "MARGIN_TOL", "SEARCH_KINDS", "SearchResult", "search"]
