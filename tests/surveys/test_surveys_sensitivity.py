"""The survey-level Section 7.1 sweep: filters, rows, summary, and agreement with the core."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialpref import compare_aggregates
from socialpref.sensitivity import SensitivityResult, sensitivity
from socialpref.surveys import (
    MIN_OPTIONS,
    MIN_PER_OPTION,
    QuestionAnalysis,
    QuestionSensitivity,
    SurveySensitivity,
    analyze_survey,
    base_fits,
    fit_base,
    passes_filters,
    read_wave,
    survey_sensitivity,
)
from socialpref.surveys.sensitivity import BLOCK, ORDER_LEVEL, FlipSupport

#: The sweep and the core run the same closed form: only summation order may differ.
ATOL = 1e-13
#: cvxpy (HiGHS) against the closed form, as in tests/sensitivity.
CVXPY_ATOL = 1e-7
ROW_KEYS = [
    "source", "question", "min_tv", "pair", "distribution", "top_flip", "flippable",
    "top_flippable", "top_min_tv", "repair_tv", "nbc_top", "average_top", "n_options",
    "n_respondents",
]  # fmt: skip
SUMMARY_KEYS = [
    "questions", "kept", "flippable", "top_flips", "median_min_tv", "flippable_share",
    "top_flippable", "repairable", "unanalysable", "flips_supported", "top_flips_supported",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


def _question(
    n_options: int,
    n_respondents: int,
    name: str = "Q",
    rewards: np.ndarray | None = None,
) -> QuestionAnalysis:
    """A hand-made analysed question (two types, fixed rewards unless given)."""
    r = (
        np.array([np.linspace(0.0, 2.0, n_options), np.linspace(1.5, 0.0, n_options)])
        if rewards is None
        else rewards
    )
    w = np.full(r.shape[0], 1.0 / r.shape[0])
    return QuestionAnalysis(
        source="hand.sav",
        question=name,
        text=name,
        options=tuple(f"o{k}" for k in range(r.shape[1])),
        types=tuple(f"t{u}" for u in range(r.shape[0])),
        type_weights=w,
        shares=np.full(r.shape, 1.0 / r.shape[1]),
        rewards=r,
        n_respondents=n_respondents,
        comparison=compare_aggregates(r, w),
    )


def _result(
    min_tv: float | None, top_flip: bool = False, top_flippable: bool = False, repair: bool = True
) -> SensitivityResult:
    ok = min_tv is not None
    return SensitivityResult(
        min_tv=min_tv,
        pair=(0, 1) if ok else None,
        distribution=np.array([0.5, 0.3, 0.2]) if ok else None,
        top_flip=top_flip,
        top_flippable=top_flippable,
        top_min_tv=min_tv if top_flippable else None,
        repair_tv=0.0 if repair else None,
        repair_feasible=repair,
        n_pairs=3,
        n_feasible=int(ok),
        nbc=np.array([0.6, 0.5, 0.4]),
        nbc_top=(0,),
        average_top=(2,),
    )


def assert_same(
    a: SensitivityResult, b: SensitivityResult, atol: float = ATOL, distribution: bool = True
) -> None:
    assert a.pair == b.pair and a.top_flip == b.top_flip and a.top_flippable == b.top_flippable
    assert a.nbc_top == b.nbc_top and a.average_top == b.average_top
    for x, y in ((a.min_tv, b.min_tv), (a.top_min_tv, b.top_min_tv), (a.repair_tv, b.repair_tv)):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert abs(x - y) <= atol
    assert (a.distribution is None) == (b.distribution is None)
    if distribution and a.distribution is not None and b.distribution is not None:
        np.testing.assert_allclose(a.distribution, b.distribution, atol=max(atol, 1e-14))


@pytest.fixture(scope="module")
def demo() -> tuple[list[QuestionAnalysis], int]:
    path = REPO / "data" / "demo" / "ATP W900.sav"
    assert path.exists(), "run: python data/make_demo_wave.py"
    result = analyze_survey(read_wave(path))
    return result.questions, len(result.unanalysable)


# ---- filters ----


@pytest.mark.parametrize(
    ("n_options", "n_respondents", "kw", "expected"),
    [
        (3, 300, {}, True),  # exactly 3 options, exactly 100 per option: both bounds inclusive
        (3, 299, {}, False),  # 99.67 per option
        (2, 10_000, {}, False),  # too few options
        (4, 400, {}, True),
        (4, 399, {}, False),
        (2, 10_000, {"min_options": 2}, True),
        (3, 1, {"min_per_option": 0}, True),
        (3, 30, {"min_per_option": 10}, True),
        (3, 29, {"min_per_option": 10}, False),
        (5, 10_000, {"min_options": 6}, False),
    ],
)
def test_filters_at_the_boundary(
    n_options: int, n_respondents: int, kw: dict[str, Any], expected: bool
) -> None:
    assert passes_filters(_question(n_options, n_respondents), **kw) is expected


def test_default_filters_are_the_papers() -> None:
    assert (MIN_OPTIONS, MIN_PER_OPTION) == (3, 100)


# ---- summary and rows on a hand-made set ----


def test_summary_on_a_hand_made_set() -> None:
    q3 = _question(3, 600)
    rows = (
        QuestionSensitivity(q3, _result(0.3, top_flip=True, top_flippable=True), True),
        QuestionSensitivity(q3, _result(0.1), True),
        QuestionSensitivity(q3, _result(None, top_flippable=False, repair=False), True),
        QuestionSensitivity(q3, _result(0.2, top_flippable=True), True),
        # dropped by the filters: never counted, solved or not
        QuestionSensitivity(_question(2, 50), _result(0.01, top_flip=True), False),
        QuestionSensitivity(_question(2, 50), None, False),
    )
    sweep = SurveySensitivity(rows, n_questions=9, n_unanalysable=3)
    summary = sweep.summary
    assert list(summary) == SUMMARY_KEYS  # the CLI prints them in this order
    assert summary == {
        "questions": 9,
        "kept": 4,
        "flippable": 3,
        "top_flips": 1,
        "median_min_tv": 0.2,
        "flippable_share": 0.75,
        "top_flippable": 2,
        "repairable": 3,
        "unanalysable": 3,
        "flips_supported": None,  # no bootstrap
        "top_flips_supported": None,
    }
    assert sweep.min_tvs == (0.3, 0.1, None, 0.2)
    assert [r["min_tv"] for r in sweep.to_dict()["questions"]] == [0.3, 0.1, None, 0.2]
    # an even number of flippable questions: the mean of the two middle ones
    even = SurveySensitivity(rows[:2], n_questions=2, n_unanalysable=0)
    assert even.summary["median_min_tv"] == pytest.approx(0.2, abs=1e-15)
    empty = SurveySensitivity((), n_questions=1, n_unanalysable=1).summary
    assert empty["kept"] == 0 and empty["flippable_share"] is None
    assert empty["median_min_tv"] is None


def test_row_has_the_cli_keys_and_labels() -> None:
    row = QuestionSensitivity(_question(3, 600), _result(0.3, top_flip=True), True).to_dict()
    assert list(row) == ROW_KEYS
    assert row["pair"] == ["o0", "o1"] and row["distribution"] == {"o0": 0.5, "o1": 0.3, "o2": 0.2}
    assert row["nbc_top"] == ["o0"] and row["average_top"] == ["o2"]
    assert row["n_options"] == 3 and row["n_respondents"] == 600 and row["flippable"] is True
    none = QuestionSensitivity(_question(3, 600), _result(None), True).to_dict()
    assert none["pair"] is None and none["distribution"] is None and none["flippable"] is False
    with pytest.raises(ValueError, match="not solved"):
        QuestionSensitivity(_question(2, 5), None, False).to_dict()


def test_only_kept_questions_are_solved_unless_solve_all() -> None:
    qs = [_question(3, 300, "A"), _question(2, 500, "B"), _question(4, 100, "C")]
    sweep = survey_sensitivity(qs, skipped=2)
    assert [q.kept for q in sweep.questions] == [True, False, False]
    assert [q.result is not None for q in sweep.questions] == [True, False, False]
    assert sweep.summary["questions"] == 5 and sweep.summary["kept"] == 1
    assert [r["question"] for r in sweep.to_dict()["questions"]] == ["A"]
    full = survey_sensitivity(qs, skipped=2, solve_all=True)
    assert all(q.result is not None for q in full.questions)
    assert full.summary == sweep.summary  # dropped questions never count
    assert survey_sensitivity(qs, seen=7, skipped=2).summary["questions"] == 7


# ---- agreement with the core ----


@pytest.mark.parametrize(
    "kw", [{}, {"model": "thurstone"}, {"eps": 1e-3, "delta": 1e-4, "model": "bt:2"}]
)
def test_equals_the_core_question_by_question(
    demo: tuple[list[QuestionAnalysis], int], kw: dict[str, Any]
) -> None:
    questions, skipped = demo
    steps: list[int] = []
    sweep = survey_sensitivity(
        questions, skipped=skipped, solve_all=True, progress=steps.append, **kw
    )
    assert len(sweep.questions) == len(questions)
    assert steps and all(0 < s <= BLOCK for s in steps) and sum(steps) == len(questions)
    for qs, qa in zip(sweep.questions, questions, strict=True):
        assert qs.analysis is qa and qs.kept is passes_filters(qa)
        assert qs.result is not None
        assert_same(qs.result, sensitivity(qa.rewards, qa.type_weights, **kw))


def test_demo_wave_summary(demo: tuple[list[QuestionAnalysis], int]) -> None:
    questions, skipped = demo
    summary = survey_sensitivity(questions, skipped=skipped).summary
    assert summary["questions"] == len(questions) + skipped == 20
    assert (summary["kept"], summary["flippable"], summary["top_flips"]) == (16, 8, 4)
    assert summary["top_flippable"] == 5 and summary["flippable_share"] == 0.5


def test_blocks_do_not_change_results(demo: tuple[list[QuestionAnalysis], int]) -> None:
    questions, _ = demo
    many = (questions * (BLOCK // len(questions) + 2))[: BLOCK + 5]  # two blocks
    sweep = survey_sensitivity(many, min_options=0, min_per_option=0)
    for qs in sweep.questions:
        assert qs.result is not None
        assert_same(qs.result, sensitivity(qs.analysis.rewards, qs.analysis.type_weights))


def test_base_as_mapping_or_vector() -> None:
    qa = _question(4, 4000)
    as_map = {"o3": 0.4, "o1": 0.2, "o0": 0.1, "o2": 0.3}
    np.testing.assert_array_equal(fit_base(as_map, qa), [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(fit_base([0.1, 0.2, 0.3, 0.4], qa), [0.1, 0.2, 0.3, 0.4])
    assert fit_base(None, qa) is None and base_fits(None, qa)
    assert not base_fits([0.5, 0.5], qa) and not base_fits({"o0": 1.0}, qa)
    want = sensitivity(qa.rewards, qa.type_weights, base=[0.1, 0.2, 0.3, 0.4])
    for base in (as_map, [0.1, 0.2, 0.3, 0.4]):
        for solver in ("exact", "linprog"):
            (got,) = survey_sensitivity([qa], base=base, solver=solver).questions
            assert got.result is not None
            assert_same(got.result, want, atol=1e-9)
    with pytest.raises(ValueError, match=r"'base'.*'Q'"):
        survey_sensitivity([qa], base=[0.5, 0.5])
    # a base that fits only dropped questions is not used
    assert survey_sensitivity([_question(2, 10)], base=[0.5, 0.5]).summary["kept"] == 0


def test_cvxpy_agrees_with_exact_on_the_demo_wave(
    demo: tuple[list[QuestionAnalysis], int],
) -> None:
    pytest.importorskip("cvxpy")
    questions, skipped = demo
    steps: list[int] = []
    exact = survey_sensitivity(questions, skipped=skipped)
    cvx = survey_sensitivity(questions, skipped=skipped, solver="cvxpy", progress=steps.append)
    assert steps == [1] * exact.summary["kept"]
    assert len(exact.kept) == len(cvx.kept) == 16
    for a, b in zip(exact.kept, cvx.kept, strict=True):
        assert a.result is not None and b.result is not None
        # the optimal distribution need not be unique (docs/sensitivity.md): compare its TV
        assert_same(a.result, b.result, atol=CVXPY_ATOL, distribution=False)
        if b.result.distribution is not None and b.result.min_tv is not None:
            n = b.result.distribution.size
            tv = 0.5 * np.abs(b.result.distribution - 1.0 / n).sum()
            assert tv == pytest.approx(b.result.min_tv, abs=CVXPY_ATOL)
    assert cvx.summary["median_min_tv"] == pytest.approx(
        exact.summary["median_min_tv"], abs=CVXPY_ATOL
    )
    assert {k: v for k, v in cvx.summary.items() if k != "median_min_tv"} == {
        k: v for k, v in exact.summary.items() if k != "median_min_tv"
    }


# ---- validation and layering ----


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"skipped": -1}, "'skipped'"),
        ({"seen": 0, "skipped": 1}, "'seen'"),
        ({"min_options": 2.5}, "'min_options'"),
        ({"min_per_option": -1}, "'min_per_option'"),
        ({"min_per_option": float("nan")}, "'min_per_option'"),
        ({"solver": "simplex"}, "'solver'"),
        ({"eps": 0.6}, "'eps'"),
        ({"model": "nope"}, "'model'"),
    ],
)
def test_bad_arguments_raise(kw: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        survey_sensitivity([_question(3, 300)], **kw)
    with pytest.raises(ValueError, match=needle):  # checked even with nothing to solve
        survey_sensitivity([], **kw)


# --------------------------------------------------------------------------------------------
# the flip over the bootstrap replicates


def test_tv_quantiles_equal_numpy_on_finite_values() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from socialpref.surveys.sensitivity import _tv_quantiles

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40), st.sampled_from([0.5, 0.9, 0.95])
    )
    def check(values: list[float], level: float) -> None:
        low, high = _tv_quantiles(np.asarray(values), level)
        want = np.percentile(values, [50 * (1 - level), 50 * (1 + level)])
        assert low is not None and high is not None
        assert abs(low - want[0]) <= 1e-12 and abs(high - want[1]) <= 1e-12

    check()


def test_tv_quantiles_count_unflippable_replicates_as_infinite() -> None:
    from socialpref.surveys.sensitivity import _tv_quantiles

    # positions 0.75 and 2.25 of [0.1, 0.2, inf, inf]
    low, high = _tv_quantiles(np.array([0.2, np.nan, 0.1, np.nan]), 0.5)
    assert low == pytest.approx(0.175, abs=1e-15) and high is None
    assert _tv_quantiles(np.full(5, np.nan), 0.95) == (None, None)
    assert _tv_quantiles(np.array([0.3, 0.3, np.nan]), 0.0 + 1e-9)[0] == pytest.approx(0.3)


@pytest.fixture(scope="module")
def booted() -> list[QuestionAnalysis]:
    wave = read_wave(REPO / "data" / "demo" / "ATP W900.sav")
    return analyze_survey(wave, bootstrap=40, seed=3).questions


def test_flip_support_equals_each_replicate_solved_alone(booted: list[QuestionAnalysis]) -> None:
    """One vectorised sweep over every replicate = the core question by question."""
    sweep = survey_sensitivity(booted)
    checked = 0
    for q in sweep.kept:
        sup, qa = q.support, q.analysis
        assert sup is not None and qa.bootstrap is not None and q.result is not None
        results = [sensitivity(pop) for pop in qa.bootstrap.populations()]
        flippable = np.array([r.min_tv is not None for r in results])
        assert sup.n_boot == 40 and sup.level == 0.95
        assert sup.p_flippable == pytest.approx(flippable.mean(), abs=1e-15)
        assert sup.p_top_flip == pytest.approx(np.mean([r.top_flip for r in results]), abs=1e-15)
        tvs = np.array([np.nan if r.min_tv is None else r.min_tv for r in results])
        if flippable.all():
            lo, hi = np.percentile(tvs, [2.5, 97.5])
            assert sup.min_tv_low == pytest.approx(lo, abs=ATOL)
            assert sup.min_tv_high == pytest.approx(hi, abs=ATOL)
        if q.result.pair is not None:
            i, j = q.result.pair
            order = np.mean([r.nbc[i] - r.nbc[j] > 1e-12 for r in results])
            assert sup.p_pair_order == pytest.approx(order, abs=1e-15)
        else:
            assert sup.p_pair_order is None
        checked += 1
    assert checked == 16
    summary = sweep.summary
    assert summary["flips_supported"] == sum(q.flip_verdict == "supported" for q in sweep.kept)
    assert summary["top_flips_supported"] == sum(bool(q.top_flip_supported) for q in sweep.kept)
    off = survey_sensitivity(booted, bootstrap=False)
    assert all(q.support is None for q in off.questions)
    assert off.summary["flips_supported"] is None


def test_nbc_under_the_flipping_distribution(booted: list[QuestionAnalysis]) -> None:
    from socialpref import nbc

    sweep = survey_sensitivity(booted, solve_all=True)
    for q in sweep.questions:
        res = q.result
        assert res is not None
        if res.distribution is None:
            assert q.nbc_flipped is None
        else:
            want = nbc(q.analysis.rewards, q.analysis.type_weights, res.distribution)
            np.testing.assert_allclose(q.nbc_flipped, want, atol=ATOL, rtol=0)
            i, j = res.pair  # type: ignore[misc]
            assert q.nbc_flipped[j] >= q.nbc_flipped[i]  # the flip happened


def _support(p_flippable: float, p_top: float, p_order: float | None) -> FlipSupport:
    return FlipSupport(100, 0.95, 0.1, 0.3, p_flippable, p_top, p_order)


@pytest.mark.parametrize(
    ("support", "top_flip", "verdict", "top_supported"),
    [
        (_support(0.9, 0.8, 0.99), True, "supported", True),
        (_support(0.9, 0.4, 0.99), True, "supported", False),
        (_support(0.4, 0.4, 0.99), True, "not supported", False),
        (_support(0.9, 0.9, 0.9), False, "within noise", None),
        (_support(0.5, 0.5, ORDER_LEVEL), True, "supported", True),  # bounds are inclusive
        (None, True, None, None),
    ],
)
def test_flip_verdicts(
    support: FlipSupport | None, top_flip: bool, verdict: str | None, top_supported: bool | None
) -> None:
    q = QuestionSensitivity(_question(3, 600), _result(0.2, top_flip=top_flip), True, support)
    assert q.flip_verdict == verdict and q.top_flip_supported is top_supported
    row = q.to_dict()
    assert ("bootstrap" in row) is (support is not None)
    unflippable = QuestionSensitivity(_question(3, 600), _result(None), True, support)
    assert unflippable.flip_verdict is None


def test_one_summary_per_source() -> None:
    a = dataclasses.replace(_question(3, 600, "A"), source="a.sav")
    b = dataclasses.replace(_question(4, 900, "B"), source="b.sav")
    sweep = survey_sensitivity([a, b, b], skipped={"a.sav": 2, "b.sav": 0, "c.sav": 1})
    by = sweep.by_source
    assert list(by) == ["a.sav", "b.sav", "c.sav"]
    assert by["a.sav"]["questions"] == 3 and by["a.sav"]["unanalysable"] == 2
    assert by["b.sav"]["kept"] == 2 and by["c.sav"]["questions"] == 1
    pooled = sweep.summary
    for key in ("questions", "kept", "flippable", "top_flips", "unanalysable"):
        assert pooled[key] == sum(v[key] for v in by.values()), key
    rows = sweep.to_dict()["by_source"]
    assert [r["source"] for r in rows] == ["a.sav", "b.sav", "c.sav"]
