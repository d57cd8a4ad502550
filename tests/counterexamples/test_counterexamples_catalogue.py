"""The catalogue: every generator verifies and reproduces the paper's numbers.

Numbers are recomputed here from the definitions (explicit loops over types and options),
independently of the core and of the verifiers.
"""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref import average_reward, nbc, optimal_policy, pairwise_matrix
from socialpref.counterexamples import (
    CATALOGUE,
    SUMMARIES,
    Counterexample,
    all_counterexamples,
    base,
    bt_fit,
    catalogue,
    condorcet,
    consistency_vs_efficiency,
    counterexample_names,
    examples,
    gamma_population,
    get_counterexample,
    kinds,
    label_probabilities,
    non_identifiable,
    propositions,
    sampling_sensitivity,
    tau_mixture,
    tau_rewards,
    temperature,
)
from socialpref.errors import ParameterError
from socialpref.population import Population

#: Figures quoted to four decimals (recomputed here): half a unit in the last place.
ATOL_4 = 5e-5
#: Two-decimal figures printed in the paper.
ATOL_2 = 5e-3
#: Exact identities computed in floating point.
ATOL_EXACT = 1e-12

JSON_KEYS = {
    "name",
    "claim",
    "rewards",
    "type_weights",
    "options",
    "types",
    "sampling",
    "model",
    "nbc",
    "average_reward",
    "holds",
}


def sigma(d: float, temperature: float = 1.0) -> float:
    return 1.0 / (1.0 + math.exp(-d / temperature))


def nbc_loops(rewards, weights, sampling=None, temperature=1.0) -> list[float]:
    """Eq. (13) with explicit loops: sum_y' D(y') sum_u p(u) sigma(r(y; u) - r(y'; u))."""
    n = len(rewards[0])
    d = [1.0 / n] * n if sampling is None else list(sampling)
    return [
        sum(
            d[k]
            * sum(
                w * sigma(r[i] - r[k], temperature) for r, w in zip(rewards, weights, strict=True)
            )
            for k in range(n)
        )
        for i in range(n)
    ]


def avg_loops(rewards, weights) -> list[float]:
    n = len(rewards[0])
    return [sum(w * r[i] for r, w in zip(rewards, weights, strict=True)) for i in range(n)]


# ------------------------------------------------------------------------------ all of them


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_generator_verifies(name: str) -> None:
    ce = get_counterexample(name)
    v = ce.verify()
    assert v.holds, {k: ok for k, ok in v.checks.items() if not ok}
    assert all(v.checks.values()) and len(v.checks) >= 3
    # the headline NBC and average reward are the core's for the headline scenario
    p = ce.population
    np.testing.assert_allclose(v.nbc, nbc(p.rewards, p.type_weights, ce.sampling, ce.model), atol=0)
    np.testing.assert_allclose(v.average_reward, average_reward(p.rewards, p.type_weights), atol=0)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_to_dict_has_the_required_keys_and_is_json(name: str) -> None:
    d = get_counterexample(name).to_dict()
    assert JSON_KEYS <= set(d)
    assert d["name"] == name and d["holds"] is True
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert np.asarray(back["rewards"]).shape == (len(back["types"]), len(back["options"]))
    assert len(back["sampling"]) == len(back["options"])
    assert math.isclose(sum(back["type_weights"]), 1.0, abs_tol=1e-9)


def test_catalogue_names_summaries_and_errors() -> None:
    assert counterexample_names() == (
        "sampling-sensitivity",
        "temperature",
        "mediocrity",
        "iia-violation",
        "tyranny-of-majority",
        "mixture-not-bt",
        "non-identifiable",
        "consistency-vs-efficiency",
        "nbc-rejects-condorcet-winner",
        "average-picks-condorcet-loser",
        "maximal-lottery-mixes",
    )
    assert set(SUMMARIES) == set(CATALOGUE)
    assert [c.name for c in all_counterexamples()] == list(CATALOGUE)
    assert get_counterexample("IIA_violation").name == "iia-violation"
    with pytest.raises(
        ParameterError, match=r"'name' parameter must be one of sampling-sensitivity.*Got 'nope'"
    ):
        get_counterexample("nope")


def test_counterexample_is_frozen() -> None:
    ce = get_counterexample("mediocrity")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ce.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):
        ce.population.rewards[0, 0] = 1.0
    with pytest.raises(ValueError, match="scenarios"):
        Counterexample(name="x", claim="", reference="", scenarios=())
    with pytest.raises(KeyError, match="valid labels"):
        ce.scenario("nope")


def test_doctests_of_the_package() -> None:
    for module in (base, catalogue, examples, propositions, condorcet, kinds):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0 or module in (base, kinds)


# ------------------------------------------------------------------------------ Section 4.3


def test_sampling_sensitivity_paper_numbers() -> None:
    ce = sampling_sensitivity()
    r, w = [[6, 1, 4], [3, 9, 4]], [0.5, 0.5]
    np.testing.assert_array_equal(ce.population.rewards, r)
    before = nbc_loops(r, w, [0.49, 0.49, 0.02])
    after = nbc_loops(r, w, [0.48, 0.48, 0.04])
    np.testing.assert_allclose(before[:2], [0.5005, 0.5014], atol=ATOL_4)
    np.testing.assert_allclose(after[:2], [0.5020, 0.5018], atol=ATOL_4)
    assert before[1] > before[0] and after[0] > after[1]
    num = ce.verify().numbers
    np.testing.assert_allclose(num["nbc_before"], before, atol=ATOL_EXACT)
    np.testing.assert_allclose(num["nbc_after"], after, atol=ATOL_EXACT)
    # the flip point lies between the two and NBC(y1) = NBC(y2) there
    d3 = num["d3_at_flip"]
    assert 0.02 < d3 < 0.04
    at = nbc_loops(r, w, [(1 - d3) / 2, (1 - d3) / 2, d3])
    assert abs(at[0] - at[1]) < 1e-12
    # pi* ignores D: Eq. (10) by hand
    z = sum(math.exp(a) for a in avg_loops(r, w))
    np.testing.assert_allclose(
        num["optimal_policy"], [math.exp(a) / z for a in avg_loops(r, w)], atol=1e-12
    )


def test_sampling_sensitivity_rejects_bad_parameters() -> None:
    with pytest.raises(
        ParameterError, match=r"'d3_after' parameter must be in \(0, 1\)\. Got 1\.5"
    ):
        sampling_sensitivity(0.02, 1.5)


def test_temperature_paper_claim() -> None:
    r, w = [[6, 1, 4], [3, 9, 4]], [0.5, 0.5]
    t1, t2 = nbc_loops(r, w, temperature=1.0), nbc_loops(r, w, temperature=2.0)
    assert t1[0] > t1[1] and t2[1] > t2[0]
    num = temperature().verify().numbers
    np.testing.assert_allclose(num["nbc_before"], t1, atol=ATOL_EXACT)
    np.testing.assert_allclose(num["nbc_after"], t2, atol=ATOL_EXACT)
    t = num["temperature_at_flip"]
    assert 1 < t < 2
    at = nbc_loops(r, w, temperature=t)
    assert abs(at[0] - at[1]) < 1e-10
    # pi* depends only on the average reward, which prefers y2
    assert avg_loops(r, w)[1] > avg_loops(r, w)[0]


def test_mediocrity_paper_claim() -> None:
    ce = get_counterexample("mediocrity")
    r, w = [[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1 / 3] * 3
    v = nbc_loops(r, w)
    assert abs(v[0] - v[2]) < ATOL_EXACT and v[1] > v[0] + 1e-4
    assert ce.population.options == ("short", "med", "long")
    np.testing.assert_allclose(ce.verify().nbc, v, atol=ATOL_EXACT)
    pi = optimal_policy(r, w)
    assert abs(pi[0] - pi[2]) < ATOL_EXACT and pi[0] > pi[1]


# ------------------------------------------------------------------------------ Appendix A


def test_iia_paper_numbers() -> None:
    ce = get_counterexample("iia-violation")
    with_y3 = nbc_loops([[6, 1, 2], [3, 9, 2]], [0.5, 0.5])
    without = nbc_loops([[6, 1], [3, 9]], [0.5, 0.5])
    np.testing.assert_allclose(with_y3[:2], [0.62, 0.55], atol=ATOL_2)
    assert without[1] > without[0] and with_y3[0] > with_y3[1]
    np.testing.assert_allclose(ce.verify().nbc, with_y3, atol=ATOL_EXACT)
    np.testing.assert_allclose(ce.scenario("without y3").nbc(), without, atol=ATOL_EXACT)


def test_tyranny_paper_numbers() -> None:
    ce = get_counterexample("tyranny-of-majority")
    r, w = [[0.5, 1.0], [0.5, -10.0]], [0.9, 0.1]
    v = nbc_loops(r, w)
    np.testing.assert_allclose(v, [0.47, 0.53], atol=ATOL_2)
    np.testing.assert_allclose(ce.verify().nbc, v, atol=ATOL_EXACT)
    np.testing.assert_allclose(avg_loops(r, w), [0.5, -0.1], atol=ATOL_EXACT)


# ------------------------------------------------------------------------------ Prop. B.1


def test_mixture_not_bt_cyclic_products_and_fit() -> None:
    num = get_counterexample("mixture-not-bt").verify().numbers
    p = [[0.5] * 3 for _ in range(3)]
    for i, j in itertools.permutations(range(3), 2):
        p[i][j] = 0.5 * sigma([1, 2, 3][i] - [1, 2, 3][j]) + 0.5 * sigma(
            [1, 2, 4][i] - [1, 2, 4][j]
        )
    fwd, bwd = p[0][1] * p[1][2] * p[2][0], p[0][2] * p[2][1] * p[1][0]
    assert abs(num["cyclic_product_forward"] - fwd) < ATOL_EXACT
    assert abs(num["cyclic_product_backward"] - bwd) < ATOL_EXACT
    assert abs(fwd - bwd) > 1e-3
    # brute force: no BT score vector on a fine grid does better than the fitted residual,
    # and the grid minimum is itself clearly > 0
    s2, s3 = np.meshgrid(np.linspace(0.5, 1.5, 401), np.linspace(1.9, 2.9, 401), indexing="ij")
    pij = np.array([p[0][1], p[0][2], p[1][2]])
    model = [1 / (1 + np.exp(s2)), 1 / (1 + np.exp(s3)), 1 / (1 + np.exp(s3 - s2))]
    grid = sum((m - t) ** 2 for m, t in zip(model, pij, strict=True))
    assert grid.min() >= num["bt_fit_residual_squares"] - 1e-12
    assert grid.min() < num["bt_fit_residual_squares"] * 1.01
    assert num["bt_fit_residual_squares"] > 1e-6 and num["bt_fit_residual_kl"] > 1e-6


@given(st.lists(st.floats(-3, 3), min_size=3, max_size=5))
def test_bt_fit_recovers_a_bt_matrix(scores: list[float]) -> None:
    p = pairwise_matrix([scores], [1.0])
    for loss in ("squares", "kl"):
        s, res = bt_fit(p, loss)
        assert res < 1e-12
        np.testing.assert_allclose(s - s[0], np.array(scores) - scores[0], atol=1e-4)


def test_bt_fit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="'loss' parameter must be one of"):
        bt_fit(np.full((3, 3), 0.5), "l1")
    with pytest.raises(ValueError, match="square matrix"):
        bt_fit(np.ones(3))


# ------------------------------------------------------------------------------ Prop. 5.1


@given(st.floats(0.001, 0.332))
def test_tau_rewards_keep_two_thirds(tau: float) -> None:
    a, b = tau_rewards(tau)
    assert abs(0.5 * sigma(a) + 0.5 * sigma(b) - 2 / 3) < 1e-12
    # the average reward of y0 is 1/2 log((4/9 - tau^2) / (1/9 - tau^2)), increasing in tau
    assert abs(0.5 * (a + b) - 0.5 * math.log((4 / 9 - tau**2) / (1 / 9 - tau**2))) < 1e-9


def test_strategy_3_matrices_identical_rankings_differ() -> None:
    ce = non_identifiable()
    a, b = ce.scenarios[0].population, ce.scenarios[1].population
    assert a.n_types == b.n_types == 12
    pa, pb = pairwise_matrix(a.rewards, a.type_weights), pairwise_matrix(b.rewards, b.type_weights)
    assert np.max(np.abs(pa - pb)) <= 1e-12
    np.testing.assert_allclose(pa, 0.5, atol=1e-12)
    ra, rb = average_reward(a.rewards, a.type_weights), average_reward(b.rewards, b.type_weights)
    assert np.argmax(ra) == 0 and np.argmax(rb) == 1
    # each single type pair (A, B) of one permutation already gives y0 a 2/3 win rate
    for k in range(0, 12, 2):
        sub = Population(a.rewards[k : k + 2], [0.5, 0.5])
        m = pairwise_matrix(sub.rewards, sub.type_weights)
        top = int(np.argmax(sub.rewards.sum(axis=0)))
        others = [j for j in range(3) if j != top]
        np.testing.assert_allclose(m[top, others], 2 / 3, atol=1e-12)
    with pytest.raises(ValueError, match="'favoured' parameter"):
        tau_mixture(3, 0.1, 0.2, favoured=3)


def test_strategy_1_limit() -> None:
    ce = non_identifiable()
    a, b = ce.scenarios[2].population, ce.scenarios[3].population
    gap = np.max(
        np.abs(
            pairwise_matrix(a.rewards, a.type_weights) - pairwise_matrix(b.rewards, b.type_weights)
        )
    )
    assert gap <= 1e-12
    np.testing.assert_allclose(
        average_reward(a.rewards, a.type_weights), [5.1, 3.4, 4.0], atol=1e-9
    )
    np.testing.assert_allclose(
        average_reward(b.rewards, b.type_weights), [3.4, 5.1, 4.0], atol=1e-9
    )
    # the gap is 0.4 / gamma: each pair is decided 0.7 : 0.3 one way in a and the other way in b
    num = ce.verify().numbers
    for g, v in zip(num["strategy1_gammas"][1:], num["strategy1_gap_by_gamma"][1:], strict=True):
        assert abs(v * g - 0.4) < 1e-2
    with pytest.raises(ValueError, match="'gamma' parameter must be a finite number > 1"):
        gamma_population(a, 0.5)
    with pytest.raises(ValueError, match="tau_low"):
        non_identifiable(tau_low=0.3, tau_high=0.2)


# ------------------------------------------------------------------------------ Theorem 6.2


def test_consistency_numbers_by_hand_and_by_simulation() -> None:
    z = [0.7, 0.7, 0.7, 0.01]
    num = consistency_vs_efficiency(z).verify().numbers
    kept = math.prod(z) + math.prod(1 - x for x in z)
    assert abs(num["fraction_kept"] - kept) < 1e-15
    assert num["fraction_kept_dpo"] == 1.0
    delta = [math.log(x / (1 - x)) for x in z]
    assert abs(num["p_label_given_unanimous"] - sigma(sum(delta))) < 1e-12
    assert abs(num["theta_star"] - sum(delta) / 4) < 1e-12
    assert abs(num["theta_dpo"] - math.log(np.mean(z) / (1 - np.mean(z)))) < 1e-9
    assert num["dpo_orders_like_pi_star"] is False  # DPO prefers y2, pi* prefers y1
    # simulation: one BT label per type, 400k label vectors
    rng = np.random.default_rng(0)
    labels = rng.random((400_000, 4)) < np.array(z)
    unanimous = labels.all(axis=1) | (~labels).all(axis=1)
    se = math.sqrt(kept * (1 - kept) / labels.shape[0])
    assert abs(unanimous.mean() - kept) < 5 * se
    cond = labels[unanimous, 0].mean()
    assert abs(cond - sigma(sum(delta))) < 5 * math.sqrt(0.25 / unanimous.sum())


@given(st.lists(st.floats(0.02, 0.98), min_size=2, max_size=6))
def test_label_probabilities_sum_to_one(z: list[float]) -> None:
    labels, probs = label_probabilities(z)
    assert labels.shape == (2 ** len(z), len(z))
    assert abs(probs.sum() - 1.0) < 1e-12
    v = consistency_vs_efficiency(z).verify()
    assert v.checks["kept fraction = prod z + prod(1 - z) (enumeration)"]
    assert v.checks["P(o = 1 | unanimous) = sigma(sum_u Delta r_u)"]
    assert v.holds


def test_consistency_rejects_bad_z() -> None:
    with pytest.raises(ValueError, match="'z' parameter must be a vector of >= 2 probabilities"):
        consistency_vs_efficiency([0.5, 1.0])


# ------------------------------------------------------------------------------ beyond the paper


def pairwise_loops(rewards, weights) -> np.ndarray:
    """Eq. (8) with explicit loops: P[i][j] = sum_u p(u) sigma(r(i; u) - r(j; u))."""
    n = len(rewards[0])
    return np.array(
        [
            [
                sum(w * sigma(r[i] - r[j]) for r, w in zip(rewards, weights, strict=True))
                for j in range(n)
            ]
            for i in range(n)
        ]
    )


def test_nbc_rejects_condorcet_winner_numbers() -> None:
    r, w = [[4, 2, 0], [0, 4, 2]], [0.6, 0.4]
    p = pairwise_loops(r, w)
    # y1 beats both others: the Condorcet winner, hence the maximal lottery's only support
    assert p[0, 1] > 0.5 and p[0, 2] > 0.5
    np.testing.assert_allclose([p[0, 1], p[0, 2]], [0.536, 0.637], atol=ATOL_2 / 5)
    v = nbc_loops(r, w)
    np.testing.assert_allclose(v, [0.5575, 0.6150, 0.3274], atol=ATOL_4)
    assert int(np.argmax(v)) == 1 and int(np.argmax(avg_loops(r, w))) == 1
    num = get_counterexample("nbc-rejects-condorcet-winner").verify().numbers
    np.testing.assert_allclose(num["pairwise"], p, atol=ATOL_EXACT)
    assert num["maximal_lottery"] == [1.0, 0.0, 0.0] and num["condorcet_winner"] == 0
    assert int(np.argmax(num["nash_policy_beta_0.01"])) == 0
    assert int(np.argmax(num["dpo_policy"])) == 1


def test_average_picks_condorcet_loser_numbers() -> None:
    r, w = [[10, 0, 0], [0, 2, 1]], [0.3, 0.7]
    p = pairwise_loops(r, w)
    assert p[1, 0] > 0.5 and p[2, 0] > 0.5  # y1 loses to both: the Condorcet loser
    np.testing.assert_allclose([p[1, 0], p[2, 0]], [0.617, 0.512], atol=ATOL_2 / 5)
    np.testing.assert_allclose(avg_loops(r, w), [3.0, 1.4, 0.7], atol=ATOL_EXACT)
    v = nbc_loops(r, w)
    assert v[0] < 0.5 and int(np.argmax(v)) == 1
    num = get_counterexample("average-picks-condorcet-loser").verify().numbers
    np.testing.assert_allclose(num["nbc"], v, atol=ATOL_EXACT)
    assert num["condorcet_loser"] == 0 and num["maximal_lottery"][0] == 0.0


def test_maximal_lottery_mixes_closed_form() -> None:
    r, w = [[4, 2, 0], [0, 4, 2], [2, 0, 4]], [0.4, 0.35, 0.25]
    p = pairwise_loops(r, w)
    m = p - p.T
    assert m[0, 1] > 0 and m[1, 2] > 0 and m[2, 0] > 0  # a strict Condorcet cycle
    # for a 3-cycle the maximal lottery is proportional to the margin of the opposite pair
    closed = np.array([m[1, 2], m[2, 0], m[0, 1]])
    closed /= closed.sum()
    ce = get_counterexample("maximal-lottery-mixes")
    num = ce.verify().numbers
    np.testing.assert_allclose(num["maximal_lottery"], closed, atol=ATOL_EXACT)
    np.testing.assert_allclose(closed, [0.5905, 0.1276, 0.2819], atol=ATOL_4)
    v = nbc_loops(r, w)
    assert int(np.argmax(v)) == 1 and int(np.argmax(avg_loops(r, w))) == 1
    moved = nbc_loops(r, w, [0.45, 0.45, 0.1])
    assert int(np.argmax(moved)) == 0
    np.testing.assert_allclose(num["nbc_moved_d"], moved, atol=ATOL_EXACT)
    # both scenarios' JSON carries the same maximal lottery
    d = ce.to_dict()
    assert d["scenarios"][0]["maximal_lottery"] == d["scenarios"][1]["maximal_lottery"]
