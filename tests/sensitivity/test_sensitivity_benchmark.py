"""The sensitivity benchmark runs end to end on tiny sizes (``--smoke``) and agrees with itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sensitivity.py"


def test_benchmark_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("cvxpy")
    spec = importlib.util.spec_from_file_location("bench_sensitivity", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out_json = tmp_path / "bench.json"
    assert bench.main(["--smoke", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    for needle in (
        "ratio linprog / pair : sweep",
        "ratio linprog / adjacent : sweep",
        "ratio cvxpy / pair : sweep (subset)",
        "adjacent pairs only",
        "sweep memory:   5 options",
        "sweep memory: 100 options",
    ):
        assert needle in out
    assert out.rstrip().endswith("OK")
    payload = json.loads(out_json.read_text())
    assert len(payload["sweep"]["questions"]) == 12
    assert payload["max_diff"]["linprog"] <= 1e-7 and len(payload["memory"]) == 3
