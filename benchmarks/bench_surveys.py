"""Benchmark: analyse every question of a 12,000-respondent, 150-question wave, and read it.

1. socialpref's ``analyze_survey`` (integer-coded answers, one ``np.bincount`` per block of
   questions, the aggregates of all questions of one shape at once) against two pandas
   pipelines on the same SYNTHETIC wave, in interleaved rounds in the same process:

   * the per-question pipeline of the paper's code (row-wise filters per question, a weighted
     ``groupby``, then the core's Luce rewards and aggregates per question), and
   * the pipeline a competent pandas user writes: one ``melt`` of all questions, one
     ``groupby`` of the weights by (question, type, code), one ``unstack``, then the core per
     question.

   Checks that all three give identical shares, type weights, average reward and NBC; prints
   the median ratio and its range over rounds for each baseline (target: >= 10x the ``melt``
   + ``groupby`` pipeline).
2. Reading the wave: ``read_wave`` decoding the ``.sav`` (``cache=False``), pyreadstat's own
   ``read_sav`` (what both pandas pipelines start from), and ``read_wave`` loading the decoded
   wave from the cache of decoded waves (:mod:`socialpref.surveys.cache`; a temporary cache
   folder); then read + analyse end to end, socialpref from its cache against pyreadstat +
   ``melt`` + ``groupby`` (the usual case of repeated runs on one wave).
3. What the respondent-level bootstrap at its default (``DEFAULT_REPLICATES`` replicates) adds
   to ``analyze_survey``: rounds alternate a plain run and a bootstrapped run; prints the median
   and range over rounds of the added time as a multiple of the plain run's (target: at most 3x).

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
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: data.wavegen

from benchmarks.claims import Claim, add_argument, interleaved, record, write  # noqa: E402
from data.wavegen import random_wave, write_wave  # noqa: E402
from socialpref import compare_aggregates, luce_rewards  # noqa: E402
from socialpref.surveys import DEFAULT_REPLICATES, analyze_survey, read_wave  # noqa: E402

#: analyze_survey against the melt + groupby pipeline.
TARGET = 10.0
#: The bootstrap at its default may add at most this multiple of analyze_survey's time.
BOOTSTRAP_TARGET = 3.0
ATOL = 1e-12
TYPES = "F_PARTYSUM_FINAL"
REFUSED = 99


def pandas_pipeline(df: pd.DataFrame, questions: tuple[str, ...], weight: str) -> dict[str, Any]:
    """The paper's pipeline: filter rows per question, groupby, core per question."""
    out = {}
    for q in questions:
        sub = df[df[q].notna()]
        sub = sub[sub[q] != REFUSED]
        counts = sub.groupby([TYPES, q])[weight].sum().unstack(fill_value=0.0)
        shares = counts.div(counts.sum(axis=1), axis=0).to_numpy()
        type_weights = (counts.sum(axis=1) / counts.to_numpy().sum()).to_numpy()
        rewards = luce_rewards(shares)
        out[q] = (shares, type_weights, compare_aggregates(rewards, type_weights))
    return out


def melt_pipeline(df: pd.DataFrame, questions: tuple[str, ...], weight: str) -> dict[str, Any]:
    """A competent user's pipeline: one melt and one groupby over all questions, core per question."""
    long = df.melt(
        id_vars=[TYPES, weight], value_vars=list(questions), var_name="question", value_name="code"
    )
    long = long[long["code"].notna() & (long["code"] != REFUSED)]
    table = long.groupby(["question", TYPES, "code"])[weight].sum().unstack("code", fill_value=0.0)
    out = {}
    for q in questions:
        counts = table.xs(q, level="question").to_numpy()
        counts = counts[:, counts.sum(axis=0) > 0]  # the codes this question's answers use
        row = counts.sum(axis=1)
        shares, type_weights = counts / row[:, None], row / row.sum()
        rewards = luce_rewards(shares)
        out[q] = (shares, type_weights, compare_aggregates(rewards, type_weights))
    return out


def max_difference(fast: Any, base: dict[str, Any]) -> float:
    """Largest difference between socialpref's analysis and a pipeline's (inf if tops differ)."""
    worst = 0.0
    for qa in fast.questions:
        shares, tw, comp = base[qa.question]
        if comp.nbc_top != qa.comparison.nbc_top or comp.average_top != qa.comparison.average_top:
            return float("inf")
        worst = max(
            worst,
            float(np.abs(shares - qa.shares).max()),
            float(np.abs(tw - qa.type_weights).max()),
            float(np.abs(comp.nbc - qa.nbc).max()),
            float(np.abs(comp.average_reward - qa.average_reward).max()),
        )
    return worst


def ratio_line(
    label: str, slow: list[float], fast: list[float], target: float | None = None
) -> str:
    """``label: median ratio (range lo-hi)`` over rounds, with the verdict against ``target``."""
    ratios = [a / b for a, b in zip(slow, fast, strict=True)]
    med = statistics.median(ratios)
    verdict = ""
    if target is not None:
        verdict = f"; {'meets' if med >= target else 'BELOW'} the {target:.0f}x target"
    return (
        f"{label} ratio: {med:.1f}x (median; range {min(ratios):.1f}-{max(ratios):.1f}x{verdict})"
    )


def ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:8.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--respondents", type=int, default=12_000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=7, help="interleaved rounds of each comparison"
    )
    parser.add_argument(
        "--blas-threads", default="1", help="BLAS threads (set before numpy loads), or 'default'"
    )
    add_argument(parser)
    args = parser.parse_args(argv)
    n, q = (600, 12) if args.smoke else (args.respondents, args.questions)
    rounds = 2 if args.smoke else args.rounds
    old_cache = os.environ.get("SOCIALPREF_CACHE_DIR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SOCIALPREF_CACHE_DIR"] = str(Path(tmp) / "cache")  # not the user's cache
            path = write_wave(random_wave(n, q, args.seed), Path(tmp) / "ATP W901.sav")
            print(
                f"SYNTHETIC wave: {n} respondents x {q} questions, {path.stat().st_size / 1e6:.1f} MB"
            )
            survey = read_wave(path)  # decodes the file and fills the cache
            size = f"{n:,} x {q} wave"
            same = compare_analysis(survey, path, rounds, size)
            same &= compare_reading(survey, path, rounds, size)
    finally:
        if old_cache is None:
            os.environ.pop("SOCIALPREF_CACHE_DIR", None)
        else:
            os.environ["SOCIALPREF_CACHE_DIR"] = old_cache
    bootstrap_cost(survey, 2 if args.smoke else max(rounds, 11), args.blas_threads, size)
    write(args.claims)
    return 0 if same else 1


def compare_analysis(survey: Any, path: Path, rounds: int, size: str) -> bool:
    """Part 1: analyze_survey against both pandas pipelines; whether all agree."""
    import pyreadstat

    df, _ = pyreadstat.read_sav(str(path))
    weight = str(survey.weight_column)
    times, res = interleaved(
        {
            "socialpref": lambda: analyze_survey(survey),
            "per-question": lambda: pandas_pipeline(df, survey.questions, weight),
            "melt": lambda: melt_pipeline(df, survey.questions, weight),
        },
        rounds,
        warm_up=True,
    )
    assert not res["socialpref"].unanalysable, res["socialpref"].unanalysable
    diffs = {k: max_difference(res["socialpref"], res[k]) for k in ("per-question", "melt")}
    per_q = statistics.median(times["socialpref"]) / len(survey.questions) * 1e3
    print(f"analyze_survey              : {ms(times['socialpref'])} ({per_q:.3f} ms/question)")
    print(f"pandas per-question pipeline: {ms(times['per-question'])}")
    print(f"pandas melt + groupby       : {ms(times['melt'])}")
    same = all(d <= ATOL for d in diffs.values())
    print(
        "identical shares, type weights, average reward, NBC, tops: "
        f"{same} (max |diff| per-question {diffs['per-question']:.1e}, melt {diffs['melt']:.1e})"
    )
    print(
        ratio_line("analysis vs per-question pipeline", times["per-question"], times["socialpref"])
    )
    print(ratio_line("analysis vs melt + groupby", times["melt"], times["socialpref"], TARGET))
    for baseline, key, target in (
        ("pandas, per question (the paper's pipeline)", "per-question", None),
        ("pandas, one melt + one groupby", "melt", TARGET),
    ):
        record(
            Claim.from_times(
                f"survey analysis, every question of a {size}",
                "analyze_survey",
                times["socialpref"],
                baseline,
                times[key],
                target=target,
            )
        )
    return same


def compare_reading(survey: Any, path: Path, rounds: int, size: str) -> bool:
    """Part 2: decoding, pyreadstat and the cache; read + analyse end to end."""
    import pyreadstat

    times, res = interleaved(
        {
            "decode": lambda: read_wave(path, cache=False),
            "pyreadstat": lambda: pyreadstat.read_sav(str(path)),
            "cached": lambda: read_wave(path),
        },
        rounds,
        warm_up=True,
    )
    print(f"read_wave decoding the .sav : {ms(times['decode'])}")
    print(f"pyreadstat.read_sav         : {ms(times['pyreadstat'])}")
    print(f"read_wave from the cache    : {ms(times['cached'])}")
    print(ratio_line("cache vs decoding the .sav", times["decode"], times["cached"]))
    record(
        Claim.from_times(
            f"reading a {size} again",
            "read_wave from the cache",
            times["cached"],
            "read_wave decoding the .sav",
            times["decode"],
        )
    )
    weight = str(survey.weight_column)
    times, res = interleaved(
        {
            "socialpref": lambda: analyze_survey(read_wave(path)),
            "melt": lambda: melt_pipeline(
                pyreadstat.read_sav(str(path))[0], survey.questions, weight
            ),
        },
        rounds,
        warm_up=True,
    )
    print(
        f"read + analyse: socialpref from its cache {ms(times['socialpref'])}, pyreadstat + melt + "
        f"groupby {ms(times['melt'])}"
    )
    print(
        ratio_line(
            "read + analyse vs pyreadstat + melt + groupby", times["melt"], times["socialpref"]
        )
    )
    record(
        Claim.from_times(
            f"read + analyse a {size} (repeated runs)",
            "read_wave (cache) + analyze_survey",
            times["socialpref"],
            "pyreadstat + melt + groupby",
            times["melt"],
        )
    )
    return max_difference(res["socialpref"], res["melt"]) <= ATOL


def bootstrap_cost(survey: Any, rounds: int, blas_threads: str, size: str) -> None:
    """Part 3: what the bootstrap at its default adds, plain and bootstrapped runs alternating."""
    added, plain_times, boot_times = [], [], []
    boot = None
    for r in range(rounds):
        t0 = time.perf_counter()
        analyze_survey(survey)
        t1 = time.perf_counter()
        boot = analyze_survey(survey, bootstrap=DEFAULT_REPLICATES, seed=r)
        t2 = time.perf_counter()
        plain_times.append(t1 - t0)
        boot_times.append(t2 - t1)
        added.append((t2 - t1) / (t1 - t0) - 1.0)
    assert boot is not None and all(qa.bootstrap is not None for qa in boot.questions)
    med = statistics.median(added)
    print(
        f"bootstrap ({DEFAULT_REPLICATES} replicates, BLAS threads {blas_threads}): "
        f"analyze_survey {statistics.median(plain_times) * 1e3:.1f} ms, with the bootstrap "
        f"{statistics.median(boot_times) * 1e3:.1f} ms (medians of {rounds} interleaved rounds)"
    )
    verdict = "meets" if med <= BOOTSTRAP_TARGET else "ABOVE"
    print(
        f"bootstrap adds {med:.2f}x analyze_survey's time (median; range {min(added):.2f}-"
        f"{max(added):.2f}x; {verdict} the {BOOTSTRAP_TARGET:.0f}x target)"
    )
    record(
        Claim.cost(
            f"time the bootstrap ({DEFAULT_REPLICATES} replicates) adds to the analysis, {size}",
            "analyze_survey with the bootstrap",
            boot_times,
            "analyze_survey",
            plain_times,
            added=True,
            target=BOOTSTRAP_TARGET,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
