"""Every target side by side for one population: what each alignment objective would choose.

- the average reward (Eq. 9): what the optimal policy ``pi*`` of Eq. (10) follows (RLHF's
  ideal);
- NBC (Eq. 13) under the sampling distribution ``D``: what DPO and reward-model fitting converge
  to (Prop. 4.2);
- the maximal lottery (Fishburn 1984): the von Neumann winner that unregularised NLHF / SPPO
  target;
- the Condorcet winner and the Copeland winners: pairwise-majority reasoning;
- the Nash policy of NLHF at a given ``beta`` (Munos et al. 2023).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray
from socialpref.aggregate import (
    AggregateComparison,
    compare_aggregates_batch,
    pairwise_matrices,
    top_choices,
)
from socialpref.errors import ParameterError
from socialpref.population import Population
from socialpref.preference import PreferenceModel, get_model
from socialpref.targets.lottery import MaximalLottery, maximal_lottery_batch
from socialpref.targets.majority import (
    condorcet_loser_batch,
    condorcet_winner_batch,
    copeland_scores_batch,
)
from socialpref.targets.nash import nash_policy_batch

#: The names of the targets, in the order of :attr:`TargetComparison.tops`.
TARGET_NAMES: tuple[str, ...] = (
    "average_reward",
    "nbc",
    "maximal_lottery",
    "condorcet",
    "copeland",
    "nash",
)


@dataclass(frozen=True, eq=False)
class TargetComparison:
    """What each aggregation target chooses for one population.

    Attributes
    ----------
    aggregates : AggregateComparison
        Average reward (Eq. 9) and NBC under ``D`` (Eq. 13), with their rankings and tops.
    pairwise : (n_options, n_options) array
        The pairwise matrix ``P`` (Eq. 8) every other target is computed from.
    maximal_lottery : MaximalLottery
        The maximal lottery (von Neumann winner) and whether it is unique.
    condorcet_winner, condorcet_loser : int or None
        The option that beats (loses to) every other by a strict majority, if any.
    copeland_scores : (n_options,) array
        Pairwise wins minus losses (a tie counts 0).
    nash_policy : (n_options,) array
        The NLHF Nash policy at ``beta`` with the reference ``mu``.
    beta : float
        The regularisation of ``nash_policy``.
    """

    aggregates: AggregateComparison
    pairwise: FloatArray
    maximal_lottery: MaximalLottery
    condorcet_winner: int | None
    condorcet_loser: int | None
    copeland_scores: FloatArray
    nash_policy: FloatArray
    beta: float

    @property
    def copeland_winners(self) -> tuple[int, ...]:
        """The options of highest Copeland score."""
        s = self.copeland_scores
        return tuple(int(i) for i in np.flatnonzero(s == s.max()))

    @property
    def nash_top(self) -> tuple[int, ...]:
        """The options the Nash policy gives the most probability (within ``TIE_TOL``)."""
        return tuple(int(i) for i in top_choices(self.nash_policy))

    @property
    def tops(self) -> dict[str, tuple[int, ...]]:
        """The top choice(s) of each target, by name (:data:`TARGET_NAMES`).

        ``maximal_lottery``: the options of highest probability; ``condorcet``: the Condorcet
        winner, or ``()`` when there is none; the others: the options tied for the best score.
        """
        cw = self.condorcet_winner
        return {
            "average_reward": self.aggregates.average_top,
            "nbc": self.aggregates.nbc_top,
            "maximal_lottery": self.maximal_lottery.top,
            "condorcet": () if cw is None else (cw,),
            "copeland": self.copeland_winners,
            "nash": self.nash_top,
        }

    @property
    def targets_agree(self) -> bool:
        """Whether every target with a choice has the same top choice(s)."""
        tops = [t for t in self.tops.values() if t]
        return all(t == tops[0] for t in tops)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.aggregates.to_dict(),
            "pairwise": self.pairwise.tolist(),
            "maximal_lottery": self.maximal_lottery.to_dict(),
            "condorcet_winner": self.condorcet_winner,
            "condorcet_loser": self.condorcet_loser,
            "copeland_scores": self.copeland_scores.tolist(),
            "copeland_winners": list(self.copeland_winners),
            "nash_policy": self.nash_policy.tolist(),
            "nash_top": list(self.nash_top),
            "beta": self.beta,
            "tops": {k: list(v) for k, v in self.tops.items()},
            "targets_agree": self.targets_agree,
        }


def compare_targets_batch(
    rewards: ArrayLike,
    type_weights: ArrayLike,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
    *,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
) -> list[TargetComparison]:
    """:func:`compare_targets` for ``B`` populations of one shape.

    Parameters
    ----------
    rewards : (B, n_types, n_options) array
    type_weights : (B, n_types) array, rows summing to one
    sampling : (B, n_options) array, optional
        The distribution ``D`` of NBC (uniform when None); no other target depends on it.
    model : PreferenceModel or str, optional
        Preference model of Eq. (8) (default Bradley-Terry).
    beta : float
        Regularisation of the Nash policy.
    reference : (n_options,) or (B, n_options) array, optional
        Reference policy of the Nash policy (uniform when None).

    Returns
    -------
    list of TargetComparison
        Element ``b`` equals ``compare_targets(rewards[b], type_weights[b], sampling[b], ...)``.

    Raises
    ------
    ValueError
        Shapes that do not fit, non-finite rewards, rows that are not distributions (from
        :func:`~socialpref.aggregate.compare_aggregates_batch`).
    ParameterError, SolverError
        From the maximal lottery and the Nash policy.

    Examples
    --------
    >>> [c.tops for c in compare_targets_batch([[[0, 1, 4], [4, 1, 0], [0, 1, 0]]], [[1/3] * 3])]
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'average_reward': (0, 2), 'nbc': (1,), 'maximal_lottery': (1,), 'condorcet': (1,),
      'copeland': (1,), 'nash': (1,)}]
    """
    aggregates = compare_aggregates_batch(rewards, type_weights, sampling, model)
    sigma = get_model(model)
    r = np.asarray(rewards, dtype=np.float64)
    w = np.asarray(type_weights, dtype=np.float64)
    stack = pairwise_matrices(r, w, sigma)
    lotteries = maximal_lottery_batch(stack)
    winners, losers = condorcet_winner_batch(stack), condorcet_loser_batch(stack)
    copeland = copeland_scores_batch(stack)
    nash = nash_policy_batch(stack, beta, reference)
    return [
        TargetComparison(
            aggregates=aggregates[b],
            pairwise=stack[b],
            maximal_lottery=lotteries[b],
            condorcet_winner=None if winners[b] < 0 else int(winners[b]),
            condorcet_loser=None if losers[b] < 0 else int(losers[b]),
            copeland_scores=copeland[b],
            nash_policy=nash[b],
            beta=float(beta),
        )
        for b in range(stack.shape[0])
    ]


def compare_targets(
    rewards: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
    *,
    beta: float = 1.0,
    reference: ArrayLike | None = None,
) -> TargetComparison:
    """The top choice of every aggregation target for one population.

    Parameters
    ----------
    rewards : (n_types, n_options) array or Population
        ``r(y; u)``; or a population (then ``type_weights`` is None).
    type_weights : (n_types,) array
        ``p(u)``; required with a reward matrix.
    sampling : (n_options,) array, optional
        The distribution ``D`` of NBC (uniform when None).
    model : PreferenceModel or str, optional
        Preference model of Eq. (8) (default Bradley-Terry).
    beta : float
        Regularisation of the NLHF Nash policy.
    reference : (n_options,) array, optional
        Its reference policy (uniform when None).

    Returns
    -------
    TargetComparison

    Examples
    --------
    The mediocrity example (Section 4.3): the medium option is the Condorcet winner, so the
    maximal lottery, Copeland, NBC and NLHF all choose it; the average reward does not.

    >>> c = compare_targets([[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1/3, 1/3, 1/3])
    >>> c.condorcet_winner, c.maximal_lottery.probabilities.tolist(), c.aggregates.average_top
    (1, [0.0, 1.0, 0.0], (0, 2))
    """
    if isinstance(rewards, Population):
        if type_weights is not None:
            raise ParameterError(
                "The 'type_weights' parameter of compare_targets must be None when a Population "
                "is given (it holds its own type weights)."
            )
        r, w = rewards.rewards, rewards.type_weights
    elif type_weights is None:
        raise ParameterError(
            "The 'type_weights' parameter of compare_targets is required with a reward matrix."
        )
    else:
        r, w = np.asarray(rewards, dtype=np.float64), np.asarray(type_weights, dtype=np.float64)
    d = None if sampling is None else np.asarray(sampling, dtype=np.float64)[None]
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)
    if r.ndim != 2:
        raise ParameterError(
            "The 'rewards' parameter of compare_targets must be a 2-D array of shape (n_types, "
            f"n_options). Got shape {r.shape} instead."
        )
    return compare_targets_batch(r[None], w[None], d, model, beta=beta, reference=ref)[0]


__all__ = ["TARGET_NAMES", "TargetComparison", "compare_targets", "compare_targets_batch"]
