"""The vectorised respondent-level bootstrap of socialpref.luce against brute force and theory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialpref import bootstrap_intervals, compare_aggregates, luce_rewards, shares_from_counts
from socialpref.errors import ParameterError
from socialpref.luce import (
    _percentiles,
    bootstrap_multiplicities,
    bootstrap_summaries,
    replicate_aggregates,
    replicate_counts,
)
from socialpref.sensitivity import sensitivity, sensitivity_sweep

ATOL = 1e-12
#: The replicate matrix products run in float32: counts agree with float64 sums to this.
COUNT_RTOL = 1e-5


@settings(max_examples=40)
@given(
    n=st.integers(1, 40),
    n_boot=st.integers(1, 5),
    n_groups=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_replicate_counts_equal_brute_force(n, n_boot, n_groups, sizes, seed):
    rng = np.random.default_rng(seed)
    m = rng.integers(0, 4, size=(n_boot, n))
    groups = rng.integers(-1, n_groups, size=n)  # -1: not counted; not sorted
    answers = np.stack([rng.integers(-1, k, size=n) for k in sizes])
    w = rng.uniform(0.2, 3.0, size=n)
    got = replicate_counts(m, groups, answers, n_groups, sizes, w)
    for q, k in enumerate(sizes):
        want = np.zeros((n_boot, n_groups, k))
        for b in range(n_boot):
            for r in range(n):
                if groups[r] >= 0 and answers[q, r] >= 0:
                    want[b, groups[r], answers[q, r]] += m[b, r] * w[r]
        np.testing.assert_allclose(got[q], want, rtol=COUNT_RTOL, atol=1e-9)


def test_replicate_counts_in_blocks_of_columns():
    # more than 1024 option columns: several one-hot blocks
    rng = np.random.default_rng(0)
    sizes = [5] * 250
    n = 30
    m = rng.integers(0, 3, size=(3, n))
    groups = rng.integers(0, 2, size=n)
    answers = np.stack([rng.integers(0, k, size=n) for k in sizes])
    got = replicate_counts(m, groups, answers, 2, sizes)
    for q in (0, 204, 205, 249):
        want = np.zeros((3, 2, 5))
        np.add.at(want, (slice(None), groups, answers[q]), m)
        np.testing.assert_allclose(got[q], want, rtol=COUNT_RTOL)
    with pytest.raises(ParameterError, match="must fit"):
        replicate_counts(m, groups[:-1], answers, 2, sizes)


counts_stacks = st.tuples(
    st.integers(1, 6), st.integers(1, 4), st.integers(2, 5), st.integers(0, 2**16)
)


@settings(max_examples=40)
@given(shape=counts_stacks, model=st.sampled_from(["bt", "thurstone", "majority"]))
def test_replicate_aggregates_equal_the_core_per_population(shape, model):
    n_pop, n_types, n_options, seed = shape
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 6, size=(n_pop, n_types, n_options)).astype(float)
    counts[0, 0] = 0.0  # a type absent from a replicate
    counts[:, -1, 0] = 0.0  # a zero share: mixed with the uniform distribution
    counts[:, -1, 1] += 1.0
    d = rng.dirichlet(np.ones(n_options))
    agg = replicate_aggregates(counts, d, model)
    for k in range(n_pop):
        present = counts[k].sum(axis=1) > 0
        est = shares_from_counts(counts[k][present])
        np.testing.assert_allclose(agg.type_weights[k][present], est.type_weights, atol=ATOL)
        assert np.all(agg.type_weights[k][~present] == 0)
        r = luce_rewards(est.shares)
        np.testing.assert_allclose(agg.rewards[k][present], r, atol=ATOL)
        c = compare_aggregates(r, est.type_weights, d, model)
        np.testing.assert_allclose(agg.average_reward[k], c.average_reward, atol=ATOL)
        np.testing.assert_allclose(agg.nbc[k], c.nbc, atol=ATOL)
        assert bool(agg.tops_differ[k]) == c.tops_differ


@given(
    st.integers(2, 60),
    st.integers(1, 8),
    st.floats(0.5, 0.99),
    st.integers(0, 2**16),
)
def test_percentiles_equal_numpy_with_and_without_nan(n_boot, width, level, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_boot, width))
    lo, hi = _percentiles(x, level)
    want = np.percentile(x, [50 * (1 - level), 50 * (1 + level)], axis=0)
    np.testing.assert_allclose(lo, want[0], atol=ATOL)
    np.testing.assert_allclose(hi, want[1], atol=ATOL)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 0] = np.nan  # a column with no value at all
    lo, hi = _percentiles(x, level)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanpercentile(x, [50 * (1 - level), 50 * (1 + level)], axis=0)
    np.testing.assert_allclose(lo, want[0], atol=ATOL, equal_nan=True)
    np.testing.assert_allclose(hi, want[1], atol=ATOL, equal_nan=True)


def test_multiplicities_are_a_classic_bootstrap():
    m = bootstrap_multiplicities(50, 4000, rng=3)
    assert m.shape == (4000, 50) and np.all(m.sum(axis=1) == 50)
    np.testing.assert_array_equal(m[:10], bootstrap_multiplicities(50, 10, rng=3))
    # each count is Binomial(n, 1/n): mean 1, variance 1 - 1/n
    assert abs(m.mean() - 1.0) < 1e-12
    assert abs(m.var() - (1 - 1 / 50)) < 0.03
    with pytest.raises(ParameterError, match="n_boot"):
        bootstrap_multiplicities(5, 0)


def test_bootstrap_standard_error_matches_the_closed_form():
    """Unweighted share: SD over replicates ~ sqrt(p (1 - p) / n); weighted: the linearised SE."""
    rng = np.random.default_rng(7)
    n = 3000
    answers = (rng.random(n) < 0.3).astype(np.int64)
    types = np.zeros(n, dtype=np.int64)
    m = bootstrap_multiplicities(n, 800, rng=1)
    for weights in (None, rng.uniform(0.3, 3.0, n)):
        (counts,) = replicate_counts(m, types, answers[None], 1, [2], weights)
        share = counts[:, 0, 1] / counts[:, 0].sum(axis=1)
        w = np.ones(n) if weights is None else weights
        p = (w * answers).sum() / w.sum()
        se = np.sqrt((w**2 * (answers - p) ** 2).sum()) / w.sum()  # = sqrt(p(1-p)/n) unweighted
        assert abs(share.std() / se - 1) < 0.1


def test_p_tops_differ_grows_with_the_evidence():
    rng = np.random.default_rng(2)
    # a single type: NBC and the average reward always agree
    answers = rng.choice(3, size=2000, p=[0.5, 0.3, 0.2])
    single = bootstrap_intervals(answers, np.zeros(2000, dtype=np.int64), 1, 3, n_boot=100, rng=0)
    assert single.p_tops_differ == 0.0
    # the paper's EV example (Fig. 1): NBC's top ("Not too likely") and the average reward's
    # ("Not at all likely") differ by 0.009 in NBC; a small sample hardly supports it
    shares = np.array(
        [[0.019, 0.036, 0.247, 0.638, 0.059], [0.207, 0.305, 0.232, 0.125, 0.131],
         [0.05, 0.116, 0.247, 0.265, 0.321]]
    )  # fmt: skip
    shares /= shares.sum(axis=1, keepdims=True)
    p = []
    for n in (400, 4000, 100_000):
        types = rng.choice(3, size=n, p=[0.454, 0.477, 0.069])
        answers = (rng.random(n)[:, None] > np.cumsum(shares[types], axis=1)[:, :-1]).sum(axis=1)
        b = bootstrap_intervals(answers, types, 3, 5, n_boot=200, rng=0)
        p.append(b.p_tops_differ)
    assert p[0] < 0.8 and p[0] < p[1] and p[2] >= 0.95, p
    assert b.replicate_rewards.shape == (200, 3, 5) and b.replicate_type_weights.shape == (200, 3)
    assert "replicate_rewards" not in b.to_dict() and "p_tops_differ" in b.to_dict()


def test_summaries_of_stacked_questions_equal_one_by_one():
    rng = np.random.default_rng(4)
    counts = rng.integers(1, 9, size=(3 * 50, 2, 4)).astype(float)
    agg = replicate_aggregates(counts)
    stacked = bootstrap_summaries(agg, 50)
    for q in range(3):
        part = slice(q * 50, (q + 1) * 50)
        one = bootstrap_summaries(replicate_aggregates(counts[part]), 50)[0]
        np.testing.assert_allclose(stacked[q].nbc_low, one.nbc_low, atol=ATOL)
        np.testing.assert_allclose(stacked[q].rewards_high, one.rewards_high, atol=ATOL)
        np.testing.assert_allclose(stacked[q].shares_low, one.shares_low, atol=ATOL)
        assert stacked[q].p_tops_differ == one.p_tops_differ


def test_replicates_feed_the_batched_sensitivity_sweep():
    """The replicate populations go through the vectorised sweep as they are."""
    rng = np.random.default_rng(5)
    n = 1500
    types = rng.integers(0, 3, size=n)
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.3, 0.2]])
    answers = np.array([rng.choice(4, p=probs[t]) for t in types])
    b = bootstrap_intervals(answers, types, 3, 4, n_boot=12, rng=0)
    pops = list(b.populations(options=("A", "B", "C", "D")))
    sweep = sensitivity_sweep(pops, repair=False)
    for k, pop in enumerate(pops[:4]):
        one = sensitivity(pop.rewards, pop.type_weights, repair=False)
        a, c = sweep.results[k].min_tv, one.min_tv
        assert (a is None) == (c is None) and (a is None or abs(a - c) < 1e-9)
