"""Benchmark: the maximal lottery and the NLHF Nash policy for many questions at once.

Random questions (3-10 options, 3 Bradley-Terry types, Luce rewards of Dirichlet choice
shares), as a survey wave gives them; almost all have a Condorcet winner, which needs no LP. So
a second set has random margins (uniform in [-0.2, 0.2]), which seldom have one: there every
maximal lottery is an LP. In one run:

* maximal lottery: :func:`socialpref.targets.maximal_lottery_batch` (padded stack) against
  ``pref_voting``'s LP (``maximal_lottery(..., algorithm="lp")``) on each question's margin graph;
* Nash policy: :func:`socialpref.targets.nash_policy_batch` (one padded stack, Newton) against
  a cvxpy (Clarabel) solve of the concave dual problem per question, on a subset.

Each comparison runs both sides in interleaved rounds (``--rounds``, the order rotating); prints
the median ratio with its range and the largest differences. Run::

    .venv/bin/python benchmarks/bench_targets.py [--questions 500] [--subset 50] [--beta 0.1]
        [--rounds 3] [--seed 0]
    .venv/bin/python benchmarks/bench_targets.py --smoke
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np
from pref_voting.probabilistic_methods import maximal_lottery as pv_maximal_lottery
from pref_voting.weighted_majority_graphs import MarginGraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks

from benchmarks.claims import Claim, add_argument, interleaved, record, write
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


def summary(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):,.1f}x (range {min(ratios):,.1f}-{max(ratios):,.1f}x)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--subset", type=int, default=50)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a CI check)")
    add_argument(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.questions, args.subset, args.rounds = 20, 5, 1
    q = args.questions
    ok = True
    pref_voting_lottery(make_stack(1, args.seed)[0][0, :3, :3])  # imports, not timed
    for label, (stack, counts) in (
        ("survey-like", make_stack(q, args.seed)),
        ("random margins", make_cycles(q, args.seed)),
    ):
        times, out = interleaved(
            {
                "ours": lambda s=stack, c=counts: maximal_lottery_batch(s, c),
                "pref_voting": lambda s=stack, c=counts: [
                    pref_voting_lottery(s[b, :k, :k]) for b, k in enumerate(c)
                ],
            },
            args.rounds,
        )
        ours, theirs = out["ours"], out["pref_voting"]
        t_ml, t_pv = statistics.median(times["ours"]), statistics.median(times["pref_voting"])
        d_ml = max(
            float(np.abs(ours[b].probabilities[:k] - theirs[b]).max()) for b, k in enumerate(counts)
        )
        n_unique = sum(ml.unique for ml in ours)
        n_mixed = sum(len(ml.support) > 1 for ml in ours)
        ratios = [b / a for a, b in zip(times["ours"], times["pref_voting"], strict=True)]
        print(f"{label}: {q} questions, 3-10 options; {n_unique} unique lotteries, {n_mixed} mixed")
        print(f"  maximal_lottery_batch {t_ml * 1e3:9.1f} ms  ({t_ml / q * 1e3:.3f} ms/question)")
        print(f"  pref_voting LP        {t_pv * 1e3:9.1f} ms  ({t_pv / q * 1e3:.3f} ms/question)")
        print(f"  ratio pref_voting / ours: {summary(ratios)}; max |difference| {d_ml:.2e}")
        record(
            Claim.from_times(
                f"maximal lottery of {q} {label} questions (3-10 options)",
                "maximal_lottery_batch",
                times["ours"],
                "pref_voting's LP, per question",
                times["pref_voting"],
            )
        )
        ok &= n_unique == q and d_ml < 1e-8

    sub = range(min(args.subset, args.questions))
    cvxpy_nash(stack[0, : counts[0], : counts[0]], args.beta)  # compilation, not timed
    times, out = interleaved(
        {
            "ours": lambda: nash_policy_batch(stack, args.beta, n_options=counts),
            "cvxpy": lambda: [
                cvxpy_nash(stack[b, : counts[b], : counts[b]], args.beta) for b in sub
            ],
        },
        args.rounds,
    )
    nash, ref = out["ours"], out["cvxpy"]
    d_nash = max(float(np.abs(nash[b, : counts[b]] - ref[i]).max()) for i, b in enumerate(sub))
    ours_q = [t / q for t in times["ours"]]  # per question: cvxpy runs on a subset
    cvx_q = [t / len(sub) for t in times["cvxpy"]]
    print(f"Nash policy, beta = {args.beta:g}, on the random-margin set:")
    print(f"  nash_policy_batch     {statistics.median(times['ours']) * 1e3:9.1f} ms  "
          f"({statistics.median(ours_q) * 1e3:.3f} ms/question)")  # fmt: skip
    print(f"  cvxpy, {len(sub)} questions  {statistics.median(times['cvxpy']) * 1e3:9.1f} ms  "
          f"({statistics.median(cvx_q) * 1e3:.3f} ms/question)")  # fmt: skip
    ratios = [b / a for a, b in zip(ours_q, cvx_q, strict=True)]
    print(
        f"  ratio cvxpy / ours per question: {summary(ratios)}; "
        f"max |difference| {d_nash:.2e} (cvxpy's own accuracy ~1e-6)"
    )
    record(
        Claim.from_times(
            f"NLHF Nash policy (beta {args.beta:g}), per question of {q} random-margin questions",
            "nash_policy_batch",
            ours_q,
            f"cvxpy (Clarabel), per question ({len(sub)} of them)",
            cvx_q,
        )
    )
    ok &= d_nash < 1e-5
    write(args.claims)
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
