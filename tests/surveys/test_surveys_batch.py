"""The batched aggregates of analyze_survey equal the core's compare_aggregates, question by question."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from socialpref import compare_aggregates, kendall_tau, ranking
from socialpref.surveys._batch import compare_batch, kendall_tau_b, rankings

ATOL = 1e-12


@st.composite
def populations(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


@given(populations(), st.sampled_from([None, "thurstone", "majority", "bt:2"]))
def test_compare_batch_equals_core(
    pops: tuple[np.ndarray, np.ndarray, np.ndarray], model: str | None
) -> None:
    rewards, weights, sampling = pops
    for b, got in enumerate(compare_batch(rewards, weights, sampling, model)):
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


def test_rankings_and_tau_examples() -> None:
    x = np.array([[0.2, 0.5, 0.5, 0.1], [1.0, 1.0, 1.0, 1.0]])
    y = np.array([[0.1, 0.2, 0.3, 0.4], [1.0, 2.0, 3.0, 4.0]])
    assert rankings(x).tolist() == [ranking(x[0]).tolist(), ranking(x[1]).tolist()]
    tau = kendall_tau_b(x, y)
    assert tau[0] == kendall_tau(x[0], y[0]) and np.isnan(tau[1])
