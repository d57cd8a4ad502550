"""Luce-Shepard estimation (Eq. 27), zero-share policies, weighted counts and the bootstrap."""

from __future__ import annotations

import choix
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from socialpref import (
    bootstrap_intervals,
    choice_counts,
    luce_rewards,
    nbc,
    shares_from_counts,
)
from socialpref.errors import DataError, ParameterError

ATOL = 1e-12

count_rows = arrays(
    np.float64, st.tuples(st.integers(1, 4), st.integers(2, 6)), elements=st.floats(0.5, 1e4)
)


@given(counts=count_rows, scale=st.floats(1e-3, 1e3))
def test_luce_rewards_invariant_to_scaling_counts(counts, scale):
    np.testing.assert_allclose(luce_rewards(counts * scale), luce_rewards(counts), atol=1e-9)


@given(counts=count_rows)
def test_luce_rewards_are_centred_log_shares(counts):
    shares = counts / counts.sum(axis=1, keepdims=True)
    r = luce_rewards(shares)
    np.testing.assert_allclose(r.sum(axis=1), 0.0, atol=1e-9)
    logs = np.log(shares)
    np.testing.assert_allclose(r, logs - logs.mean(axis=1, keepdims=True), atol=1e-9)
    # the model's choice probabilities reproduce the shares (Eq. 27)
    np.testing.assert_allclose(np.exp(r) / np.exp(r).sum(axis=1, keepdims=True), shares, atol=1e-9)


def test_luce_matches_choix_top1_estimators():
    rng = np.random.default_rng(0)
    for _ in range(5):
        n = int(rng.integers(3, 6))
        counts = rng.integers(1, 40, size=n)
        data = [
            (i, tuple(j for j in range(n) if j != i)) for i in range(n) for _ in range(counts[i])
        ]
        expected = choix.ilsr_top1(n, data, tol=1e-12, max_iter=1000)
        np.testing.assert_allclose(luce_rewards(counts), expected - expected.mean(), atol=1e-6)
        np.testing.assert_allclose(
            luce_rewards(counts),
            choix.lsr_top1(n, data) - choix.lsr_top1(n, data).mean(),
            atol=1e-6,
        )


def test_zero_share_policies():
    shares = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    with pytest.raises(DataError, match=r"Dem never chose C"):
        luce_rewards(
            shares, zero_policy="error", options=["A", "B", "C"], types=["Rep", "Dem"][::-1]
        )
    mixed = luce_rewards(shares, zero_policy="mix", mix=1e-3)
    assert np.all(np.isfinite(mixed))
    # rows without zeros are untouched
    np.testing.assert_allclose(mixed[1], luce_rewards(shares[1]), atol=ATOL)
    smoothed = 0.999 * shares[0] + 1e-3 / 3
    np.testing.assert_allclose(mixed[0], np.log(smoothed) - np.log(smoothed).mean(), atol=ATOL)
    ref = luce_rewards(shares, zero_policy="reference")
    assert ref[0, 2] - ref[0, 0] == pytest.approx(np.log(1e-15) - np.log(0.5 + 1e-15), rel=1e-9)
    with pytest.raises(ParameterError, match="zero_policy"):
        luce_rewards(shares, zero_policy="drop")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        [0.5],
        [[0.1, np.nan]],
        [[-0.1, 1.1]],
        [[0.0, 0.0], [0.5, 0.5]],
        np.zeros((2, 2, 2)),
        [[1, 2], [1]],
    ],
)
def test_luce_bad_input(bad):
    with pytest.raises(ParameterError, match="shares"):
        luce_rewards(bad)


def test_choice_counts_and_shares_from_counts():
    answers = np.array([0, 1, 1, 2, 0, 2])
    types = np.array([0, 0, 1, 1, 1, 0])
    weights = np.array([1.0, 2.0, 0.5, 1.5, 1.0, 3.0])
    c = choice_counts(answers, types, 2, 3, weights)
    np.testing.assert_allclose(c, [[1.0, 2.0, 3.0], [1.0, 0.5, 1.5]])
    est = shares_from_counts(c)
    np.testing.assert_allclose(est.type_weights, [6 / 9, 3 / 9])
    np.testing.assert_allclose(est.shares[1], [1 / 3, 1 / 6, 1 / 2])
    with pytest.raises(ValueError, match="weights"):
        choice_counts(answers, types, 2, 3, -weights)


def test_bootstrap_is_seeded_and_covers_the_estimate():
    rng = np.random.default_rng(1)
    n = 3000
    types = rng.integers(0, 2, size=n)
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])
    answers = np.array([rng.choice(3, p=probs[t]) for t in types])
    weights = rng.uniform(0.5, 2.0, size=n)
    a = bootstrap_intervals(answers, types, 2, 3, weights, n_boot=200, rng=5)
    b = bootstrap_intervals(answers, types, 2, 3, weights, n_boot=200, rng=5)
    np.testing.assert_array_equal(a.nbc_low, b.nbc_low)
    est = shares_from_counts(choice_counts(answers, types, 2, 3, weights))
    r = luce_rewards(est.shares)
    point = nbc(r, est.type_weights)
    assert np.all(a.nbc_low <= point) and np.all(point <= a.nbc_high)
    assert np.all(a.rewards_low <= r) and np.all(r <= a.rewards_high)
    # intervals shrink roughly like 1/sqrt(n): a tenth of the data gives wider intervals
    small = bootstrap_intervals(answers[:300], types[:300], 2, 3, weights[:300], n_boot=200, rng=5)
    assert np.all((small.nbc_high - small.nbc_low) > (a.nbc_high - a.nbc_low))
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_intervals(answers, types, 2, 3, n_boot=1)
