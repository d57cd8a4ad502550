"""The catalogue: every named counterexample, by name."""

from __future__ import annotations

from collections.abc import Callable

from socialpref.counterexamples.base import Counterexample
from socialpref.counterexamples.condorcet import (
    average_picks_condorcet_loser,
    maximal_lottery_mixes,
    nbc_rejects_condorcet_winner,
)
from socialpref.counterexamples.examples import (
    iia_violation,
    mediocrity,
    sampling_sensitivity,
    temperature,
    tyranny_of_majority,
)
from socialpref.counterexamples.propositions import (
    consistency_vs_efficiency,
    mixture_not_bt,
    non_identifiable,
)
from socialpref.errors import ParameterError

#: Name -> generator (called with its default, paper, parameters).
CATALOGUE: dict[str, Callable[[], Counterexample]] = {
    "sampling-sensitivity": sampling_sensitivity,
    "temperature": temperature,
    "mediocrity": mediocrity,
    "iia-violation": iia_violation,
    "tyranny-of-majority": tyranny_of_majority,
    "mixture-not-bt": mixture_not_bt,
    "non-identifiable": non_identifiable,
    "consistency-vs-efficiency": consistency_vs_efficiency,
    "nbc-rejects-condorcet-winner": nbc_rejects_condorcet_winner,
    "average-picks-condorcet-loser": average_picks_condorcet_loser,
    "maximal-lottery-mixes": maximal_lottery_mixes,
}

#: One line per counterexample (for tables and the README).
SUMMARIES: dict[str, str] = {
    "sampling-sensitivity": "D(y3) 0.02 -> 0.04 (D(y1) = D(y2)) flips NBC's y1/y2; pi* unchanged.",
    "temperature": "BT temperature 1 -> 2 flips NBC's y1/y2; pi* unchanged.",
    "mediocrity": "NBC ranks the medium summary first; pi* ranks short = long first.",
    "iia-violation": "Adding y3 (nobody's favourite) turns NBC's y1/y2 around (0.62 vs 0.55).",
    "tyranny-of-majority": "NBC ~ (0.47, 0.53) follows a 90% majority; pi* follows the 10% minority's veto.",
    "mixture-not-bt": "A two-type BT mixture with unequal cyclic products: no single BT fits (residual > 0).",
    "non-identifiable": "Identical pairwise matrices, different average-reward rankings (Prop. 5.1).",
    "consistency-vs-efficiency": "A consistent loss keeps only unanimous labels: prod z + prod(1 - z) of the data.",
    "nbc-rejects-condorcet-winner": "y1 beats every option by majority (max. lottery = y1); NBC puts y2 first.",
    "average-picks-condorcet-loser": "The average reward puts first the option every other beats by majority.",
    "maximal-lottery-mixes": "A Condorcet cycle: the maximal lottery mixes (0.59, 0.13, 0.28); NBC, average pick y2.",
}


def counterexample_names() -> tuple[str, ...]:
    """Names of the catalogue, in the paper's order, then the examples beyond the paper.

    >>> counterexample_names()[:3]
    ('sampling-sensitivity', 'temperature', 'mediocrity')
    """
    return tuple(CATALOGUE)


def get_counterexample(name: str) -> Counterexample:
    """The named counterexample with the paper's parameters.

    Raises ``ParameterError`` listing the valid names when ``name`` is unknown.

    >>> get_counterexample("mediocrity").population.options
    ('short', 'med', 'long')
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in CATALOGUE:
        raise ParameterError(
            f"The 'name' parameter must be one of {', '.join(CATALOGUE)}. Got {name!r} instead."
        )
    return CATALOGUE[key]()


def all_counterexamples() -> tuple[Counterexample, ...]:
    """Every counterexample of the catalogue."""
    return tuple(gen() for gen in CATALOGUE.values())


__all__ = [
    "CATALOGUE",
    "SUMMARIES",
    "all_counterexamples",
    "counterexample_names",
    "get_counterexample",
]
