"""Benchmark: the exact vectorised min-TV sweep against one LP per pair (the paper's method).

Random questions (3-10 options, 3 types, Luce rewards of Dirichlet choice shares); every
ordered pair with NBC_i > NBC_j under uniform sampling. Three solvers in one run:

* exact: :func:`socialpref.sensitivity_sweep.sensitivity_sweep` (closed form, numpy);
* linprog: one ``scipy.optimize.linprog(method="highs")`` per pair, as the authors' code does
  (but without their eps bound on the slacks), on every question;
* cvxpy: the program as written (DPP-compiled once per size, HiGHS) on a subset.

Prints the wall-clock ratios and the largest TV differences. Run::

    .venv/bin/python benchmarks/bench_sensitivity.py [--questions 2000] [--subset 200] [--seed 0]
    .venv/bin/python benchmarks/bench_sensitivity.py --smoke
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from socialpref.aggregate import TIE_TOL, pairwise_matrix
from socialpref.luce import luce_rewards
from socialpref.min_tv_exact import _greedy_flip
from socialpref.min_tv_lp import _lp_cvxpy, _lp_linprog
from socialpref.sensitivity import DELTA, EPS
from socialpref.sensitivity_sweep import sensitivity_sweep


def make_questions(count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n = int(rng.integers(3, 11))
        shares = rng.dirichlet(np.full(n, 2.0), size=3)
        out.append((luce_rewards(shares), rng.dirichlet(np.full(3, 4.0))))
    return out


def lp_sweep(questions, solve):  # type: ignore[no-untyped-def]
    """Per question: pairwise matrix, then one LP per ordered pair with NBC_i > NBC_j."""
    per_pair: list[float] = []
    per_question: list[float] = []
    for r, w in questions:
        p = pairwise_matrix(r, w)
        n = p.shape[0]
        base = np.full(n, 1.0 / n)
        score = p @ base
        best = np.inf
        for i in range(n):
            for j in range(n):
                if score[i] - score[j] > TIE_TOL:
                    tv, _ = solve((p[i] - p[j])[None, :], base, EPS, DELTA)
                    value = np.inf if tv is None else tv
                    per_pair.append(value)
                    best = min(best, value)
        per_question.append(best)
    return np.array(per_pair), np.array(per_question)


def exact_pairs(questions) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The closed form on the same pairs, in the same order (for the per-pair comparison)."""
    out = []
    for r, w in questions:
        p = pairwise_matrix(r, w)
        n = p.shape[0]
        score = p.mean(axis=1)
        ii, jj = np.nonzero(score[:, None] - score[None, :] > TIE_TOL)
        tv, _ = _greedy_flip(p[ii] - p[jj], np.full(n, 1.0 / n), np.ones(n, bool), EPS, DELTA)
        out.append(tv)
    return np.concatenate(out)


def max_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Largest |a - b| over pairs feasible in both, and the number of feasibility mismatches."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    return float(np.max(np.abs(a[both] - b[both]), initial=0.0)), int((fa != fb).sum())


def timed(fn, *args, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--subset", type=int, default=200, help="questions also solved with cvxpy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a CI check)")
    args = ap.parse_args()
    if args.smoke:
        args.questions, args.subset = 40, 10
    questions = make_questions(args.questions, args.seed)
    subset = questions[: args.subset]

    t_exact, sweep = timed(lambda q: sensitivity_sweep(q, repair=False), questions, repeat=3)
    t_linprog, (lp_pairs, lp_questions) = timed(lp_sweep, questions, _lp_linprog)
    ex_pairs = exact_pairs(questions)
    n_pairs = lp_pairs.size
    d_pair, mis_pair = max_diff(ex_pairs, lp_pairs)
    d_q, mis_q = max_diff(np.nan_to_num(sweep.min_tv, nan=np.inf), lp_questions)

    t_exact_sub, sweep_sub = timed(lambda q: sensitivity_sweep(q, repair=False), subset, repeat=3)
    cvx = lambda a, b, e, d: _lp_cvxpy(a, b, e, d, "HIGHS")  # noqa: E731
    t_cvxpy, (cv_pairs, cv_questions) = timed(lp_sweep, subset, cvx)
    d_cv_pair, mis_cv_pair = max_diff(exact_pairs(subset), cv_pairs)
    d_cv_q, mis_cv_q = max_diff(np.nan_to_num(sweep_sub.min_tv, nan=np.inf), cv_questions)

    s = sweep.summary()
    print(
        f"questions {len(questions)} (3-10 options, 3 types), ordered pairs {n_pairs}, seed {args.seed}"
    )
    print(f"flippable {s['flippable']} ({s['flippable_share']:.1%}), top flips {s['top_flips']}, "
          f"median min TV {s['median_min_tv']:.4f}")  # fmt: skip
    print(f"exact sweep     {t_exact * 1e3:9.1f} ms  ({t_exact / n_pairs * 1e6:.2f} us/pair)")
    print(f"linprog / pair  {t_linprog * 1e3:9.1f} ms  ({t_linprog / n_pairs * 1e6:.1f} us/pair)")
    print(f"ratio linprog / exact: {t_linprog / t_exact:,.0f}x  (target >= 1000x)")
    print(f"max |TV exact - TV linprog|: per pair {d_pair:.2e}, per question {d_q:.2e}; "
          f"feasibility mismatches {mis_pair} pairs, {mis_q} questions")  # fmt: skip
    print(f"cvxpy subset: {len(subset)} questions, {cv_pairs.size} pairs, "
          f"cvxpy {t_cvxpy * 1e3:.1f} ms vs exact {t_exact_sub * 1e3:.2f} ms")  # fmt: skip
    print(f"ratio cvxpy / exact: {t_cvxpy / t_exact_sub:,.0f}x")
    print(f"max |TV exact - TV cvxpy|: per pair {d_cv_pair:.2e}, per question {d_cv_q:.2e} "
          f"(target <= 1e-7); feasibility mismatches {mis_cv_pair} pairs, {mis_cv_q} questions")  # fmt: skip
    ok = d_cv_pair <= 1e-7 and d_pair <= 1e-7 and mis_pair == mis_cv_pair == 0
    print("OK" if ok else "MISMATCH")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
