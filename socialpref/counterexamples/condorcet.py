"""Where NBC and the average reward part ways with pairwise majority and the maximal lottery.

Beyond the paper. Nash learning from human feedback and self-play preference optimisation
target the maximal lottery (Fishburn 1984; the von Neumann winner of the preference game), which
is a Condorcet winner whenever one exists; NBC (Eq. 13) is a Borda count, and the average reward
(Eq. 9) weighs intensities. Three small populations show the differences:

- ``nbc-rejects-condorcet-winner``: a majority prefers ``y1`` to every other option, yet NBC (so
  DPO, Prop. 4.2) puts ``y2`` first;
- ``average-picks-condorcet-loser``: the average reward (so ``pi*``, Eq. 10) puts first the
  option that a majority rejects against every other one. NBC never can: a Condorcet loser
  ``l`` has ``NBC(l) < 1/2`` for every ``D`` with ``D(l) < 1``, while ``sum_y D(y) NBC(y) = 1/2``
  puts some option above 1/2; nor does the maximal lottery give it any mass;
- ``maximal-lottery-mixes``: a Condorcet cycle; the maximal lottery is unique and mixes all three
  options (and gives NBC's choice the least mass), while NBC and the average reward each have a
  single top. Changing ``D`` moves NBC's top, never the maximal lottery.

Each verifier recomputes NBC, the average reward, the pairwise matrix (Eq. 8), the Condorcet
winner and loser, Copeland scores, the maximal lottery and the NLHF Nash policy at
``beta = NASH_BETA`` with :mod:`socialpref.targets`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialpref.counterexamples.base import Counterexample, Scenario, Verification
from socialpref.policy import dpo_limit_policy, optimal_policy
from socialpref.population import Population
from socialpref.targets import compare_targets

#: The regularisation of the NLHF Nash policy reported by these examples.
NASH_BETA = 0.01

#: Where each example's claim comes from (none is in the paper).
_REFERENCES = {
    "winner": "Beyond the paper: Condorcet winner; maximal lottery (Fishburn 1984)",
    "loser": "Beyond the paper: Condorcet loser; Borda never picks it",
    "mixes": "Beyond the paper: maximal lottery (Fishburn 1984), the target of NLHF (Munos et al. 2023)",
}


def _target_numbers(s: Scenario) -> tuple[Any, dict[str, Any]]:
    """Every target of the scenario's population, and its numbers for the verification."""
    p = s.population
    c = compare_targets(p, None, s.sampling, s.model, beta=NASH_BETA)
    numbers = {
        "pairwise": c.pairwise,
        "nbc": c.aggregates.nbc,
        "average_reward": c.aggregates.average_reward,
        "condorcet_winner": c.condorcet_winner,
        "condorcet_loser": c.condorcet_loser,
        "copeland_scores": c.copeland_scores,
        "maximal_lottery": c.maximal_lottery.probabilities,
        "maximal_lottery_unique": c.maximal_lottery.unique,
        f"nash_policy_beta_{NASH_BETA:g}": c.nash_policy,
    }
    return c, numbers


def nbc_rejects_condorcet_winner() -> Counterexample:
    """NBC's choice loses a majority vote against the Condorcet winner.

    Type A (60%) has rewards ``(4, 2, 0)``, type B (40%) ``(0, 4, 2)`` (Bradley-Terry).
    ``P(y1 > y2) ~ 0.536`` and ``P(y1 > y3) ~ 0.637``: ``y1`` is the Condorcet winner, so the
    maximal lottery is ``y1`` alone and Copeland and NLHF choose it too. NBC ranks
    ``y2`` first (``~0.615`` against ``~0.558``), as does the average reward.

    >>> v = nbc_rejects_condorcet_winner().verify()
    >>> v.holds, v.nbc.round(4).tolist(), v.numbers["condorcet_winner"]
    (True, [0.5575, 0.615, 0.3274], 0)
    """
    pop = Population([[4.0, 2.0, 0.0], [0.0, 4.0, 2.0]], [0.6, 0.4], types=("A", "B"))
    return Counterexample(
        name="nbc-rejects-condorcet-winner",
        claim=(
            "A majority prefers y1 to each other option (the Condorcet winner, so the maximal "
            "lottery, Copeland and NLHF choose it), yet NBC (and DPO) put y2 first: an option "
            "that a majority rejects against y1."
        ),
        reference=_REFERENCES["winner"],
        scenarios=(Scenario("uniform D, BT", pop),),
        _check=_verify_rejects_winner,
    )


def _verify_rejects_winner(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    c, numbers = _target_numbers(s)
    p = ce.population
    dpo = dpo_limit_policy(p.rewards, p.type_weights, sampling=s.sampling, model=s.model)
    cw = c.condorcet_winner
    nbc_top = c.aggregates.nbc_top
    checks = {
        "y1 is the Condorcet winner": cw == 0,
        "NBC has a single top, not the Condorcet winner": len(nbc_top) == 1 and nbc_top != (cw,),
        "a majority prefers the Condorcet winner to NBC's top": bool(
            cw is not None and c.pairwise[cw, nbc_top[0]] > 0.5
        ),
        "the maximal lottery is the Condorcet winner alone": c.maximal_lottery.support == (0,)
        and c.maximal_lottery.unique,
        "Copeland and NLHF choose the Condorcet winner": c.copeland_winners == (0,)
        and c.nash_top == (0,),
        "the DPO limit follows NBC (Prop. 4.2)": int(np.argmax(dpo)) == nbc_top[0],
    }
    return Verification.from_checks(checks, {**numbers, "dpo_policy": dpo}, s)


def average_picks_condorcet_loser() -> Counterexample:
    """The average reward puts first the option that a majority rejects against every other.

    Type A (30%) has rewards ``(10, 0, 0)``, type B (70%) ``(0, 2, 1)`` (Bradley-Terry). The
    average reward ``(3, 1.4, 0.7)`` (so ``pi*``) prefers ``y1``, but ``P(y2 > y1) ~ 0.617`` and
    ``P(y3 > y1) ~ 0.512``: ``y1`` is the Condorcet loser. NBC cannot choose a Condorcet loser
    (``NBC(y1) < 1/2``; see the module docstring); it picks ``y2``, the Condorcet winner, as do
    the maximal lottery and NLHF.

    >>> v = average_picks_condorcet_loser().verify()
    >>> v.holds, v.numbers["condorcet_loser"], v.nbc.round(4).tolist()
    (True, 0, [0.4572, 0.5928, 0.45])
    """
    pop = Population([[10.0, 0.0, 0.0], [0.0, 2.0, 1.0]], [0.3, 0.7], types=("A", "B"))
    return Counterexample(
        name="average-picks-condorcet-loser",
        claim=(
            "The average reward (and pi*) prefers y1, which a majority rejects against every "
            "other option (the Condorcet loser); NBC never picks a Condorcet loser (NBC < 1/2), "
            "and the maximal lottery gives it no mass."
        ),
        reference=_REFERENCES["loser"],
        scenarios=(Scenario("uniform D, BT", pop),),
        _check=_verify_picks_loser,
    )


def _verify_picks_loser(ce: Counterexample) -> Verification:
    s = ce.scenarios[0]
    c, numbers = _target_numbers(s)
    pi = optimal_policy(ce.population.rewards, ce.population.type_weights)
    cl = c.condorcet_loser
    checks = {
        "y1 is the Condorcet loser": cl == 0,
        "the average reward's single top is the Condorcet loser": c.aggregates.average_top == (0,),
        "pi* puts the most mass on the Condorcet loser": int(np.argmax(pi)) == 0,
        "NBC(Condorcet loser) < 1/2 <= max NBC": bool(
            c.aggregates.nbc[0] < 0.5 <= c.aggregates.nbc.max()
        ),
        "NBC does not pick the Condorcet loser": 0 not in c.aggregates.nbc_top,
        "the maximal lottery gives the Condorcet loser no mass": c.maximal_lottery.probabilities[0]
        == 0.0,
    }
    return Verification.from_checks(checks, {**numbers, "optimal_policy": pi}, s)


def maximal_lottery_mixes(
    d_moved: tuple[float, float, float] = (0.45, 0.45, 0.1),
) -> Counterexample:
    """A Condorcet cycle: the maximal lottery mixes while NBC and the average reward do not.

    Three Bradley-Terry types with cyclic rankings: A (40%) ``(4, 2, 0)``, B (35%) ``(0, 4, 2)``,
    C (25%) ``(2, 0, 4)``. ``y1`` beats ``y2`` (``P ~ 0.579``), ``y2`` beats ``y3`` (``~0.665``),
    ``y3`` beats ``y1`` (``~0.536``): no Condorcet winner, and the unique maximal lottery is
    ``~(0.590, 0.128, 0.282)``. NBC and the average reward both put ``y2`` first, the option the
    maximal lottery plays least. Under ``D = d_moved`` NBC moves to ``y1``; the maximal lottery,
    which does not depend on ``D``, stays.

    >>> v = maximal_lottery_mixes().verify()
    >>> v.holds, [round(x, 4) for x in v.numbers["maximal_lottery"]]
    (True, [0.5905, 0.1276, 0.2819])
    """
    pop = Population(
        [[4.0, 2.0, 0.0], [0.0, 4.0, 2.0], [2.0, 0.0, 4.0]],
        [0.4, 0.35, 0.25],
        types=("A", "B", "C"),
    )
    label = "D = (" + ", ".join(f"{x:g}" for x in d_moved) + ")"
    return Counterexample(
        name="maximal-lottery-mixes",
        claim=(
            "Three types with cyclic rankings: no Condorcet winner, and the unique maximal lottery "
            "mixes all three options (y2 least), while NBC and the average reward each put y2 "
            f"first. Under {label} NBC moves to y1; the maximal lottery does not move."
        ),
        reference=_REFERENCES["mixes"],
        scenarios=(Scenario("uniform D, BT", pop), Scenario(label, pop, d_moved)),
        parameters={"d_moved": list(d_moved)},
        _check=_verify_mixes,
    )


def _verify_mixes(ce: Counterexample) -> Verification:
    uniform, moved = ce.scenarios
    c, numbers = _target_numbers(uniform)
    c2, _ = _target_numbers(moved)
    ml = c.maximal_lottery
    checks = {
        "no Condorcet winner": c.condorcet_winner is None,
        "the maximal lottery is unique and mixes all three options": ml.unique
        and ml.support == (0, 1, 2),
        "NBC has a single top": len(c.aggregates.nbc_top) == 1,
        "the average reward has a single top": len(c.aggregates.average_top) == 1,
        "NBC's top gets the least mass in the maximal lottery": int(np.argmin(ml.probabilities))
        == c.aggregates.nbc_top[0],
        "NBC's top moves with D": c2.aggregates.nbc_top != c.aggregates.nbc_top,
        "the maximal lottery does not move with D": bool(
            np.array_equal(c2.maximal_lottery.probabilities, ml.probabilities)
        ),
    }
    numbers["nbc_moved_d"] = c2.aggregates.nbc
    return Verification.from_checks(checks, numbers, uniform)


__all__ = [
    "NASH_BETA",
    "average_picks_condorcet_loser",
    "maximal_lottery_mixes",
    "nbc_rejects_condorcet_winner",
]
