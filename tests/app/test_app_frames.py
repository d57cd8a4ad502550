"""DataFrames of every result: labelled rows and columns, the same numbers as the results.

Run on the demo wave (a real ``.sav``) and on a second wave, through the application layer
(what the commands and the report run); the README's three-line example runs as written.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialpref.app import AnalysisOptions, SweepRun, analyze_sources, sweep_sources

REPO = Path(__file__).resolve().parents[2]
#: The frames copy the results' floats: they are equal, not only close.
ATOL = 0.0


@pytest.fixture(scope="module")
def run(wave_set: dict[str, Path]) -> SweepRun:
    sources = [wave_set["W900"], wave_set["W901"]]
    return sweep_sources(analyze_sources(sources, AnalysisOptions(bootstrap=20, seed=3)))


def test_question_by_option_frame(run: SweepRun) -> None:
    frame = run.analysis.to_frame()
    assert frame.index.names == ["source", "question", "option"]
    questions = run.analysis.questions
    assert len(frame) == sum(len(q.options) for q in questions)
    assert list(frame.index.get_level_values("source").unique()) == ["ATP W900.sav", "ATP W901.sav"]
    for q in questions:
        block = frame.xs((q.source, q.question), level=("source", "question"))
        assert list(block.index) == list(q.options)  # the option order of the question
        np.testing.assert_allclose(block["nbc"], q.nbc, atol=ATOL, rtol=0)
        np.testing.assert_allclose(block["average_reward"], q.average_reward, atol=ATOL, rtol=0)
        np.testing.assert_allclose(block["nbc_low"], q.bootstrap.nbc_low, atol=ATOL, rtol=0)
        assert list(block["nbc_rank"]) == list(q.comparison.nbc_ranking)
    assert frame["tops_differ_supported"].dtype == "boolean"
    assert frame.reset_index().to_dict("records") == [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in run.analysis.merged.to_rows()
    ]


def test_one_question_indexed_by_its_option_labels(run: SweepRun) -> None:
    analysis = run.analysis.merged
    q = analysis["ATP W900.sav", "EVCAR2_W900"]  # a result indexed by source and name ...
    frame = q.to_frame()
    assert frame.index.name == "option" and list(frame.index) == list(q.options)
    k = q.index_of("Not too likely")  # ... and by option label
    assert frame.loc["Not too likely", "nbc"] == q.nbc[k]
    for u, t in enumerate(q.types):
        np.testing.assert_allclose(frame[f"share: {t}"], q.shares[u], atol=ATOL, rtol=0)
        np.testing.assert_allclose(frame[f"reward: {t}"], q.rewards[u], atol=ATOL, rtol=0)
    with pytest.raises(KeyError, match="Very likely"):  # the message lists the labels
        q.index_of("Maybe")
    with pytest.raises(KeyError, match="No analysed question 'NOPE'"):
        analysis["NOPE"]
    skipped = analysis.skipped[0]
    with pytest.raises(KeyError, match="skipped"):
        analysis[skipped.question]


def test_sweep_frame_has_a_row_per_question(run: SweepRun) -> None:
    frame = run.to_frame()
    sens = run.sensitivity
    assert frame.index.names == ["source", "question"]
    assert len(frame) == len(sens.questions) and frame.index.is_unique
    for q in sens.questions:
        row = frame.loc[(q.analysis.source, q.analysis.question)]
        assert row["kept"] == q.kept
        assert row["tops_differ"] == q.analysis.tops_differ
        assert row["nbc_top"] == "; ".join(
            q.analysis.options[i] for i in q.analysis.comparison.nbc_top
        )
        res = q.result
        if res is None or res.min_tv is None:
            assert math.isnan(row["min_tv"]) and pd.isna(row["pair_above"])
        else:
            assert row["min_tv"] == res.min_tv
            assert (row["pair_above"], row["pair_below"]) == (
                q.analysis.options[res.pair[0]],
                q.analysis.options[res.pair[1]],
            )
            assert row["flip_verdict"] == q.flip_verdict
    assert sens["ATP W900.sav", "EVCAR2_W900"].analysis.question == "EVCAR2_W900"
    assert frame["kept"].sum() == sens.summary["kept"]
    assert int(frame.loc[frame["kept"], "min_tv"].notna().sum()) == sens.summary["flippable"]


def test_readme_example_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's three lines from a .sav path to a DataFrame."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [
        b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "to_frame()" in b
    ]
    assert blocks, "the README shows a DataFrame example"
    code = blocks[0]
    assert ".sav" in code and len([line for line in code.splitlines() if line.strip()]) == 3
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    frame = namespace["frame"]
    assert isinstance(frame, pd.DataFrame) and len(frame) == 20  # the demo wave's questions


def test_a_question_in_several_sources_is_indexed_by_source(tmp_path: Path) -> None:
    from data.wavegen import random_wave, write_wave

    waves = [
        write_wave(random_wave(300, 3, seed, wave=905), tmp_path / f"ATP W905 part {seed}.sav")
        for seed in (1, 2)
    ]
    run = sweep_sources(analyze_sources(waves, AnalysisOptions(bootstrap=0)))
    name = run.analysis.merged.questions[0].question
    first, second = (w.name for w in waves)
    for results in (run.analysis.merged, run.sensitivity):
        with pytest.raises(KeyError, match=re.escape(f"'{first}', '{second}'")):
            results[name]  # the name alone is ambiguous: both sources are named
        with pytest.raises(KeyError, match=r"No .*'NOPE' in"):
            results[first, "NOPE"]
    assert run.analysis.merged[second, name].source == second
    assert run.sensitivity[first, name].analysis.source == first
