"""`socialpref surveys` through typer's CliRunner: outputs, exit codes, one-line errors, files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialpref_cli.main import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["surveys", *args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def _one_line_error(result, match: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    err = result.stderr.strip()
    assert err.startswith("Error:") and match in err, err
    assert len(err.splitlines()) == 1 or len(" ".join(err.splitlines())) < 400


def test_help_for_every_command() -> None:
    for cmd in ([], ["list"], ["show"], ["analyze"]):
        result = run(*cmd, "--help")
        assert result.exit_code == 0 and "Usage" in result.output
    from socialpref_cli.surveys import app as sub

    for command in sub.registered_commands:
        assert command.callback is not None and command.callback.__doc__


def test_list(demo_path: Path) -> None:
    result = run("list", str(demo_path))
    assert result.exit_code == 0
    assert "EVCAR2_W900" in result.output and "Not too likely" in result.output
    assert "SYNTHETIC" in result.output and "F_PARTYSUM_FINAL" in result.output


def test_show(demo_path: Path) -> None:
    result = run("show", str(demo_path), "EVCAR2_W900")
    assert result.exit_code == 0
    out = result.output
    assert "Rep/Lean Rep" in out and "Luce-Shepard" in out and "differ" in out
    assert "'Not at all likely'" in out and "'Not too likely'" in out
    combined = run("show", str(demo_path), "ECON1_W900", "--types", "F_PARTYSUM_FINAL,F_GENDER")
    assert combined.exit_code == 0 and "Dem/Lean Dem | A woman" in combined.output


def test_show_unknown_question_suggests(demo_path: Path) -> None:
    _one_line_error(run("show", str(demo_path), "EVCAR_W900"), "Did you mean: EVCAR2_W900")


def test_analyze_writes_json_and_csv(demo_path: Path, tmp_path: Path) -> None:
    out_json, out_csv = tmp_path / "a" / "r.json", tmp_path / "r.csv"
    result = run("analyze", str(demo_path), "--json", str(out_json), "--csv", str(out_csv))
    assert result.exit_code == 0, result.output
    assert (
        "20 questions analysed, 11 columns not analysed for their class, 0 could" in result.output
    )
    assert "open-ended" in result.output and "--include-kind numeric" in result.output
    data = json.loads(out_json.read_text())
    assert set(data) == {"questions", "skipped"} and len(data["questions"]) == 20
    keys = {"source", "question", "text", "options", "types", "type_weights", "shares", "rewards",
            "average_reward", "nbc", "average_top", "nbc_top", "n_respondents"}  # fmt: skip
    assert all(keys <= set(q) for q in data["questions"])
    with out_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["question"] == "EVCAR2_W900" and "nbc" in rows[0]
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_analyze_options(demo_path: Path, tmp_path: Path) -> None:
    d = tmp_path / "d.json"
    d.write_text(json.dumps([0.1, 0.15, 0.3, 0.3, 0.15]))
    out = tmp_path / "r.json"
    result = run(
        "analyze", str(demo_path), "-q", "EVCAR2_W900", "-q", "ECON1_W900", "--sampling", str(d),
        "--bootstrap", "20", "--seed", "1", "--json", str(out), "--drop-no-lean",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [q["question"] for q in data["questions"]] == ["EVCAR2_W900"]
    assert (
        data["skipped"][0]["question"] == "ECON1_W900"
        and "sampling" in data["skipped"][0]["reason"]
    )
    q = data["questions"][0]
    assert "bootstrap" in q and len(q["types"]) == 2
    kept = run("analyze", str(demo_path), "-q", "AICONCERN_W900", "--keep-dk", "--json", str(out))
    assert kept.exit_code == 0
    assert "Not sure (VOL.)" in json.loads(out.read_text())["questions"][0]["unchosen_options"]
    paper = run("analyze", str(demo_path), "-q", "SATIS_W900", "--preprocessing", "paper")
    assert paper.exit_code == 0, paper.output
    unweighted = run("analyze", str(demo_path), "-q", "SATIS_W900", "--unweighted")
    assert unweighted.exit_code == 0


def test_analyze_crosstab_and_several_sources(demo_path: Path, tmp_path: Path) -> None:
    ct = tmp_path / "ct.csv"
    ct.write_text(
        "question,group,option,count\nJOB,Rep,Approve,10\nJOB,Rep,Disapprove,30\n"
        "JOB,Dem,Approve,35\nJOB,Dem,Disapprove,5\n"
    )
    out = tmp_path / "r.json"
    result = run(
        "analyze", str(demo_path), str(ct), "-q", "JOB", "-q", "SATIS_W900", "--json", str(out)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert sorted(q["source"] for q in data["questions"]) == ["ATP W900.sav", "ct.csv"]
    assert len(data["skipped"]) == 2  # each question is absent from the other source
    listed = run("list", str(ct))
    assert listed.exit_code == 0 and "JOB" in listed.output


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["analyze", "{tmp}/nothere.sav"], "No such file"),
        (["analyze", "{tmp}/empty.sav"], "empty file"),
        (["analyze", "{tmp}/bad.sav"], "not an SPSS .sav file"),
        (["analyze", "{tmp}/notes.txt"], "Unknown kind of source"),
        (["analyze", "{demo}", "--types", "F_NOPE"], "F_PARTYSUM_FINAL, F_EDUCCAT"),
        (["analyze", "{demo}", "--weight", "WEIGHT_X"], "WEIGHT_X"),
        (["analyze", "{demo}", "-q", "NOPE_W900"], "Unknown question"),
        (["analyze", "{demo}", "--bootstrap", "1"], "bootstrap"),
        (["analyze", "{demo}", "--sampling", "{tmp}/notes.txt"], "not valid JSON"),
        (["list", "{tmp}/empty.sav"], "empty file"),
        (["show", "{demo}", "SATIS_W900", "--types", "F_NOPE"], "F_NOPE"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    demo_path: Path, tmp_path: Path, args: list[str], match: str
) -> None:
    (tmp_path / "empty.sav").write_bytes(b"")
    (tmp_path / "bad.sav").write_bytes(b"not spss" * 20)
    (tmp_path / "notes.txt").write_text("hello")
    out = tmp_path / "out.json"
    argv = [a.format(tmp=tmp_path, demo=demo_path) for a in args]
    if argv[0] == "analyze":
        argv += ["--json", str(out), "--csv", str(tmp_path / "out.csv")]
    _one_line_error(run(*argv), match)
    assert not out.exists() and not (tmp_path / "out.csv").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_analyze_single_unanalysable_question_is_an_error(tiny_wave: Path, tmp_path: Path) -> None:
    # Q2_W5 keeps one option once Refused is dropped: nothing to analyse, nothing written
    out = tmp_path / "out.json"
    result = run("analyze", str(tiny_wave), "-q", "Q2_W5", "--json", str(out))
    _one_line_error(result, "No question could be analysed: Q2_W5")
    assert not out.exists()


def test_excluded_weights_are_reported_by_every_command(sav, tmp_path: Path) -> None:
    party = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem"}
    n = 400
    cols = {
        "Q_W1": [1 + (k % 3) for k in range(n)],
        "F_PARTYSUM_FINAL": [1 + (k % 2) for k in range(n)],
        "WEIGHT_W1": [0.0 if k < 3 else 1.0 for k in range(n)],
    }
    labels = {"Q_W1": {1.0: "A", 2.0: "B", 3.0: "C"}, "F_PARTYSUM_FINAL": party}
    wave = sav(tmp_path / "ATP W1.sav", cols, labels)
    for argv in (["surveys", "list", str(wave)], ["sensitivity", str(wave)]):
        res = runner.invoke(app, argv, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert res.exit_code == 0, res.output
        assert "3 respondents have a missing or zero weight" in res.stderr
    res = runner.invoke(app, ["report", str(wave), "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "3 respondents have a missing or zero weight in `WEIGHT_W1`" in text
