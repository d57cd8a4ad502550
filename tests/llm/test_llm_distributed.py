"""Two processes on CPU (torchrun, gloo) train the same adapter as one process with the same
global batch: 2 x 2 pairs per step against 1 x 4."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
safetensors = pytest.importorskip("safetensors.torch")

WORKER = Path(__file__).with_name("ddp_worker.py")
# The two runs differ only in how the batch's mean gradient is summed (one process, or two
# half-batches averaged by DDP's all-reduce) and in padding widths: float32 rounding, carried
# through 6 AdamW steps (measured: 2.8e-7 at most, for weights up to 0.18).
ATOL, RTOL = 1e-5, 1e-4


def _run(args: list[str], tmp: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _load_worker():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_processes_match_one(tiny_llama: Path, corpus_dir: Path, tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which(
        "torchrun"
    )
    if torchrun is None:
        pytest.skip("torchrun not found")
    common = [str(WORKER), str(tiny_llama), str(corpus_dir)]
    _run(
        [torchrun, "--standalone", "--nproc_per_node", "2", *common, str(tmp_path / "two"), "2"],
        tmp_path,
    )
    worker = _load_worker()
    worker.main(str(tiny_llama), str(corpus_dir), str(tmp_path / "one"), 4)  # one process, here
    one = safetensors.load_file(str(tmp_path / "one" / "adapter_model.safetensors"))
    two = safetensors.load_file(str(tmp_path / "two" / "adapter_model.safetensors"))
    assert one.keys() == two.keys() and one
    moved = [k for k in one if "lora_B" in k]
    assert moved and all(float(one[k].abs().max()) > 0 for k in moved)  # training happened
    for key in one:
        torch.testing.assert_close(two[key], one[key], atol=ATOL, rtol=RTOL)
    worst = max(float((two[k] - one[k]).abs().max()) for k in one)
    print(f"largest adapter difference, 2 processes vs 1: {worst:.2e}")
