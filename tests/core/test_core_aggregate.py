"""Pairwise matrix, average reward, NBC and rankings: the paper's examples and laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pref_voting.profiles import Profile

from socialpref import (
    BradleyTerry,
    MajorityStep,
    Thurstone,
    average_reward,
    compare_aggregates,
    compare_aggregates_batch,
    compare_rankings,
    kendall_tau,
    kendall_tau_rows,
    nbc,
    nbc_from_matrix,
    optimal_policy,
    pairwise_matrix,
    ranking,
    top_choices,
)
from socialpref.errors import ParameterError

ATOL = 1e-12
HALF = [0.5, 0.5]
SENS = np.array([[6.0, 1.0, 4.0], [3.0, 9.0, 4.0]])  # Section 4.3, types A and B
MEDIOCRITY = np.array([[0.0, 1.0, 4.0], [4.0, 1.0, 0.0], [0.0, 1.0, 0.0]])  # short, med, long


def _brute_nbc(rewards, weights, sampling, sigma):
    n_types, n = rewards.shape
    out = np.zeros(n)
    for y in range(n):
        for y2 in range(n):
            for u in range(n_types):
                out[y] += sampling[y2] * weights[u] * float(sigma(rewards[u, y] - rewards[u, y2]))
    return out


# ---- the paper's worked examples (Section 4.3 and Appendix A) ----


def test_sampling_sensitivity_example():
    before = nbc(SENS, HALF, [0.49, 0.49, 0.02])
    after = nbc(SENS, HALF, [0.48, 0.48, 0.04])
    assert before[1] > before[0]  # DPO prefers y2 ...
    assert after[0] > after[1]  # ... until D(y3) grows to 0.04
    np.testing.assert_allclose(before[:2], [0.50046, 0.50144], atol=1e-5)


def test_temperature_example_flips_nbc_not_optimal_policy():
    t1 = nbc(SENS, HALF, model=BradleyTerry(1.0))
    t2 = nbc(SENS, HALF, model=BradleyTerry(2.0))
    assert t1[0] > t1[1] and t2[1] > t2[0]
    # pi* depends on rewards only
    assert np.argmax(optimal_policy(SENS, HALF)) == 1


def test_mediocrity_promotion():
    w = np.full(3, 1 / 3)
    score = nbc(MEDIOCRITY, w)
    assert score[0] == pytest.approx(score[2], abs=ATOL)
    assert score[1] > score[0] + 0.003  # 0.5021 vs 0.4989
    pi = optimal_policy(MEDIOCRITY, w)
    assert pi[0] == pytest.approx(pi[2], abs=ATOL) and pi[0] > pi[1]


def test_iia_violation():
    two = nbc(SENS[:, :2], HALF)
    assert two[1] > two[0]
    three = nbc([[6.0, 1.0, 2.0], [3.0, 9.0, 2.0]], HALF)
    assert three[0] == pytest.approx(0.62, abs=0.005)
    assert three[1] == pytest.approx(0.55, abs=0.005)
    assert average_reward([[6.0, 1.0, 2.0], [3.0, 9.0, 2.0]], HALF)[1] > 4.5


def test_tyranny_of_majority():
    r = [[0.5, 1.0], [0.5, -10.0]]
    w = [0.9, 0.1]
    score = nbc(r, w)
    np.testing.assert_allclose(score, [0.47, 0.53], atol=0.005)
    assert np.argmax(optimal_policy(r, w)) == 0


# ---- laws ----

reward_mats = st.integers(1, 4).flatmap(
    lambda t: st.integers(2, 6).flatmap(
        lambda n: arrays(np.float64, (t, n), elements=st.floats(-8, 8, allow_nan=False))
    )
)


def _weights(draw, n):
    raw = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    return raw / raw.sum()


@st.composite
def populations(draw):
    r = draw(reward_mats)
    return r, _weights(draw, r.shape[0]), _weights(draw, r.shape[1])


models = st.sampled_from([BradleyTerry(), BradleyTerry(2.0), Thurstone(), MajorityStep()])


@given(pop=populations(), model=models)
def test_nbc_matches_brute_force_and_averages_to_half(pop, model):
    r, w, d = pop
    score = nbc(r, w, d, model)
    np.testing.assert_allclose(score, _brute_nbc(r, w, d, model.prob), atol=1e-10)
    assert float(d @ score) == pytest.approx(0.5, abs=1e-10)
    p = pairwise_matrix(r, w, model)
    np.testing.assert_allclose(p + p.T, 1.0, atol=1e-10)
    np.testing.assert_allclose(np.diag(p), 0.5, atol=ATOL)
    np.testing.assert_allclose(nbc_from_matrix(p, d), score, atol=ATOL)


@given(r=arrays(np.float64, (1, 5), elements=st.integers(-20, 20).map(float)), model=models)
def test_single_type_nbc_order_is_reward_order(r, model):
    np.testing.assert_array_equal(ranking(nbc(r, [1.0], model=model)), ranking(r[0]))


@given(pop=populations())
def test_average_reward_of_single_type_is_its_reward(pop):
    r, _, _ = pop
    np.testing.assert_allclose(average_reward(r[:1], [1.0]), r[0], atol=ATOL)
    one_hot = np.zeros(r.shape[0])
    one_hot[-1] = 1.0
    np.testing.assert_allclose(average_reward(r, one_hot), r[-1], atol=ATOL)


def test_majority_nbc_equals_pref_voting_borda():
    rng = np.random.default_rng(7)
    for _ in range(20):
        n, t = rng.integers(3, 7), rng.integers(2, 6)
        r = np.array([rng.permutation(n) for _ in range(t)], dtype=float)
        counts = rng.integers(1, 20, size=t)
        borda = Profile(
            [list(np.argsort(-row)) for row in r], [int(c) for c in counts]
        ).borda_scores()
        borda_vec = np.array([borda[i] for i in range(n)], dtype=float)
        score = nbc(r, counts / counts.sum(), model=MajorityStep())
        # uniform D over n options, self-comparison counted 1/2: NBC = (Borda/total + 1/2) / n
        np.testing.assert_allclose(score, (borda_vec / counts.sum() + 0.5) / n, atol=1e-12)


# ---- rankings ----


def test_ranking_with_ties_and_tops():
    assert ranking([0.1, 0.3, 0.3, 0.2]).tolist() == [4, 1, 1, 3]
    assert top_choices([1.0, 1.0 + 1e-14, 0.5]).tolist() == [0, 1]


def test_kendall_tau_and_comparison():
    assert kendall_tau([1, 2, 3], [3, 4, 5]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    c = compare_rankings([1, 2, 3], [1, 3, 2])
    assert c.top_agreement is False and c.same_order is False
    assert c.kendall_tau == pytest.approx(1 / 3)


def test_ranking_of_stacks_ranks_each_row():
    x = np.array([[0.2, 0.5, 0.5, 0.1], [1.0, 1.0, 1.0, 1.0]])
    assert ranking(x).tolist() == [ranking(x[0]).tolist(), ranking(x[1]).tolist()]
    cube = np.arange(24.0).reshape(2, 3, 4)[..., ::-1]
    assert ranking(cube).shape == cube.shape and (ranking(cube) == [1, 2, 3, 4]).all()
    with pytest.raises(ParameterError, match="'scores'"):
        ranking(np.float64(1.0))
    with pytest.raises(ParameterError, match="'scores'"):
        ranking([[0.0, np.nan]])


def test_kendall_tau_rows_examples():
    x = np.array([[0.2, 0.5, 0.5, 0.1], [1.0, 1.0, 1.0, 1.0]])
    y = np.array([[0.1, 0.2, 0.3, 0.4], [1.0, 2.0, 3.0, 4.0]])
    tau = kendall_tau_rows(x, y)
    assert tau[0] == kendall_tau(x[0], y[0]) and np.isnan(tau[1])
    assert np.isnan(kendall_tau_rows([[1.0]], [[2.0]])).all()  # fewer than two options
    assert kendall_tau_rows(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0,)
    with pytest.raises(ParameterError, match="one shape"):
        kendall_tau_rows([[1.0, 2.0]], [[1.0, 2.0, 3.0]])


@given(
    st.lists(st.integers(-3, 3), min_size=2, max_size=7).flatmap(
        lambda a: st.tuples(
            st.just(a), st.lists(st.integers(-3, 3), min_size=len(a), max_size=len(a))
        )
    )
)
def test_kendall_tau_equals_scipy_on_snapped_ranks(pair):
    from scipy.stats import kendalltau

    a, b = np.array(pair[0], dtype=float), np.array(pair[1], dtype=float)
    want = kendalltau(-ranking(a), -ranking(b)).statistic
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        want = np.nan
    np.testing.assert_allclose(kendall_tau(a, b), want, atol=ATOL)


# ---- many populations at once ----


@st.composite
def population_stacks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = draw(st.integers(1, 4))
    t = draw(st.integers(1, 4))
    k = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    gen = np.random.default_rng(seed)
    rewards = gen.normal(0, 2, (b, t, k))
    if draw(st.booleans()):  # ties and constant rows
        rewards = np.round(rewards)
    weights = gen.dirichlet(np.ones(t), size=b)
    sampling = gen.dirichlet(np.ones(k), size=b)
    return rewards, weights, sampling


@given(population_stacks(), st.sampled_from([None, "thurstone", "majority", "bt:2"]))
def test_compare_aggregates_batch_equals_core(pops, model):
    rewards, weights, sampling = pops
    for b, got in enumerate(compare_aggregates_batch(rewards, weights, sampling, model)):
        want = compare_aggregates(rewards[b], weights[b], sampling[b], model)
        np.testing.assert_allclose(got.average_reward, want.average_reward, atol=ATOL)
        np.testing.assert_allclose(got.nbc, want.nbc, atol=ATOL)
        assert got.average_ranking.tolist() == want.average_ranking.tolist()
        assert got.nbc_ranking.tolist() == want.nbc_ranking.tolist()
        assert got.average_top == want.average_top and got.nbc_top == want.nbc_top
        assert got.comparison.top_agreement == want.comparison.top_agreement
        assert got.comparison.same_order == want.comparison.same_order
        np.testing.assert_allclose(
            got.comparison.kendall_tau, want.comparison.kendall_tau, atol=ATOL
        )


def test_compare_aggregates_batch_uniform_default_and_validation():
    (got,) = compare_aggregates_batch(MEDIOCRITY[None], np.full((1, 3), 1 / 3))
    want = compare_aggregates(MEDIOCRITY, np.full(3, 1 / 3))
    np.testing.assert_allclose(got.nbc, want.nbc, atol=ATOL)
    assert got.to_dict()["nbc_top"] == [1]
    with pytest.raises(ParameterError, match="'rewards'"):
        compare_aggregates_batch(MEDIOCRITY, np.full(3, 1 / 3))
    with pytest.raises(ParameterError, match=r"'type_weights'.*shape"):
        compare_aggregates_batch(MEDIOCRITY[None], np.full((1, 2), 0.5))
    with pytest.raises(ParameterError, match=r"'type_weights'.*Row 1"):
        compare_aggregates_batch(
            np.stack([MEDIOCRITY, MEDIOCRITY]), [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.5]]
        )
    with pytest.raises(ParameterError, match="'sampling'"):
        compare_aggregates_batch(MEDIOCRITY[None], np.full((1, 3), 1 / 3), [[1.0, 0.0]])


def test_compare_aggregates_on_mediocrity():
    c = compare_aggregates(MEDIOCRITY, np.full(3, 1 / 3))
    assert c.average_top == (0, 2) and c.nbc_top == (1,)
    assert c.tops_differ
    d = c.to_dict()
    assert d["nbc_top"] == [1] and d["top_agreement"] is False


# ---- validation ----


@pytest.mark.parametrize(
    ("rewards", "weights", "sampling", "match"),
    [
        ([1.0, 2.0], [1.0], None, "rewards"),
        ([[1.0, np.nan]], [1.0], None, "rewards"),
        ([[1.0, 2.0]], [0.5], None, "type_weights"),
        ([[1.0, 2.0], [0.0, 1.0]], [1.5, -0.5], None, "type_weights"),
        ([[1.0, 2.0], [0.0, 1.0]], [np.nan, 1.0], None, "type_weights"),
        ([[1.0, 2.0]], [1.0], [0.2, 0.3, 0.5], "sampling"),
        ([[1.0, 2.0]], [1.0], [0.7, 0.7], "sampling"),
        ([[1.0, 2.0], [1.0]], [0.5, 0.5], None, "'rewards' parameter must be a numeric array"),
        ([[1.0, 2.0]], [[1.0], [0.0, 1.0]], None, "'type_weights' parameter must be a numeric"),
    ],
)
def test_bad_input_names_the_argument(rewards, weights, sampling, match):
    with pytest.raises(ParameterError, match=match):
        nbc(rewards, weights, sampling)
