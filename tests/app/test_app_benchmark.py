"""The application benchmark runs end to end on tiny sizes (``--smoke``); its replicates' sweep
agrees with the loop it is compared with."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_app.py"


@pytest.mark.slow
def test_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_app", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "analysis + sweep: bootstrap off" in out and "whole report" in out
    assert "same results: True" in out
