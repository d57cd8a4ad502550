"""Relabelling: sampled label frequencies match their Bradley-Terry probabilities; max-info equals
resampling all types until they agree (proof of Prop. 6.1), checked by brute-force simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from socialpref.errors import ParameterError
from socialpref.llm.relabel import (
    average_reward_labels,
    average_ties,
    label_probabilities,
    orient_pairs,
    relabel,
    sample_labels,
)
from socialpref.llm.rewards import reward_matrix

N = 200_000
SIGMAS = 5.0  # frequency tolerance: 5 binomial standard errors


def _close(freq: float, p: float, n: int) -> bool:
    return abs(freq - p) <= SIGMAS * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


@pytest.mark.parametrize("dataset", ["anonymous", "max-info", "average"])
def test_frequencies_match_probabilities(dataset: str) -> None:
    a, b = np.full(N, 300), np.full(N, 200)
    labels = relabel(a, b, dataset, rng=0)
    p = float(label_probabilities([300], [200], dataset)[0])
    assert _close(labels.mean(), p, N)


def test_closed_forms_of_the_probabilities() -> None:
    d = reward_matrix([300]) - reward_matrix([200])
    assert label_probabilities([300], [200], "anonymous")[0] == pytest.approx(
        expit(d).mean(), abs=1e-12
    )
    assert label_probabilities([300], [200], "max-info")[0] == pytest.approx(
        expit(d.sum()), abs=1e-12
    )
    assert label_probabilities([300], [200], "average")[0] == pytest.approx(
        expit(d.mean()), abs=1e-12
    )


def test_max_info_equals_resampling_until_consensus() -> None:
    # Brute force: ask all three types (BT each) repeatedly until they agree.
    rng = np.random.default_rng(1)
    d = (reward_matrix([400]) - reward_matrix([150]))[:, 0]
    n, agreed = 60_000, []
    while len(agreed) < n:
        votes = rng.random((n, 3)) < expit(d)
        consensus = votes.all(axis=1) | (~votes).all(axis=1)
        agreed.extend(votes[consensus, 0].tolist())
    freq = float(np.mean(agreed[:n]))
    assert _close(freq, float(label_probabilities([400], [150], "max-info")[0]), n)


def test_anonymous_uses_one_type_per_pair_with_type_weights() -> None:
    a, b = np.full(N, 500), np.full(N, 20)  # long type: a; short type: b; mid: b slightly
    weights = [0.7, 0.2, 0.1]
    labels = relabel(a, b, "anonymous", type_weights=weights, rng=3)
    d = (reward_matrix([500]) - reward_matrix([20]))[:, 0]
    assert _close(labels.mean(), float(np.dot(weights, expit(d))), N)


def test_test_labels_are_deterministic_and_ties_flagged() -> None:
    a, b = np.array([500, 10, 100, 256]), np.array([10, 500, 100, 200])
    r = reward_matrix(a).mean(0) - reward_matrix(b).mean(0)
    np.testing.assert_array_equal(relabel(a, b, "test"), r > 0)
    np.testing.assert_array_equal(average_ties(a, b), [False, False, True, False])


def test_seeds_reproduce_and_differ() -> None:
    a, b = np.arange(1, 501), np.arange(500, 0, -1)
    np.testing.assert_array_equal(
        relabel(a, b, "anonymous", rng=7), relabel(a, b, "anonymous", rng=7)
    )
    assert not np.array_equal(relabel(a, b, "anonymous", rng=7), relabel(a, b, "anonymous", rng=8))


@given(
    st.integers(1, 512),
    st.integers(1, 512),
    st.sampled_from(["anonymous", "max-info", "average", "test"]),
)
def test_probabilities_are_complementary(x: int, y: int, dataset: str) -> None:
    p = label_probabilities([x], [y], dataset)[0] + label_probabilities([y], [x], dataset)[0]
    assert p == pytest.approx(1.0, abs=1e-12)


def test_orient_pairs_and_errors() -> None:
    pairs = orient_pairs([(1, 2), (3,)], [(4,), (5, 6)], [True, False])
    assert pairs.preferred == ((1, 2), (5, 6)) and pairs.dispreferred == ((4,), (3,))
    assert pairs.n_tokens == 6 and len(pairs) == 2
    assert len(orient_pairs([(1,), (2,)], [(3,), (4,)], [True, True], keep=[False, True])) == 1
    with pytest.raises(ValueError, match="'dataset'"):
        relabel([1], [2], "majority")
    with pytest.raises(ValueError, match="'lengths_a'"):
        relabel([1, 2], [2], "test")
    with pytest.raises(ValueError, match="type_weights"):
        relabel([1], [2], "anonymous", type_weights=[0.5, 0.5])
    # Prop. 6.1 needs equally represented types: unequal weights are refused for max-info
    with pytest.raises(ValueError, match="equally represented"):
        relabel([1], [2], "max-info", type_weights=[0.8, 0.1, 0.1])
    with pytest.raises(ValueError, match="equally represented"):
        label_probabilities([100], [400], "max-info", type_weights=[0.8, 0.1, 0.1])
    assert relabel([1], [2], "max-info", type_weights=[1 / 3] * 3, rng=0).shape == (1,)
    with pytest.raises(ValueError, match="a_wins"):
        orient_pairs([(1,)], [(2,)], [True, False])


@pytest.mark.parametrize("dataset", ["anonymous", "max-info", "average", "test"])
def test_sample_labels_is_relabel_with_who_and_how_likely(dataset: str) -> None:
    a, b = np.arange(1, 2001) % 512 + 1, np.arange(2000, 0, -1) % 512 + 1
    draw = sample_labels(a, b, dataset, rng=11)
    np.testing.assert_array_equal(draw.a_wins, relabel(a, b, dataset, rng=11))
    d = reward_matrix(a) - reward_matrix(b)
    if dataset == "anonymous":
        rows = np.array([["long", "short", "mid"].index(n) for n in draw.labeller])
        np.testing.assert_allclose(draw.probability, expit(d[rows, np.arange(a.size)]), atol=1e-12)
        # each type labels about a third of the pairs (5 binomial standard errors)
        for k in range(3):
            assert _close(float(np.mean(rows == k)), 1 / 3, a.size)
    else:
        np.testing.assert_allclose(draw.probability, label_probabilities(a, b, dataset), atol=1e-12)
        assert len(set(draw.labeller)) == 1


def test_tie_policies() -> None:
    a, b = np.array([500, 10, 100, 256]), np.array([10, 500, 100, 200])
    wins, keep = average_reward_labels(a, b, "drop")
    assert keep.tolist() == [True, True, False, True]
    np.testing.assert_array_equal(wins[keep], relabel(a, b, "test")[keep])
    wins, keep = average_reward_labels(a, b, "authors")
    assert keep.all() and wins[2]  # a tie: kept, the first side wins (p >= 0.5)
    with pytest.raises(ParameterError, match="'ties'"):
        average_reward_labels(a, b, "random")
