"""The vectorised sweep equals the question-by-question analysis, whatever its chunks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from socialpref.errors import ParameterError, SocialPrefError
from socialpref.population import Population
from socialpref.sensitivity import SweepResult, nbc_sensitivity, plan_sweep, sensitivity_sweep


def mixed_questions(seed: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Questions with 2-9 options and 1-4 types, from agreeing to polarised populations."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n, u = int(rng.integers(2, 10)), int(rng.integers(1, 5))
        out.append(
            (rng.normal(size=(u, n)) * rng.choice([0.5, 2.0, 6.0]), rng.dirichlet(np.ones(u)))
        )
    return out


def assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.pair == b.pair and a.top_flip == b.top_flip and a.top_flippable == b.top_flippable
    assert a.n_pairs == b.n_pairs and a.n_feasible == b.n_feasible
    assert a.nbc_top == b.nbc_top and a.average_top == b.average_top
    for x, y in ((a.min_tv, b.min_tv), (a.top_min_tv, b.top_min_tv), (a.repair_tv, b.repair_tv)):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert abs(x - y) <= 1e-13
    if a.distribution is not None:
        np.testing.assert_allclose(a.distribution, b.distribution, atol=1e-14)
    np.testing.assert_allclose(a.nbc, b.nbc, atol=1e-14)


@pytest.mark.parametrize("chunk_size", [1, 7, 512])
def test_sweep_equals_question_by_question(chunk_size: int) -> None:
    questions = mixed_questions(1, 120)
    sweep = sensitivity_sweep(questions, chunk_size=chunk_size)
    assert isinstance(sweep, SweepResult) and len(sweep) == len(questions)
    for (r, w), res in zip(questions, sweep.results, strict=True):
        assert_same(res, nbc_sensitivity(r, w))


def test_sweep_with_bases_model_and_populations() -> None:
    rng = np.random.default_rng(2)
    questions = mixed_questions(3, 40)
    bases = [
        None if k % 2 else rng.dirichlet(np.ones(r.shape[1])) for k, (r, _) in enumerate(questions)
    ]
    pops = [Population(r, w) for r, w in questions]
    sweep = sensitivity_sweep(pops, bases=bases, model="thurstone", repair=False)
    for (r, w), b, res in zip(questions, bases, sweep.results, strict=True):
        assert_same(res, nbc_sensitivity(r, w, base=b, model="thurstone", repair=False))


def test_summary_and_arrays() -> None:
    sweep = sensitivity_sweep(mixed_questions(4, 60))
    s = sweep.summary()
    tv = sweep.min_tv
    assert s["questions"] == 60
    assert s["flippable"] == int(np.isfinite(tv).sum()) == int(sweep.flippable.sum())
    assert 0 < s["flippable"] < 60
    assert s["top_flips"] == int(sweep.top_flip.sum()) <= s["top_flippable"] <= s["flippable"]
    assert s["median_min_tv"] == pytest.approx(float(np.median(tv[np.isfinite(tv)])), abs=0)
    json.dumps(sweep.to_dict(), allow_nan=False)


def test_empty_and_bad_input() -> None:
    empty = sensitivity_sweep([])
    assert len(empty) == 0 and empty.summary()["median_min_tv"] is None
    with pytest.raises(ValueError, match="'bases'"):
        sensitivity_sweep(mixed_questions(5, 2), bases=[None])
    with pytest.raises(ValueError, match="'populations'"):
        sensitivity_sweep([np.zeros(3)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'eps'"):
        sensitivity_sweep(mixed_questions(5, 3), eps=0.2)
    with pytest.raises(ValueError, match="'chunk_size'"):
        sensitivity_sweep(mixed_questions(5, 3), chunk_size=0)


def test_blocks_and_chunks_do_not_change_the_answer() -> None:
    """A tiny memory budget forces one question per chunk and a few pairs per block."""
    questions = mixed_questions(6, 40)
    rng = np.random.default_rng(6)
    bases = [
        None if k % 3 else rng.dirichlet(np.ones(r.shape[1])) for k, (r, _) in enumerate(questions)
    ]
    roomy = sensitivity_sweep(questions, bases=bases)
    plan = plan_sweep(9, 4, 40, memory_budget=64_000)
    assert plan.questions_per_chunk == 1 and plan.pairs_per_block < 36
    tight = sensitivity_sweep(questions, bases=bases, memory_budget=64_000)
    for a, b in zip(roomy.results, tight.results, strict=True):
        assert_same(a, b)


@pytest.mark.parametrize("solver", ["linprog", "cvxpy"])
def test_lp_back_ends_give_the_same_sweep(solver: str) -> None:
    if solver == "cvxpy":
        pytest.importorskip("cvxpy")
    questions = mixed_questions(7, 12)
    exact, by_lp = sensitivity_sweep(questions), sensitivity_sweep(questions, solver=solver)
    np.testing.assert_array_equal(exact.pair, by_lp.pair)
    for key in ("min_tv", "top_min_tv", "repair_tv"):
        got, want = getattr(by_lp, key), getattr(exact, key)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-7, equal_nan=True)
    # optimal distributions need not be unique: each is at the minimal TV from uniform
    for k, res in enumerate(by_lp.results):
        if res.distribution is not None and res.min_tv is not None:
            n = res.distribution.size
            assert abs(0.5 * np.abs(res.distribution - 1 / n).sum() - res.min_tv) <= 1e-7
            assert exact.results[k].distribution is not None


def test_too_large_for_the_budget_is_refused_up_front() -> None:
    """The estimate comes before any work: no 1.6 GB allocation happens here."""
    big = (np.zeros((1, 5000)), np.ones(1))
    with pytest.raises(SocialPrefError, match=r"5000 options .* needs about [\d.]+ GiB") as info:
        sensitivity_sweep([big])
    assert not isinstance(info.value, ParameterError)
    with pytest.raises(ParameterError, match="'memory_budget'"):
        sensitivity_sweep(mixed_questions(8, 2), memory_budget=0)
