"""`socialpref train synthetic` through typer's CliRunner with tiny sizes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from socialpref_cli.main import app

RUNNER = CliRunner()
TINY = [
    "--pairs",
    "3000",
    "--steps",
    "30",
    "--batch-size",
    "64",
    "--seeds",
    "0-1",
    "--device",
    "cpu",
]


def test_train_synthetic_writes_results_and_figures(tmp_path):
    out = tmp_path / "run"
    args = [
        "train",
        "synthetic",
        "-m",
        "dpo",
        "-m",
        "corrected",
        "-m",
        "consistent",
        "-m",
        "nbc",
        "-a",
        "1",
        "-a",
        "2",
        "--warmup",
        "10",
        "--out",
        str(out),
        *TINY,
    ]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "results.json").read_text())
    for key in (
        "delta",
        "optimal_profile",
        "nbc_profile",
        "runs",
        "summary",
        "corrected_limit_profiles",
    ):
        assert key in payload
    assert len(payload["delta"]) == 40 and payload["delta"][0] == -20
    assert len(payload["runs"]) == 2 * (1 + 2 + 1 + 1)
    run = payload["runs"][0]
    for key in (
        "method",
        "alpha",
        "seed",
        "policy_profile",
        "kl_to_optimal",
        "spearman_nbc",
        "spearman_average",
    ):
        assert key in run
    assert {r["alpha"] for r in payload["runs"] if r["method"] == "corrected"} == {1.0, 2.0}
    assert (out / "fig3_rewards.png").stat().st_size > 1000
    assert (out / "fig4_policies.png").stat().st_size > 1000
    assert "runs on cpu" in result.output


def test_train_synthetic_with_mlp_joint(tmp_path):
    out = tmp_path / "mlp"
    args = ["train", "synthetic", "-m", "dpo", "-m", "corrected", "-a", "2", "--joint", "mlp"]
    args += ["--warmup", "10", "--no-figures", "--out", str(out), *TINY]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "results.json").read_text())
    assert payload["config"]["joint"] == "mlp"
    runs = [r for r in payload["runs"] if r["method"] == "corrected"]
    assert [(r["alpha"], r["seed"]) for r in runs] == [(2.0, 0), (2.0, 1)]
    assert all(r["final_loss"] is not None and r["kl_to_optimal"] >= 0 for r in runs)
    default = tmp_path / "default"
    result = RUNNER.invoke(
        app,
        [
            "train",
            "synthetic",
            "-m",
            "corrected",
            "-a",
            "2",
            "--warmup",
            "10",
            "--no-figures",
            "--out",
            str(default),
            *TINY,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((default / "results.json").read_text())["config"]["joint"] == "mixture"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-m", "ppo"], "'methods'"),
        (["--seeds", "a-b"], "seeds"),
        (["--device", "cuda"], "CUDA"),
        (["--policy", "rnn"], "'policy'"),
        (["--joint", "gp"], "'joint'"),
    ],
)
def test_errors_are_one_line_and_write_nothing(tmp_path, extra, message):
    import torch

    if extra[-1] == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA present")
    out = tmp_path / "bad"
    result = RUNNER.invoke(app, ["train", "synthetic", "--out", str(out), *TINY, *extra])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (out / "results.json").exists()


def _synthetic_command():
    from socialpref_cli.main import load_command

    return load_command("train").commands["synthetic"]  # type: ignore[attr-defined]


def test_every_config_field_is_an_option_with_its_default_and_help():
    import dataclasses

    from socialpref.train.config import TrainConfig
    from socialpref_cli.config_options import generated_options
    from socialpref_cli.train_synthetic import FIELDS, FLAGS

    params = {p.name: p for p in _synthetic_command().params}
    options = generated_options(TrainConfig, FLAGS, FIELDS)
    assert [o.name for o in options] == [f.name for f in dataclasses.fields(TrainConfig)]
    values = {}
    for o, f in zip(options, dataclasses.fields(TrainConfig), strict=True):
        param = params[f.name]
        assert " ".join(f.metadata["help"].split()) in " ".join(param.help.split())
        assert set(o.flags[0].split("/")) <= set(param.opts) | set(param.secondary_opts)
        values[f.name] = o.cli.parse(param.default)
        if f.name not in FIELDS:  # written as itself: the very same default
            assert values[f.name] == f.default, f.name
    # Written differently (seeds as '0-4', the reference as 'uniform'): the same config.
    assert params["seeds"].default == "0-4" and params["reference"].default == "uniform"
    assert TrainConfig(**values) == TrainConfig()


@given(st.lists(st.integers(0, 60), min_size=1, max_size=12, unique=True).map(sorted))
def test_seeds_are_written_back_as_they_are_read(seeds):
    from socialpref_cli.common import parse_seeds
    from socialpref_cli.train_synthetic import format_seeds

    text = format_seeds(tuple(seeds))
    assert parse_seeds(text) == seeds
    assert format_seeds((0, 1, 2, 3, 4)) == "0-4" and format_seeds((0, 3, 4, 7)) == "0,3-4,7"


def test_every_config_field_reaches_the_config(tmp_path):
    out = tmp_path / "opts"
    extra = ["-m", "dpo", "--lr", "0.02", "--hidden", "7", "--layers", "1", "--clamp", "0.2"]
    extra += ["--eps", "1e-5", "--log-every", "7", "--reward-steps", "3", "--joint-lr", "0.05"]
    result = RUNNER.invoke(
        app, ["train", "synthetic", *extra, "--no-figures", "--out", str(out), *TINY]
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "results.json").read_text())["config"]
    assert (config["lr"], config["hidden"], config["layers"], config["clamp"]) == (0.02, 7, 1, 0.2)
    assert (config["eps"], config["log_every"], config["reward_steps"]) == (1e-5, 7, 3)
    assert config["joint_lr"] == 0.05 and config["seeds"] == [0, 1]


def test_a_registered_method_runs_from_the_command_line(tmp_path):
    from socialpref.train.methods import (
        TrainingMethod,
        get_method,
        register_method,
        unregister_method,
    )

    dpo = get_method("dpo")
    register_method(
        TrainingMethod("dpo-copy", "DPO again.", "anonymous", dpo.target, loss=dpo.loss)
    )
    try:
        out = tmp_path / "copy"
        args = ["train", "synthetic", "-m", "dpo", "-m", "dpo-copy", "--no-figures"]
        result = RUNNER.invoke(app, [*args, "--out", str(out), *TINY])
        assert result.exit_code == 0, result.output
        runs = json.loads((out / "results.json").read_text())["runs"]
        by = {(r["method"], r["seed"]): r for r in runs}
        # autograd of the loss (dpo-copy) and the hand-written gradient (dpo) train alike
        for seed in (0, 1):
            a, b = by[("dpo", seed)], by[("dpo-copy", seed)]
            assert a["final_loss"] == pytest.approx(b["final_loss"], abs=1e-5)
    finally:
        unregister_method("dpo-copy")


def test_help_texts():
    result = RUNNER.invoke(app, ["train", "synthetic", "--help"])
    assert result.exit_code == 0
    assert "--method" in result.output and "Section 7.2" in result.output


def _run_python(code: str, tmp_path):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )


def test_cli_and_figures_import_without_torch(tmp_path):
    code = (
        "import sys\n"
        "import socialpref_cli.main, socialpref.train.figures, socialpref.train.environment\n"
        "print('torch' in sys.modules)\n"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_torch_is_a_one_line_error(tmp_path):
    out = tmp_path / "none"
    code = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):  # as if torch were not installed\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
        "sys.meta_path.insert(0, Block())\n"
        "from socialpref_cli.main import app\n"
        f"app(['train', 'synthetic', '--steps', '1', '--out', {str(out)!r}])\n"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "socialpref[train]" in lines[0], result.stderr
    assert not out.exists()


def _reference_file(tmp_path, suffix: str, table) -> str:
    import numpy as np

    path = tmp_path / f"ref{suffix}"
    if suffix == ".npy":
        np.save(path, np.asarray(table))
    else:
        path.write_text(json.dumps(np.asarray(table).tolist()))
    return str(path)


@pytest.mark.parametrize("suffix", [".npy", ".json"])
def test_train_synthetic_with_beta_and_reference_file(tmp_path, suffix):
    import hashlib

    import numpy as np

    ref = np.random.default_rng(0).dirichlet(np.full(40, 3.0), size=40)
    path = _reference_file(tmp_path, suffix, ref)
    out = tmp_path / "ref"
    # alpha = 0: the corrected optimum with a reference is solved for all 40 prompts, a convex
    # problem at alpha = 0 (the global search for alpha > 0 is tested in test_train_limits.py).
    args = ["train", "synthetic", "-m", "dpo", "-m", "corrected", "-a", "0", "--warmup", "10"]
    args += ["--beta", "0.5", "--reference", path, "--no-figures", "--out", str(out), *TINY]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "results.json").read_text())
    config = payload["config"]
    assert config["beta"] == 0.5 and payload["environment"]["beta"] == 0.5
    assert config["reference"]["file"] == f"ref{suffix}"
    sha = hashlib.sha256((tmp_path / f"ref{suffix}").read_bytes()).hexdigest()
    assert config["reference"]["sha256"] == sha
    assert config["pairs_from_reference"] is True
    assert all(r["final_loss"] is not None for r in payload["runs"])
    uniform = tmp_path / "uniform"
    args = ["train", "synthetic", "-m", "dpo", "--uniform-pairs", "--no-figures"]
    result = RUNNER.invoke(app, [*args, "--out", str(uniform), *TINY])
    assert result.exit_code == 0, result.output
    config = json.loads((uniform / "results.json").read_text())["config"]
    assert config["reference"] == "uniform" and config["beta"] == 1.0


@pytest.mark.parametrize(
    ("table", "suffix", "message"),
    [
        ([[0.5, 0.5], [0.5, 0.5]], ".npy", "(40, 40)"),
        ([[0.6] * 40] * 40, ".json", "summing to 1"),
        ([[0.0] + [1 / 39] * 39] * 40, ".json", "strictly positive"),
        ("not json", ".json", "cannot read"),
        (None, ".npy", "cannot read"),
        (None, ".txt", ".npy or .json"),
    ],
)
def test_bad_reference_files_are_one_line_errors(tmp_path, table, suffix, message):
    if isinstance(table, str):
        (tmp_path / f"ref{suffix}").write_text(table)
        path = str(tmp_path / f"ref{suffix}")
    elif table is None:
        path = str(tmp_path / f"missing{suffix}")
    else:
        path = _reference_file(tmp_path, suffix, table)
    out = tmp_path / "bad"
    args = ["train", "synthetic", "-m", "dpo", "--reference", path, "--out", str(out), *TINY]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not (out / "results.json").exists()


@pytest.mark.parametrize("beta", ["0", "-1", "nan"])
def test_bad_beta_is_a_one_line_error(tmp_path, beta):
    out = tmp_path / "bad"
    result = RUNNER.invoke(
        app, ["train", "synthetic", "-m", "dpo", "--beta", beta, "--out", str(out), *TINY]
    )
    assert result.exit_code == 1
    assert "'beta'" in result.output and "Traceback" not in result.output
    assert not (out / "results.json").exists()
