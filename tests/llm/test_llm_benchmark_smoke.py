"""The GPU benchmark script runs end to end on a tiny config on CPU (``--smoke``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_llm.py"


def test_gpu_llm_smoke() -> None:
    spec = importlib.util.spec_from_file_location("gpu_llm", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(
        ["--smoke", "--warmup", "1", "--steps", "1", "--ref-steps", "1", "--fast", "2:off,2:0.5"]
    )
    assert out["smoke"] and out["speedup"] > 0
    assert [r["checkpointed_layers"] for r in out["fast"]] == [0, 1]
    assert all(r["real_tokens_per_s"] > 0 for r in out["fast"])
