"""The report of several waves: a row per wave beside the pooled one, the skipped wave, every
option in the provenance, the targets' section and the uncertainty, all from the typed results."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialpref.app import AnalysisOptions, SweepOptions
from socialpref_cli.constants import EXIT_SKIPPED
from socialpref_cli.main import app

runner = CliRunner()
#: Tables print 4 decimals.
TABLE_ATOL = 5.01e-5


def _table(markdown: str, heading: str, first_header: str) -> list[dict[str, str]]:
    """The first table under ``## heading`` whose first column is ``first_header``."""
    body = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = body.splitlines()
    for k, line in enumerate(lines):
        if line.startswith(f"| {first_header} |"):
            head = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows = []
            for row in lines[k + 2 :]:
                if not row.startswith("| "):
                    break
                rows.append(dict(zip(head, [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]], strict=True)))  # fmt: skip
            return rows
    raise AssertionError(f"no table with {first_header!r} under {heading!r}")


@pytest.fixture(scope="module")
def multi(wave_set: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("multi") / "report"
    args = ["report", str(wave_set["W900"]), str(wave_set["W901"]), str(wave_set["W3"]),
            "--out", str(out), "--bootstrap", "20", "--seed", "7", "--weight", "WEIGHT_W900",
            "--beta", "0.5", "--min-options", "3", "--keep-dk", "-q", "EVCAR2_W900",
            "-q", "COVIDRESP_W900", "-q", "ECON1_W900"]  # fmt: skip
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    return {
        "result": res,
        "md": (out / "report.md").read_text(),
        "json": json.loads((out / "report.json").read_text()),
    }


def test_exit_status_and_the_skipped_wave(multi: dict) -> None:
    res = multi["result"]
    assert res.exit_code == EXIT_SKIPPED, res.output
    assert "ATP W3.sav" in res.stderr
    md, data = multi["md"], multi["json"]
    assert "### Sources not analysed" in md and "F_PARTYSUM_TYPOLOGY" in md
    assert [s["source"] for s in data["skipped_sources"]] == ["ATP W3.sav"]
    assert [s["name"] for s in data["sources"]] == ["ATP W900.sav", "ATP W901.sav"]


def test_a_row_per_wave_beside_the_pooled_one(multi: dict) -> None:
    md, data = multi["md"], multi["json"]
    rows = _table(md, "Summary", "Source")
    # the pooled row is bold (markup, not the literal asterisks of an escaped cell)
    assert [r["Source"] for r in rows] == ["`ATP W900.sav`", "`ATP W901.sav`", "**all (pooled)**"]
    sweep = _table(md, "Summary", "Source")  # the first: the sources
    assert int(sweep[2]["Questions analysed"]) == len(data["questions"])
    sens_rows = {r["Source"]: r for r in _sweep_rows(md)}
    by_source = {r["source"]: r for r in data["sensitivity"]["by_source"]}
    for name, summ in by_source.items():
        row = sens_rows[f"`{name}`"]
        assert int(row["Kept by the filters"]) == summ["kept"]
        assert int(row["Flippable"]) == summ["flippable"]
        assert int(row["Flips supported"]) == summ["flips_supported"]
    pooled = sens_rows["**all (pooled)**"]
    assert int(pooled["Kept by the filters"]) == data["sensitivity"]["summary"]["kept"]
    objectives = {r["Source"]: r for r in _table(md, "Which objective chooses what", "Source")}
    for r in data["objectives"]["by_source"]:
        row = objectives[f"`{r['source']}`"]
        assert int(row["Targets disagree"]) == r["disagree"]
        assert int(row["NBC != average"]) == r["pairs"]["average_reward vs nbc"]
    assert int(objectives["**all (pooled)**"]["Questions"]) == len(data["questions"])


def _sweep_rows(md: str) -> list[dict[str, str]]:
    body = md.split("## Summary\n", 1)[1].split("\n## ", 1)[0]
    second = body.split("| Source | Questions | Kept by the filters", 1)[1]
    return _table("## X\n| Source | Questions | Kept by the filters" + second, "X", "Source")


def test_every_option_is_in_the_provenance(multi: dict) -> None:
    options = multi["json"]["provenance"]["options"]
    assert options["weight"] == "WEIGHT_W900"
    assert options["weight columns used"] == "ATP W900.sav: WEIGHT_W900; ATP W901.sav: WEIGHT_W900"
    assert options["bootstrap"] == 20 and options["seed"] == 7 and options["beta"] == 0.5
    assert options["keep_dk"] is True and options["filter min_options"] == 3
    names = {"types", "questions", "model", "sampling", "unweighted", "preprocessing",
             "include", "bins", "drop_no_lean", "strict", "base", "solver", "eps", "delta",
             "filter min_per_option"}  # fmt: skip
    assert names <= set(options)
    # every field of both option classes is recorded
    fields = set(AnalysisOptions().to_dict()) | set(SweepOptions().to_dict())
    recorded = {k.removeprefix("filter ") for k in options}
    assert fields <= recorded
    assert multi["json"]["provenance"]["seed"] == 7
    assert "WEIGHT_W900" in multi["md"].split("## Provenance", 1)[1]


def test_uncertainty_and_targets_sections(multi: dict) -> None:
    md, data = multi["md"], multi["json"]
    design = _table(md, "Uncertainty", "Source")
    assert len(design) == len(data["questions"])
    for row, q in zip(design, data["questions"], strict=True):
        assert row["Question"] == q["question"]
        moe = q["design"]["margin_of_error"]
        assert row["Margin of error (points)"] == f"±{100 * moe:.1f}"
    assert "20 replicates (seed 7)" in md
    shown = _table(md, "Which objective chooses what", "Source")
    assert shown  # the per-wave counts


def test_the_report_refuses_what_the_commands_refuse(
    wave_set: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", str(wave_set["W900"]), "--out", str(out), "--bins", "1"])
    assert res.exit_code == 1 and "'bins'" in res.output and not out.exists()
