"""The faces of the application layer: ``surveys analyze``, ``sensitivity`` and ``report`` take
the same options, skip what they cannot analyse with one exit status, refuse a source given
twice, and turn only typed errors into one line (``--debug``: tracebacks for all)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from socialpref.app import AnalysisOptions, SweepOptions
from socialpref_cli.constants import EXIT_SKIPPED, HELP
from socialpref_cli.main import COMMANDS, app, load_command

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}
#: The command line of each face, before its sources.
FACES = {
    "analyze": ["surveys", "analyze"],
    "sensitivity": ["sensitivity"],
    "report": ["report"],
}


def invoke(*args: str) -> click.testing.Result:
    return runner.invoke(app, list(args), env=ENV)


def _flags(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in getattr(p, "opts", [])}


def _analyze_command() -> click.Command:
    group = load_command("surveys")
    return group.commands["analyze"]  # type: ignore[attr-defined,no-any-return]


def test_the_faces_accept_the_same_analysis_options() -> None:
    analyze, sens, report = _analyze_command(), load_command("sensitivity"), load_command("report")
    shared = _flags(analyze) - {"--json", "--csv", "--format", "--help"}
    assert {"--types", "--weight", "--unweighted", "--keep-dk", "--preprocessing",
            "--include-kind", "--bins", "--model", "--sampling", "--question", "-q",
            "--bootstrap", "--seed", "--beta", "--strict"} <= shared  # fmt: skip
    assert shared <= _flags(sens) and shared <= _flags(report)
    sweep = {"--min-options", "--min-per-option", "--base", "--solver", "--eps", "--delta"}
    assert sweep <= _flags(sens) and sweep <= _flags(report)
    # every field of the options has its option
    n_fields = len(dataclasses.fields(AnalysisOptions)) + len(dataclasses.fields(SweepOptions))
    assert len(shared | sweep) >= n_fields


def test_help_texts_have_one_source() -> None:
    for name, (_, text) in COMMANDS.items():
        assert text == HELP[name]
        command = load_command(name)
        assert (command.help or "").strip().splitlines()[0] == text


def test_skipped_wave_exit_status_and_strict(wave_set: dict[str, Path], tmp_path: Path) -> None:
    sources = [str(wave_set["W3"]), str(wave_set["W900"])]
    for face, argv in FACES.items():
        out = tmp_path / face
        extra = ["--out", str(out)] if face == "report" else ["--json", str(out)]
        res = invoke(*argv, *sources, "--bootstrap", "0", *extra)
        assert res.exit_code == EXIT_SKIPPED, (face, res.output)
        assert "ATP W3.sav" in res.stderr and "--types" in res.stderr
        assert "F_PARTYSUM_TYPOLOGY" in res.stderr
        assert out.exists()
        strict = tmp_path / f"{face}-strict"
        extra = ["--out", str(strict)] if face == "report" else ["--json", str(strict)]
        res = invoke(*argv, *sources, "--bootstrap", "0", "--strict", *extra)
        assert res.exit_code == 1 and res.stderr.startswith("Error:"), (face, res.output)
        assert "F_PARTYSUM_TYPOLOGY" in res.stderr and "Traceback" not in res.output
        assert not strict.exists()
    data = json.loads((tmp_path / "sensitivity").read_text())
    assert data["skipped_sources"][0]["error"] == "MissingTypeColumnError"


def test_a_source_given_twice_is_refused(wave_set: dict[str, Path], tmp_path: Path) -> None:
    w = str(wave_set["W900"])
    for face, argv in FACES.items():
        out = tmp_path / face
        extra = ["--out", str(out)] if face == "report" else ["--json", str(out)]
        res = invoke(*argv, w, w, *extra)
        assert res.exit_code == 1, (face, res.output)
        assert "given twice" in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert not out.exists()


def test_per_wave_rows_in_the_sweep(wave_set: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    res = invoke("sensitivity", str(wave_set["W900"]), str(wave_set["W901"]), "--bootstrap", "10",
                 "--json", str(out))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "ATP W901.sav" in res.output and "all" in res.output  # summary columns
    data = json.loads(out.read_text())
    rows = {r["source"]: r for r in data["by_source"]}
    assert set(rows) == {"ATP W900.sav", "ATP W901.sav"}
    assert data["summary"]["kept"] == sum(r["kept"] for r in rows.values())
    q = data["questions"][0]
    assert {"bootstrap", "flip_verdict", "top_flip_supported"} <= set(q)
    assert 0.0 <= q["bootstrap"]["p_flippable"] <= 1.0


def test_targets_in_surveys_analyze(wave_set: dict[str, Path], tmp_path: Path) -> None:
    out, table = tmp_path / "a.json", tmp_path / "a.csv"
    res = invoke("surveys", "analyze", str(wave_set["W900"]), "--beta", "0.2", "--bootstrap", "20",
                 "--json", str(out), "--csv", str(table))  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Which objective chooses what (Nash at beta 0.2)" in res.output
    data = json.loads(out.read_text())
    unsupported = {q["question"] for q in data["questions"] if q["targets"]["disagreement_supported"] is False}  # fmt: skip
    assert {"COVIDRESP_W900", "MINWAGE_W900"} <= unsupported
    ev = next(q for q in data["questions"] if q["question"] == "EVCAR2_W900")
    assert ev["targets"]["tops"]["maximal_lottery"] == ["Not at all likely"]
    assert ev["targets"]["beta"] == 0.2 and ev["targets"]["support"]["n_boot"] == 20
    header = table.read_text().splitlines()[0].split(",")
    assert {"maximal_lottery", "condorcet_winner", "copeland_score", "nash_policy"} <= set(header)


def test_show_prints_every_target(wave_set: dict[str, Path]) -> None:
    res = invoke("surveys", "show", str(wave_set["W900"]), "EVCAR2_W900", "--bootstrap", "20")
    assert res.exit_code == 0, res.output
    assert "Which objective chooses what" in res.output and "Not at all likely" in res.output


def test_outputs_are_written_together_or_not_at_all(
    wave_set: dict[str, Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = tmp_path / "ok.json"
    res = invoke("sensitivity", str(wave_set["W900"]), "--bootstrap", "0", "--json", str(out),
                 "--plot", str(blocker / "x.png"))  # fmt: skip
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    res = invoke("surveys", "analyze", str(wave_set["W900"]), "--bootstrap", "0", "--json",
                 str(out), "--csv", str(blocker / "x.csv"))  # fmt: skip
    assert res.exit_code == 1 and not out.exists()


def test_debug_shows_the_traceback_of_a_user_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nothere.sav")
    res = invoke("surveys", "analyze", missing)
    assert res.exit_code == 1 and res.stderr.startswith("Error: No such file")
    debug = invoke("--debug", "surveys", "analyze", missing)
    assert isinstance(debug.exception, FileNotFoundError) and "Error:" not in debug.stderr


@pytest.mark.parametrize("error", [KeyError("boom"), ValueError("boom"), RuntimeError("boom")])
def test_other_exceptions_are_bugs_with_their_traceback(
    wave_set: dict[str, Path], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """A library failure that is not a typed error is not reported as bad input."""
    import socialpref.app.sources as sources

    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(sources, "read_source", broken)
    res = invoke("surveys", "analyze", str(wave_set["W900"]))
    assert res.exception is error and "Error:" not in res.stderr


def test_library_errors_at_the_root_are_one_line() -> None:
    """A typed error raised anywhere in a command is one line, not only inside run_library."""
    from socialpref.errors import DataError
    from socialpref_cli.main import LazyGroup

    root = typer.Typer(cls=LazyGroup)
    root.callback()(lambda: None)

    @root.command("boom")
    def boom() -> None:
        raise DataError("the file is bad")

    res = CliRunner().invoke(root, ["boom"])
    assert res.exit_code == 1 and res.stderr.strip() == "Error: the file is bad"


def test_no_cache_and_no_check_reach_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = Path(__file__).resolve().parents[2] / "data" / "demo" / "ATP W900.sav"
    cache = tmp_path / "cache"
    monkeypatch.setenv("SOCIALPREF_CACHE_DIR", str(cache))
    args = ["surveys", "analyze", str(demo), "-q", "EVCAR2_W900", "--bootstrap", "0"]
    assert invoke(*args, "--no-cache").exit_code == 0
    assert not cache.exists() or not any(cache.rglob("*.npz"))
    assert invoke(*args).exit_code == 0
    assert any(cache.rglob("*.npz"))  # the default run stores the decoded wave
    # a labelled question with unlabelled non-integer codes: refused unless --no-check
    import numpy as np
    import pandas as pd

    from data.wavegen import WaveData, write_wave

    rng = np.random.default_rng(0)
    answers = rng.choice([1.0, 2.0, 3.0, 8.6e-05], 300)
    frame = pd.DataFrame(
        {
            "QKEY": np.arange(1.0, 301),
            "Q1_W5": answers,
            "Q2_W5": rng.choice([1.0, 2.0, 3.0], 300),
            "F_PARTYSUM_FINAL": rng.choice([1.0, 2.0], 300),
            "WEIGHT_W5": np.ones(300),
        }
    )
    labels = {
        "Q1_W5": {1.0: "Yes", 2.0: "No", 3.0: "Maybe"},
        "Q2_W5": {1.0: "Agree", 2.0: "Disagree", 3.0: "Unsure"},
        "F_PARTYSUM_FINAL": {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem"},
    }
    damaged = write_wave(WaveData(frame, {}, labels, "damaged"), tmp_path / "ATP W5.sav")
    refused = invoke("surveys", "analyze", str(damaged), "--bootstrap", "0")
    assert refused.exit_code == 1 and "--no-check" in refused.output
    read = invoke("surveys", "analyze", str(damaged), "--bootstrap", "0", "--no-check")
    assert read.exit_code == 0, read.output
