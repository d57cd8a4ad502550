"""The training benchmark runs end to end in its smoke mode (tiny sizes, one round)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_train_cpu_smoke():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_train_cpu.py"), "--smoke"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in (
        "1 DPO run, step: socialpref vs plain PyTorch",
        "grid, end to end: socialpref vs plain PyTorch per configuration",
        "1 DPO run, end to end: socialpref vs authors (EXTRAPOLATED)",
        "authors (port), 1 DPO run: end to end s (EXTRAPOLATED)",
    ):
        assert line in out, out
    ratios = [line for line in out.splitlines() if "x (range" in line]
    assert len(ratios) == 6
    for line in ratios:  # every ratio is a positive number
        assert float(line.rsplit("x (range", 1)[0].split()[-1]) > 0
