"""The repair program: certified closed form and LP fallback against HiGHS, cvxpy, brute force."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from socialpref.aggregate import pairwise_matrix
from socialpref.sensitivity import DELTA, EPS, Solver, nbc_sensitivity, repair_tv
from socialpref.sensitivity.lp import lp_cvxpy, lp_linprog
from socialpref.sensitivity.repair import CERTIFICATE_TOL

VertexOracle = Callable[[np.ndarray, np.ndarray, float, float], float | None]

#: The closed form against an LP solver (HiGHS' own feasibility tolerance is 1e-7).
TV_ATOL = 1e-7


def random_programs(
    seed: int, count: int, n_min: int = 2, n_max: int = 9
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``count`` repair programs ``(P, base, winners)``: random populations and bases.

    The winner is NBC's runner-up under the base (the hard, positive case) in most programs and
    a random option in the others (often impossible to repair); a tenth of them have two tied
    winners.
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n, u = int(rng.integers(n_min, n_max + 1)), int(rng.integers(2, 6))
        r = rng.normal(size=(u, n)) * rng.choice([1.0, 3.0, 8.0])
        w = rng.dirichlet(np.ones(u))
        kind = int(rng.integers(3))
        base = np.full(n, 1.0 / n) if kind == 0 else rng.dirichlet(np.full(n, 0.7))
        if kind == 2:
            base[rng.integers(n)] = 0.0  # below eps: a forced raise
            base /= base.sum()
        p = pairwise_matrix(r, w)
        winners = np.zeros(n, dtype=bool)
        if rng.random() < 0.7:
            winners[np.argsort(-(p @ base), kind="stable")[1]] = True
        else:
            winners[rng.integers(n)] = True
        if rng.random() < 0.1 and n > 2:
            winners[rng.choice(np.flatnonzero(~winners))] = True
        out.append((p, base, winners))
    return out


def oracle(p: np.ndarray, base: np.ndarray, winners: np.ndarray, solve) -> float | None:  # type: ignore[no-untyped-def]
    """The repair program by an LP solver, winner by winner (the definition, no shortcut)."""
    values = []
    for win in np.flatnonzero(winners):
        a = np.delete(p, win, axis=0) - p[win][None, :]
        if np.all(a @ base <= -DELTA) and np.all(base >= EPS):
            return 0.0
        value, _ = solve(a, base, EPS, DELTA)
        if value is not None:
            values.append(value)
    return min(values) if values else None


def solve_all(programs):  # type: ignore[no-untyped-def]
    """repair_tv on the programs, batched by number of options; returns tv and LP counts."""
    tv = np.full(len(programs), np.nan)
    n_lp = np.zeros(len(programs), dtype=np.int64)
    sizes = np.array([p.shape[0] for p, _, _ in programs])
    for n in np.unique(sizes):
        idx = np.flatnonzero(sizes == n)
        res = repair_tv(
            np.stack([programs[k][0] for k in idx]),
            np.stack([programs[k][1] for k in idx]),
            np.stack([programs[k][2] for k in idx]),
            EPS,
            DELTA,
        )
        tv[idx], n_lp[idx] = res.tv, res.n_lp
    return tv, n_lp


def check_against(programs, solve, atol: float) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    tv, n_lp = solve_all(programs)
    n_positive = n_infeasible = 0
    for (p, base, winners), value in zip(programs, tv, strict=True):
        ref = oracle(p, base, winners, solve)
        assert (ref is None) == bool(np.isnan(value)), (ref, value)
        if ref is None:
            n_infeasible += 1
        else:
            assert abs(value - ref) <= atol, (value, ref)
            n_positive += value > 0
    return n_positive, n_infeasible, int((n_lp > 0).sum())


@pytest.mark.parametrize(
    "count", [300, pytest.param(3000, marks=pytest.mark.slow, id="3000-programs")]
)
def test_repair_matches_highs(count: int) -> None:
    n_positive, n_infeasible, n_fallback = check_against(
        random_programs(21, count), lp_linprog, TV_ATOL
    )
    # every kind of program is well represented: positive, impossible, and both exact paths
    assert n_positive > count // 5 and n_infeasible > count // 5
    assert 0 < n_fallback < n_positive // 4


@pytest.mark.parametrize(
    "count", [100, pytest.param(2000, marks=pytest.mark.slow, id="2000-programs")]
)
def test_repair_matches_cvxpy(count: int) -> None:
    pytest.importorskip("cvxpy")

    def solve(a, base, eps, delta):  # type: ignore[no-untyped-def]
        return lp_cvxpy(a, base, eps, delta, "HIGHS")

    n_positive, _, _ = check_against(random_programs(22, count), solve, TV_ATOL)
    assert n_positive > count // 5


def test_repair_matches_vertex_enumeration(vertex_min_tv: VertexOracle) -> None:
    """Exact to round-off where the certificate holds; the LP within its tolerance elsewhere."""
    programs = [prog for prog in random_programs(23, 400, 3, 4) if prog[2].sum() == 1]
    tv, n_lp = solve_all(programs)
    for (p, base, winners), value, lp in zip(programs, tv, n_lp, strict=True):
        win = int(np.flatnonzero(winners)[0])
        ref = vertex_min_tv(np.delete(p, win, axis=0) - p[win][None, :], base, EPS, DELTA)
        assert (ref is None) == bool(np.isnan(value))
        if ref is not None:
            assert abs(value - ref) <= (1e-10 if lp == 0 else TV_ATOL)


def test_certified_solution_is_feasible_and_attains_the_bound() -> None:
    """The certificate's argument, checked directly: the closed-form q of the hardest constraint
    meets every constraint, and no single constraint needs more TV than the answer."""
    from socialpref.sensitivity.exact import greedy_flip

    for p, base, winners in random_programs(24, 300):
        win = int(np.flatnonzero(winners)[0])
        one = winners & (np.arange(winners.size) == win)
        res = repair_tv(p[None], base[None], one[None], EPS, DELTA)
        a = np.delete(p, win, axis=0) - p[win][None, :]
        single, q = greedy_flip(a, base, True, EPS, DELTA, want_q=True)
        assert q is not None
        if np.isnan(res.tv[0]) or res.n_lp[0] or res.tv[0] == 0.0:
            continue
        k = int(np.argmax(single))
        assert res.tv[0] == single[k] == single.max()  # the lower bound L, attained
        assert np.all(a @ q[k] <= -DELTA + CERTIFICATE_TOL)  # q* is feasible for all
        assert abs(q[k].sum() - 1.0) <= 1e-12 and q[k].min() >= EPS - 1e-12


def test_tied_winners_take_the_smaller_repair() -> None:
    programs = [prog for prog in random_programs(25, 400) if prog[2].sum() == 2]
    assert len(programs) > 10
    for p, base, winners in programs:
        both = repair_tv(p[None], base[None], winners[None], EPS, DELTA).tv[0]
        each = [
            repair_tv(p[None], base[None], (np.arange(winners.size) == k)[None], EPS, DELTA).tv[0]
            for k in np.flatnonzero(winners)
        ]
        finite = [v for v in each if not np.isnan(v)]
        assert (not finite) == bool(np.isnan(both))
        if finite:
            assert both == min(finite)


@pytest.mark.parametrize("solver", [Solver("linprog"), Solver("cvxpy", "HIGHS")])
def test_lp_back_ends_solve_every_positive_program(solver: Solver) -> None:
    if solver.kind == "cvxpy":
        pytest.importorskip("cvxpy")
    programs = [prog for prog in random_programs(26, 60) if prog[0].shape[0] == 5]
    p, base, winners = (np.stack(x) for x in zip(*programs, strict=True))
    exact = repair_tv(p, base, winners, EPS, DELTA)
    by_lp = repair_tv(p, base, winners, EPS, DELTA, solver)
    np.testing.assert_array_equal(np.isnan(exact.tv), np.isnan(by_lp.tv))
    ok = ~np.isnan(exact.tv)
    np.testing.assert_allclose(by_lp.tv[ok], exact.tv[ok], rtol=0, atol=TV_ATOL)
    assert np.all(by_lp.n_lp[by_lp.tv != 0] >= 1) and by_lp.n_lp.sum() > exact.n_lp.sum()


def test_question_repair_uses_the_average_reward_winner() -> None:
    """Section 4.3's population: NBC prefers y1, the average y2; repairing costs the TV that
    puts y2 ahead of both others by delta (checked against HiGHS)."""
    rewards, weights = [[6.0, 1.0, 4.0], [3.0, 9.0, 4.0]], [0.5, 0.5]
    res = nbc_sensitivity(rewards, weights)
    assert res.nbc_top == (0,) and res.average_top == (1,)
    p = pairwise_matrix(rewards, weights)
    ref, _ = lp_linprog(np.delete(p, 1, axis=0) - p[1][None, :], np.full(3, 1 / 3), EPS, DELTA)
    assert ref is not None and res.repair_tv is not None
    assert abs(res.repair_tv - ref) <= TV_ATOL


def test_empty_and_one_option() -> None:
    empty = repair_tv(np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros((0, 3), bool), EPS, DELTA)
    assert empty.tv.shape == (0,)
    one = repair_tv(np.full((2, 1, 1), 0.5), np.ones((2, 1)), np.ones((2, 1), bool), EPS, DELTA)
    assert one.tv.tolist() == [0.0, 0.0]
