"""`socialpref llm relabel|train|eval` through typer's CliRunner: outputs, folder rules, resume,
one-line errors, and options generated from the config dataclass."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")

from socialpref.llm.config import LLMTrainConfig
from socialpref_cli.main import app, load_command

runner = CliRunner()
SMALL = [
    "--max-train-pairs", "16", "--max-test-pairs", "16", "--per-device-train-batch-size", "4",
    "--device", "cpu", "--report-to", "none",
]  # fmt: skip


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res.output


def _fails(args: list[str], match: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert match in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output


def test_relabel_writes_a_dataset_folder_by_the_report_rules(
    tiny_llama: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    import datasets

    base = ["llm", "relabel", "--data", str(corpus_dir), "--tokenizer", str(tiny_llama)]
    out = _ok([*base, "--dataset", "test", "--ties", "authors", "--out", str(tmp_path / "t")])
    assert "80 pairs of 80 read" in " ".join(out.split()) and "ties: " in out and "(kept)" in out
    _ok([*base, "--dataset", "anonymous", "--seed", "4", "--out", str(tmp_path / "a")])
    first = (tmp_path / "a" / "pairs.jsonl").read_bytes()
    _ok(
        [*base, "--dataset", "anonymous", "--seed", "4", "--out", str(tmp_path / "a")]
    )  # ours: replaced
    assert (tmp_path / "a" / "pairs.jsonl").read_bytes() == first  # same seed, same data
    assert (tmp_path / "a" / ".socialpref-report").is_file()
    assert len(datasets.load_from_disk(str(tmp_path / "a"))) == 320
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    for force in ([], ["--force"]):  # a file socialpref did not write: never replaced
        _fails([*base, "--dataset", "anonymous", "--out", str(foreign), *force], "did not write")
        assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]
    (foreign / "keep.txt").unlink()
    _ok([*base, "--dataset", "anonymous", "--out", str(foreign)])  # an empty folder is used
    _fails([*base, "--dataset", "majority", "--out", str(tmp_path / "m")], "'dataset'")
    assert not (tmp_path / "m").exists()  # nothing half-written


@pytest.mark.slow
def test_train_resume_and_eval(tiny_llama: Path, corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["llm", "train", "--model", str(tiny_llama), "--data", str(corpus_dir), *SMALL,
            "--objective", "reward", "--dataset", "max-info", "--seeds", "0-1", "--save-steps", "2",
            "--output-dir", str(out)]  # fmt: skip
    printed = " ".join(_ok(args).split())
    assert "seed 1: accuracy" in printed and "16 training pairs of 320" in printed
    payload = json.loads((out / "results.json").read_text())
    assert payload["objective"] == "reward" and payload["dataset"] == "max-info"
    assert [s["seed"] for s in payload["seeds"]] == [0, 1] and payload["train_pairs"] == 16
    assert payload["settings"]["save_steps"] == 2 and payload["ties"] == "drop"
    assert (out / "accuracy.png").read_bytes().startswith(b"\x89PNG")
    for seed in (0, 1):
        assert (out / f"seed-{seed}" / "checkpoint-4" / "optimizer.pt").is_file()
        assert (
            (out / f"seed-{seed}" / "metrics.csv").read_text().startswith("step,epoch,name,value")
        )
    _fails(args, "pass --resume")
    resumed = " ".join(_ok([*args, "--resume"]).split())
    assert "resumed from" in resumed and "checkpoint-4" in resumed
    again = json.loads((out / "results.json").read_text())
    assert [s["accuracy"] for s in again["seeds"]] == [s["accuracy"] for s in payload["seeds"]]
    ev = _ok(["llm", "eval", "--model", str(tiny_llama), "--adapter", str(out / "seed-1"),
              "--data", str(corpus_dir), "--max-test-pairs", "16", "--device", "cpu",
              "--out", str(tmp_path / "eval.json")])  # fmt: skip
    assert "accuracy" in ev
    assert json.loads((tmp_path / "eval.json").read_text())["accuracy"] == pytest.approx(
        payload["seeds"][1]["accuracy"], abs=1e-12
    )


def test_clean_errors(tiny_llama: Path, corpus_dir: Path, tmp_path: Path) -> None:
    base = ["llm", "train", "--data", str(corpus_dir), *SMALL, "--seeds", "0",
            "--output-dir", str(tmp_path / "o")]  # fmt: skip
    _fails([*base, "--model", str(tmp_path / "missing")], "Model folder not found")
    no_tok = tmp_path / "no-tok"
    no_tok.mkdir()
    shutil.copy(tiny_llama / "config.json", no_tok / "config.json")
    _fails([*base, "--model", str(no_tok)], "no tokenizer")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x", "response": "y"}) + "\n")
    _fails(["llm", "train", "--model", str(tiny_llama), "--data", str(bad), *SMALL,
            "--output-dir", str(tmp_path / "o2")], "missing string field 'chosen'")  # fmt: skip
    _fails([*base, "--model", str(tiny_llama), "--device", "cuda"], "CUDA")
    _fails([*base, "--model", str(tiny_llama), "--objective", "ppo"], "'objective'")
    _fails([*base, "--model", str(tiny_llama), "--lora-r", "0"], "'lora_r'")
    _fails([*base, "--model", str(tiny_llama), "--seeds", "a-b"], "--seeds")
    _fails([*base, "--model", str(tiny_llama), "--resume"], "Nothing to resume")
    assert not (tmp_path / "o").exists() and not (tmp_path / "o2").exists()  # nothing half-written


def _command(*path: str):  # type: ignore[no-untyped-def]
    cmd = load_command(path[0])  # the root lists commands lazily: load the group first
    for name in path[1:]:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


def test_every_config_field_is_an_option_with_its_default_and_help() -> None:
    params = {p.name: p for p in _command("llm", "train").params}
    fields = {f.name: f for f in dataclasses.fields(LLMTrainConfig)}
    own = {"model", "data", "seeds", "subsets", "output_dir", "resume", "force"}
    assert set(params) == set(fields) | own
    for name, f in fields.items():
        p = params[name]
        assert p.opts[0] == "--" + name.replace("_", "-")
        assert p.default == f.default
        assert f.metadata["help"] in p.help


def test_help_texts() -> None:
    for path in (("llm", "relabel"), ("llm", "train"), ("llm", "eval")):
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0 and _command(*path).help
    assert runner.invoke(app, ["train", "llm", "--help"]).exit_code == 0  # the earlier name


def test_missing_package_gives_one_line_naming_the_extra() -> None:
    code = (
        "import sys; sys.modules['trl'] = None\n"
        "from typer.testing import CliRunner\n"
        "from socialpref_cli.main import app\n"
        "r = CliRunner().invoke(app, ['llm', 'train', '--model', 'm', '--data', 'd'])\n"
        "print(r.exit_code); print(r.output)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    code_line, *rest = out.strip().splitlines()
    assert code_line == "1"
    text = " ".join(" ".join(rest).split())
    assert "needs trl" in text and "socialpref[llm]" in text and "Traceback" not in out
