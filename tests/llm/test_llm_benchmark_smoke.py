"""The LLM benchmark scripts run end to end on CPU: the GPU benchmark on a tiny config
(``--smoke``) and the CPU comparison of socialpref's and TRL's steps with one short round."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_llm_smoke() -> None:
    out = _load("gpu_llm").main(
        [
            "--smoke",
            "--steps",
            "1",
            "--ref-steps",
            "1",
            "--fast",
            "2:off,2:0.5",
            "--no-trainer-check",
        ]
    )
    assert out["smoke"] and [r["checkpointed_layers"] for r in out["configs"]] == [0, 1]
    for run in out["configs"]:
        assert run["socialpref"]["real_tokens_per_s"] > 0 and run["trl"]["real_tokens_per_s"] > 0
        assert run["socialpref_over_trl"] > 0
    assert len(out["reference"]["runs_real_tokens_per_s"]) == 2  # before and after the others


@pytest.mark.slow
def test_gpu_llm_time_budget_skips_configurations() -> None:
    out = _load("gpu_llm").main(
        ["--smoke", "--steps", "1", "--ref-steps", "1", "--budget-s", "0", "--no-trainer-check"]
    )
    assert all(r.get("skipped") == "time budget" for r in out["configs"])


@pytest.mark.slow
def test_gpu_llm_trainer_check_on_cpu() -> None:
    out = _load("gpu_llm").trainer_check(__import__("torch").device("cpu"))
    check = out["dpo/max-info/base"]
    assert check["loss_first"] == pytest.approx(0.6931472, abs=1e-5)  # ln 2: policy = reference


def test_bench_llm_cpu_smoke() -> None:
    out = _load("bench_llm_cpu").main(["--rounds", "1", "--batches", "1", "--batch-size", "2"])
    rates = out["real_tokens_per_s"]
    assert rates["socialpref"]["median"] > 0 and rates["trl"]["median"] > 0
    assert out["ratio_socialpref_over_trl"] > 0
