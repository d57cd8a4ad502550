"""Benchmark: the report (``socialpref report``) against the sweep (``socialpref sensitivity``).

Both run in this process on the same synthetic waves (``data/wavegen.random_wave``), in
interleaved rounds so that a busy machine slows both alike:

- *sensitivity*: what ``socialpref sensitivity WAVES...`` computes: ``analyze_sources`` (every
  target, the default bootstrap) and ``sweep_sources``;
- *report*: what ``socialpref report WAVES... --out DIR`` does: the same analysis, the sweep of
  every question, then ``report.md``, ``report.html``, ``report.json`` and every figure
  (drawn in worker processes when there are many), into a temporary folder.

Prints both medians and the ratio report / sensitivity of each round (median and range), and
the CPU time of each (the report's includes its figure processes). The report should stay
within 4x of the sweep.

    python benchmarks/bench_report.py                      # 4 waves of 3,000 x 60
    python benchmarks/bench_report.py --waves 7 --questions 120
    python benchmarks/bench_report.py --smoke              # tiny sizes, seconds
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: data.wavegen

from benchmarks import claims
from data.wavegen import random_wave, write_wave
from socialpref.app import analyze_sources, sweep_sources
from socialpref.report import make_report
from socialpref.report.render import default_workers

#: The report may take this many times the sweep.
TARGET = 4.0


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the figure processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def interleaved(
    variants: dict[str, Callable[[], Any]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of every variant per round, the order rotating every round."""
    names = list(variants)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0, c0 = time.perf_counter(), _cpu()
            variants[name]()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(_cpu() - c0)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--waves", type=int, default=4)
    parser.add_argument("--respondents", type=int, default=3000)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=None, help="figure processes (default: auto)"
    )
    claims.add_argument(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.waves, args.respondents, args.questions, args.rounds = 2, 600, 8, 2
    with tempfile.TemporaryDirectory() as tmp:
        waves = [
            write_wave(
                random_wave(args.respondents, args.questions, k, wave=901 + k),
                Path(tmp) / f"ATP W{901 + k}.sav",
            )
            for k in range(args.waves)
        ]
        out = Path(tmp) / "report"

        def sensitivity() -> Any:
            return sweep_sources(analyze_sources(waves))

        def report() -> Any:
            return make_report(waves, out, force=True, workers=args.workers)

        report()  # warm up: imports, font cache
        n_figures = len(list((out / "figures").iterdir()))
        times, cpu = interleaved({"sensitivity": sensitivity, "report": report}, args.rounds)
    ratios = [a / b for a, b in zip(times["report"], times["sensitivity"], strict=True)]
    med = statistics.median(ratios)
    workers = args.workers if args.workers is not None else default_workers(n_figures)
    print(
        f"{args.waves} waves of {args.respondents} x {args.questions}: {n_figures} figures, "
        f"{workers} figure process(es)"
    )
    print(
        f"sensitivity {statistics.median(times['sensitivity']):.2f} s, report "
        f"{statistics.median(times['report']):.2f} s (medians of {args.rounds} interleaved rounds)"
    )
    print(
        f"CPU time: sensitivity {statistics.median(cpu['sensitivity']):.2f} s, report "
        f"{statistics.median(cpu['report']):.2f} s"
    )
    print(
        f"report / sensitivity: {med:.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}); "
        f"target at most {TARGET:g}x: {'met' if med <= TARGET else 'NOT met'}"
    )
    claims.record(
        claims.Claim.cost(
            f"report of {args.waves} waves of {args.respondents} x {args.questions} "
            f"({n_figures} figures), against the sweep",
            "socialpref report (figures, markdown, HTML)",
            times["report"],
            "socialpref sensitivity on the same waves",
            times["sensitivity"],
            target=TARGET,
        )
    )
    claims.write(args.claims)
    return 0


if __name__ == "__main__":
    sys.exit(main())
