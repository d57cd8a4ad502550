"""What each alignment objective would choose on survey questions, and how stable that is.

For every analysed question the targets of :mod:`socialpref.targets` (average reward, NBC,
maximal lottery, Condorcet winner, Copeland, NLHF Nash policy at ``beta``) come from one batched
call per shape (:func:`socialpref.targets.compare_targets_batch`). With a bootstrap, the same
targets are recomputed on every replicate population of every question at once
(:func:`target_support`): the pairwise matrices of all replicates in one stack, the Condorcet
winners and Copeland scores vectorised, the maximal lotteries in one batch (no LP where a
Condorcet winner exists) and the Nash policies in one batched Newton solve.

A disagreement among the targets is *supported* by the bootstrap when at least
:data:`~socialpref.surveys.bootstrap.SUPPORT_THRESHOLD` (half) of the replicates show a
disagreement too, the rule used for NBC against the average reward.

Only NBC depends on the sampling distribution ``D`` of compared options: the average reward,
the maximal lottery, the Condorcet winner, Copeland and the Nash policy (its reference is
uniform, not ``D``) are functions of the population alone. :func:`objective_shifts` says, for
every question of a sweep, which disagreements between targets appear or disappear when ``D``
moves to the question's flipping distribution (the smallest TV change that changes NBC's
order), and :func:`objective_counts` counts them per source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref._typing import BoolArray, FloatArray
from socialpref.aggregate import TIE_TOL, pairwise_matrices, top_choices
from socialpref.luce import BootstrapIntervals
from socialpref.preference import PreferenceModel, get_model
from socialpref.targets import (
    TARGET_NAMES,
    condorcet_winner_batch,
    copeland_scores_batch,
    maximal_lottery_batch,
    nash_policy_batch,
)
from socialpref.targets.lottery import LOTTERY_TOL

if TYPE_CHECKING:
    from socialpref.surveys.sensitivity import QuestionSensitivity

#: Nash policy regularisation of the survey commands unless told otherwise (as ``nash_policy``).
DEFAULT_BETA = 1.0


@dataclass(frozen=True, eq=False)
class TargetSupport:
    """How often the bootstrap replicates agree with each target's top choice.

    Attributes
    ----------
    n_boot : int
        Replicates.
    p_same_top : mapping {target name: float}
        Per target (:data:`~socialpref.targets.TARGET_NAMES`), the share of replicates whose
        top choice(s) are those of the data (for ``condorcet``: the same winner, or again none).
    p_disagree : float
        Share of replicates in which the targets with a choice do not all choose the same
        option(s).
    """

    n_boot: int
    p_same_top: Mapping[str, float]
    p_disagree: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_boot": self.n_boot,
            "p_same_top": dict(self.p_same_top),
            "p_disagree": self.p_disagree,
        }


def _best(scores: FloatArray, tol: float) -> BoolArray:
    """``(N, n)`` scores -> the options within ``tol`` of each row's best."""
    return np.asarray(scores >= scores.max(axis=1, keepdims=True) - tol, dtype=bool)


def replicate_tops(
    rewards: FloatArray,
    type_weights: FloatArray,
    average_reward: FloatArray,
    nbc: FloatArray,
    model: PreferenceModel | str | None,
    beta: float,
) -> dict[str, BoolArray]:
    """The top choice(s) of every target for a stack of populations of one shape.

    ``rewards`` ``(N, n_types, n_options)``, ``type_weights`` ``(N, n_types)`` (a type may weigh
    0), with their average rewards and NBC ``(N, n_options)``. Returns, per target name, an
    ``(N, n_options)`` mask of the top choices, defined as in
    :attr:`~socialpref.targets.TargetComparison.tops` (``condorcet``: the winner, or no option).
    """
    p = pairwise_matrices(rewards, type_weights, get_model(model))
    n_pop, n = average_reward.shape
    winners = condorcet_winner_batch(p)
    condorcet = np.zeros((n_pop, n), dtype=bool)
    has = winners >= 0
    condorcet[np.flatnonzero(has), winners[has]] = True
    lotteries = np.stack([lot.probabilities for lot in maximal_lottery_batch(p)])
    copeland = copeland_scores_batch(p)
    return {
        "average_reward": _best(average_reward, TIE_TOL),
        "nbc": _best(nbc, TIE_TOL),
        "maximal_lottery": _best(lotteries, LOTTERY_TOL),
        "condorcet": condorcet,
        "copeland": np.asarray(copeland == copeland.max(axis=1, keepdims=True), dtype=bool),
        "nash": _best(nash_policy_batch(p, beta), TIE_TOL),
    }


def tops_disagree(tops: Mapping[str, BoolArray]) -> BoolArray:
    """Per row: whether two targets with a choice choose different option sets."""
    masks = [tops[name] for name in TARGET_NAMES]
    some = [m.any(axis=1) for m in masks]
    out = np.zeros(masks[0].shape[0], dtype=bool)
    for a in range(len(masks)):
        for b in range(a + 1, len(masks)):
            out |= some[a] & some[b] & np.any(masks[a] != masks[b], axis=1)
    return out


def target_support(
    boots: Sequence[BootstrapIntervals],
    point_tops: Sequence[Mapping[str, tuple[int, ...]]],
    model: PreferenceModel | str | None,
    beta: float,
) -> list[TargetSupport]:
    """:class:`TargetSupport` of questions from their bootstrap replicates, batched by shape.

    ``boots[q]`` holds question ``q``'s replicates (rewards, type weights, average reward,
    NBC); ``point_tops[q]`` its data's tops by target (indices, as
    :attr:`~socialpref.targets.TargetComparison.tops`).
    """
    groups: dict[tuple[int, ...], list[int]] = {}
    for q, b in enumerate(boots):
        groups.setdefault(b.replicate_rewards.shape, []).append(q)
    out: dict[int, TargetSupport] = {}
    for members in groups.values():
        n_boot = boots[members[0]].n_boot
        tops = replicate_tops(
            np.concatenate([boots[q].replicate_rewards for q in members]),
            np.concatenate([boots[q].replicate_type_weights for q in members]),
            np.concatenate([boots[q].replicate_average_reward for q in members]),
            np.concatenate([boots[q].replicate_nbc for q in members]),
            model,
            beta,
        )
        differ = tops_disagree(tops).reshape(len(members), n_boot)
        for k, q in enumerate(members):
            rows = slice(k * n_boot, (k + 1) * n_boot)
            same = {}
            for name in TARGET_NAMES:
                want = np.zeros(tops[name].shape[1], dtype=bool)
                want[list(point_tops[q][name])] = True
                same[name] = float(np.all(tops[name][rows] == want, axis=1).mean())
            out[q] = TargetSupport(n_boot, same, float(differ[k].mean()))
    return [out[q] for q in range(len(boots))]


#: Pairs of targets whose disagreement the summaries count, in this order.
TARGET_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (a, b) for k, a in enumerate(TARGET_NAMES) for b in TARGET_NAMES[k + 1 :]
)


def disagreeing_pairs(tops: Mapping[str, Sequence[int]]) -> frozenset[tuple[str, str]]:
    """The pairs of :data:`TARGET_PAIRS` whose top choices differ (both targets with a choice)."""
    return frozenset(
        (a, b) for a, b in TARGET_PAIRS if tops[a] and tops[b] and set(tops[a]) != set(tops[b])
    )


@dataclass(frozen=True)
class ObjectiveShift:
    """What the targets choose on one question, under ``D`` and under its flipping distribution.

    Attributes
    ----------
    source, question : str
    tops : mapping {target name: tuple of int}
        Every target's top choice(s) under ``D`` (:attr:`TargetComparison.tops`).
    flipped_nbc_top : tuple of int or None
        NBC's top choice(s) under the flipping distribution; None when NBC's order cannot be
        changed (or the question was not solved).
    disagreements : frozenset of (str, str)
        Pairs of targets that disagree under ``D`` (:func:`disagreeing_pairs`).
    appear, disappear : frozenset of (str, str)
        Pairs that disagree under the flipping distribution and not under ``D``, and the
        converse; only pairs with NBC can change, since no other target depends on ``D``.
    supported : bool or None
        Whether the bootstrap supports a disagreement under ``D``
        (:attr:`QuestionAnalysis.targets_disagreement_supported`).
    """

    source: str
    question: str
    tops: Mapping[str, tuple[int, ...]]
    flipped_nbc_top: tuple[int, ...] | None
    disagreements: frozenset[tuple[str, str]]
    appear: frozenset[tuple[str, str]]
    disappear: frozenset[tuple[str, str]]
    supported: bool | None

    def to_dict(self) -> dict[str, Any]:
        def pairs(x: Iterable[tuple[str, str]]) -> list[list[str]]:
            return [list(p) for p in TARGET_PAIRS if p in set(x)]

        return {
            "source": self.source,
            "question": self.question,
            "flipped_nbc_top": None if self.flipped_nbc_top is None else list(self.flipped_nbc_top),
            "disagreements": pairs(self.disagreements),
            "appear": pairs(self.appear),
            "disappear": pairs(self.disappear),
            "supported": self.supported,
        }


def objective_shifts(questions: Iterable[QuestionSensitivity]) -> list[ObjectiveShift]:
    """:class:`ObjectiveShift` of every question of a sweep whose targets were computed."""
    out = []
    for q in questions:
        qa = q.analysis
        if qa.targets is None:
            continue
        tops = qa.targets.tops
        pairs = disagreeing_pairs(tops)
        flipped = None
        appear: frozenset[tuple[str, str]] = frozenset()
        disappear: frozenset[tuple[str, str]] = frozenset()
        if q.nbc_flipped is not None:
            flipped = tuple(int(i) for i in top_choices(q.nbc_flipped))
            moved = disagreeing_pairs({**tops, "nbc": flipped})
            appear, disappear = moved - pairs, pairs - moved
        supported = qa.targets_disagreement_supported
        out.append(
            ObjectiveShift(
                qa.source, qa.question, tops, flipped, pairs, appear, disappear, supported
            )
        )
    return out


@dataclass(frozen=True)
class ObjectiveCounts:
    """Counts of :class:`ObjectiveShift` over the questions of one source (or all).

    Attributes
    ----------
    questions : int
        Questions with targets.
    disagree : int
        Questions where the targets with a choice do not all agree.
    supported : int or None
        Of those, how many disagreements the bootstrap supports (None without bootstrap).
    pairs : mapping {(str, str): int}
        Per pair of :data:`TARGET_PAIRS`, the questions where the two disagree.
    no_condorcet : int
        Questions without a Condorcet winner.
    lottery_mixes : int
        Questions whose maximal lottery is not deterministic.
    flippable : int
        Questions whose NBC order some distribution changes.
    appear, disappear : int
        Questions where some disagreement appears (disappears) under the flipping distribution.
    """

    questions: int
    disagree: int
    supported: int | None
    pairs: Mapping[tuple[str, str], int]
    no_condorcet: int
    lottery_mixes: int
    flippable: int
    appear: int
    disappear: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "disagree": self.disagree,
            "supported": self.supported,
            "pairs": {f"{a} vs {b}": n for (a, b), n in self.pairs.items()},
            "no_condorcet": self.no_condorcet,
            "lottery_mixes": self.lottery_mixes,
            "flippable": self.flippable,
            "appear": self.appear,
            "disappear": self.disappear,
        }


def objective_counts(
    questions: Sequence[QuestionSensitivity], shifts: Sequence[ObjectiveShift]
) -> ObjectiveCounts:
    """:class:`ObjectiveCounts` of ``questions`` with their ``shifts`` (same order)."""
    with_targets = [q.analysis for q in questions if q.analysis.targets is not None]
    boot = all(qa.target_support is not None for qa in with_targets)
    return ObjectiveCounts(
        questions=len(shifts),
        disagree=sum(bool(s.disagreements) for s in shifts),
        supported=sum(bool(s.supported) for s in shifts) if boot and shifts else None,
        pairs={p: sum(p in s.disagreements for s in shifts) for p in TARGET_PAIRS},
        no_condorcet=sum(not s.tops["condorcet"] for s in shifts),
        lottery_mixes=sum(
            qa.targets is not None and not qa.targets.maximal_lottery.deterministic
            for qa in with_targets
        ),
        flippable=sum(s.flipped_nbc_top is not None for s in shifts),
        appear=sum(bool(s.appear) for s in shifts),
        disappear=sum(bool(s.disappear) for s in shifts),
    )


__all__ = [
    "DEFAULT_BETA",
    "TARGET_PAIRS",
    "ObjectiveCounts",
    "ObjectiveShift",
    "TargetSupport",
    "disagreeing_pairs",
    "objective_counts",
    "objective_shifts",
    "replicate_tops",
    "target_support",
    "tops_disagree",
]
