"""Benchmark: the maximal lottery and the NLHF Nash policy for many questions at once.

Random questions (3-10 options, 3 Bradley-Terry types, Luce rewards of Dirichlet choice
shares), as a survey wave gives them; almost all have a Condorcet winner, which needs no LP. So
a second set has random margins (uniform in [-0.2, 0.2]), which seldom have one: there every
maximal lottery is an LP. In one run:

* maximal lottery: :func:`socialpref.targets.maximal_lottery_batch` (padded stack) against
  ``pref_voting``'s LP (``maximal_lottery(..., algorithm="lp")``) on each question's margin graph;
* Nash policy: :func:`socialpref.targets.nash_policy_batch` (one padded stack, Newton) against
  a cvxpy (Clarabel) solve of the concave dual problem per question, on a subset.

Prints the wall-clock ratios and the largest differences. Run::

    .venv/bin/python benchmarks/bench_targets.py [--questions 500] [--subset 50] [--beta 0.1] [--seed 0]
    .venv/bin/python benchmarks/bench_targets.py --smoke
"""

from __future__ import annotations

import argparse
import time

import cvxpy as cp
import numpy as np
from pref_voting.probabilistic_methods import maximal_lottery as pv_maximal_lottery
from pref_voting.weighted_majority_graphs import MarginGraph

from socialpref.aggregate import pairwise_matrix
from socialpref.luce import luce_rewards
from socialpref.targets import maximal_lottery_batch, nash_policy_batch


def make_stack(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A padded ``(count, 10, 10)`` stack of pairwise matrices and the option counts."""
    rng = np.random.default_rng(seed)
    stack = np.full((count, 10, 10), 0.5)
    counts = rng.integers(3, 11, count)
    for b, n in enumerate(counts):
        shares = rng.dirichlet(np.full(n, 2.0), size=3)
        stack[b, :n, :n] = pairwise_matrix(luce_rewards(shares), rng.dirichlet(np.full(3, 4.0)))
    return stack, counts


def make_cycles(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A padded stack of pairwise matrices with random margins (few Condorcet winners)."""
    rng = np.random.default_rng(seed + 1)
    stack = np.full((count, 10, 10), 0.5)
    counts = rng.integers(3, 11, count)
    for b, n in enumerate(counts):
        upper = np.triu(rng.uniform(-0.2, 0.2, (n, n)), 1)
        stack[b, :n, :n] = 0.5 + (upper - upper.T) / 2
    return stack, counts


def pref_voting_lottery(p: np.ndarray) -> np.ndarray:
    n = p.shape[0]
    m = p - p.T
    edges = [(a, b, m[a, b]) for a in range(n) for b in range(n) if m[a, b] > 0]
    res = pv_maximal_lottery(MarginGraph(list(range(n)), edges), algorithm="lp")
    return np.array([res[c] for c in range(n)])


def cvxpy_nash(p: np.ndarray, beta: float) -> np.ndarray:
    n = p.shape[0]
    x = cp.Variable(n)
    mu = np.full(n, 1.0 / n)
    obj = -beta * cp.sum(cp.kl_div(x, mu)) - beta * cp.log_sum_exp(np.log(mu) - p.T @ x / beta)
    tight = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
    cp.Problem(cp.Maximize(obj), [cp.sum(x) == 1, x >= 0]).solve(solver="CLARABEL", **tight)
    return np.asarray(x.value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--subset", type=int, default=50)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a CI check)")
    args = ap.parse_args()
    if args.smoke:
        args.questions, args.subset = 20, 5
    q = args.questions
    ok = True
    for label, (stack, counts) in (
        ("survey-like", make_stack(q, args.seed)),
        ("random margins", make_cycles(q, args.seed)),
    ):
        t0 = time.perf_counter()
        ours = maximal_lottery_batch(stack, counts)
        t_ml = time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs = [pref_voting_lottery(stack[b, :k, :k]) for b, k in enumerate(counts)]
        t_pv = time.perf_counter() - t0
        d_ml = max(
            float(np.abs(ours[b].probabilities[:k] - theirs[b]).max()) for b, k in enumerate(counts)
        )
        n_unique = sum(ml.unique for ml in ours)
        n_mixed = sum(len(ml.support) > 1 for ml in ours)
        print(f"{label}: {q} questions, 3-10 options; {n_unique} unique lotteries, {n_mixed} mixed")
        print(f"  maximal_lottery_batch {t_ml * 1e3:9.1f} ms  ({t_ml / q * 1e3:.3f} ms/question)")
        print(f"  pref_voting LP        {t_pv * 1e3:9.1f} ms  ({t_pv / q * 1e3:.3f} ms/question)")
        print(f"  ratio pref_voting / ours: {t_pv / t_ml:,.1f}x; max |difference| {d_ml:.2e}")
        ok &= n_unique == q and d_ml < 1e-8

    t0 = time.perf_counter()
    nash = nash_policy_batch(stack, args.beta, n_options=counts)
    t_nash = time.perf_counter() - t0
    sub = range(min(args.subset, args.questions))
    t0 = time.perf_counter()
    ref = [cvxpy_nash(stack[b, : counts[b], : counts[b]], args.beta) for b in sub]
    t_cvx = time.perf_counter() - t0
    d_nash = max(float(np.abs(nash[b, : counts[b]] - ref[i]).max()) for i, b in enumerate(sub))

    print(f"Nash policy, beta = {args.beta:g}, on the random-margin set:")
    print(f"  nash_policy_batch     {t_nash * 1e3:9.1f} ms  ({t_nash / q * 1e3:.3f} ms/question)")
    print(
        f"  cvxpy, {len(sub)} questions  {t_cvx * 1e3:9.1f} ms  ({t_cvx / len(sub) * 1e3:.3f} ms/question)"
    )
    print(
        f"  ratio cvxpy / ours per question: {(t_cvx / len(sub)) / (t_nash / q):,.0f}x; "
        f"max |difference| {d_nash:.2e} (cvxpy's own accuracy ~1e-6)"
    )
    ok &= d_nash < 1e-5
    print("OK" if ok else "MISMATCH")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
