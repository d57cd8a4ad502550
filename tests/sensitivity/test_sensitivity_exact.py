"""The closed-form min-TV solver against independent solvers: HiGHS, cvxpy, vertex enumeration."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from socialpref.aggregate import compare_aggregates, pairwise_matrix
from socialpref.sensitivity import DELTA, EPS, min_tv_flip, nbc_sensitivity
from socialpref.sensitivity.exact import greedy_flip, greedy_tv_uniform
from socialpref.sensitivity.lp import lp_cvxpy, lp_linprog

VertexOracle = Callable[[np.ndarray, np.ndarray, float, float], float | None]

#: Agreement required between the closed form and an LP solver (required: 1e-7).
TV_ATOL = 1e-7
#: Feasibility of a returned distribution (bounds, sum, flip constraint).
FEAS_ATOL = 1e-12


def random_population(rng: np.random.Generator, n: int, u: int) -> tuple[np.ndarray, np.ndarray]:
    scale = rng.choice([0.3, 1.0, 3.0, 8.0])
    return rng.normal(size=(u, n)) * scale, rng.dirichlet(np.ones(u))


def random_base(rng: np.random.Generator, n: int, kind: int) -> np.ndarray | None:
    """Uniform, a random interior distribution, or one with zeros (below eps)."""
    if kind == 0:
        return None
    b = rng.dirichlet(np.full(n, 0.7))
    if kind == 2:
        b[rng.integers(n)] = 0.0
        b[rng.integers(n)] = 2e-6
        b /= b.sum()
    return b


def random_problems(seed: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` flip programs ``(c, base)`` from random populations, all ordered pairs."""
    rng = np.random.default_rng(seed)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    while len(out) < count:
        n, u = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        r, w = random_population(rng, n, u)
        b = random_base(rng, n, int(rng.integers(3)))
        base = np.full(n, 1.0 / n) if b is None else b
        p = pairwise_matrix(r, w)
        for i, j in itertools.permutations(range(n), 2):
            out.append((p[i] - p[j], base))
    return out[:count]


def check_solution(c: np.ndarray, base: np.ndarray, tv: float, q: np.ndarray) -> None:
    assert abs(q.sum() - 1.0) <= FEAS_ATOL
    assert q.min() >= EPS - FEAS_ATOL
    assert c @ q <= -DELTA + FEAS_ATOL
    assert abs(0.5 * np.abs(q - base).sum() - tv) <= FEAS_ATOL


@pytest.mark.parametrize(
    "count", [300, pytest.param(3000, marks=pytest.mark.slow, id="3000-programs")]
)
def test_exact_matches_highs_on_thousands_of_programs(count: int) -> None:
    problems = random_problems(seed=11, count=count)
    n_feasible = 0
    for c, base in problems:
        tv, q = greedy_flip(c, base, np.ones(c.size, dtype=bool), EPS, DELTA, want_q=True)
        ref, _ = lp_linprog(c[None, :], base, EPS, DELTA)
        assert (ref is None) == (not np.isfinite(tv))
        if ref is not None:
            n_feasible += 1
            assert q is not None
            assert abs(float(tv) - ref) <= TV_ATOL
            check_solution(c, base, float(tv), q)
    # both outcomes are well represented
    assert count // 6 < n_feasible < count - count // 6


@pytest.mark.parametrize(
    "count", [200, pytest.param(2000, marks=pytest.mark.slow, id="2000-programs")]
)
def test_exact_matches_cvxpy(count: int) -> None:
    """Thousands of cvxpy solves (one DPP-compiled problem per size, parameters swapped)."""
    pytest.importorskip("cvxpy")
    problems = random_problems(seed=12, count=count)
    n_feasible = 0
    for c, base in problems:
        tv, _ = greedy_flip(c, base, np.ones(c.size, dtype=bool), EPS, DELTA)
        ref, q_ref = lp_cvxpy(c[None, :], base, EPS, DELTA, "HIGHS")
        assert (ref is None) == (not np.isfinite(tv))
        if ref is not None:
            n_feasible += 1
            assert abs(float(tv) - ref) <= TV_ATOL
            assert q_ref is not None and c @ q_ref <= -DELTA + 1e-9
    assert 0.15 * count < n_feasible < 0.85 * count


@pytest.mark.parametrize(
    "count", [200, pytest.param(2000, marks=pytest.mark.slow, id="2000-populations")]
)
def test_exact_matches_cvxpy_on_thousands_of_populations(count: int) -> None:
    """One program per random population (2,000 populations, 3 types, 3-10 options), the
    pair and base drawn at random: same feasibility, TV within 1e-7."""
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(13)
    n_feasible = 0
    for _ in range(count):
        n = int(rng.integers(3, 11))
        r, w = random_population(rng, n, 3)
        b = random_base(rng, n, int(rng.integers(3)))
        base = np.full(n, 1.0 / n) if b is None else b
        i, j = (int(k) for k in rng.choice(n, size=2, replace=False))
        exact = min_tv_flip(r, w, i, j, base=b)
        c = pairwise_matrix(r, w)
        ref, _ = lp_cvxpy((c[i] - c[j])[None, :], base, EPS, DELTA, "HIGHS")
        assert (ref is None) == (exact.tv is None)
        if ref is not None and exact.tv is not None:
            n_feasible += 1
            assert abs(exact.tv - ref) <= TV_ATOL
    assert 0.15 * count < n_feasible < 0.85 * count


@pytest.mark.parametrize("n", [2, 3, 4])
def test_exact_matches_vertex_enumeration(n: int, vertex_min_tv: VertexOracle) -> None:
    rng = np.random.default_rng(100 + n)
    for _ in range(60):
        r, w = random_population(rng, n, 3)
        b = random_base(rng, n, int(rng.integers(3)))
        base = np.full(n, 1.0 / n) if b is None else b
        p = pairwise_matrix(r, w)
        for i, j in itertools.permutations(range(n), 2):
            res = min_tv_flip(r, w, i, j, base=b)
            ref = vertex_min_tv((p[i] - p[j])[None, :], base, EPS, DELTA)
            assert (ref is None) == (res.tv is None)
            if ref is not None:
                assert res.tv is not None and abs(res.tv - ref) <= 1e-10


def disagreeing_populations(
    seed: int, count: int, n_max: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random populations whose average-reward and NBC tops differ (rejection sampling)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        r, w = random_population(rng, int(rng.integers(3, n_max + 1)), 3)
        if compare_aggregates(r, w).tops_differ:
            out.append((r, w))
    return out


def test_repair_matches_vertex_enumeration_and_cvxpy(vertex_min_tv: VertexOracle) -> None:
    """The repair of real questions (average-reward winner) against brute force and cvxpy."""
    pytest.importorskip("cvxpy")
    n_positive = n_impossible = 0
    for t, (r, w) in enumerate(disagreeing_populations(5, 40, 4)):
        n = r.shape[1]
        res = nbc_sensitivity(r, w)
        p = pairwise_matrix(r, w)
        refs = []
        for win in res.average_top:
            a = np.delete(p, win, axis=0) - p[win][None, :]
            refs.append(vertex_min_tv(a, np.full(n, 1.0 / n), EPS, DELTA))
        finite = [v for v in refs if v is not None]
        ref = min(finite) if finite else None
        assert (ref is None) == (res.repair_tv is None)
        if ref is None:
            n_impossible += 1
        else:
            assert res.repair_tv is not None and abs(res.repair_tv - ref) <= 1e-9
            n_positive += res.repair_tv > 0
        if t < 15:
            cv = nbc_sensitivity(r, w, solver="cvxpy")
            assert (cv.repair_tv is None) == (res.repair_tv is None)
            if cv.repair_tv is not None and res.repair_tv is not None:
                assert abs(cv.repair_tv - res.repair_tv) <= TV_ATOL
    assert n_positive > 5


def test_repair_is_at_least_each_single_flip() -> None:
    """Every constraint of the repair LP alone is a flip program: a lower bound."""
    rng = np.random.default_rng(6)
    for _ in range(30):
        r, w = random_population(rng, 5, 3)
        res = nbc_sensitivity(r, w)
        if res.repair_tv is None or len(res.average_top) != 1:
            continue
        win = res.average_top[0]
        for k in range(5):
            if k != win:
                single = min_tv_flip(r, w, k, win)
                assert single.tv is not None
                assert res.repair_tv >= single.tv - 1e-9


def test_vectorised_over_leading_axes() -> None:
    problems = random_problems(seed=13, count=200)
    n = 5
    batch = [(c, b) for c, b in problems if c.size == n]
    cs = np.stack([c for c, _ in batch])
    bs = np.stack([b for _, b in batch])
    tv_batch, q_batch = greedy_flip(cs, bs, np.ones(n, dtype=bool), EPS, DELTA, want_q=True)
    assert q_batch is not None
    for k, (c, b) in enumerate(batch):
        tv, q = greedy_flip(c, b, np.ones(n, dtype=bool), EPS, DELTA, want_q=True)
        assert tv == tv_batch[k]
        assert q is not None
        np.testing.assert_array_equal(q, q_batch[k])


def test_padding_does_not_change_the_answer() -> None:
    rng = np.random.default_rng(14)
    r, w = random_population(rng, 4, 2)
    p = pairwise_matrix(r, w)
    base = np.full(4, 0.25)
    valid = np.array([True] * 4 + [False] * 2)
    n_feasible = 0
    for i, j in itertools.permutations(range(4), 2):
        c = p[i] - p[j]
        tv, q = greedy_flip(c, base, np.ones(4, dtype=bool), EPS, DELTA, want_q=True)
        pad_c = np.concatenate([c, [-5.0, 7.0]])
        pad_b = np.concatenate([base, [0.0, 0.0]])
        tv_pad, q_pad = greedy_flip(pad_c, pad_b, valid, EPS, DELTA, want_q=True)
        assert tv_pad == tv
        assert q is not None and q_pad is not None
        if np.isfinite(tv):
            n_feasible += 1
            np.testing.assert_array_equal(q_pad, np.concatenate([q, [0.0, 0.0]]))
        else:
            assert np.all(np.isnan(q_pad))
    assert n_feasible > 0


def test_already_flipped_pair_costs_nothing() -> None:
    r, w = [[0.0, 1.0, 2.0]], [1.0]
    res = min_tv_flip(r, w, 0, 2)  # 2 is already far above 0
    assert res.tv == 0.0
    assert res.distribution is not None
    np.testing.assert_allclose(res.distribution, np.full(3, 1 / 3), atol=1e-15)


def test_closed_form_two_options() -> None:
    """With two options, (P_0 - P_1) @ q = (P01 - 1/2)(q_0 + q_1) + ... has a hand solution.

    c = (1/2 - P10, P01 - 1/2) = (x, x) with x = P01 - 1/2: c @ q = x for every q, so the
    pair can never be flipped when x > -delta, whatever the sampling distribution.
    """
    res = min_tv_flip([[1.0, 0.0], [0.0, 0.5]], [0.5, 0.5], 0, 1)
    assert res.tv is None and not res.feasible


def test_hand_solved_three_options() -> None:
    """Majority model, 3 options: c = P_0 - P_1 is known exactly; the greedy is done by hand.

    Types: u1 ranks 0 > 1 > 2 (weight 0.6), u2 ranks 1 > 2 > 0 (weight 0.4), majority sigma.
    P = [[.5, .6, .6], [.4, .5, 1.], [.4, 0., .5]]; c = P_0 - P_1 = (.1, .1, -.4);
    c @ uniform = -.2/3 < 0, so 1 is already above 0... take the pair (1, 0) instead:
    c = (-.1, -.1, .4), c @ u = .2/3. Move mass from option 2 (c = .4) to option 0 or 1
    (c = -.1, the first is taken): gain .5 per unit, need .2/3 + delta: TV = (.2/3 + 1e-5)/.5.
    """
    r = [[2.0, 1.0, 0.0], [0.0, 2.0, 1.0]]
    res = min_tv_flip(r, [0.6, 0.4], 1, 0, model="majority")
    expected = (0.2 / 3 + DELTA) / 0.5
    assert res.tv is not None and abs(res.tv - expected) <= 1e-15
    assert res.distribution is not None
    np.testing.assert_allclose(
        res.distribution, [1 / 3 + expected, 1 / 3, 1 / 3 - expected], atol=1e-15
    )


@given(
    rewards=arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(2, 6)),
        elements=st.floats(-6, 6, allow_nan=False),
    ),
    data=st.data(),
)
def test_property_solution_feasible_and_optimal(rewards: np.ndarray, data: st.DataObject) -> None:
    u, n = rewards.shape
    w = np.asarray(data.draw(st.lists(st.floats(0.05, 1.0), min_size=u, max_size=u)))
    w /= w.sum()
    p = pairwise_matrix(rewards, w)
    i, j = data.draw(st.permutations(range(n)))[:2]
    res = min_tv_flip(rewards, w, i, j)
    ref, _ = lp_linprog((p[i] - p[j])[None, :], np.full(n, 1 / n), EPS, DELTA)
    assert (ref is None) == (res.tv is None)
    if res.tv is not None:
        assert ref is not None and abs(res.tv - ref) <= TV_ATOL
        assert res.distribution is not None
        check_solution(p[i] - p[j], np.full(n, 1 / n), res.tv, res.distribution)
        # a larger margin never costs less
        harder = min_tv_flip(rewards, w, i, j, delta=2 * DELTA)
        assert harder.tv is None or harder.tv >= res.tv - 1e-15


@given(
    rewards=arrays(
        np.float64, st.tuples(st.integers(1, 3), st.integers(3, 6)), elements=st.floats(-5, 5)
    ),
    data=st.data(),
)
def test_property_invariant_to_option_order_and_reward_shift(
    rewards: np.ndarray, data: st.DataObject
) -> None:
    u, n = rewards.shape
    w = np.full(u, 1.0 / u)
    perm = np.asarray(data.draw(st.permutations(range(n))))
    shift = np.asarray(data.draw(st.lists(st.floats(-3, 3), min_size=u, max_size=u)))[:, None]
    a = nbc_sensitivity(rewards, w, repair=False)
    b = nbc_sensitivity(rewards[:, perm] + shift, w, repair=False)
    assert (a.min_tv is None) == (b.min_tv is None)
    if a.min_tv is not None and b.min_tv is not None:
        assert abs(a.min_tv - b.min_tv) <= 1e-12
    assert a.top_flippable == b.top_flippable
    if a.top_min_tv is not None and b.top_min_tv is not None:
        assert abs(a.top_min_tv - b.top_min_tv) <= 1e-12


def test_uniform_fast_paths_equal_the_general_path() -> None:
    """The sort-only paths (uniform base) against the argsort path used for ``want_q``."""
    rng = np.random.default_rng(20)
    for n in (2, 3, 6, 9):
        cs = []
        for _ in range(200):
            p = pairwise_matrix(*random_population(rng, n, 3))
            cs += [p[i] - p[j] for i, j in itertools.permutations(range(n), 2)]
        cs = np.stack(cs)
        base = np.full(n, 1.0 / n)
        general, _ = greedy_flip(cs, base, np.ones(n, dtype=bool), EPS, DELTA, want_q=True)
        equal_caps, _ = greedy_flip(cs, base, np.ones(n, dtype=bool), EPS, DELTA)
        uniform = greedy_tv_uniform(cs, EPS, DELTA)
        assert np.array_equal(np.isfinite(general), np.isfinite(uniform))
        assert np.array_equal(np.isfinite(general), np.isfinite(equal_caps))
        fin = np.isfinite(general)
        assert fin.any() and not fin.all()
        np.testing.assert_allclose(uniform[fin], general[fin], rtol=0, atol=1e-12)
        np.testing.assert_allclose(equal_caps[fin], general[fin], rtol=0, atol=1e-12)
