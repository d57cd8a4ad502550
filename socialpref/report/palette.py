"""Colours by role, the same in every figure of socialpref (reports, training, LLM runs).

One colour means one thing across a report: each user type keeps its colour (a Republican /
Democrat / neither party column gets vermillion / blue / bluish green, in that order), and
NBC, the average reward and the optimal policy have colours of their own that no type uses.
Other series (training methods, LLM experiments) take :data:`SERIES`, which starts with
colours that the first three types do not use.

The colours come from the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008)
and Paul Tol's muted scheme, which stay distinguishable under the common forms of colour
blindness. This module has no dependency, so that any figure module can import it.

>>> type_colour(0), type_colour(1), NBC, AVERAGE
('#D55E00', '#0072B2', '#E69F00', '#CC79A7')
>>> NBC in TYPES or AVERAGE in TYPES
False
"""

from __future__ import annotations

#: User types, in the order of the type column (cycled with a hatch beyond its length).
TYPES: tuple[str, ...] = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#332288",  # indigo
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
)
#: NBC (what DPO and reward-model fitting converge to), in every figure.
NBC = "#E69F00"  # orange
#: The user-weighted average reward (and targets built on it), in every figure.
AVERAGE = "#CC79A7"  # reddish purple
#: The optimal policy pi* of the training experiments.
OPTIMAL = "#000000"
#: Series that are neither types nor the aggregates: training methods, LLM experiments.
SERIES: tuple[str, ...] = (
    "#332288",  # indigo
    "#44AA99",  # teal
    "#882255",  # wine
    "#999933",  # olive
    "#56B4E9",  # sky blue
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
)
#: Bars and lines that are not highlighted.
GREY = "#9A9A9A"
#: Hatches of the types beyond the length of :data:`TYPES` (so that colours never repeat alone).
HATCHES: tuple[str, ...] = ("", "//", "..", "xx")


def type_colour(k: int) -> str:
    """The colour of the k-th user type."""
    return TYPES[k % len(TYPES)]


def type_hatch(k: int) -> str:
    """The hatch of the k-th user type: none for the first ``len(TYPES)``, then patterns."""
    return HATCHES[(k // len(TYPES)) % len(HATCHES)]


def series_colour(k: int) -> str:
    """The colour of the k-th other series."""
    return SERIES[k % len(SERIES)]


def role_colour(name: str, k: int = 0) -> str:
    """The colour of a curve or column named ``name``: NBC's, the average reward's, the optimal
    policy's when the name says so (``"NBC ..."``, ``"Average ..."``, ``"pi* ..."``), else the
    k-th of :data:`SERIES`."""
    low = name.strip().lower()
    if low.startswith("nbc"):
        return NBC
    if low.startswith("average"):
        return AVERAGE
    if low.startswith(("pi*", "π*", "optimal")):
        return OPTIMAL
    return series_colour(k)


__all__ = [
    "AVERAGE",
    "GREY",
    "HATCHES",
    "NBC",
    "OPTIMAL",
    "SERIES",
    "TYPES",
    "role_colour",
    "series_colour",
    "type_colour",
    "type_hatch",
]
