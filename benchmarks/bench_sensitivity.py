"""Benchmark: the exact vectorised min-TV sweep against LP baselines, in one process.

Random questions (3-10 options, 3 types, Luce rewards of Dirichlet choice shares); the minimal
TV over the ordered pairs with NBC_i > NBC_j under uniform sampling. Solvers, timed in the same
process and interleaved over ``--rounds`` rounds (the order rotates every round):

* sweep: :func:`socialpref.sensitivity.sensitivity_sweep` (closed form, numpy), every pair;
* linprog / pair: one ``scipy.optimize.linprog(method="highs")`` per ordered pair, as the
  authors' code does (without their eps bound on the slacks) -- the paper's method;
* linprog / adjacent pair: the baseline a competent user would write: one linprog per pair
  adjacent in NBC order only (n - 1 programs per question instead of up to n(n - 1) / 2). A
  flip of any pair swaps some adjacent pair, so its minimum is the same up to the margin delta
  (checked and printed);
* cvxpy / pair: the program as written (DPP-compiled once per size, HiGHS), on a subset.

Prints each solver's time per round, the median ratio to the sweep and its range, the largest
TV differences, the time per question of the one-question API
(:func:`socialpref.sensitivity.nbc_sensitivity`, repair included) against the sweep's, and the
sweep's time and peak memory (tracemalloc) at 5, 50, 100 and 1,000 options (and its refusal, with
the estimate, of a 10,000-option question that does not fit the default 1 GiB budget).
Exits 1 if the sweep and an LP disagree by more than 1e-7 or on feasibility. Run::

    .venv/bin/python benchmarks/bench_sensitivity.py [--questions 2000] [--subset 200]
        [--rounds 3] [--seed 0] [--json PATH]
    .venv/bin/python benchmarks/bench_sensitivity.py --smoke
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks

from benchmarks.claims import Claim, add_argument, interleaved, record, write
from socialpref.aggregate import TIE_TOL, compare_aggregates, pairwise_matrix
from socialpref.errors import SocialPrefError
from socialpref.luce import luce_rewards
from socialpref.sensitivity import (
    DELTA,
    EPS,
    greedy_flip,
    lp_cvxpy,
    lp_linprog,
    nbc_sensitivity,
    plan_sweep,
    repair_tv,
    sensitivity_sweep,
)

Question = tuple[np.ndarray, np.ndarray]
LP = Callable[[np.ndarray, np.ndarray, float, float], tuple[float | None, Any]]
#: Agreement required between the sweep and an LP solver.
TV_ATOL = 1e-7


def make_questions(count: int, seed: int, n_min: int = 3, n_max: int = 10) -> list[Question]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n = int(rng.integers(n_min, n_max + 1))
        shares = rng.dirichlet(np.full(n, 2.0), size=3)
        out.append((luce_rewards(shares), rng.dirichlet(np.full(3, 4.0))))
    return out


def uniform_nbc(r: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A question's pairwise matrix, the uniform base and NBC under it."""
    p = pairwise_matrix(r, w)
    base = np.full(p.shape[0], 1.0 / p.shape[0])
    return p, base, p @ base


def lp_all_pairs(questions: Sequence[Question], solve: LP) -> tuple[np.ndarray, np.ndarray]:
    """The paper's method: per question, one LP per ordered pair with NBC_i > NBC_j."""
    per_pair: list[float] = []
    per_question: list[float] = []
    for r, w in questions:
        p, base, score = uniform_nbc(r, w)
        n = p.shape[0]
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


def lp_adjacent_pairs(questions: Sequence[Question], solve: LP) -> np.ndarray:
    """The competent user's baseline: one LP per pair adjacent in NBC order."""
    out: list[float] = []
    for r, w in questions:
        p, base, score = uniform_nbc(r, w)
        order = np.argsort(-score, kind="stable")
        best = np.inf
        for i, j in itertools.pairwise(order):
            if score[i] - score[j] > TIE_TOL:
                tv, _ = solve((p[i] - p[j])[None, :], base, EPS, DELTA)
                best = min(best, np.inf if tv is None else tv)
        out.append(best)
    return np.array(out)


def exact_pairs(questions: Sequence[Question]) -> np.ndarray:
    """The closed form on the pairs of :func:`lp_all_pairs`, in its order (per-pair check)."""
    out = []
    for r, w in questions:
        p = pairwise_matrix(r, w)
        n = p.shape[0]
        score = p.mean(axis=1)
        ii, jj = np.nonzero(score[:, None] - score[None, :] > TIE_TOL)
        tv, _ = greedy_flip(p[ii] - p[jj], np.full(n, 1.0 / n), True, EPS, DELTA)
        out.append(tv)
    return np.concatenate(out)


def max_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Largest |a - b| where both are finite, and the number of feasibility mismatches."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    return float(np.max(np.abs(a[both] - b[both]), initial=0.0)), int((fa != fb).sum())


def sweep_minima(questions: Sequence[Question]) -> np.ndarray:
    return np.nan_to_num(sensitivity_sweep(questions, repair=False).min_tv, nan=np.inf)


def ratio_line(label: str, slow: list[float], fast: list[float]) -> str:
    ratios = [s / f for s, f in zip(slow, fast, strict=True)]
    return (
        f"{label:34s} median {statistics.median(ratios):8,.0f}x  "
        f"(range {min(ratios):,.0f}x-{max(ratios):,.0f}x over {len(ratios)} rounds)"
    )


def repair_paths(questions: Sequence[Question]) -> dict[str, int]:
    """How the exact solver decided the repair programs of ``questions`` (uniform base)."""
    counts = {"zero": 0, "closed form": 0, "HiGHS": 0, "impossible": 0}
    by_size: dict[int, list[Question]] = {}
    for r, w in questions:
        by_size.setdefault(r.shape[1], []).append((r, w))
    for n, items in by_size.items():
        p = np.stack([pairwise_matrix(r, w) for r, w in items])
        avg = np.stack([w @ r for r, w in items])
        winners = avg >= avg.max(axis=1, keepdims=True) - TIE_TOL
        res = repair_tv(p, np.full((len(items), n), 1.0 / n), winners, EPS, DELTA)
        counts["zero"] += int(np.sum(res.tv == 0))
        counts["impossible"] += int(np.sum(np.isnan(res.tv)))
        counts["HiGHS"] += int(np.sum((res.n_lp > 0) & (res.tv > 0)))
        counts["closed form"] += int(np.sum((res.n_lp == 0) & (res.tv > 0)))
    return counts


def per_question_table(count: int, rounds: int, seed: int) -> list[dict[str, Any]]:
    """5-option questions, one call each (nbc_sensitivity) against one sweep, repairs included.

    Two sets: NBC and the average reward agree on the top (the repair is 0) or differ (the
    repair program is solved)."""
    rng = np.random.default_rng(seed)
    sets: dict[str, list[Question]] = {"tops agree": [], "tops differ": []}
    while min(len(v) for v in sets.values()) < count:
        r = luce_rewards(rng.dirichlet(np.full(5, 2.0), size=3))
        w = rng.dirichlet(np.full(3, 4.0))
        key = "tops differ" if compare_aggregates(r, w).tops_differ else "tops agree"
        sets[key].append((r, w))
    rows = []
    for label, items in sets.items():
        items = items[:count]
        paths = repair_paths(items)
        times, _ = interleaved(
            {
                "one at a time": lambda items=items: [nbc_sensitivity(r, w) for r, w in items],
                "sweep": lambda items=items: sensitivity_sweep(items),
            },
            rounds,
        )
        rows.append(
            {
                "questions": label,
                "one_ms": statistics.median(times["one at a time"]) / count * 1e3,
                "sweep_ms": statistics.median(times["sweep"]) / count * 1e3,
                "repairs": paths,
            }
        )
        record(
            Claim.cost(
                f"one 5-option question ({label}), repair included: a call against the sweep's "
                "time per question",
                "nbc_sensitivity",
                [t / count for t in times["one at a time"]],
                "sensitivity_sweep, per question",
                [t / count for t in times["sweep"]],
                target=1.0,
            )
        )
    return rows


def memory_table(sizes: Sequence[tuple[int, int]], seed: int) -> list[dict[str, Any]]:
    """Time and tracemalloc peak of the sweep (with repairs) for questions of one size."""
    rows = []
    for n, count in sizes:
        questions = make_questions(count, seed, n, n)
        sensitivity_sweep(questions[:1])  # imports done before measuring
        tracemalloc.start()
        t0 = time.perf_counter()
        sensitivity_sweep(questions)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        plan = plan_sweep(n, 3, count)
        rows.append(
            {
                "options": n,
                "questions": count,
                "seconds": elapsed,
                "peak_mib": peak / 2**20,
                "plan_mib": plan.peak_bytes / 2**20,
                "questions_per_chunk": plan.questions_per_chunk,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--subset", type=int, default=200, help="questions also solved with cvxpy")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write the sweep's results and the figures here")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a CI check)")
    add_argument(ap)
    args = ap.parse_args(argv)
    sizes = [(5, 2000), (50, 64), (100, 16), (1000, 1)]
    if args.smoke:
        args.questions, args.subset, args.rounds = 12, 3, 2
        sizes = [(5, 50), (50, 1), (100, 1)]
    questions = make_questions(args.questions, args.seed)
    subset = questions[: args.subset]

    def cvxpy_highs(a: np.ndarray, b: np.ndarray, e: float, d: float) -> tuple[float | None, Any]:
        return lp_cvxpy(a, b, e, d, "HIGHS")

    # warm-up: lazy imports (scipy.special, scipy.optimize, cvxpy's compilation) are not timed
    sweep_minima(questions[:5])
    lp_all_pairs(questions[:1], lp_linprog)
    lp_all_pairs(subset[:1], cvxpy_highs)
    times, out = interleaved(
        {
            "sweep": lambda: sweep_minima(questions),
            "linprog / pair": lambda: lp_all_pairs(questions, lp_linprog),
            "linprog / adjacent pair": lambda: lp_adjacent_pairs(questions, lp_linprog),
            "sweep (subset)": lambda: sweep_minima(subset),
            "cvxpy / pair (subset)": lambda: lp_all_pairs(subset, cvxpy_highs),
        },
        args.rounds,
    )
    lp_pairs, lp_questions = out["linprog / pair"]
    cv_pairs, cv_questions = out["cvxpy / pair (subset)"]
    d_pair, mis_pair = max_diff(exact_pairs(questions), lp_pairs)
    d_q, mis_q = max_diff(out["sweep"], lp_questions)
    d_cv_pair, mis_cv_pair = max_diff(exact_pairs(subset), cv_pairs)
    d_cv_q, mis_cv_q = max_diff(out["sweep (subset)"], cv_questions)
    d_adj, mis_adj = max_diff(out["sweep"], out["linprog / adjacent pair"])
    n_adjacent = sum(r.shape[1] - 1 for r, _ in questions)
    both = np.isfinite(out["sweep"]) & np.isfinite(out["linprog / adjacent pair"])
    gap = np.abs(out["sweep"][both] - out["linprog / adjacent pair"][both])
    differ_adj = int(np.sum(gap > 1e-9))

    summary = sensitivity_sweep(questions, repair=False).summary()
    print(f"questions {len(questions)} (3-10 options, 3 types), ordered pairs {lp_pairs.size}, "
          f"adjacent pairs {n_adjacent}, seed {args.seed}")  # fmt: skip
    print(f"flippable {summary['flippable']} ({summary['flippable_share']:.1%}), top flips "
          f"{summary['top_flips']}, median min TV {summary['median_min_tv']:.4f}")  # fmt: skip
    for name, ts in times.items():
        per_round = ", ".join(f"{t * 1e3:,.1f}" for t in ts)
        print(
            f"{name:26s} {statistics.median(ts) * 1e3:11,.1f} ms median  (rounds: {per_round} ms)"
        )
    print(ratio_line("ratio linprog / pair : sweep", times["linprog / pair"], times["sweep"]))
    print(ratio_line("ratio linprog / adjacent : sweep", times["linprog / adjacent pair"], times["sweep"]))  # fmt: skip
    print(ratio_line("ratio cvxpy / pair : sweep (subset)", times["cvxpy / pair (subset)"], times["sweep (subset)"]))  # fmt: skip
    print(f"max |TV sweep - TV linprog|: per pair {d_pair:.2e}, per question {d_q:.2e}; "
          f"feasibility mismatches {mis_pair} pairs, {mis_q} questions")  # fmt: skip
    print(f"max |TV sweep - TV cvxpy| (subset): per pair {d_cv_pair:.2e}, per question "
          f"{d_cv_q:.2e}; feasibility mismatches {mis_cv_pair} pairs, {mis_cv_q} questions")  # fmt: skip
    print(f"adjacent pairs only: minimum differs by more than 1e-9 on {differ_adj} of "
          f"{len(questions)} questions (max {d_adj:.2e}), feasibility mismatches {mis_adj}")  # fmt: skip
    what = f"min-TV sweep of {len(questions):,} questions (3-10 options, {lp_pairs.size:,} pairs)"
    for baseline, key, fast, target in (
        ("one linprog per ordered pair (the paper's method)", "linprog / pair", "sweep", 1000.0),
        ("one linprog per pair adjacent in NBC order", "linprog / adjacent pair", "sweep", None),
        ("cvxpy, one program per pair", "cvxpy / pair (subset)", "sweep (subset)", None),
    ):
        record(
            Claim.from_times(
                what if fast == "sweep" else f"min-TV sweep of {len(subset)} of them",
                "sensitivity_sweep",
                times[fast],
                baseline,
                times[key],
                target=target,
            )
        )
    per_question = per_question_table(20 if args.smoke else 300, args.rounds, args.seed)
    for row in per_question:
        print(f"per question, 5 options, {row['questions']}: one call {row['one_ms']:.3f} ms, "
              f"in a sweep {row['sweep_ms']:.3f} ms; repairs {row['repairs']}")  # fmt: skip
    print(f"repair programs of the {len(questions)} questions: {repair_paths(questions)}")
    table = memory_table(sizes, args.seed)
    for row in table:
        print(f"sweep memory: {row['options']:3d} options x {row['questions']:4d} questions: "
              f"{row['seconds'] * 1e3:8.1f} ms, peak {row['peak_mib']:7.2f} MiB "
              f"(plan {row['plan_mib']:.1f} MiB, {row['questions_per_chunk']} questions per chunk)")  # fmt: skip
    try:  # refused before any work, with the estimate
        sensitivity_sweep(make_questions(1, args.seed, 10_000, 10_000))
    except SocialPrefError as exc:
        print(f"sweep memory: 10000 options: refused: {exc}")
    ok = max(d_pair, d_q, d_cv_pair, d_cv_q) <= TV_ATOL and mis_pair == mis_q == 0
    ok = ok and mis_cv_pair == mis_cv_q == 0
    print("OK" if ok else "MISMATCH")
    if args.json:
        payload = {
            "sweep": sensitivity_sweep(questions).to_dict(),
            "times_s": times,
            "memory": table,
            "per_question": per_question,
            "max_diff": {"linprog": d_q, "cvxpy": d_cv_q, "adjacent": d_adj},
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
    write(args.claims)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
