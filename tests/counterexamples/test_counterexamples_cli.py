"""`socialpref counterexamples ...` through typer's CliRunner on the real app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from socialpref import nbc
from socialpref.counterexamples import CATALOGUE
from socialpref_cli.main import app

runner = CliRunner()

REQUIRED_KEYS = {
    "name",
    "claim",
    "rewards",
    "type_weights",
    "options",
    "types",
    "sampling",
    "model",
    "nbc",
    "average_reward",
    "holds",
}


def test_list_shows_every_name() -> None:
    res = runner.invoke(app, ["counterexamples", "list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for name in CATALOGUE:
        assert name in res.output


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_show_writes_json(name: str, tmp_path: Path) -> None:
    out = tmp_path / "sub" / f"{name}.json"
    res = runner.invoke(
        app, ["counterexamples", "show", name, "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "holds" in res.output
    d = json.loads(out.read_text())
    assert REQUIRED_KEYS <= set(d)
    assert d["name"] == name and d["holds"] is True
    # the JSON's NBC is the core's NBC of the JSON's own population, D and model
    np.testing.assert_allclose(
        d["nbc"], nbc(d["rewards"], d["type_weights"], d["sampling"], d["model"]), atol=1e-12
    )
    assert not list(out.parent.glob(".*.tmp"))


def test_show_prints_the_maximal_lottery() -> None:
    res = runner.invoke(
        app, ["counterexamples", "show", "maximal-lottery-mixes"], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "max. lottery" in res.output and "0.5905" in res.output and "holds" in res.output


@pytest.mark.parametrize("kind", ["condorcet-rejected", "average-condorcet-loser", "lottery-mixes"])
def test_search_finds_the_majority_kinds(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "found.json"
    res = runner.invoke(
        app,
        ["counterexamples", "search", kind, "--budget", "300", "--seed", "1", "--json", str(out)],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "Found an instance" in res.output
    d = json.loads(out.read_text())
    assert d["found"] is True and d["kind"] == kind
    assert len(d["types"]) == (3 if kind == "lottery-mixes" else 2)


def test_show_unknown_name_is_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    res = runner.invoke(app, ["counterexamples", "show", "nope", "--json", str(out)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert "must be one of sampling-sensitivity" in res.output and "mediocrity" in res.output
    assert not out.exists()


def test_search_prints_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "found.json"
    args = ["counterexamples", "search", "iia", "--types", "2", "--options", "3", "--seed", "3"]
    res = runner.invoke(app, [*args, "--budget", "300", "--json", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Found an instance" in res.output and "Certificate" in res.output
    d = json.loads(out.read_text())
    assert REQUIRED_KEYS <= set(d) and d["found"] is True and d["holds"] is True
    r, w = np.array(d["rewards"]), np.array(d["type_weights"])
    sub, full = nbc(r[:, :-1], w), nbc(r, w)
    assert any(sub[i] > sub[j] and full[j] > full[i] for i in range(2) for j in range(2) if i != j)
    # the same seed gives the same file
    out2 = tmp_path / "again.json"
    runner.invoke(app, [*args, "--budget", "300", "--json", str(out2)])
    assert json.loads(out2.read_text()) == d


def test_search_nothing_found_and_errors(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["counterexamples", "search", "top-disagreement", "--types", "1", "--budget", "50"]
    )
    assert res.exit_code == 0 and "Nothing found" in res.output
    res = runner.invoke(app, ["counterexamples", "search", "nope"])
    assert res.exit_code == 1 and "must be one of top-disagreement" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["counterexamples", "search", "iia", "--options", "2"])
    assert res.exit_code == 1 and "n_options" in res.output


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["search"]])
def test_every_command_has_help(command: list[str]) -> None:
    res = runner.invoke(app, ["counterexamples", *command, "--help"])
    assert res.exit_code == 0
    assert "Usage" in res.output and len(res.output.strip()) > 80
