"""`socialpref train llm` / `llm-eval` through typer's CliRunner: outputs and one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")

from socialpref_cli.main import app

runner = CliRunner()
SMALL = [
    "--max-train-pairs",
    "16",
    "--max-test-pairs",
    "16",
    "--batch-size",
    "4",
    "--device",
    "cpu",
]


def test_train_llm_writes_results_and_figure(
    tiny_llama: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [
        "train",
        "llm",
        "--model",
        str(tiny_llama),
        "--data",
        str(corpus_dir),
        "--objective",
        "reward",
    ]
    res = runner.invoke(
        app, [*args, "--dataset", "max-info", "--seeds", "0-1", *SMALL, "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads((out / "results.json").read_text())
    assert payload["objective"] == "reward" and payload["dataset"] == "max-info"
    assert [s["seed"] for s in payload["seeds"]] == [0, 1]
    assert payload["train_pairs"] == 16 and payload["test_pairs"] >= 1
    png = (out / "accuracy.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    ev = runner.invoke(
        app,
        ["train", "llm-eval", "--model", str(tiny_llama), "--adapter", str(out / "adapters" / "seed-1"),
         "--data", str(corpus_dir), "--max-test-pairs", "16", "--device", "cpu", "--out", str(out / "eval.json")],
    )  # fmt: skip
    assert ev.exit_code == 0, ev.output
    assert json.loads((out / "eval.json").read_text())["accuracy"] == pytest.approx(
        payload["seeds"][1]["accuracy"]
    )


def _fails(args: list[str], match: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert match in res.output
    assert "Traceback" not in res.output


def test_clean_errors(tiny_llama: Path, corpus_dir: Path, tmp_path: Path) -> None:
    base = [
        "train",
        "llm",
        "--data",
        str(corpus_dir),
        *SMALL,
        "--seeds",
        "0",
        "--out",
        str(tmp_path / "o"),
    ]
    _fails([*base, "--model", str(tmp_path / "missing")], "Model folder not found")
    no_tok = tmp_path / "no-tok"
    no_tok.mkdir()
    shutil.copy(tiny_llama / "config.json", no_tok / "config.json")
    _fails([*base, "--model", str(no_tok)], "no tokenizer")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x", "response": "y"}) + "\n")
    _fails(
        ["train", "llm", "--model", str(tiny_llama), "--data", str(bad), *SMALL],
        "missing string field 'chosen'",
    )
    cuda = [
        "train",
        "llm",
        "--model",
        str(tiny_llama),
        "--data",
        str(corpus_dir),
        "--device",
        "cuda",
    ]
    _fails([*cuda, "--seeds", "0", "--out", str(tmp_path / "o")], "CUDA")
    _fails([*base, "--model", str(tiny_llama), "--objective", "ppo"], "'objective'")
    _fails([*base, "--model", str(tiny_llama), "--seeds", "a-b"], "--seeds")
    assert not (tmp_path / "o" / "results.json").exists()


def test_help_texts() -> None:
    for cmd in ("llm", "llm-eval"):
        res = runner.invoke(app, ["train", cmd, "--help"])
        assert res.exit_code == 0 and "--model" in res.output


def test_missing_package_gives_one_line_naming_the_extra() -> None:
    code = (
        "import sys; sys.modules['peft'] = None\n"
        "from typer.testing import CliRunner\n"
        "from socialpref_cli.main import app\n"
        "r = CliRunner().invoke(app, ['train', 'llm', '--model', 'm', '--data', 'd'])\n"
        "print(r.exit_code); print(r.output)\n"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    code_line, *rest = out.strip().splitlines()
    assert code_line == "1"
    assert "'llm' extra" in " ".join(rest) and "Traceback" not in out
    assert "socialpref[llm]" in " ".join(rest)
