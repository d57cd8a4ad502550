"""The report benchmark runs end to end on tiny sizes (``--smoke``) and prints its ratio."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_report.py"


@pytest.mark.slow
def test_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_report", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--smoke", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "report / sensitivity:" in out and "CPU time:" in out
    assert "2 figure process(es)" in out
