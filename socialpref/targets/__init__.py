"""Aggregation targets beyond NBC and the average reward, all computed from the pairwise matrix.

What other alignment objectives converge to with infinite data, for the same population:

- :func:`maximal_lottery` (Fishburn 1984): the von Neumann winner of the preference game, the
  target of unregularised Nash learning from human feedback and self-play preference
  optimisation; unique for generic margins, else the maximum-entropy one;
- :func:`condorcet_winner`, :func:`condorcet_loser`, :func:`copeland_scores`,
  :func:`majority_relation`: pairwise-majority reasoning;
- :func:`nash_policy`: the KL-regularised Nash policy of NLHF (Munos et al. 2023);
- :func:`compare_targets`: every target and the paper's two (average reward, NBC) side by side.

Each function takes the pairwise matrix ``P`` of Eq. (8), or a
:class:`~socialpref.population.Population`, or rewards with type weights (and a preference
model). The ``*_batch`` forms take a stack of matrices, padded or not, and the single forms are
the batch with one item.
"""

from socialpref.targets.compare import (
    TARGET_NAMES,
    TargetComparison,
    compare_targets,
    compare_targets_batch,
)
from socialpref.targets.lottery import MaximalLottery, maximal_lottery, maximal_lottery_batch
from socialpref.targets.majority import (
    condorcet_loser,
    condorcet_loser_batch,
    condorcet_winner,
    condorcet_winner_batch,
    copeland_scores,
    copeland_scores_batch,
    copeland_winners,
    majority_margins,
    majority_relation,
)
from socialpref.targets.nash import nash_policy, nash_policy_batch

__all__ = [
    "TARGET_NAMES",
    "MaximalLottery",
    "TargetComparison",
    "compare_targets",
    "compare_targets_batch",
    "condorcet_loser",
    "condorcet_loser_batch",
    "condorcet_winner",
    "condorcet_winner_batch",
    "copeland_scores",
    "copeland_scores_batch",
    "copeland_winners",
    "majority_margins",
    "majority_relation",
    "maximal_lottery",
    "maximal_lottery_batch",
    "nash_policy",
    "nash_policy_batch",
]
