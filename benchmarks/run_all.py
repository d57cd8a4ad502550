"""Run every CPU benchmark and print one table of the claims they measure (``make bench``).

Each ``benchmarks/bench_*.py`` (not the GPU scripts ``gpu_*.py``) runs in its own process, one
after the other, with its output shown as it comes; each runs socialpref and its baselines in
that same process, in interleaved rounds, and writes its claims (``--claims``, see
:mod:`benchmarks.claims`). At the end: one table with, for each claim, socialpref's time, the
baseline's time (medians over the rounds), the ratio's median and range over the rounds, the
target and whether the median reaches it; then the wall time, the load of the machine before
and after, and whether every benchmark agreed with its baselines (exit status 1 if not).

    python benchmarks/run_all.py             # full sizes (about an hour on one core)
    python benchmarks/run_all.py --quick     # smaller sizes and fewer rounds (minutes)
    python benchmarks/run_all.py --smoke     # tiny sizes: that everything runs
    python benchmarks/run_all.py --only bench_surveys --only bench_sensitivity
    python benchmarks/run_all.py --markdown bench.md --json bench.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the repository root: benchmarks

from benchmarks.claims import Claim, read, table  # noqa: E402


@dataclass(frozen=True)
class Benchmark:
    """A benchmark script and its arguments in each mode (full size: the script's defaults)."""

    script: str
    quick: tuple[str, ...]
    smoke: tuple[str, ...] = ("--smoke",)


BENCHMARKS = (
    Benchmark("bench_surveys.py", ("--rounds", "3")),
    Benchmark("bench_crosstab.py", ("--mb", "2", "--rounds", "2")),
    Benchmark("bench_sensitivity.py", ("--questions", "300", "--subset", "40", "--rounds", "2")),
    Benchmark("bench_targets.py", ("--questions", "200", "--subset", "20", "--rounds", "2")),
    Benchmark("bench_app.py", ("--rounds", "3")),
    Benchmark("bench_report.py", ("--waves", "2", "--rounds", "3")),
    Benchmark(
        "bench_train_cpu.py",
        ("--pairs", "50000", "--steps", "1000", "--rounds", "2", "--authors-pairs", "500"),
    ),
    Benchmark(
        "bench_llm_cpu.py",
        ("--rounds", "3", "--batches", "4"),
        ("--rounds", "1", "--batches", "1", "--batch-size", "2"),
    ),
)
MODES = ("full", "quick", "smoke")


def load() -> str:
    """The 1, 5 and 15 minute load averages and the number of CPUs."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} CPUs)"


def run(bench: Benchmark, mode: str, folder: Path) -> tuple[int, list[Claim], float]:
    """Run one script; its exit status, its claims and its wall time."""
    claims_path = folder / f"{Path(bench.script).stem}.json"
    args = {"full": (), "quick": bench.quick, "smoke": bench.smoke}[mode]
    command = [sys.executable, str(REPO / "benchmarks" / bench.script), *args]
    print(f"\n== {bench.script} {' '.join(args)}".rstrip(), flush=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    status = subprocess.run([*command, "--claims", str(claims_path)], cwd=REPO, env=env).returncode
    elapsed = time.perf_counter() - t0
    found = read(claims_path) if claims_path.exists() else []
    claims = [dataclasses.replace(c, script=bench.script) for c in found]
    print(f"-- {bench.script}: exit {status}, {elapsed:.0f} s", flush=True)
    return status, claims, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    sizes.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that it runs (ratios mean little)"
    )
    names = [Path(b.script).stem for b in BENCHMARKS]
    parser.add_argument(
        "--only", action="append", choices=names, help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="also write every claim here")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHMARKS if args.only is None or Path(b.script).stem in args.only]
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    before = load()
    start = time.perf_counter()
    claims: list[Claim] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for bench in chosen:
            status, found, _ = run(bench, mode, Path(tmp))
            claims += found
            if status != 0 or not found:
                failed.append(bench.script)
    command = "python benchmarks/run_all.py" + ("" if mode == "full" else f" --{mode}")
    header = (
        f"`{command}` ({mode} sizes), {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"Python {platform.python_version()}; load before {before}, after {load()}; "
        f"{(time.perf_counter() - start) / 60:.0f} min"
    )
    text = f"{header}\n\n{table(claims)}\n"
    print(f"\n== Summary\n{text}")
    unmet = [c for c in claims if c.met is False]
    for c in unmet:
        print(f"target not met: {c.claim} against {c.baseline}")
    if failed:
        print(f"FAILED (results differ from a baseline, or the script broke): {', '.join(failed)}")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        payload = {"header": header, "claims": [asdict(c) for c in claims], "failed": failed}
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
