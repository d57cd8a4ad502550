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
    assert set(data) == {"questions", "skipped", "sources", "skipped_sources", "options"}
    assert len(data["questions"]) == 20 and data["skipped_sources"] == []
    assert data["sources"][0]["weight_column"] == "WEIGHT_W900"
    assert data["options"]["bootstrap"] == 100 and data["options"]["beta"] == 1.0
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


def test_list_shows_every_column_with_its_class(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cols.json"
    result = run("list", str(demo_path), "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "Other columns (not analysed by default)" in result.output
    assert "THERM_HARRIS_W900" in result.output and "open-ended" in result.output
    data = json.loads(out.read_text())
    kinds = {c["name"]: c["kind"] for c in data["columns"]}
    assert kinds["EVCAR2_W900"] == "question" and kinds["THERM_HARRIS_W900"] == "numeric"
    assert kinds["EVCAR2OE1_W900"] == "open-ended" and kinds["ECONSUM_W900"] == "derived"
    assert kinds["FLAG_W900"] == kinds["XPANEL_W900"] == kinds["DURATION_W900"] == "admin"
    ev = next(c for c in data["columns"] if c["name"] == "EVCAR2_W900")
    assert ev["non_answers"] == ["Refused [99]"] and len(ev["options"]) == 5


def test_analyze_bootstraps_by_default(demo_path: Path, tmp_path: Path) -> None:
    out, table = tmp_path / "r.json", tmp_path / "r.csv"
    result = run("analyze", str(demo_path), "--json", str(out), "--csv", str(table))
    assert result.exit_code == 0, result.output
    assert "P(differ)" in result.output and "MoE" in result.output
    assert "not supported by the bootstrap" in result.output
    data = json.loads(out.read_text())
    assert all(q["bootstrap"]["n_boot"] == 100 for q in data["questions"])
    assert run("analyze", str(demo_path), "--json", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == data  # seed 0 by default: the same numbers
    off = run("analyze", str(demo_path), "--bootstrap", "0", "--json", str(out))
    assert off.exit_code == 0 and "bootstrap" not in json.loads(out.read_text())["questions"][0]
    with table.open() as fh:
        assert "nbc_low" in next(csv.reader(fh))


def test_show_prints_intervals_and_the_margin_of_error(demo_path: Path) -> None:
    result = run("show", str(demo_path), "EVCAR2_W900", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "95% bootstrap intervals (50 replicates)" in out and "P(differ)" in out
    assert "design effect" in out and "margin of error ±" in out
    numeric = run("show", str(demo_path), "THERM_HARRIS_W900")
    _one_line_error(numeric, "--include-kind numeric")
    binned = run(
        "show", str(demo_path), "THERM_HARRIS_W900", "--include-kind", "numeric", "--bins", "4"
    )
    assert binned.exit_code == 0 and "0-" in binned.output


def test_varied_wave_dta_and_options(varied_paths: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    result = run("analyze", str(varied_paths[".dta"]), "--bootstrap", "20", "--json", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    excluded = {k["question"]: k["kind"] for k in data["skipped"] if k["excluded"]}
    assert excluded["NATCHROE1_W5"] == "open-ended" and excluded["OPENTEXT_W5"] == "text"
    more = run("analyze", str(varied_paths[".sav"]), "--include-kind", "numeric,open-ended",
               "--bins", "3", "--keep-dk", "--bootstrap", "0", "--json", str(out))  # fmt: skip
    assert more.exit_code == 0, more.output
    names = {q["question"]: q for q in json.loads(out.read_text())["questions"]}
    assert len(names["THERM1_W5"]["options"]) == 3 and "NATCHROE1_W5" in names
    assert names["DKQ_W5"]["options"] == ["Yes", "No", "Don't know"]
    bad = run("analyze", str(varied_paths[".sav"]), "--preprocessing", "pew")
    _one_line_error(bad, "'preprocessing' option must be one of default, paper")


def test_input_errors_are_short(sav, tmp_path: Path) -> None:
    wide = tmp_path / "respondents.csv"
    header = ["QKEY", *(f"Q{k}_W5" for k in range(400)), "WEIGHT_W5"]
    wide.write_text(",".join(header) + "\n" + ",".join("1" for _ in header) + "\n")
    result = run("analyze", str(wide))
    _one_line_error(result, "respondent-level data")
    assert len(result.stderr) < 400
    party = {"Q_W4": [1, 2, 1, 2], "F_PARTYSUM_TYPOLOGY": [1, 2, 1, 2], "WEIGHT_W4": [1] * 4}
    labels = {"Q_W4": {1.0: "A", 2.0: "B"}, "F_PARTYSUM_TYPOLOGY": {1.0: "R", 2.0: "D"}}
    wave = sav(tmp_path / "ATP W4.sav", party, labels)
    _one_line_error(run("analyze", str(wave)), "--types")
    assert "F_PARTYSUM_TYPOLOGY" in run("analyze", str(wave)).stderr
