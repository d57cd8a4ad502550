"""The benchmarks' claims (ratios per round, targets, the table) and the runner of ``make bench``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import claims as claims_module
from benchmarks.claims import Claim, read, seconds, table


def test_speedup_claim_ratios_per_round_and_target() -> None:
    c = Claim.from_times("x", "fast", [1.0, 2.0, 4.0], "slow", [10.0, 30.0, 20.0], target=10)
    assert c.ratios == (10.0, 15.0, 5.0) and c.median == 10.0
    assert c.better == "higher" and c.met is True  # the median reaches the minimum
    assert Claim.from_times("x", "a", [1.0], "b", [9.0], target=10).met is False
    assert Claim.from_times("x", "a", [1.0], "b", [9.0]).met is None  # no target: reported only


def test_cost_claim_added_time_and_maximum() -> None:
    c = Claim.cost("boot", "with", [3.0, 5.0], "without", [1.0, 1.0], added=True, target=3)
    assert c.ratios == (2.0, 4.0) and c.median == 3.0 and c.met is True
    c = Claim.cost("one", "call", [0.4], "sweep", [0.01], target=1)
    assert math.isclose(c.median, 40.0) and c.better == "lower" and c.met is False


def test_write_read_and_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims_module, "_RECORDED", [])
    a = claims_module.record(
        Claim.from_times("analysis", "ours", [0.02], "pandas", [0.3], target=10, note="n.b.")
    )
    b = claims_module.record(Claim.cost("boot", "on", [0.08], "off", [0.02], added=True, target=2))
    path = tmp_path / "claims.json"
    claims_module.write(path)
    assert read(path) == [a, b]
    text = table([a, b]).splitlines()
    assert text[0].startswith("| claim | socialpref | baseline | ratio: median (range) | target")
    assert text[2] == (
        "| analysis (n.b.) | ours: 20.0 ms | pandas: 300.0 ms | **15.0x** (15.0x-15.0x) "
        "| >= 10x | yes | - |"
    )
    assert "| **3.00x** (3.00x-3.00x) | <= 2x | **NO** |" in text[3]
    claims_module.write(None)  # no path: nothing written, no error


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.00002, "20.0 us"),
        (0.00035, "0.35 ms"),
        (0.0221, "22.1 ms"),
        (2.47, "2.47 s"),
        (649, "649 s"),
    ],
)
def test_seconds(value: float, shown: str) -> None:
    assert seconds(value) == shown


@pytest.mark.slow
def test_run_all_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import run_all

    out_json, out_md = tmp_path / "bench.json", tmp_path / "bench.md"
    argv = ["--smoke", "--only", "bench_targets", "--json", str(out_json)]
    assert run_all.main([*argv, "--markdown", str(out_md)]) == 0
    payload = json.loads(out_json.read_text())
    assert payload["failed"] == []
    found = [Claim(**{**c, **{k: tuple(c[k]) for k in ("socialpref_s", "baseline_s", "ratios")}})
             for c in payload["claims"]]  # fmt: skip
    assert {c.script for c in found} == {"bench_targets.py"} and len(found) == 3
    assert all(r > 0 for c in found for r in c.ratios)
    summary = capsys.readouterr().out.split("== Summary", 1)[1]
    assert "maximal_lottery_batch" in summary and out_md.read_text().strip() in summary
