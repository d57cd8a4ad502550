"""Optimal policy (Eq. 10) and the infinite-data DPO policy (Eq. 18, Prop. 4.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize
from scipy.special import expit, log_expit, softmax

from socialpref import (
    BradleyTerry,
    MajorityStep,
    Thurstone,
    average_reward,
    dpo_limit_log_ratio,
    dpo_limit_policy,
    nbc,
    optimal_policy,
    pairwise_matrix,
    ranking,
)
from socialpref.errors import ParameterError, SolverError

ATOL = 1e-9


@st.composite
def populations(draw, max_types=4):
    t = draw(st.integers(1, max_types))
    n = draw(st.integers(2, 6))
    r = draw(arrays(np.float64, (t, n), elements=st.floats(-4, 4, allow_nan=False)))
    w = np.array(draw(st.lists(st.floats(0.05, 1), min_size=t, max_size=t)))
    d = np.array(draw(st.lists(st.floats(0.05, 1), min_size=n, max_size=n)))
    return r, w / w.sum(), d / d.sum()


@given(pop=populations(), beta=st.floats(0.1, 5))
def test_optimal_policy_uniform_reference_is_softmax(pop, beta):
    r, w, _ = pop
    np.testing.assert_allclose(
        optimal_policy(r, w, beta), softmax(average_reward(r, w) / beta), atol=1e-12
    )


def test_optimal_policy_with_reference_and_zero_mass():
    ref = np.array([0.5, 0.5, 0.0])
    pi = optimal_policy([[0.0, 1.0, 5.0]], [1.0], beta=1.0, reference=ref)
    np.testing.assert_allclose(pi, [1 / (1 + np.e), np.e / (1 + np.e), 0.0], atol=1e-12)


@given(pop=populations(), model=st.sampled_from([BradleyTerry(), BradleyTerry(2.0), Thurstone()]))
def test_dpo_limit_solves_eq18_and_orders_like_nbc(pop, model):
    r, w, d = pop
    p = pairwise_matrix(r, w, model)
    g = dpo_limit_log_ratio(p, d)
    # Eq. (18): sum_y' D(y') sigma(g(y) - g(y')) = NBC(y) for every y
    lhs = expit(g[:, None] - g[None, :]) @ d
    np.testing.assert_allclose(lhs, nbc(r, w, d, model), atol=1e-9)
    # Prop. 4.2: the DPO policy ratio has NBC's order (compare up to numerical ties)
    score = nbc(r, w, d, model)
    order_ok = np.sign(np.round(g[:, None] - g[None, :], 7)) == np.sign(
        np.round(score[:, None] - score[None, :], 9)
    )
    close = np.abs(score[:, None] - score[None, :]) < 1e-8
    assert np.all(order_ok | close)


def test_dpo_limit_matches_direct_minimisation_of_the_loss():
    rng = np.random.default_rng(3)
    for _ in range(10):
        r = rng.normal(scale=2, size=(3, 5))
        w = rng.dirichlet(np.ones(3))
        d = rng.dirichlet(np.ones(5))
        p = pairwise_matrix(r, w)

        def loss(g, d=d, p=p):
            return -(np.outer(d, d) * p * log_expit(g[:, None] - g[None, :])).sum()

        def grad(g, d=d, p=p):
            m = np.outer(d, d) * p * (1 - expit(g[:, None] - g[None, :]))
            return -m.sum(axis=1) + m.sum(axis=0)

        ref = minimize(loss, np.zeros(5), jac=grad, method="BFGS", options={"gtol": 1e-13}).x
        g = dpo_limit_log_ratio(p, d)
        np.testing.assert_allclose(g - d @ g, ref - d @ ref, atol=1e-7)


@given(pop=populations(max_types=1), beta=st.floats(0.2, 3))
def test_dpo_limit_equals_optimal_policy_for_one_type(pop, beta):
    r, _, d = pop
    np.testing.assert_allclose(
        dpo_limit_policy(r, [1.0], beta, sampling=d), optimal_policy(r, [1.0], beta), atol=ATOL
    )


def test_dpo_limit_with_temperature_is_rescaled_reward():
    r = np.array([[0.0, 1.0, 3.0]])
    pi = dpo_limit_policy(r, [1.0], model=BradleyTerry(2.0))
    np.testing.assert_allclose(pi, softmax(r[0] / 2.0), atol=ATOL)


def test_dpo_limit_mediocrity_prefers_medium():
    r = [[0.0, 1.0, 4.0], [4.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    pi = dpo_limit_policy(r, np.full(3, 1 / 3))
    assert ranking(pi).tolist() == [2, 1, 2]


def test_dpo_limit_errors():
    with pytest.raises(ParameterError, match="sampling"):
        dpo_limit_policy([[0.0, 1.0, 2.0]], [1.0], sampling=[0.5, 0.5, 0.0])
    with pytest.raises(SolverError, match="No finite DPO limit"):
        dpo_limit_policy([[0.0, 1.0, 2.0]], [1.0], model=MajorityStep())
    with pytest.raises(ParameterError, match="'beta' parameter of optimal_policy"):
        optimal_policy([[0.0, 1.0]], [1.0], beta=0)
    with pytest.raises(ParameterError, match="'beta' parameter of dpo_limit_policy"):
        dpo_limit_policy([[0.0, 1.0]], [1.0], beta=float("nan"))


def test_dpo_limit_non_convergence_is_a_solver_error():
    p = pairwise_matrix([[0.0, 3.0, 5.0], [2.0, 0.0, 1.0]], [0.5, 0.5])
    with pytest.raises(SolverError, match="did not converge after 1 Newton iterations"):
        dpo_limit_log_ratio(p, max_iter=1)


def test_majority_with_disagreement_has_finite_limit():
    # two types with opposite strict orders: every pair is won with probability in (0, 1)
    pi = dpo_limit_policy([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]], [0.6, 0.4], model=MajorityStep())
    assert np.all(np.isfinite(pi)) and pi[2] > pi[0]
