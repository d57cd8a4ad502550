"""Catalogue of the paper's counterexamples (and a few beyond it), and a search for new ones.

Named generators return a frozen :class:`Counterexample` whose ``verify()`` recomputes the
claim with the core; :func:`search` finds new populations of a requested kind.

>>> from socialpref.counterexamples import get_counterexample
>>> get_counterexample("tyranny-of-majority").verify().holds
True
"""

from __future__ import annotations

from socialpref.counterexamples.base import Counterexample, Scenario, Verification
from socialpref.counterexamples.catalogue import (
    CATALOGUE,
    SUMMARIES,
    all_counterexamples,
    counterexample_names,
    get_counterexample,
)
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
from socialpref.counterexamples.kinds import KINDS, SearchKind, search_kind
from socialpref.counterexamples.propositions import (
    bt_fit,
    consistency_vs_efficiency,
    gamma_population,
    label_probabilities,
    mixture_not_bt,
    non_identifiable,
    tau_mixture,
    tau_rewards,
)
from socialpref.counterexamples.searching import SEARCH_KINDS, SearchResult, search

__all__ = [
    "CATALOGUE",
    "KINDS",
    "SEARCH_KINDS",
    "SUMMARIES",
    "Counterexample",
    "Scenario",
    "SearchKind",
    "SearchResult",
    "Verification",
    "all_counterexamples",
    "average_picks_condorcet_loser",
    "bt_fit",
    "consistency_vs_efficiency",
    "counterexample_names",
    "gamma_population",
    "get_counterexample",
    "iia_violation",
    "label_probabilities",
    "maximal_lottery_mixes",
    "mediocrity",
    "mixture_not_bt",
    "nbc_rejects_condorcet_winner",
    "non_identifiable",
    "sampling_sensitivity",
    "search",
    "search_kind",
    "tau_mixture",
    "tau_rewards",
    "temperature",
    "tyranny_of_majority",
]
