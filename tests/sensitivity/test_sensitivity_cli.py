"""`socialpref sensitivity` end to end on a real .sav (the demo wave) and a crosstab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialpref.surveys import analyze_question, read_source
from socialpref_cli.main import app

REPO = Path(__file__).resolve().parents[2]
#: ``socialpref sensitivity "data/demo/ATP W900.sav" --json`` as written by socialpref 0.1.0
#: before the sensitivity package (HiGHS for every repair program): the numbers must not move.
GOLDEN = Path(__file__).with_name("data") / "demo_sensitivity.json"
GOLDEN_ATOL = 1e-9
QUESTION_KEYS = {"source", "question", "min_tv", "pair", "distribution", "top_flip"}
SUMMARY_KEYS = {"questions", "kept", "flippable", "top_flips", "median_min_tv"}

runner = CliRunner()


@pytest.fixture(scope="module")
def wave(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo wave (data/demo), or the same wave written afresh with pyreadstat."""
    path = REPO / "data" / "demo" / "ATP W900.sav"
    if path.exists():
        return path
    from data.wavegen import demo_wave, write_wave

    return write_wave(demo_wave(), tmp_path_factory.mktemp("wave") / "ATP W900.sav")


@pytest.fixture(scope="module")
def crosstab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two questions by party: one where NBC's top can be flipped, one with 2 options."""
    rows = ["question,group,option,count"]
    counts = {
        "Rep": (400, 900, 1000, 1700),
        "Dem": (1500, 1300, 1200, 0),
        "Neither": (100, 100, 150, 50),
    }
    for group, cs in counts.items():
        for opt, c in zip(("A", "B", "C", "D"), cs, strict=True):
            rows.append(f"EVLIKE,{group},{opt},{c}")
        rows.append(f"YESNO,{group},Yes,{cs[0]}")
        rows.append(f"YESNO,{group},No,{cs[1]}")
    path = tmp_path_factory.mktemp("xt") / "crosstab.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def assert_close(got: object, want: object, where: str = "$") -> None:
    """Every field of ``want`` in ``got``: numbers within GOLDEN_ATOL, everything else equal.

    ``got`` may hold more fields (the bootstrap, the per-source summaries, the options)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) >= set(want), where
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{where}[{k}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, (int, float)) and abs(got - want) <= GOLDEN_ATOL, (where, got, want)
    else:
        assert got == want, (where, got, want)


def run(*args: str) -> object:
    return runner.invoke(app, ["sensitivity", *args], env={"COLUMNS": "160"})


def test_demo_wave_json_plot_and_tables(wave: Path, tmp_path: Path) -> None:
    out, png = tmp_path / "s.json", tmp_path / "cdf.png"
    res = run(str(wave), "--json", str(out), "--plot", str(png))
    assert res.exit_code == 0, res.output
    payload = json.loads(out.read_text())
    assert_close(payload, json.loads(GOLDEN.read_text()))
    assert set(payload) >= {"questions", "summary"}
    assert set(payload["summary"]) >= SUMMARY_KEYS
    s = payload["summary"]
    assert s["kept"] == len(payload["questions"]) <= s["questions"]
    assert s["flippable"] == sum(q["min_tv"] is not None for q in payload["questions"])
    assert s["top_flips"] == sum(q["top_flip"] for q in payload["questions"])
    for q in payload["questions"]:
        assert set(q) >= QUESTION_KEYS
        if q["min_tv"] is None:
            assert q["pair"] is None and q["distribution"] is None and q["top_flip"] is False
        else:
            assert len(q["pair"]) == 2 and set(q["pair"]) <= set(q["distribution"])
            assert abs(sum(q["distribution"].values()) - 1) < 1e-12
    ev = next(q for q in payload["questions"] if q["question"] == "EVCAR2_W900")
    # the paper's Fig. 1 story: NBC's top (C, "Not too likely") is dethroned by D
    assert ev["pair"] == ["Not too likely", "Not at all likely"] and ev["top_flip"] is True
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Summary" in res.output and "EVCAR2_W900" in res.output
    # the JSON matches the library on the same question
    from socialpref.sensitivity import nbc_sensitivity

    qa = analyze_question(read_source(wave), "EVCAR2_W900")
    lib = nbc_sensitivity(qa.rewards, qa.type_weights)
    assert lib.min_tv is not None and lib.repair_tv is not None
    assert abs(ev["min_tv"] - lib.min_tv) <= 1e-12 and abs(ev["repair_tv"] - lib.repair_tv) <= 1e-12


def test_filters_change_what_is_kept(wave: Path, tmp_path: Path) -> None:
    strict, loose = tmp_path / "a.json", tmp_path / "b.json"
    assert run(str(wave), "--json", str(strict)).exit_code == 0
    res = run(str(wave), "--min-options", "2", "--min-per-option", "0", "--json", str(loose))
    assert res.exit_code == 0, res.output
    a, b = json.loads(strict.read_text()), json.loads(loose.read_text())
    assert a["summary"]["questions"] == b["summary"]["questions"]
    assert (
        a["summary"]["kept"]
        < b["summary"]["kept"]
        == b["summary"]["questions"] - b["summary"]["unanalysable"]
    )


def test_cvxpy_solver_agrees_with_exact(wave: Path, tmp_path: Path) -> None:
    pytest.importorskip("cvxpy")
    ex, cv = tmp_path / "ex.json", tmp_path / "cv.json"
    q = ["-q", "EVCAR2_W900", "-q", "FAVPOL_HARRIS_W900"]
    assert run(str(wave), *q, "--json", str(ex)).exit_code == 0
    res = run(str(wave), *q, "--solver", "cvxpy", "--json", str(cv))
    assert res.exit_code == 0, res.output
    for a, b in zip(
        json.loads(ex.read_text())["questions"],
        json.loads(cv.read_text())["questions"],
        strict=True,
    ):
        assert a["pair"] == b["pair"] and abs(a["min_tv"] - b["min_tv"]) <= 1e-7
        assert abs(a["repair_tv"] - b["repair_tv"]) <= 1e-7


def test_crosstab_and_base_file(crosstab: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    res = run(str(crosstab), "--json", str(out))
    assert res.exit_code == 0, res.output
    payload = json.loads(out.read_text())
    assert [q["question"] for q in payload["questions"]] == ["EVLIKE"]  # YESNO has 2 options
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4}))
    out2 = tmp_path / "y.json"
    res = run(str(crosstab), "-q", "EVLIKE", "--base", str(base), "--json", str(out2))
    assert res.exit_code == 0, res.output
    q = json.loads(out2.read_text())["questions"][0]
    assert q["min_tv"] is None or q["min_tv"] >= 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--solver", "simplex"], "'solver'"),
        (["--eps", "0.3"], "'eps'"),
        (["-q", "NO_SUCH_QUESTION"], "NO_SUCH_QUESTION"),
        (["--base", "missing-base.json"], "missing-base.json"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    wave: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "never.json"
    res = run(str(wave), *args, "--json", str(out))
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert needle in res.output and "Error" in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_base_that_does_not_fit(crosstab: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps([0.5, 0.5]))
    res = run(str(crosstab), "--base", str(base))
    assert res.exit_code == 1 and "'base'" in res.output and "EVLIKE" in res.output


def test_help() -> None:
    res = runner.invoke(app, ["sensitivity", "--help"], env={"COLUMNS": "160"})
    assert res.exit_code == 0
    for opt in ("--question", "--types", "--base", "--solver", "--min-options", "--min-per-option",
                "--json", "--plot"):  # fmt: skip
        assert opt in res.output


def test_a_requested_question_removed_by_the_filters_is_reported(wave: Path) -> None:
    result = run(str(wave), "-q", "BIDENJOB_W900")  # two options: below --min-options 3
    assert result.exit_code == 0, result.output
    assert "BIDENJOB_W900 has 2 options" in result.stderr
    assert "removed by --min-options 3" in result.stderr
