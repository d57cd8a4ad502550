"""Search for new counterexamples of a requested kind.

A seeded random search over populations (rewards in ``[-max_reward, max_reward]``, type weights
from a softmax), then local optimisation of a *margin* with scipy's bounded Nelder-Mead, then a
shrink toward small, round instances (per-type shifts to a minimum of 0, rewards rounded to
integers or halves of a small maximum, equal or round type weights) while the property holds.

Kinds (NBC under uniform ``D`` unless stated, Eq. 13; average reward Eq. 9):

``top-disagreement``
    NBC's top option differs from the average reward's top option.
``rank-reversal``
    Some pair is ordered one way by the average reward and the other way by NBC.
``sampling-flip``
    A sampling distribution within total variation ``tv`` of uniform flips some pair of NBC
    (:func:`socialpref.sensitivity.min_tv_flip`, Appendix D).
``temperature-flip``
    Some pair of NBC is ordered differently under BT temperatures ``temperatures[0]`` and
    ``temperatures[1]`` (Section 4.3).
``iia``
    Adding the last option, which is no type's favourite, flips NBC's order of two of the
    others (Appendix A).

Each margin is positive exactly when the property holds strictly; NBC differences are multiplied
by :data:`NBC_SCALE` so that they weigh like reward differences in the optimisation. A result
counts as found when its margin exceeds :data:`MARGIN_TOL`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax

from socialpref._typing import FloatArray, RngLike
from socialpref.aggregate import average_reward, nbc
from socialpref.counterexamples.base import _jsonable
from socialpref.population import Population
from socialpref.preference import BradleyTerry, PreferenceModel, get_model

#: The kinds :func:`search` accepts.
SEARCH_KINDS: tuple[str, ...] = (
    "top-disagreement",
    "rank-reversal",
    "sampling-flip",
    "temperature-flip",
    "iia",
)
#: A property holds when its margin is above this (guards against floating-point ties).
MARGIN_TOL = 1e-9
#: NBC differences are multiplied by this in the margins.
NBC_SCALE = 10.0
#: Bound on the type-weight logits in the optimisation.
LOGIT_BOUND = 3.0

CLAIMS: Mapping[str, str] = {
    "top-disagreement": "NBC's top option (uniform D) differs from the average reward's top option.",
    "rank-reversal": "The average reward and NBC (uniform D) order some pair of options oppositely.",
    "sampling-flip": "A sampling distribution D within TV {tv:g} of uniform flips NBC's order of a pair.",
    "temperature-flip": "BT temperatures {t0:g} and {t1:g} order some pair of options differently under NBC.",
    "iia": "Adding the last option (no type's favourite) flips NBC's order of two other options.",
}


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
                "certificate": _jsonable(dict(self.certificate)),
                "seed": self.seed,
                "budget": self.budget,
                "evaluations": self.evaluations,
                "parameters": _jsonable(dict(self.parameters)),
            }
        )
        return out


# ------------------------------------------------------------------------------ margins

Margin = Callable[[FloatArray, FloatArray], float]
Certify = Callable[[FloatArray, FloatArray], dict[str, Any]]


def _lead(values: FloatArray) -> FloatArray:
    """``values[a] - max_{k != a} values[k]`` for every ``a``."""
    n = values.shape[0]
    out = np.empty(n)
    for a in range(n):
        out[a] = values[a] - np.max(np.delete(values, a))
    return out


def _best_pair(m: FloatArray) -> tuple[int, int, float]:
    """Argmax of a square matrix off its diagonal."""
    m = m.copy()
    np.fill_diagonal(m, -np.inf)
    i, j = np.unravel_index(int(np.argmax(m)), m.shape)
    return int(i), int(j), float(m[i, j])


def _reversal_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """``M[i, j] = min(a[i] - a[j], b[j] - b[i])``: positive when ``a`` puts ``i`` above ``j``
    and ``b`` puts ``j`` above ``i``."""
    return np.minimum(a[:, None] - a[None, :], b[None, :] - b[:, None])


def _kind_functions(
    kind: str, model: PreferenceModel, tv: float, temperatures: tuple[float, float]
) -> tuple[Margin, Certify]:
    if kind == "top-disagreement":

        def margin(r: FloatArray, w: FloatArray) -> float:
            avg, nb = average_reward(r, w), nbc(r, w, None, model)
            m = np.minimum(_lead(avg)[:, None], NBC_SCALE * _lead(nb)[None, :])
            return _best_pair(m)[2]

        def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
            avg, nb = average_reward(r, w), nbc(r, w, None, model)
            a, b, m = _best_pair(np.minimum(_lead(avg)[:, None], NBC_SCALE * _lead(nb)[None, :]))
            return {
                "average_top": a,
                "nbc_top": b,
                "average_lead": float(_lead(avg)[a]),
                "nbc_lead": float(_lead(nb)[b]),
                "nbc": nb,
                "average_reward": avg,
                "margin": m,
            }

        return margin, certify

    if kind == "rank-reversal":

        def margin(r: FloatArray, w: FloatArray) -> float:
            avg, nb = average_reward(r, w), nbc(r, w, None, model)
            return _best_pair(_reversal_matrix(avg, NBC_SCALE * nb))[2]

        def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
            avg, nb = average_reward(r, w), nbc(r, w, None, model)
            i, j, m = _best_pair(_reversal_matrix(avg, NBC_SCALE * nb))
            return {
                "average_prefers": i,
                "nbc_prefers": j,
                "nbc": nb,
                "average_reward": avg,
                "margin": m,
            }

        return margin, certify

    if kind == "temperature-flip":
        m0, m1 = BradleyTerry(temperatures[0]), BradleyTerry(temperatures[1])

        def margin(r: FloatArray, w: FloatArray) -> float:
            n0, n1 = nbc(r, w, None, m0), nbc(r, w, None, m1)
            return _best_pair(_reversal_matrix(NBC_SCALE * n0, NBC_SCALE * n1))[2]

        def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
            n0, n1 = nbc(r, w, None, m0), nbc(r, w, None, m1)
            i, j, m = _best_pair(_reversal_matrix(NBC_SCALE * n0, NBC_SCALE * n1))
            return {
                "temperatures": list(temperatures),
                "prefers_at_first": i,
                "prefers_at_second": j,
                "nbc_first": n0,
                "nbc_second": n1,
                "average_reward": average_reward(r, w),
                "margin": m,
            }

        return margin, certify

    if kind == "iia":

        def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, float]:
            sub, full = nbc(r[:, :-1], w, None, model), nbc(r, w, None, model)[:-1]
            irrelevant = float(np.min(r[:, :-1].max(axis=1) - r[:, -1]))
            return sub, full, irrelevant

        def margin(r: FloatArray, w: FloatArray) -> float:
            sub, full, irrelevant = parts(r, w)
            return min(
                _best_pair(_reversal_matrix(NBC_SCALE * sub, NBC_SCALE * full))[2], irrelevant
            )

        def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
            sub, full, irrelevant = parts(r, w)
            i, j, m = _best_pair(_reversal_matrix(NBC_SCALE * sub, NBC_SCALE * full))
            return {
                "added_option": r.shape[1] - 1,
                "prefers_without": i,
                "prefers_with": j,
                "nbc_without": sub,
                "nbc_with": nbc(r, w, None, model),
                "irrelevance_margin": irrelevant,
                "average_reward": average_reward(r, w),
                "margin": min(m, irrelevant),
            }

        return margin, certify

    if kind == "sampling-flip":
        from socialpref.sensitivity import min_tv_flip

        def flips(r: FloatArray, w: FloatArray) -> tuple[float, Any]:
            nb = nbc(r, w, None, model)
            best: tuple[float, Any] = (np.inf, None)
            n = r.shape[1]
            for i in range(n):
                for j in range(n):
                    if i != j and nb[i] > nb[j]:
                        res = min_tv_flip(r, w, i, j, model=model)
                        if res.tv is not None and res.tv < best[0]:
                            best = (float(res.tv), res)
            return best

        def margin(r: FloatArray, w: FloatArray) -> float:
            t, _ = flips(r, w)
            return tv - t if np.isfinite(t) else -1.0

        def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
            t, res = flips(r, w)
            out: dict[str, Any] = {
                "tv_bound": tv,
                "nbc": nbc(r, w, None, model),
                "average_reward": average_reward(r, w),
            }
            if res is None:
                return {**out, "tv": None, "margin": -1.0}
            q = res.distribution
            return {
                **out,
                "pair": list(res.pair),
                "tv": t,
                "distribution": q,
                "nbc_flipped": nbc(r, w, q, model),
                "margin": tv - t,
            }

        return margin, certify

    raise ValueError(
        f"The 'kind' parameter must be one of {', '.join(SEARCH_KINDS)}. Got {kind!r} instead."
    )


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


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"The '{name}' parameter of search must be an integer >= {low}. Got {value!r} instead."
        )
    return int(value)


def search(
    kind: str,
    n_types: int = 2,
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
    kind : {"top-disagreement", "rank-reversal", "sampling-flip", "temperature-flip", "iia"}
    n_types, n_options : int
        Size of the population (``iia`` needs ``n_options >= 3``; the last option is the
        added one).
    seed : int, Generator or None
        Randomness of the search; the same integer seed gives the same instance.
    budget : int
        Maximum margin evaluations: half for random draws, the rest for Nelder-Mead.
    model : PreferenceModel, str or None
        Preference model of NBC (default BT). Not allowed for ``temperature-flip``, which
        compares ``BradleyTerry(t)`` for ``t`` in ``temperatures``.
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

    >>> res = search("top-disagreement", 2, 3, seed=0, budget=300)
    >>> res.found
    True
    """
    if kind not in SEARCH_KINDS:
        raise ValueError(
            f"The 'kind' parameter must be one of {', '.join(SEARCH_KINDS)}. Got {kind!r} instead."
        )
    n_types = _check_int(n_types, "n_types", 1)
    n_options = _check_int(n_options, "n_options", 3 if kind == "iia" else 2)
    budget = _check_int(budget, "budget", 1)
    if not (np.isfinite(tv) and 0 < tv < 1):
        raise ValueError(f"The 'tv' parameter of search must be in (0, 1). Got {tv!r} instead.")
    temps = tuple(float(t) for t in temperatures)
    if len(temps) != 2 or not all(np.isfinite(t) and t > 0 for t in temps) or temps[0] == temps[1]:
        raise ValueError(
            f"The 'temperatures' parameter of search must be two distinct numbers > 0. Got {temperatures!r} instead."
        )
    if not (np.isfinite(max_reward) and max_reward >= 1):
        raise ValueError(
            f"The 'max_reward' parameter of search must be a number >= 1. Got {max_reward!r} instead."
        )
    if kind == "temperature-flip" and model is not None:
        raise ValueError(
            "The 'model' parameter of search must be None for kind 'temperature-flip' "
            f"(it compares BT temperatures {temps}). Got {model!r} instead."
        )
    sigma = BradleyTerry(temps[0]) if kind == "temperature-flip" else get_model(model)
    margin_fn, certify = _kind_functions(kind, sigma, tv, (temps[0], temps[1]))
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
