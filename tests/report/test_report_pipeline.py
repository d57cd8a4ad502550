"""End to end: `socialpref report` on the demo wave and on a crosstab, and `socialpref demo`.

The tables of report.md must carry the same numbers as the JSON of `socialpref surveys analyze`
and `socialpref sensitivity`; every linked figure must be a PNG that matplotlib reads; two runs
give the same markdown except the date line and the same PNG bytes; an existing folder that
socialpref did not write is left untouched unless --force.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from socialpref.app import AnalysisOptions
from socialpref.report import MARKER, build_survey_report, demo_wave_path
from socialpref.report.layout import DPI, MAX_SIZE
from socialpref.report.provenance import DATE_LABEL
from socialpref_cli.main import app

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Tables print 4 decimals (Kendall tau 3): allow half a unit of the last digit.
TABLE_ATOL = 5.01e-5
TAU_ATOL = 5.01e-4

runner = CliRunner()

# EV-like question (paper Fig. 1 / Fig. 8 pattern): mediocre C first by NBC, D by average reward.
EV_SHARES = {
    "Rep": [0.02, 0.04, 0.25, 0.63, 0.06],
    "Dem": [0.21, 0.30, 0.23, 0.13, 0.13],
    "Neither": [0.05, 0.12, 0.25, 0.26, 0.32],
}
EV_OPTIONS = [
    "Very likely",
    "Somewhat likely",
    "Not too likely",
    "Not at all likely",
    "Not buying a vehicle",
]


def _crosstab(path: Path) -> Path:
    lines = ["question,group,option,count,question_text"]
    sizes = {"Rep": 1800, "Dem": 1900, "Neither": 280}
    for group, shares in EV_SHARES.items():
        for opt, s in zip(EV_OPTIONS, shares, strict=True):
            lines.append(
                f'EVCAR,{group},{opt},{s * sizes[group]:.1f},"How likely are you to buy an EV?"'
            )
    for group, counts in {
        "Rep": [500, 700, 600],
        "Dem": [650, 650, 600],
        "Neither": [100, 90, 90],
    }.items():
        for opt, c in zip(["More", "Same", "Less"], counts, strict=True):
            lines.append(f'SPEND,{group},{opt},{c},"Should the government spend more | less?"')
    for group, counts in {"Rep": [30, 20], "Dem": [25, 25], "Neither": [5, 5]}.items():
        for opt, c in zip(["Yes", "No"], counts, strict=True):
            lines.append(f"SMALL,{group},{opt},{c},Yes or no?")
    path.write_text("\n".join(lines) + "\n")
    return path


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _tables(markdown: str) -> dict[str, list[list[dict[str, str]]]]:
    """Tables by the heading above them: {heading: [[{column: cell}]]}."""
    out: dict[str, list[list[dict[str, str]]]] = {}
    heading = ""
    lines = markdown.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        is_rule = k + 1 < len(lines) and lines[k + 1].startswith(("| :", "| -"))
        if line.startswith("| ") and is_rule:
            head = _cells(line)
            rows = []
            k += 2
            while k < len(lines) and lines[k].startswith("| "):
                rows.append(dict(zip(head, _cells(lines[k]), strict=True)))
                k += 1
            out.setdefault(heading, []).append(rows)
            continue
        k += 1
    return out


def _cells(line: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def _num(cell: str) -> float | None:
    return None if cell in ("-", "n/a") else float(cell)


def _link_name(cell: str) -> str:
    m = re.fullmatch(r"\[([^\]]+)\]\(#[^)]+\)", cell)
    return m.group(1) if m else cell


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("sources")
    return {"demo": demo_wave_path(), "crosstab": _crosstab(tmp / "crosstab.csv")}


@pytest.fixture(scope="module")
def runs(sources, tmp_path_factory) -> dict[str, dict]:
    """Each source reported twice into the same folder, with the JSON of the other commands.

    The demo wave goes through `socialpref demo --out`, the crosstab through `socialpref report`.
    """
    out: dict[str, dict] = {}
    for name, src in sources.items():
        tmp = tmp_path_factory.mktemp(name)
        folder = tmp / "report"
        args = ["demo"] if name == "demo" else ["report", str(src)]
        first = _invoke(*args, "--out", str(folder))
        assert first.exit_code == 0, first.output
        md1 = (folder / "report.md").read_text()
        pngs1 = {p.name: p.read_bytes() for p in (folder / "figures").iterdir()}
        second = _invoke(*args, "--out", str(folder))  # replaces its own report
        assert second.exit_code == 0, second.output
        analyze = _invoke("surveys", "analyze", str(src), "--json", str(tmp / "analyze.json"))
        assert analyze.exit_code == 0, analyze.output
        sens = _invoke("sensitivity", str(src), "--json", str(tmp / "sensitivity.json"))
        assert sens.exit_code == 0, sens.output
        out[name] = {
            "folder": folder,
            "stdout": first.output,
            "md1": md1,
            "pngs1": pngs1,
            "analyze": json.loads((tmp / "analyze.json").read_text()),
            "sensitivity": json.loads((tmp / "sensitivity.json").read_text()),
        }
    return out


@pytest.mark.parametrize("name", ["demo", "crosstab"])
def test_every_linked_figure_is_a_readable_png(runs, name):
    run = runs[name]
    folder = run["folder"]
    md = (folder / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert any("min-tv-cdf" in link for link in links)
    assert any(link.endswith("-ranks.png") for link in links)
    for link in links:
        assert not link.startswith("/") and ".." not in link  # relative: the folder can move
        data = (folder / link.replace("%20", " ")).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        img = mpimg.imread(io.BytesIO(data), format="png")
        assert img.shape[0] >= 300 and img.shape[1] >= 500
        # within the size cap, and nothing clipped: no ink on the image's border
        assert img.shape[0] <= MAX_SIZE[1] * DPI and img.shape[1] <= MAX_SIZE[0] * DPI
        rgb = img[..., :3]
        border = np.concatenate([rgb[:2].reshape(-1, 3), rgb[-2:].reshape(-1, 3),
                                 rgb[:, :2].reshape(-1, 3), rgb[:, -2:].reshape(-1, 3)])  # fmt: skip
        assert border.min() > 0.95, link
    # nothing but linked figures in figures/
    assert sorted(p.name for p in (folder / "figures").iterdir()) == sorted(
        Path(link).name for link in links
    )
    assert (folder / MARKER).is_file()
    assert "report.md" in run["stdout"]


@pytest.mark.parametrize("name", ["demo", "crosstab"])
def test_tables_match_surveys_analyze_json(runs, name):
    run = runs[name]
    md = (run["folder"] / "report.md").read_text()
    tables = _tables(md)
    questions = {q["question"]: q for q in run["analyze"]["questions"]}
    overview = {_link_name(r["Question"]): r for r in tables["All questions"][0]}
    assert set(overview) == set(questions)
    for qname, q in questions.items():
        row = overview[qname]
        assert int(row["Options"]) == len(q["options"])
        assert int(row["Respondents"]) == q["n_respondents"]
        assert row["Average-reward top"].split(": ", 1)[1] == q["average_top"]
        assert row["NBC top"].split(": ", 1)[1] == q["nbc_top"]
        if q["kendall_tau"] is not None:
            assert abs(float(row["Kendall tau"]) - q["kendall_tau"]) <= TAU_ATOL
    detailed = {h.split(" (")[0]: t[0] for h, t in tables.items() if h.split(" (")[0] in questions}
    assert detailed  # the demo and the crosstab both have discordant questions
    summary = tables["Summary"][0]
    assert int(summary[0]["Questions analysed"]) == len(questions)
    assert int(summary[0]["NBC top != average top"]) == sum(
        q["tops_differ"] for q in questions.values()
    )
    for qname, rows in detailed.items():
        q = questions[qname]
        assert [r["Option"].split(": ", 1)[1] for r in rows] == q["options"]
        for i, r in enumerate(rows):
            for u, t in enumerate(q["types"]):
                assert abs(float(r[f"Share {t}"]) - q["shares"][u][i]) <= TABLE_ATOL
                assert abs(float(r[f"Reward {t}"]) - q["rewards"][u][i]) <= TABLE_ATOL
            assert abs(float(r["Average reward"]) - q["average_reward"][i]) <= TABLE_ATOL
            assert abs(float(r["NBC (uniform)"]) - q["nbc"][i]) <= TABLE_ATOL


@pytest.mark.parametrize("name", ["demo", "crosstab"])
def test_tables_match_sensitivity_json(runs, name):
    run = runs[name]
    md = (run["folder"] / "report.md").read_text()
    tables = _tables(md)
    sens = run["sensitivity"]
    overview = {_link_name(r["Question"]): r for r in tables["All questions"][0]}
    for q in sens["questions"]:
        row = overview[q["question"]]
        assert row["In sweep"] == "yes"
        if q["min_tv"] is None:
            assert row["Minimal TV"] == "-"
        else:
            assert abs(float(row["Minimal TV"]) - q["min_tv"]) <= TABLE_ATOL
            assert row["Flip (j over i)"] == f"{q['pair'][1]} over {q['pair'][0]}"
        assert (row["Top flips"] == "yes") == bool(q["top_flip"])
        heading = [h for h in tables if h.startswith(q["question"] + " (")]
        if heading and q["distribution"] is not None:
            rows = tables[heading[0]][0]
            for r in rows:
                opt = r["Option"].split(": ", 1)[1]
                assert abs(float(r["Flipping distribution"]) - q["distribution"][opt]) <= TABLE_ATOL
    kept = {q["question"] for q in sens["questions"]}
    assert {k for k, r in overview.items() if r["In sweep"] == "yes"} == kept
    s = sens["summary"]
    row = tables["Summary"][1][0]
    assert int(row["Kept by the filters"]) == s["kept"]
    assert int(row["Flippable"]) == s["flippable"]
    assert int(row["Top-choice changes"]) == s["top_flips"]
    if s["median_min_tv"] is None:
        assert row["Median minimal TV"] == "-"
    else:
        assert abs(float(row["Median minimal TV"]) - s["median_min_tv"]) <= TABLE_ATOL


@pytest.mark.parametrize("name", ["demo", "crosstab"])
def test_report_json_holds_the_sensitivity_json(runs, name):
    """One sweep (socialpref.surveys.survey_sensitivity): same summary, same kept rows."""
    run = runs[name]
    sens = json.loads((run["folder"] / "report.json").read_text())["sensitivity"]
    assert sens["summary"] == run["sensitivity"]["summary"]
    unanalysable = [s for s in run["analyze"]["skipped"] if not s["excluded"]]
    assert sens["summary"]["questions"] == len(run["analyze"]["questions"]) + len(unanalysable)
    rows = [{k: v for k, v in q.items() if k != "repair_feasible"} for q in sens["questions"]]
    assert rows == run["sensitivity"]["questions"]


@pytest.mark.parametrize("name", ["demo", "crosstab"])
def test_two_runs_are_identical_but_the_date(runs, name):
    run = runs[name]
    folder = run["folder"]
    a = run["md1"].splitlines()
    b = (folder / "report.md").read_text().splitlines()
    assert len(a) == len(b)
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert all(x.startswith(f"| {DATE_LABEL} |") for x, _ in diff)
    assert sum(line.startswith(f"| {DATE_LABEL} |") for line in a) == 1
    assert {p.name: p.read_bytes() for p in (folder / "figures").iterdir()} == run["pngs1"]
    report_json = json.loads((folder / "report.json").read_text())
    assert [q["question"] for q in report_json["questions"]] == [
        q["question"] for q in run["analyze"]["questions"]
    ]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_with_other_files_is_never_replaced(sources, tmp_path, force):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "draft.md").write_text("my notes")
    result = runner.invoke(app, ["report", str(sources["crosstab"]), "--out", str(folder), *force])
    assert result.exit_code == 1
    assert "draft.md" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["draft.md"]
    assert (folder / "draft.md").read_text() == "my notes"
    assert [p.name for p in tmp_path.iterdir()] == ["notes"]  # no temporary folder left


def test_question_option_and_bad_input(sources, tmp_path):
    result = _invoke(
        "report", str(sources["crosstab"]), "--out", str(tmp_path / "r"), "-q", "SPEND"
    )
    assert result.exit_code == 0, result.output
    md = (tmp_path / "r" / "report.md").read_text()
    assert "### SPEND (crosstab.csv)" in md and "EVCAR" not in md
    bad = runner.invoke(
        app, ["report", str(sources["crosstab"]), "--out", str(tmp_path / "b"), "-q", "NOPE"]
    )
    assert bad.exit_code == 1 and "NOPE" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "b").exists()
    missing = runner.invoke(
        app, ["report", str(tmp_path / "none.sav"), "--out", str(tmp_path / "c")]
    )
    assert missing.exit_code != 0 and not (tmp_path / "c").exists()


def test_include_sections_render(sources, tmp_path):
    ce = tmp_path / "ce.json"
    ce.write_text(
        json.dumps(
            {
                "name": "mediocrity",
                "claim": "C",
                "rewards": [[0, 1, 4], [4, 1, 0], [0, 1, 0]],
                "type_weights": [1 / 3] * 3,
                "options": ["short", "med", "long"],
                "types": ["A", "B", "C"],
                "sampling": None,
                "model": "bt",
                "nbc": [0.45, 0.6, 0.45],
                "average_reward": [4 / 3, 1, 4 / 3],
                "holds": True,
            }
        )
    )
    result = _invoke(
        "report", str(sources["crosstab"]), "--out", str(tmp_path / "r"), "--include", str(ce)
    )
    assert result.exit_code == 0, result.output
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Included results" in md and "### Counterexample: mediocrity" in md
    assert str(ce) in md  # the include is listed in the provenance with its SHA-256


def test_demo_command_reports_the_demo_wave(runs):
    md = (runs["demo"]["folder"] / "report.md").read_text()
    assert "`socialpref demo`" in md
    assert "| socialpref/data/ATP W900.sav |" in md  # package data, named the same anywhere
    assert "SYNTHETIC" in md  # the wave's file label says what it is
    assert "report.md" in runs["demo"]["stdout"]


def test_commands_have_help():
    for cmd in ("report", "demo"):
        result = _invoke(cmd, "--help")
        assert result.exit_code == 0 and "--force" in result.output


def test_combined_types_reach_the_analysis_and_the_provenance(sources):
    options = AnalysisOptions(questions=("EVCAR2_W900",), types="F_PARTYSUM_FINAL,F_GENDER")
    report = build_survey_report([sources["demo"]], options)
    (entry,) = report.questions
    assert all(" | " in t for t in entry.analysis.types)  # combined type labels
    assert len(entry.analysis.types) > 3
    assert report.provenance.options["types"] == "F_PARTYSUM_FINAL,F_GENDER"
    assert report.focus == ("EVCAR2_W900",)
    assert [q.analysis.question for q in report.detailed()] == ["EVCAR2_W900"]


def test_missing_demo_wave_says_what_to_do(tmp_path, monkeypatch):
    import importlib.resources

    from socialpref.report import pipeline

    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(FileNotFoundError, match="pip install -e"):
        pipeline.demo_wave_path()
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 1 and "demo wave" in result.output
    assert not (tmp_path / "d").exists()
