"""Aggregation targets from the pairwise matrix: majority, Condorcet, Copeland, maximal lottery, NLHF.

Oracles: explicit loops over pairs (majority, Condorcet, Copeland), pref_voting's Copeland scores
and maximal lotteries (with nashpy's vertex enumeration for uniqueness), cvxpy (Clarabel) for
the maximum-entropy maximal lottery and the NLHF saddle point, the two-option closed form and a
grid search over the simplex for the Nash policy.
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
import json
import math
import sys
from pathlib import Path

import cvxpy as cp
import nashpy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pref_voting.generate_profiles import generate_profile
from pref_voting.probabilistic_methods import maximal_lottery as pv_maximal_lottery
from pref_voting.weighted_majority_graphs import MarginGraph
from scipy.special import logsumexp

import socialpref
from socialpref import BradleyTerry, MajorityStep, Population, Thurstone, nbc, pairwise_matrix
from socialpref.errors import ParameterError, SolverError
from socialpref.targets import (
    TARGET_NAMES,
    compare_targets,
    compare_targets_batch,
    condorcet_loser,
    condorcet_loser_batch,
    condorcet_winner,
    condorcet_winner_batch,
    copeland_scores,
    copeland_scores_batch,
    copeland_winners,
    majority_margins,
    majority_relation,
    maximal_lottery,
    maximal_lottery_batch,
    nash_policy,
    nash_policy_batch,
)
from socialpref.targets import compare as compare_module
from socialpref.targets import lottery as lottery_module
from socialpref.targets import majority as majority_module
from socialpref.targets import matrix as matrix_module
from socialpref.targets import nash as nash_module

#: Our maximal lottery against pref_voting's LP / enumeration when it is unique.
ATOL_ML = 1e-9
#: Feasibility of a maximal lottery: M^T p >= -ATOL_FEAS.
ATOL_FEAS = 1e-12
#: Our solutions against cvxpy's interior-point solver (Clarabel reaches about 1e-6 on these).
ATOL_CVXPY = 1e-5
#: Tight settings of cvxpy's Clarabel for the oracles.
CLARABEL_TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
#: Entropy of our maximum-entropy lottery against cvxpy's optimum (ours may be higher).
ATOL_ENTROPY = 1e-7
#: The Nash policy against the two-option closed form and its saddle-point certificate.
ATOL_NASH = 1e-12

MODELS = [BradleyTerry(), BradleyTerry(2.0), Thurstone(), MajorityStep()]


@st.composite
def populations(draw, max_types=4, max_options=6, min_options=2):
    t = draw(st.integers(1, max_types))
    n = draw(st.integers(min_options, max_options))
    r = draw(arrays(np.float64, (t, n), elements=st.floats(-4, 4, allow_nan=False)))
    w = np.array(draw(st.lists(st.floats(0.05, 1), min_size=t, max_size=t)))
    return r, w / w.sum()


def random_pairwise(rng: np.random.Generator, n_types: int, n: int, model=None) -> np.ndarray:
    r = rng.normal(0, 2, (n_types, n))
    w = rng.dirichlet(np.ones(n_types))
    return pairwise_matrix(r, w, model)


def entropy(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: maximal_lottery(np.ones(3)), "square pairwise matrix"),
        (lambda: maximal_lottery([[0.5, 0.9], [0.9, 0.5]]), r"P\[i, j\] \+ P\[j, i\] = 1"),
        (lambda: maximal_lottery([[0.5, 1.5], [-0.5, 0.5]]), "in \\[0, 1\\]"),
        (lambda: maximal_lottery([[0.5, np.nan], [np.nan, 0.5]]), "finite"),
        (lambda: maximal_lottery([["a"]]), "numeric array"),
        (lambda: condorcet_winner([[0.5, 0.6], [0.4, 0.5]], model="bt"), "'model' parameter"),
        (
            lambda: copeland_scores(Population([[0.0, 1.0]]), [1.0]),
            "'type_weights' parameter of copeland_scores must be None",
        ),
        (lambda: maximal_lottery_batch(np.full((2, 3, 3), 0.5), [3, 4]), "'n_options'"),
        (lambda: maximal_lottery_batch(np.full((2, 3, 3), 0.5), [3.0, 2.0]), "'n_options'"),
        (lambda: maximal_lottery_batch(np.full((3, 3), 0.5)), "stack of square matrices"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], beta=0), r"'beta' parameter .* > 0"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], beta=math.inf), "'beta'.*finite"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], beta="x"), "'beta'.*a number"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], max_iter=0), "'max_iter'"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], reference=[0.7, 0.7]), "'reference'"),
        (lambda: nash_policy([[0.5, 0.6], [0.4, 0.5]], reference=[1.0, 0, 0]), "'reference'"),
        (lambda: compare_targets([[0.0, 1.0]]), "'type_weights' parameter of compare_targets"),
        (lambda: compare_targets([0.0, 1.0], [1.0]), "2-D array"),
    ],
)
def test_bad_input_is_a_parameter_error(call, match) -> None:
    with pytest.raises(ParameterError, match=match):
        call()


def test_padded_entries_are_ignored_even_nan() -> None:
    p = np.full((2, 3, 3), np.nan)
    p[0] = [[0.5, 0.7, 0.4], [0.3, 0.5, 0.6], [0.6, 0.4, 0.5]]
    p[1, :2, :2] = [[0.5, 0.8], [0.2, 0.5]]
    counts = np.array([3, 2])
    assert condorcet_winner_batch(p, counts).tolist() == [-1, 0]
    assert condorcet_loser_batch(p, counts).tolist() == [-1, 1]
    np.testing.assert_array_equal(copeland_scores_batch(p, counts)[1], [1.0, -1.0, np.nan])
    mls = maximal_lottery_batch(p, counts)
    np.testing.assert_allclose(mls[0].probabilities, [0.25, 0.25, 0.5], atol=ATOL_ML)
    np.testing.assert_array_equal(mls[1].probabilities, [1.0, 0.0, 0.0])
    pi = nash_policy_batch(p, 0.5, n_options=counts)
    assert pi[1, 2] == 0.0 and abs(pi[1].sum() - 1) < 1e-15
    np.testing.assert_allclose(pi[1, :2], nash_policy(p[1, :2, :2], beta=0.5), atol=ATOL_NASH)
    np.testing.assert_allclose(pi[0], nash_policy(p[0], beta=0.5), atol=ATOL_NASH)


# ------------------------------------------------------------------------------ majority


@given(pop=populations(), model=st.sampled_from(MODELS))
def test_majority_targets_match_loops(pop, model) -> None:
    r, w = pop
    p = pairwise_matrix(r, w, model)
    n = p.shape[0]
    m = majority_margins(r, w, model=model)
    np.testing.assert_array_equal(m, -m.T)
    np.testing.assert_allclose(m, 2 * p - 1, atol=1e-15)
    tie = socialpref.aggregate.TIE_TOL
    beats = [[i != j and p[i, j] - p[j, i] > tie for j in range(n)] for i in range(n)]
    loses = [[i != j and p[j, i] - p[i, j] > tie for j in range(n)] for i in range(n)]
    np.testing.assert_array_equal(majority_relation(p), beats)
    weak = [[i != j and not loses[i][j] for j in range(n)] for i in range(n)]
    np.testing.assert_array_equal(majority_relation(p, strict=False), weak)
    winners = [i for i in range(n) if sum(beats[i]) == n - 1]
    losers = [i for i in range(n) if sum(loses[i]) == n - 1]
    assert condorcet_winner(p) == (winners[0] if winners else None)
    assert condorcet_loser(p) == (losers[0] if losers else None)
    scores = [sum(beats[i]) - sum(loses[i]) for i in range(n)]
    np.testing.assert_array_equal(copeland_scores(p), scores)
    assert copeland_winners(p) == tuple(i for i in range(n) if scores[i] == max(scores))
    # Population, rewards and matrix give one answer
    assert condorcet_winner(Population(r, w), model=model) == condorcet_winner(p)


@pytest.mark.parametrize("seed", range(6))
def test_copeland_and_condorcet_match_pref_voting(seed: int) -> None:
    prof = generate_profile(5, 6 + seed, seed=seed)
    cands = prof.candidates
    margin = np.array([[prof.margin(a, b) for b in cands] for a in cands], dtype=float)
    p = 0.5 + margin / (2 * prof.num_voters)
    theirs = prof.copeland_scores()
    np.testing.assert_array_equal(copeland_scores(p), [theirs[c] for c in cands])
    cw = prof.condorcet_winner()
    assert condorcet_winner(p) == (None if cw is None else cands.index(cw))
    cl = prof.condorcet_loser()
    assert condorcet_loser(p) == (None if cl is None else cands.index(cl))


# ------------------------------------------------------------------------------ maximal lottery


def vertex_strategies(margin: np.ndarray) -> list[np.ndarray]:
    """Distinct row strategies of every extreme equilibrium of the game (nashpy)."""
    found: list[np.ndarray] = []
    for row, _ in nashpy.Game(margin).vertex_enumeration():
        if not any(np.allclose(row, f, atol=1e-9) for f in found):
            found.append(np.asarray(row))
    return found


@pytest.mark.parametrize("seed", range(30))
def test_maximal_lottery_matches_pref_voting_on_profiles(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_cands, n_voters = int(rng.integers(3, 7)), int(rng.integers(3, 12))
    prof = generate_profile(n_cands, n_voters, seed=seed)
    mg = prof.margin_graph()
    cands = prof.candidates
    margin = np.array([[mg.margin(a, b) for b in cands] for a in cands], dtype=float)
    ml = maximal_lottery(0.5 + margin / (2 * n_voters))
    p = ml.probabilities
    assert abs(p.sum() - 1) < 1e-14 and p.min() >= 0
    assert (margin.T @ p).min() >= -ATOL_FEAS * n_voters
    vertices = vertex_strategies(margin)
    # the uniqueness verdict agrees with an enumeration of every extreme maximal lottery
    assert ml.unique == (len(vertices) == 1)
    lp = pv_maximal_lottery(mg, algorithm="lp")
    enum = pv_maximal_lottery(mg, algorithm="enumeration")
    if ml.unique:
        np.testing.assert_allclose(p, [lp[c] for c in cands], atol=ATOL_ML)
        np.testing.assert_allclose(p, [enum[c] for c in cands], atol=ATOL_ML)
        np.testing.assert_allclose(p, vertices[0], atol=ATOL_ML)
    else:
        # pref_voting averages the extreme lotteries; ours is the one of maximum entropy
        assert entropy(p) >= entropy(np.array([enum[c] for c in cands])) - 1e-12
    if n_voters % 2 == 1:  # Laffond, Laslier and Le Breton (1997)
        assert ml.unique and len(ml.support) % 2 == 1


@pytest.mark.parametrize("seed", range(10))
def test_maximal_lottery_matches_pref_voting_on_real_margin_graphs(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 8))
    upper = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    margin = upper - upper.T
    edges = [(a, b, margin[a, b]) for a in range(n) for b in range(n) if margin[a, b] > 0]
    theirs = pv_maximal_lottery(MarginGraph(list(range(n)), edges), algorithm="lp")
    ml = maximal_lottery(0.5 + margin / 2)
    assert ml.unique
    np.testing.assert_allclose(ml.probabilities, [theirs[c] for c in range(n)], atol=ATOL_ML)


@pytest.mark.parametrize("seed", range(6))
def test_maximum_entropy_tie_break_matches_cvxpy(seed: int) -> None:
    # an even number of equally weighted majority-step types: exact ties in the margins
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 4, (4, 5)).astype(float)
    p = pairwise_matrix(r, np.full(4, 0.25), "majority")
    m = majority_margins(p)
    ml = maximal_lottery(p)
    x = cp.Variable(5)
    prob = cp.Problem(cp.Maximize(cp.sum(cp.entr(x))), [cp.sum(x) == 1, m.T @ x >= 0])
    prob.solve(solver="CLARABEL")
    assert (m.T @ ml.probabilities).min() >= -ATOL_FEAS
    assert entropy(ml.probabilities) >= prob.value - ATOL_ENTROPY
    np.testing.assert_allclose(ml.probabilities, x.value, atol=1e-4)
    assert ml.unique == (len(vertex_strategies(m)) == 1)


def test_maximum_entropy_with_a_dominated_clone_and_full_ties() -> None:
    cycle = np.array([[0.5, 0.7, 0.4], [0.3, 0.5, 0.6], [0.6, 0.4, 0.5]])
    clone = np.full((4, 4), 0.5)
    clone[:3, :3] = cycle
    clone[3, :3], clone[:3, 3] = cycle[2], cycle[:, 2]
    ml = maximal_lottery(clone)
    # optimal set: p0 = p1 = 1/4, p2 + p3 = 1/2; maximum entropy splits the clones evenly
    assert not ml.unique
    np.testing.assert_allclose(ml.probabilities, [0.25, 0.25, 0.25, 0.25], atol=1e-12)
    ml = maximal_lottery(np.full((5, 5), 0.5))
    assert not ml.unique and ml.support == (0, 1, 2, 3, 4)
    np.testing.assert_allclose(ml.probabilities, 0.2, atol=1e-12)
    # a weak Condorcet winner tied with another option
    ml = maximal_lottery([[0.5, 0.5, 0.8], [0.5, 0.5, 0.7], [0.2, 0.3, 0.5]])
    assert not ml.unique and ml.support == (0, 1) and ml.top == (0, 1)
    np.testing.assert_allclose(ml.probabilities, [0.5, 0.5, 0.0], atol=1e-12)


@given(pop=populations(), model=st.sampled_from(MODELS))
def test_condorcet_winner_is_the_only_support(pop, model) -> None:
    r, w = pop
    p = pairwise_matrix(r, w, model)
    ml = maximal_lottery(p)
    assert (majority_margins(p).T @ ml.probabilities).min() >= -ATOL_FEAS
    cw, cl = condorcet_winner(p), condorcet_loser(p)
    if cw is not None:
        assert ml.support == (cw,) and ml.unique and ml.deterministic
    if cl is not None and p.shape[0] > 1:
        assert cl not in ml.support
    # and without the shortcut: the LP path agrees
    m = majority_margins(p)
    lp = lottery_module._maximal_lottery(m)
    np.testing.assert_allclose(lp.probabilities, ml.probabilities, atol=ATOL_ML)
    assert lp.unique == ml.unique


@settings(max_examples=30)
@given(pop=populations(min_options=3), data=st.data())
def test_maximal_lottery_does_not_depend_on_sampling_unlike_nbc(pop, data) -> None:
    r, w = pop
    n = r.shape[1]
    ds = [np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=n, max_size=n))) for _ in "ab"]
    ca, cb = (compare_targets(r, w, d / d.sum()) for d in ds)
    np.testing.assert_array_equal(
        ca.maximal_lottery.probabilities, cb.maximal_lottery.probabilities
    )
    np.testing.assert_array_equal(ca.nash_policy, cb.nash_policy)
    assert ca.condorcet_winner == cb.condorcet_winner
    np.testing.assert_allclose(ca.aggregates.nbc, nbc(r, w, ds[0] / ds[0].sum()), atol=1e-15)


def test_sampling_moves_nbc_but_not_the_maximal_lottery() -> None:
    # the Section 4.3 population: D(y3) 0.02 -> 0.04 flips NBC's y1/y2
    r, w = [[6, 1, 4], [3, 9, 4]], [0.5, 0.5]
    before = compare_targets(r, w, [0.49, 0.49, 0.02])
    after = compare_targets(r, w, [0.48, 0.48, 0.04])
    assert before.aggregates.nbc_top == (1,) and after.aggregates.nbc_top == (0,)
    assert before.maximal_lottery.top == after.maximal_lottery.top


# ------------------------------------------------------------------------------ Nash policy


@given(
    a=st.floats(0.0, 1.0),
    mu1=st.floats(0.01, 0.99),
    beta=st.floats(1e-2, 1e2),
)
def test_nash_two_options_closed_form(a, mu1, beta) -> None:
    # P(y1 > pi) - P(y2 > pi) = a - 1/2 for every pi, so pi(y1) = sigmoid(logit mu1 + (a - 1/2) / beta)
    pi = nash_policy([[0.5, a], [1 - a, 0.5]], beta=beta, reference=[mu1, 1 - mu1])
    z = math.log(mu1 / (1 - mu1)) + (a - 0.5) / beta
    expected = 1 / (1 + math.exp(-z))
    assert abs(pi[0] - expected) <= ATOL_NASH + 1e-13 / beta
    assert abs(pi.sum() - 1) < 1e-15


def saddle_gap(p: np.ndarray, pi: np.ndarray, mu: np.ndarray, beta: float) -> float:
    """max_pi f(pi, pi*) - min_pi' f(pi*, pi') for f = pi^T P pi' - b KL(pi||mu) + b KL(pi'||mu)."""
    kl = float(np.sum(pi * np.log(pi / mu)))
    best_row = beta * logsumexp(np.log(mu) + p @ pi / beta) + beta * kl
    best_col = -beta * logsumexp(np.log(mu) - p.T @ pi / beta) - beta * kl
    return best_row - best_col


@pytest.mark.parametrize("seed", range(8))
def test_nash_matches_cvxpy_and_closes_the_saddle_gap(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 6))
    p = random_pairwise(rng, 3, n, [BradleyTerry(), Thurstone()][seed % 2])
    mu = rng.dirichlet(np.ones(n) * 2)
    beta = float([0.05, 0.2, 1.0, 3.0][seed % 4])
    pi = nash_policy(p, beta=beta, reference=mu)
    assert 0 <= saddle_gap(p, pi, mu, beta) + 1e-13 and saddle_gap(p, pi, mu, beta) < 1e-12
    # independent solve: max_pi -beta KL(pi||mu) - beta log sum mu exp(-P^T pi / beta), concave
    x = cp.Variable(n)
    obj = -beta * cp.sum(cp.kl_div(x, mu)) - beta * cp.log_sum_exp(np.log(mu) - p.T @ x / beta)
    prob = cp.Problem(cp.Maximize(obj), [cp.sum(x) == 1, x >= 0])
    prob.solve(solver="CLARABEL", **CLARABEL_TIGHT)
    np.testing.assert_allclose(pi, x.value, atol=ATOL_CVXPY)
    # and our policy is at least as good for that objective
    ours = -beta * np.sum(pi * np.log(pi / mu)) - beta * logsumexp(np.log(mu) - p.T @ pi / beta)
    assert ours >= prob.value - 1e-9


def test_nash_matches_a_grid_search_over_three_options() -> None:
    rng = np.random.default_rng(7)
    p = random_pairwise(rng, 3, 3)
    beta = 0.1
    mu = np.full(3, 1 / 3)
    step = 0.005
    grid = np.array(
        [
            (a, b, 1 - a - b)
            for a in np.arange(0, 1 + 1e-9, step)
            for b in np.arange(0, 1 - a + 1e-9, step)
        ]
    )
    grid = np.clip(grid, 1e-12, 1)
    kl = np.sum(grid * np.log(grid / mu), axis=1)
    # for each pi on the grid, the exact inner minimum over pi'; then the best grid pi
    inner = -beta * logsumexp(np.log(mu)[None, :] - grid @ p / beta, axis=1) - beta * kl
    best = grid[np.argmax(inner)]
    pi = nash_policy(p, beta=beta)
    assert np.abs(best - pi).max() <= 2 * step
    assert inner.max() <= inner[np.argmax(inner)] and inner.max() <= 0.5 + 1e-12


def test_nash_keeps_zero_reference_options_at_zero() -> None:
    p = random_pairwise(np.random.default_rng(3), 2, 4)
    pi = nash_policy(p, beta=0.3, reference=[0.5, 0.0, 0.25, 0.25])
    assert pi[1] == 0.0
    np.testing.assert_allclose(
        pi[[0, 2, 3]],
        nash_policy(p[np.ix_([0, 2, 3], [0, 2, 3])], beta=0.3, reference=[0.5, 0.25, 0.25]),
        atol=ATOL_NASH,
    )


@pytest.mark.parametrize("seed", range(20))
def test_nash_tends_to_the_maximal_lottery_as_beta_vanishes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = [BradleyTerry(), MajorityStep()][seed % 2]
    p = random_pairwise(rng, 5, int(rng.integers(3, 7)), model)
    ml = maximal_lottery(p)
    gaps = [np.abs(nash_policy(p, beta=b) - ml.probabilities).max() for b in (1e-3, 1e-5, 1e-7)]
    assert gaps[-1] < 1e-4
    assert gaps[-1] <= gaps[0] + 1e-9


def test_nash_tends_to_the_maximum_entropy_lottery_when_not_unique() -> None:
    # a Condorcet cycle with a clone of its third option: the maximal lotteries form a segment
    cycle = np.array([[0.5, 0.7, 0.4], [0.3, 0.5, 0.6], [0.6, 0.4, 0.5]])
    p = np.full((4, 4), 0.5)
    p[:3, :3] = cycle
    p[3, :3], p[:3, 3] = cycle[2], cycle[:, 2]
    ml = maximal_lottery(p)
    assert not ml.unique
    np.testing.assert_allclose(nash_policy(p, beta=1e-7), ml.probabilities, atol=1e-5)
    skewed = np.array([0.1, 0.2, 0.3, 0.4])  # with a reference mu: the lottery closest to mu in KL
    pi = nash_policy(p, beta=1e-7, reference=skewed)
    np.testing.assert_allclose(pi, [0.25, 0.25, 0.5 * 3 / 7, 0.5 * 4 / 7], atol=1e-5)


@given(pop=populations(), beta=st.floats(1e6, 1e9))
def test_nash_tends_to_the_reference_as_beta_grows(pop, beta) -> None:
    r, w = pop
    n = r.shape[1]
    mu = np.arange(1, n + 1) / (n * (n + 1) / 2)
    pi = nash_policy(r, w, beta=beta, reference=mu)
    assert np.abs(pi - mu).max() <= 1.0 / beta


@given(r=arrays(np.float64, (1, 5), elements=st.floats(-5, 5)), beta=st.floats(1e-3, 1e3))
def test_nash_orders_like_the_reward_for_one_bt_type(r, beta) -> None:
    pi = nash_policy(r, [1.0], beta=beta)
    for i, j in itertools.permutations(range(5), 2):
        if r[0, i] > r[0, j] + 1e-6:
            assert pi[i] >= pi[j]


def test_nash_raises_a_solver_error_when_it_cannot_converge() -> None:
    p = random_pairwise(np.random.default_rng(0), 3, 5)
    with pytest.raises(SolverError, match="did not converge"):
        nash_policy(p, beta=1e-3, max_iter=1)


def test_nash_batch_equals_single() -> None:
    rng = np.random.default_rng(11)
    stack = np.stack([random_pairwise(rng, 3, 4) for _ in range(7)])
    out = nash_policy_batch(stack, 0.05)
    for b in range(7):
        np.testing.assert_allclose(out[b], nash_policy(stack[b], beta=0.05), atol=ATOL_NASH)


# ------------------------------------------------------------------------------ comparison


def test_compare_targets_batch_equals_single_and_is_json() -> None:
    rng = np.random.default_rng(5)
    r = rng.normal(0, 2, (6, 3, 4))
    w = rng.dirichlet(np.ones(3), 6)
    d = rng.dirichlet(np.ones(4), 6)
    batch = compare_targets_batch(r, w, d, "thurstone", beta=0.2)
    for b, c in enumerate(batch):
        one = compare_targets(Population(r[b], w[b]), None, d[b], "thurstone", beta=0.2)
        assert c.tops == one.tops
        np.testing.assert_allclose(c.nash_policy, one.nash_policy, atol=ATOL_NASH)
        np.testing.assert_allclose(
            c.maximal_lottery.probabilities, one.maximal_lottery.probabilities, atol=ATOL_ML
        )
        assert set(c.tops) == set(TARGET_NAMES)
        text = json.dumps(c.to_dict(), allow_nan=False)
        back = json.loads(text)
        assert back["tops"]["maximal_lottery"] == list(c.maximal_lottery.top)
        assert back["beta"] == 0.2


def test_compare_targets_on_a_condorcet_cycle() -> None:
    # three types with cyclic rankings: no Condorcet winner, the maximal lottery mixes all three
    r = [[2, 1, 0], [0, 2, 1], [1, 0, 2]]
    c = compare_targets(r, [0.4, 0.35, 0.25], model="majority", beta=1e-6)
    assert c.condorcet_winner is None and c.condorcet_loser is None
    assert c.copeland_winners == (0, 1, 2)
    np.testing.assert_allclose(c.maximal_lottery.probabilities, [0.5, 0.2, 0.3], atol=ATOL_ML)
    np.testing.assert_allclose(c.nash_policy, [0.5, 0.2, 0.3], atol=1e-5)
    assert c.tops["condorcet"] == () and not c.targets_agree
    assert c.aggregates.average_top == (1,)


def test_package_exports_and_doctests() -> None:
    for name in (
        "maximal_lottery",
        "nash_policy",
        "compare_targets",
        "condorcet_winner",
        "TargetComparison",
    ):
        assert name in socialpref.__all__ and hasattr(socialpref, name)
    for module in (matrix_module, majority_module, lottery_module, nash_module, compare_module):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        assert result.failed == 0, module.__name__


def test_benchmark_smoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_targets.py"
    spec = importlib.util.spec_from_file_location("bench_targets", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(sys, "argv", ["bench_targets.py", "--smoke"])
    bench.main()
    out = capsys.readouterr().out
    assert out.strip().endswith("OK") and "ratio pref_voting / ours" in out
