"""Every target on survey questions: the batched analysis against the core question by question,
the bootstrap support against a loop over the replicates, and the shifts under the flip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialpref.surveys import QuestionAnalysis, analyze_survey, read_wave, survey_sensitivity
from socialpref.surveys.objectives import (
    TARGET_PAIRS,
    disagreeing_pairs,
    objective_counts,
    objective_shifts,
    tops_disagree,
)
from socialpref.targets import TARGET_NAMES, compare_targets

REPO = Path(__file__).resolve().parents[2]
#: The batch and the single question run the same formulas in another summation order.
ATOL = 1e-12
N_BOOT = 30


@pytest.fixture(scope="module")
def demo() -> list[QuestionAnalysis]:
    wave = read_wave(REPO / "data" / "demo" / "ATP W900.sav")
    return analyze_survey(wave, bootstrap=N_BOOT, seed=5, targets=True, beta=0.5).questions


def test_targets_equal_the_core_question_by_question(demo: list[QuestionAnalysis]) -> None:
    for qa in demo:
        t = qa.targets
        assert t is not None and t.beta == 0.5
        one = compare_targets(qa.population, None, qa.sampling, beta=0.5)
        assert t.tops == one.tops, qa.question
        np.testing.assert_allclose(t.maximal_lottery.probabilities, one.maximal_lottery.probabilities, atol=1e-9)  # fmt: skip
        np.testing.assert_allclose(t.nash_policy, one.nash_policy, atol=1e-9)
        np.testing.assert_allclose(t.copeland_scores, one.copeland_scores, atol=0)
        # the comparison of the analysis is the targets' own
        np.testing.assert_allclose(qa.nbc, t.aggregates.nbc, atol=0)
        tops = qa.target_tops
        assert tops is not None and set(tops) == set(TARGET_NAMES)
        assert tops["nbc"] == tuple(qa.options[i] for i in qa.comparison.nbc_top)
        d = qa.to_dict()["targets"]
        assert set(d["tops"]) == set(TARGET_NAMES) and d["beta"] == 0.5
        assert abs(sum(d["maximal_lottery"].values()) - 1) < 1e-9


def test_without_targets_nothing_changes(demo: list[QuestionAnalysis]) -> None:
    wave = read_wave(REPO / "data" / "demo" / "ATP W900.sav")
    plain = analyze_survey(wave, bootstrap=N_BOOT, seed=5).questions
    for a, b in zip(plain, demo, strict=True):
        assert a.targets is None and a.target_tops is None and a.targets_agree is None
        np.testing.assert_array_equal(a.nbc, b.nbc)
        np.testing.assert_array_equal(a.bootstrap.replicate_nbc, b.bootstrap.replicate_nbc)  # type: ignore[union-attr]
        assert "targets" not in a.to_dict()


def test_support_equals_a_loop_over_the_replicates(demo: list[QuestionAnalysis]) -> None:
    for qa in demo[:8]:
        assert qa.bootstrap is not None and qa.target_support is not None and qa.targets
        same = {name: 0 for name in TARGET_NAMES}
        disagree = 0
        for pop in qa.bootstrap.populations():
            rep = compare_targets(pop, None, qa.sampling, beta=0.5)
            for name in TARGET_NAMES:
                same[name] += set(rep.tops[name]) == set(qa.targets.tops[name])
            disagree += not rep.targets_agree
        sup = qa.target_support
        assert sup.n_boot == N_BOOT
        for name in TARGET_NAMES:
            assert sup.p_same_top[name] == pytest.approx(same[name] / N_BOOT, abs=1e-15), name
        assert sup.p_disagree == pytest.approx(disagree / N_BOOT, abs=1e-15)
        if qa.targets_agree:
            assert qa.targets_disagreement_supported is None
        else:
            assert qa.targets_disagreement_supported is (sup.p_disagree >= 0.5)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=6, max_size=6))
def test_vectorised_disagreement_equals_the_pairs(masks: list[list[bool]]) -> None:
    tops = {name: np.array([m]) for name, m in zip(TARGET_NAMES, masks, strict=True)}
    as_sets = {name: tuple(np.flatnonzero(m)) for name, m in zip(TARGET_NAMES, masks, strict=True)}
    assert bool(tops_disagree(tops)[0]) == bool(disagreeing_pairs(as_sets))


def test_disagreeing_pairs_ignore_targets_without_a_choice() -> None:
    tops = {
        "average_reward": (0,),
        "nbc": (1,),
        "maximal_lottery": (1,),
        "condorcet": (),
        "copeland": (0, 1),
        "nash": (1,),
    }
    pairs = disagreeing_pairs(tops)
    assert ("average_reward", "nbc") in pairs and ("nbc", "maximal_lottery") not in pairs
    assert not any("condorcet" in p for p in pairs)
    assert ("nbc", "copeland") in pairs  # (1,) against (0, 1): different sets
    assert set(TARGET_PAIRS) >= pairs and len(TARGET_PAIRS) == 15


def test_shifts_under_the_flipping_distribution(demo: list[QuestionAnalysis]) -> None:
    sweep = survey_sensitivity(demo, solve_all=True)
    shifts = objective_shifts(sweep.questions)
    assert len(shifts) == len(demo)
    by_name = {s.question: s for s in shifts}
    for q, s in zip(sweep.questions, shifts, strict=True):
        assert s.appear.isdisjoint(s.disappear)
        # only NBC depends on D
        assert all("nbc" in pair for pair in s.appear | s.disappear), s.question
        assert (s.flipped_nbc_top is None) == (q.nbc_flipped is None)
    ev = by_name["EVCAR2_W900"]  # NBC's top C moves to D, the others' choice
    assert ("average_reward", "nbc") in ev.disagreements
    assert ("average_reward", "nbc") in ev.disappear and ("nbc", "maximal_lottery") in ev.disappear
    counts = objective_counts(sweep.questions, shifts)
    assert counts.questions == len(demo)
    assert counts.disagree == sum(qa.targets_agree is False for qa in demo)
    assert counts.pairs[("average_reward", "nbc")] == sum(qa.tops_differ for qa in demo)
    assert counts.disappear >= 1 and counts.flippable == sum(
        s.flipped_nbc_top is not None for s in shifts
    )
    assert counts.supported == sum(bool(qa.targets_disagreement_supported) for qa in demo)
    assert set(counts.to_dict()["pairs"]) == {f"{a} vs {b}" for a, b in TARGET_PAIRS}
