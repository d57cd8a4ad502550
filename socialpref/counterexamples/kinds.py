"""The kinds of counterexample :func:`~socialpref.counterexamples.search` looks for, by name.

Each kind is one function registered with :func:`search_kind` (in the style of pref_voting's
``@vm`` decorator): given the search's :class:`KindSettings` it returns a *margin*, positive
exactly when a population ``(rewards, type_weights)`` has the property (strictly), and a
*certificate*, the numbers that show it. NBC is under a uniform ``D`` (Eq. 13) unless stated;
its differences, and those of pairwise probabilities, are multiplied by :data:`NBC_SCALE` so that
they weigh like reward differences in the optimisation.

Kinds:

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
``condorcet-rejected``
    A Condorcet winner exists and NBC's (single) top is another option, which a majority
    rejects against it.
``average-condorcet-loser``
    The average reward's (single) top is the Condorcet loser. (NBC's never is: see
    :mod:`socialpref.counterexamples.condorcet`.)
``lottery-mixes``
    No option is even a weak Condorcet winner and the maximal lottery is unique (so it mixes at
    least three options), while NBC and the average reward each have a single top. Searched
    with three types by default: mixtures of two Bradley-Terry types can cycle, but rarely and
    narrowly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.aggregate import average_reward, nbc, pairwise_matrix
from socialpref.preference import BradleyTerry, PreferenceModel

#: NBC and pairwise-probability differences are multiplied by this in the margins.
NBC_SCALE = 10.0

Margin = Callable[[FloatArray, FloatArray], float]
Certify = Callable[[FloatArray, FloatArray], dict[str, Any]]


@dataclass(frozen=True)
class KindSettings:
    """The search's settings that a kind may use.

    Attributes
    ----------
    model : PreferenceModel
        Preference model of NBC and of the pairwise matrix.
    tv : float
        ``sampling-flip``: the largest total variation from uniform.
    temperatures : pair of float
        ``temperature-flip``: the two BT temperatures.
    """

    model: PreferenceModel
    tv: float
    temperatures: tuple[float, float]


@dataclass(frozen=True)
class SearchKind:
    """A registered kind of counterexample.

    Attributes
    ----------
    name : str
    claim : str
        The property in one sentence; may use ``{tv}``, ``{t0}``, ``{t1}``.
    build : callable
        ``build(settings) -> (margin, certify)``.
    min_options : int
        The fewest options the property needs.
    fixed_model : callable or None
        When set, the kind fixes the preference model itself (``fixed_model(temperatures)``)
        and the search refuses a ``model`` argument.
    default_types : int
        The number of user types the search uses when none is given.
    """

    name: str
    claim: str
    build: Callable[[KindSettings], tuple[Margin, Certify]]
    min_options: int = 2
    fixed_model: Callable[[tuple[float, float]], PreferenceModel] | None = None
    default_types: int = 2


#: Every kind, by name, in the order of registration.
KINDS: dict[str, SearchKind] = {}


def search_kind(
    name: str,
    claim: str,
    *,
    min_options: int = 2,
    fixed_model: Callable[[tuple[float, float]], PreferenceModel] | None = None,
    default_types: int = 2,
) -> Callable[
    [Callable[[KindSettings], tuple[Margin, Certify]]],
    Callable[[KindSettings], tuple[Margin, Certify]],
]:
    """Register ``build(settings) -> (margin, certify)`` as the search kind ``name``."""

    def register(
        build: Callable[[KindSettings], tuple[Margin, Certify]],
    ) -> Callable[[KindSettings], tuple[Margin, Certify]]:
        if name in KINDS:
            raise ValueError(f"The search kind {name!r} is registered twice.")
        KINDS[name] = SearchKind(name, claim, build, min_options, fixed_model, default_types)
        return build

    return register


# ------------------------------------------------------------------------------ helpers


def lead(values: FloatArray) -> FloatArray:
    """``values[a] - max_{k != a} values[k]`` for every ``a``."""
    n = values.shape[0]
    out = np.empty(n)
    for a in range(n):
        out[a] = values[a] - np.max(np.delete(values, a))
    return out


def best_pair(m: FloatArray) -> tuple[int, int, float]:
    """Argmax of a square matrix off its diagonal."""
    m = m.copy()
    np.fill_diagonal(m, -np.inf)
    i, j = np.unravel_index(int(np.argmax(m)), m.shape)
    return int(i), int(j), float(m[i, j])


def reversal_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """``M[i, j] = min(a[i] - a[j], b[j] - b[i])``: positive when ``a`` puts ``i`` above ``j``
    and ``b`` puts ``j`` above ``i``."""
    return np.minimum(a[:, None] - a[None, :], b[None, :] - b[:, None])


def majority_strength(p: FloatArray) -> FloatArray:
    """``min_{j != c} (P[c, j] - 1/2)`` for every ``c``: positive exactly for a Condorcet winner."""
    q = p - 0.5
    np.fill_diagonal(q, np.inf)
    return np.asarray(q.min(axis=1), dtype=np.float64)


# ------------------------------------------------------------------------------ kinds


@search_kind(
    "top-disagreement",
    "NBC's top option (uniform D) differs from the average reward's top option.",
)
def top_disagreement(s: KindSettings) -> tuple[Margin, Certify]:
    def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        avg, nb = average_reward(r, w), nbc(r, w, None, s.model)
        return avg, nb, np.minimum(lead(avg)[:, None], NBC_SCALE * lead(nb)[None, :])

    def margin(r: FloatArray, w: FloatArray) -> float:
        return best_pair(parts(r, w)[2])[2]

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        avg, nb, m = parts(r, w)
        a, b, value = best_pair(m)
        return {
            "average_top": a,
            "nbc_top": b,
            "average_lead": float(lead(avg)[a]),
            "nbc_lead": float(lead(nb)[b]),
            "nbc": nb,
            "average_reward": avg,
            "margin": value,
        }

    return margin, certify


@search_kind(
    "rank-reversal",
    "The average reward and NBC (uniform D) order some pair of options oppositely.",
)
def rank_reversal(s: KindSettings) -> tuple[Margin, Certify]:
    def margin(r: FloatArray, w: FloatArray) -> float:
        avg, nb = average_reward(r, w), nbc(r, w, None, s.model)
        return best_pair(reversal_matrix(avg, NBC_SCALE * nb))[2]

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        avg, nb = average_reward(r, w), nbc(r, w, None, s.model)
        i, j, m = best_pair(reversal_matrix(avg, NBC_SCALE * nb))
        return {
            "average_prefers": i,
            "nbc_prefers": j,
            "nbc": nb,
            "average_reward": avg,
            "margin": m,
        }

    return margin, certify


@search_kind(
    "sampling-flip",
    "A sampling distribution D within TV {tv:g} of uniform flips NBC's order of a pair.",
)
def sampling_flip(s: KindSettings) -> tuple[Margin, Certify]:
    from socialpref.sensitivity import min_tv_flip

    def flips(r: FloatArray, w: FloatArray) -> tuple[float, Any]:
        nb = nbc(r, w, None, s.model)
        best: tuple[float, Any] = (np.inf, None)
        n = r.shape[1]
        for i in range(n):
            for j in range(n):
                if i != j and nb[i] > nb[j]:
                    res = min_tv_flip(r, w, i, j, model=s.model)
                    if res.tv is not None and res.tv < best[0]:
                        best = (float(res.tv), res)
        return best

    def margin(r: FloatArray, w: FloatArray) -> float:
        t, _ = flips(r, w)
        return s.tv - t if np.isfinite(t) else -1.0

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        t, res = flips(r, w)
        out: dict[str, Any] = {
            "tv_bound": s.tv,
            "nbc": nbc(r, w, None, s.model),
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
            "nbc_flipped": nbc(r, w, q, s.model),
            "margin": s.tv - t,
        }

    return margin, certify


@search_kind(
    "temperature-flip",
    "BT temperatures {t0:g} and {t1:g} order some pair of options differently under NBC.",
    fixed_model=lambda temperatures: BradleyTerry(temperatures[0]),
)
def temperature_flip(s: KindSettings) -> tuple[Margin, Certify]:
    m0, m1 = BradleyTerry(s.temperatures[0]), BradleyTerry(s.temperatures[1])

    def margin(r: FloatArray, w: FloatArray) -> float:
        n0, n1 = nbc(r, w, None, m0), nbc(r, w, None, m1)
        return best_pair(reversal_matrix(NBC_SCALE * n0, NBC_SCALE * n1))[2]

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        n0, n1 = nbc(r, w, None, m0), nbc(r, w, None, m1)
        i, j, m = best_pair(reversal_matrix(NBC_SCALE * n0, NBC_SCALE * n1))
        return {
            "temperatures": list(s.temperatures),
            "prefers_at_first": i,
            "prefers_at_second": j,
            "nbc_first": n0,
            "nbc_second": n1,
            "average_reward": average_reward(r, w),
            "margin": m,
        }

    return margin, certify


@search_kind(
    "iia",
    "Adding the last option (no type's favourite) flips NBC's order of two other options.",
    min_options=3,
)
def iia(s: KindSettings) -> tuple[Margin, Certify]:
    def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        sub, full = nbc(r[:, :-1], w, None, s.model), nbc(r, w, None, s.model)[:-1]
        irrelevant = float(np.min(r[:, :-1].max(axis=1) - r[:, -1]))
        return sub, full, irrelevant

    def margin(r: FloatArray, w: FloatArray) -> float:
        sub, full, irrelevant = parts(r, w)
        return min(best_pair(reversal_matrix(NBC_SCALE * sub, NBC_SCALE * full))[2], irrelevant)

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        sub, full, irrelevant = parts(r, w)
        i, j, m = best_pair(reversal_matrix(NBC_SCALE * sub, NBC_SCALE * full))
        return {
            "added_option": r.shape[1] - 1,
            "prefers_without": i,
            "prefers_with": j,
            "nbc_without": sub,
            "nbc_with": nbc(r, w, None, s.model),
            "irrelevance_margin": irrelevant,
            "average_reward": average_reward(r, w),
            "margin": min(m, irrelevant),
        }

    return margin, certify


@search_kind(
    "condorcet-rejected",
    "A Condorcet winner exists and NBC (uniform D) puts another option first, which a majority "
    "rejects against the Condorcet winner.",
    min_options=3,
)
def condorcet_rejected(s: KindSettings) -> tuple[Margin, Certify]:
    def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        p = pairwise_matrix(r, w, s.model)
        nb = p.mean(axis=1)  # NBC under a uniform D (Eq. 13)
        m = np.minimum(NBC_SCALE * majority_strength(p)[:, None], NBC_SCALE * lead(nb)[None, :])
        return p, nb, m

    def margin(r: FloatArray, w: FloatArray) -> float:
        return best_pair(parts(r, w)[2])[2]

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        p, nb, m = parts(r, w)
        c, b, value = best_pair(m)
        return {
            "condorcet_winner": c,
            "nbc_top": b,
            "majority_for_winner": float(p[c, b]),
            "nbc": nb,
            "average_reward": average_reward(r, w),
            "pairwise": p,
            "margin": value,
        }

    return margin, certify


@search_kind(
    "average-condorcet-loser",
    "The average reward puts first the Condorcet loser, an option that a majority rejects "
    "against every other one.",
)
def average_condorcet_loser(s: KindSettings) -> tuple[Margin, Certify]:
    def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        p = pairwise_matrix(r, w, s.model)
        avg = average_reward(r, w)
        return p, avg, np.minimum(lead(avg), NBC_SCALE * majority_strength(p.T))

    def margin(r: FloatArray, w: FloatArray) -> float:
        return float(parts(r, w)[2].max())

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        p, avg, m = parts(r, w)
        loser = int(np.argmax(m))
        return {
            "condorcet_loser": loser,
            "average_lead": float(lead(avg)[loser]),
            "largest_majority_for_loser": float(np.delete(p[loser], loser).max()),
            "nbc": nbc(r, w, None, s.model),
            "average_reward": avg,
            "pairwise": p,
            "margin": float(m[loser]),
        }

    return margin, certify


@search_kind(
    "lottery-mixes",
    "No Condorcet winner and a unique maximal lottery, which mixes options, while NBC (uniform D) "
    "and the average reward each have a single top.",
    min_options=3,
    default_types=3,
)
def lottery_mixes(s: KindSettings) -> tuple[Margin, Certify]:
    from socialpref.targets import maximal_lottery

    def parts(r: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, float]:
        p = pairwise_matrix(r, w, s.model)
        nb, avg = p.mean(axis=1), average_reward(r, w)
        value = min(
            -NBC_SCALE * float(majority_strength(p).max()),
            float(lead(avg).max()),
            NBC_SCALE * float(lead(nb).max()),
        )
        return p, nb, avg, value

    def margin(r: FloatArray, w: FloatArray) -> float:
        p, _, _, value = parts(r, w)
        # With three options and no weak Condorcet winner the majority relation is a strict
        # 3-cycle, whose maximal lottery is unique (proportional to the opposite margins); only
        # larger sets need the LP.
        if value > 0 and p.shape[0] > 3 and not maximal_lottery(p).unique:
            return -1.0
        return value

    def certify(r: FloatArray, w: FloatArray) -> dict[str, Any]:
        p, nb, avg, value = parts(r, w)
        ml = maximal_lottery(p)
        return {
            "maximal_lottery": ml.probabilities,
            "maximal_lottery_unique": ml.unique,
            "nbc_top": int(np.argmax(nb)),
            "average_top": int(np.argmax(avg)),
            "nbc": nb,
            "average_reward": avg,
            "pairwise": p,
            "margin": value if ml.unique else -1.0,
        }

    return margin, certify


__all__ = [
    "KINDS",
    "NBC_SCALE",
    "Certify",
    "KindSettings",
    "Margin",
    "SearchKind",
    "best_pair",
    "lead",
    "majority_strength",
    "reversal_matrix",
    "search_kind",
]
