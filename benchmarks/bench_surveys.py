"""Benchmark: analyse every question of a 12,000-respondent, 150-question wave.

1. socialpref's integer-coded survey (one ``np.bincount`` per block of questions, aggregates of
   all questions of one shape at once) against a straightforward per-question pandas pipeline
   (row-wise filters per question, a weighted groupby, then the core's Luce rewards and
   aggregates per question, as the paper's code does), in the same process on the same
   SYNTHETIC wave. Checks that both give identical shares, type weights and NBC, and prints the
   ratio (target >= 20x).
2. What the respondent-level bootstrap at its default (``DEFAULT_REPLICATES`` replicates) adds to
   ``analyze_survey``: rounds alternate a plain run and a bootstrapped run (interleaved, so that a
   busy machine slows both alike); prints the median and range over rounds of the added time as
   a multiple of the plain run's (target: at most 3x).

BLAS runs on one thread (``--blas-threads 1``, the default: the environment variables are set
before numpy is imported), so that the matrix products of the bootstrap do not depend on how
busy a shared machine is; ``--blas-threads default`` leaves the machine's setting.

    python benchmarks/bench_surveys.py           # 12,000 x 150
    python benchmarks/bench_surveys.py --smoke   # tiny sizes, seconds
"""

from __future__ import annotations

import os
import sys


def _blas_threads(argv: list[str]) -> None:
    """Pin BLAS threads before numpy is imported (``--blas-threads N``; default 1)."""
    value = "1"
    for k, arg in enumerate(argv):
        if arg == "--blas-threads" and k + 1 < len(argv):
            value = argv[k + 1]
        elif arg.startswith("--blas-threads="):
            value = arg.split("=", 1)[1]
    if value != "default" and "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = value


if __name__ == "__main__":
    _blas_threads(sys.argv[1:])

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: data.wavegen

from data.wavegen import random_wave, write_wave  # noqa: E402
from socialpref import compare_aggregates, luce_rewards  # noqa: E402
from socialpref.surveys import DEFAULT_REPLICATES, analyze_survey, read_wave  # noqa: E402

TARGET = 20.0
#: The bootstrap at its default may add at most this multiple of analyze_survey's time.
BOOTSTRAP_TARGET = 3.0
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
    parser.add_argument(
        "--rounds", type=int, default=11, help="interleaved rounds of the bootstrap comparison"
    )
    parser.add_argument(
        "--blas-threads", default="1", help="BLAS threads (set before numpy loads), or 'default'"
    )
    args = parser.parse_args(argv)
    n, q = (600, 12) if args.smoke else (args.respondents, args.questions)
    repeats = 2 if args.smoke else args.repeats
    rounds = 2 if args.smoke else args.rounds

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

    assert not fast.unanalysable, fast.unanalysable
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

    # the bootstrap at its default, interleaved with plain runs
    added = []
    plain_times, boot_times = [], []
    for r in range(rounds):
        t0 = time.perf_counter()
        analyze_survey(survey)
        t1 = time.perf_counter()
        boot = analyze_survey(survey, bootstrap=DEFAULT_REPLICATES, seed=r)
        t2 = time.perf_counter()
        plain_times.append(t1 - t0)
        boot_times.append(t2 - t1)
        added.append((t2 - t1) / (t1 - t0) - 1.0)
    assert all(qa.bootstrap is not None for qa in boot.questions)
    med = statistics.median(added)
    print(
        f"bootstrap ({DEFAULT_REPLICATES} replicates, BLAS threads {args.blas_threads}): "
        f"analyze_survey {statistics.median(plain_times) * 1e3:.1f} ms, with the bootstrap "
        f"{statistics.median(boot_times) * 1e3:.1f} ms (medians of {rounds} interleaved rounds)"
    )
    verdict = "meets" if med <= BOOTSTRAP_TARGET else "ABOVE"
    print(
        f"bootstrap adds {med:.2f}x analyze_survey's time (median; range {min(added):.2f}-"
        f"{max(added):.2f}x; {verdict} the {BOOTSTRAP_TARGET:.0f}x target)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
