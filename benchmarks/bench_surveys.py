"""Benchmark: analyse every question of a 12,000-respondent, 150-question wave.

socialpref's integer-coded survey (one ``np.bincount`` per block of questions, aggregates of all
questions of one shape at once) against a straightforward per-question pandas pipeline (row-wise
filters per question, a weighted groupby, then the core's Luce rewards and aggregates per
question, as the paper's code does), in the same process on the same SYNTHETIC wave. Checks that
both give identical shares, type weights and NBC, and prints the ratio (target >= 20x).

    PYTHONPATH=. python benchmarks/bench_surveys.py           # 12,000 x 150
    PYTHONPATH=. python benchmarks/bench_surveys.py --smoke   # tiny sizes, seconds
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialpref import compare_aggregates, luce_rewards
from socialpref.surveys import analyze_survey, read_wave
from socialpref.surveys.demo import random_wave, write_wave

TARGET = 20.0
ATOL = 1e-12


def pandas_pipeline(df: pd.DataFrame, questions: tuple[str, ...], weight: str) -> dict[str, Any]:
    """The straightforward baseline: filter rows per question, groupby, core per question."""
    out = {}
    for q in questions:
        sub = df[df[q].notna()]
        sub = sub[sub[q] != 99]  # Refused
        counts = sub.groupby(["F_PARTYSUM_FINAL", q])[weight].sum().unstack(fill_value=0.0)
        shares = counts.div(counts.sum(axis=1), axis=0).to_numpy()
        type_weights = (counts.sum(axis=1) / counts.to_numpy().sum()).to_numpy()
        rewards = luce_rewards(shares)
        out[q] = (shares, type_weights, compare_aggregates(rewards, type_weights))
    return out


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--respondents", type=int, default=12_000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n, q = (600, 12) if args.smoke else (args.respondents, args.questions)
    repeats = 2 if args.smoke else args.repeats

    with tempfile.TemporaryDirectory() as tmp:
        path = write_wave(random_wave(n, q, args.seed), Path(tmp) / "ATP W901.sav")
        t_read, survey = timed(lambda: read_wave(path), 1)
        import pyreadstat

        df, _ = pyreadstat.read_sav(str(path))
    weight = "WEIGHT_W901"
    print(f"SYNTHETIC wave: {n} respondents x {q} questions; read_wave {t_read * 1e3:.0f} ms")

    def cold() -> Any:
        survey.cache.clear()  # rebuild the stacked answer matrix every time
        return analyze_survey(survey)

    t_cold, fast = timed(cold, repeats)
    t_warm, _ = timed(lambda: analyze_survey(survey), repeats)
    t_base, base = timed(
        lambda: pandas_pipeline(df, survey.questions, weight), max(1, repeats // 2)
    )

    assert not fast.skipped, fast.skipped
    worst = 0.0
    for qa in fast.questions:
        shares, tw, comp = base[qa.question]
        worst = max(
            worst,
            float(np.abs(shares - qa.shares).max()),
            float(np.abs(tw - qa.type_weights).max()),
            float(np.abs(comp.nbc - qa.nbc).max()),
            float(np.abs(comp.average_reward - qa.average_reward).max()),
        )
        if comp.nbc_top != qa.comparison.nbc_top or comp.average_top != qa.comparison.average_top:
            worst = float("inf")
    same = worst <= ATOL
    print(
        f"pandas per-question pipeline : {t_base * 1e3:8.1f} ms ({t_base / q * 1e3:.2f} ms/question)"
    )
    print(
        f"analyze_survey (cold cache)  : {t_cold * 1e3:8.1f} ms ({t_cold / q * 1e3:.3f} ms/question)"
    )
    print(f"analyze_survey (warm cache)  : {t_warm * 1e3:8.1f} ms")
    print(
        f"identical shares, type weights, average reward, NBC, tops: {same} (max |diff| {worst:.1e})"
    )
    ratio_cold, ratio_warm = t_base / t_cold, t_base / t_warm
    verdict = "meets" if ratio_cold >= TARGET else "BELOW"
    print(
        f"ratio (cold): {ratio_cold:.1f}x, ratio (warm): {ratio_warm:.1f}x ({verdict} the {TARGET:.0f}x target)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
