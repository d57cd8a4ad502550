"""Benchmark: what the default bootstrap costs the application layer and the report.

In one process, interleaved rounds (so that a busy machine slows every variant alike):

1. ``analyze_sources`` + ``sweep_sources`` (every target, the Section 7.1 sweep) with the
   bootstrap off, and at its default (``DEFAULT_REPLICATES`` replicates: intervals, the
   targets on every replicate, the flip over every replicate); prints the median ratio;
2. the flip over the replicates: the vectorised sweep of every replicate population of every
   kept question in one call (what ``survey_sensitivity`` does) against the baseline a user
   would write, one ``nbc_sensitivity`` call per replicate (checks that both agree);
3. the whole report (``build_survey_report`` + ``write_report`` into a temporary folder) with
   the bootstrap off and at its default.

    python benchmarks/bench_app.py                       # the demo wave and a 12,000 x 150 wave
    python benchmarks/bench_app.py --smoke               # tiny sizes, seconds
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: data.wavegen

from benchmarks.claims import Claim, add_argument, interleaved, record, write
from data.wavegen import random_wave, write_wave
from socialpref.app import AnalysisOptions, analyze_sources, sweep_sources
from socialpref.report import build_survey_report, write_report
from socialpref.sensitivity import nbc_sensitivity, sensitivity_sweep
from socialpref.surveys import DEFAULT_REPLICATES

REPO = Path(__file__).resolve().parents[1]
#: The replicates' sweep and the per-replicate loop run the same closed form.
ATOL = 1e-12


def ratios(times: dict[str, list[float]], slow: str, fast: str) -> tuple[float, float, float]:
    r = [a / b for a, b in zip(times[slow], times[fast], strict=True)]
    return statistics.median(r), min(r), max(r)


def bench_wave(path: Path, rounds: int, report: bool, what: str) -> None:
    print(f"== {path.name}")
    off, on = AnalysisOptions(bootstrap=0), AnalysisOptions()

    def run(opts: AnalysisOptions) -> Any:
        return sweep_sources(analyze_sources([path], opts))

    times, _ = interleaved({"off": lambda: run(off), "on": lambda: run(on)}, rounds)
    med, lo, hi = ratios(times, "on", "off")
    print(
        f"analysis + sweep: bootstrap off {statistics.median(times['off']) * 1e3:.0f} ms, "
        f"{DEFAULT_REPLICATES} replicates {statistics.median(times['on']) * 1e3:.0f} ms: "
        f"{med:.2f}x (range {lo:.2f}-{hi:.2f}, {rounds} rounds)"
    )
    record(
        Claim.cost(
            f"time the bootstrap ({DEFAULT_REPLICATES} replicates) adds to analysis + sweep "
            f"(every target), {what}",
            "analyze_sources + sweep_sources, bootstrap on",
            times["on"],
            "bootstrap off",
            times["off"],
            added=True,
        )
    )

    done = run(on)
    kept = [q for q in done.sensitivity.kept if q.analysis.bootstrap is not None]
    pops = [p for q in kept for p in q.analysis.bootstrap.populations()]  # type: ignore[union-attr]

    def loop() -> list[Any]:
        return [nbc_sensitivity(p) for p in pops]

    def batched() -> Any:
        return sensitivity_sweep(pops, repair=False)

    times, _ = interleaved({"loop": loop, "sweep": batched}, max(2, rounds // 2))
    one, many = batched(), loop()
    worst = max(
        (abs(a - b.min_tv) for a, b in zip(one.min_tv, many, strict=True) if b.min_tv is not None),
        default=0.0,
    )
    same = worst <= ATOL and [bool(f) for f in one.flippable] == [r.flippable for r in many]
    med, lo, hi = ratios(times, "loop", "sweep")
    print(
        f"flip over {len(pops)} replicate populations ({len(kept)} questions): one sweep "
        f"{statistics.median(times['sweep']) * 1e3:.0f} ms, a loop of nbc_sensitivity "
        f"{statistics.median(times['loop']) * 1e3:.0f} ms: {med:.1f}x (range {lo:.1f}-{hi:.1f}); "
        f"same results: {same} (max |diff| {worst:.1e})"
    )
    record(
        Claim.from_times(
            f"flip over the {len(pops):,} bootstrap replicates of {what}",
            "sensitivity_sweep of every replicate",
            times["sweep"],
            "a loop of nbc_sensitivity",
            times["loop"],
        )
    )
    if not same:
        raise SystemExit("the replicates' sweep and the loop disagree")
    if not report:
        return

    def write(opts: AnalysisOptions) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            write_report(build_survey_report([path], opts), Path(tmp) / "r")

    times, _ = interleaved(
        {"off": lambda: write(off), "on": lambda: write(on)}, max(2, rounds // 2)
    )
    med, lo, hi = ratios(times, "on", "off")
    print(
        f"whole report (figures included): bootstrap off {statistics.median(times['off']):.2f} s, "
        f"{DEFAULT_REPLICATES} replicates {statistics.median(times['on']):.2f} s: {med:.2f}x "
        f"(range {lo:.2f}-{hi:.2f})"
    )
    record(
        Claim.cost(
            f"time the bootstrap adds to the whole report (figures included), {what}",
            "build_survey_report + write_report, bootstrap on",
            times["on"],
            "bootstrap off",
            times["off"],
            added=True,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--respondents", type=int, default=12_000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=7)
    add_argument(parser)
    args = parser.parse_args(argv)
    np.random.default_rng(0)
    rounds = 2 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        n, q = (1500, 6) if args.smoke else (args.respondents, args.questions)
        big = write_wave(random_wave(n, q, 0), Path(tmp) / "ATP W901.sav")
        if not args.smoke:
            bench_wave(REPO / "data" / "demo" / "ATP W900.sav", rounds, True, "the demo wave")
        bench_wave(big, rounds, args.smoke, f"a {n:,} x {q} wave")
    write(args.claims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
