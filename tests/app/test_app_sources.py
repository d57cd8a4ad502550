"""The application layer: one policy for reading, analysing, merging and sweeping many sources."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from socialpref.app import (
    AnalysisOptions,
    SweepOptions,
    analyze_sources,
    sweep_sources,
)
from socialpref.errors import DataError, ParameterError, SocialPrefError
from socialpref.surveys import (
    MissingTypeColumnError,
    analyze_survey,
    read_source,
    survey_sensitivity,
)

#: The layer calls the library with the same arguments: the same numbers, bit for bit is not
#: required, so a tolerance (summation order may only differ in a fresh call).
ATOL = 1e-12


def test_one_source_equals_the_library(wave_set: dict[str, Path]) -> None:
    opts = AnalysisOptions(bootstrap=20, seed=4, beta=0.7)
    run = analyze_sources([wave_set["W900"]], opts)
    lib = analyze_survey(
        read_source(wave_set["W900"]), bootstrap=20, seed=4, targets=True, beta=0.7
    )
    assert [q.question for q in run.questions] == [q.question for q in lib.questions]
    for a, b in zip(run.questions, lib.questions, strict=True):
        np.testing.assert_allclose(a.nbc, b.nbc, atol=ATOL)
        assert a.bootstrap is not None and b.bootstrap is not None
        np.testing.assert_allclose(a.bootstrap.replicate_nbc, b.bootstrap.replicate_nbc, atol=ATOL)
        assert a.target_tops == b.target_tops
    assert run.complete and run.skipped_sources == () and len(run.sources) == 1
    info = run.sources[0]
    assert info.name == "ATP W900.sav" and info.weight_column == "WEIGHT_W900"
    assert run.to_dict()["options"]["seed"] == 4


def test_a_wave_without_the_type_column_is_skipped(wave_set: dict[str, Path]) -> None:
    run = analyze_sources([wave_set["W3"], wave_set["W900"]], AnalysisOptions(bootstrap=0))
    assert not run.complete and [s.name for s in run.sources] == ["ATP W900.sav"]
    (skip,) = run.skipped_sources
    assert skip.source.name == "ATP W3.sav" and skip.error == "MissingTypeColumnError"
    assert "--types" in skip.reason and "F_PARTYSUM_TYPOLOGY" in skip.reason
    assert all(q.source == "ATP W900.sav" for q in run.questions)
    strict = AnalysisOptions(bootstrap=0, strict=True)
    with pytest.raises(MissingTypeColumnError, match="F_PARTYSUM_TYPOLOGY"):
        analyze_sources([wave_set["W900"], wave_set["W3"]], strict)
    with pytest.raises(DataError, match=r"No source could be analysed: ATP W3\.sav"):
        analyze_sources([wave_set["W3"]], AnalysisOptions(bootstrap=0))
    # with the types it has, the old wave is analysed
    typed = AnalysisOptions(bootstrap=0, types="F_PARTYSUM_TYPOLOGY")
    assert analyze_sources([wave_set["W3"]], typed).complete


def test_the_same_source_twice_is_refused(wave_set: dict[str, Path], tmp_path: Path) -> None:
    w = wave_set["W900"]
    with pytest.raises(ParameterError, match="given twice"):
        analyze_sources([w, w])
    with pytest.raises(ParameterError, match="given twice"):
        analyze_sources([w, w.parent / ".." / "demo" / w.name])
    copy = tmp_path / w.name
    shutil.copy(w, copy)
    with pytest.raises(ParameterError, match=r"named 'ATP W900\.sav'"):
        analyze_sources([w, copy])


def test_requested_questions(wave_set: dict[str, Path], tmp_path: Path) -> None:
    both = [wave_set["W900"], wave_set["W3"]]
    opts = AnalysisOptions(bootstrap=0, types="F_PARTYSUM_TYPOLOGY", questions=("EVCAR2_W900",))
    with pytest.raises(MissingTypeColumnError):  # W900 has no F_PARTYSUM_TYPOLOGY: strict
        analyze_sources(both, dataclasses.replace(opts, strict=True))
    with pytest.raises(ParameterError, match="Did you mean: EVCAR2_W900"):
        analyze_sources([wave_set["W900"]], AnalysisOptions(questions=("EVCAR_W900",)))
    # a name one source lacks is listed as absent there, not counted as unanalysable
    ct = tmp_path / "ct.csv"
    ct.write_text(
        "question,group,option,count\nJOB,Rep,Approve,10\nJOB,Rep,Disapprove,30\n"
        "JOB,Dem,Approve,35\nJOB,Dem,Disapprove,5\n"
    )
    run = analyze_sources([wave_set["W900"], ct], AnalysisOptions(questions=("EVCAR2_W900", "JOB")))
    assert [(q.source, q.question) for q in run.questions] == [
        ("ATP W900.sav", "EVCAR2_W900"),
        ("ct.csv", "JOB"),
    ]
    assert {(s.source, s.question, s.kind) for s in run.skipped} == {
        ("ATP W900.sav", "JOB", "absent"),
        ("ct.csv", "EVCAR2_W900", "absent"),
    }
    assert run.unanalysable_by_source == {"ATP W900.sav": 0, "ct.csv": 0}
    assert run.notes == ("ct.csv: no bootstrap for a crosstab (it has no respondents).",)
    # preprocessing='paper' cannot apply to a crosstab: it is skipped, the wave goes on
    paper = analyze_sources([wave_set["W900"], ct], AnalysisOptions(preprocessing="paper"))
    assert [s.source.name for s in paper.skipped_sources] == ["ct.csv"]


def test_many_waves_one_sweep_with_a_row_per_wave(wave_set: dict[str, Path]) -> None:
    sources = [wave_set["W900"], wave_set["W901"], wave_set["W3"]]
    run = sweep_sources(analyze_sources(sources, AnalysisOptions(bootstrap=10)), SweepOptions())
    sens = run.sensitivity
    assert list(sens.by_source) == ["ATP W900.sav", "ATP W901.sav"]
    for key in ("questions", "kept", "flippable", "top_flips", "flips_supported"):
        assert sens.summary[key] == sum(v[key] for v in sens.by_source.values())
    # each wave's row is the sweep of that wave alone
    for name, path in (("ATP W900.sav", wave_set["W900"]), ("ATP W901.sav", wave_set["W901"])):
        alone = analyze_sources([path], AnalysisOptions(bootstrap=10))
        one = survey_sensitivity(alone.questions, skipped=alone.unanalysable_by_source)
        want = {k: v for k, v in one.summary.items() if k not in ("flips_supported", "top_flips_supported")}  # fmt: skip
        got = {k: v for k, v in sens.by_source[name].items() if k in want}
        assert got == want, name
    payload = run.to_dict()
    assert [r["source"] for r in payload["by_source"]] == ["ATP W900.sav", "ATP W901.sav"]
    assert payload["skipped_sources"][0]["source"] == "ATP W3.sav"


def test_base_defaults_to_the_sampling_file(wave_set: dict[str, Path], tmp_path: Path) -> None:
    d = tmp_path / "d.json"
    d.write_text("[0.1, 0.15, 0.3, 0.3, 0.15]")
    opts = AnalysisOptions(bootstrap=0, questions=("EVCAR2_W900",), sampling=d)
    run = sweep_sources(analyze_sources([wave_set["W900"]], opts))
    assert run.base_label == "d"
    (q,) = run.sensitivity.questions
    assert q.result is not None
    np.testing.assert_allclose(q.result.nbc, q.analysis.nbc, atol=ATOL)  # NBC under D both
    uniform = sweep_sources(run.analysis, SweepOptions(base=None))
    assert uniform.base_label == "d"  # None means: the sampling file
    bad = tmp_path / "bad.json"
    bad.write_text("[0.5, 0.5]")
    with pytest.raises(ParameterError, match="'base'"):
        sweep_sources(run.analysis, SweepOptions(base=bad))


def test_filtered_requested_question_is_noted(wave_set: dict[str, Path]) -> None:
    opts = AnalysisOptions(bootstrap=0, questions=("BIDENJOB_W900", "EVCAR2_W900"))
    run = sweep_sources(analyze_sources([wave_set["W900"]], opts))
    assert any("BIDENJOB_W900 has 2 options" in n for n in run.notes)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"preprocessing": "pew"}, "'preprocessing' option"),
        ({"include": ("numbers",)}, "'include' option"),
        ({"bins": 1}, "'bins'"),
        ({"bootstrap": 1}, "'bootstrap'"),
        ({"bootstrap": -3}, "'bootstrap'"),
        ({"seed": -1}, "'seed'"),
        ({"beta": 0.0}, "'beta'"),
        ({"weight": "W", "unweighted": True}, "exclude each other"),
        ({"keep_dk": True, "preprocessing": "paper"}, "'keep_dk'"),
        ({"model": "logit"}, "model"),
    ],
)
def test_bad_analysis_options(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(SocialPrefError, match=needle):
        AnalysisOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"min_options": -1}, "'min_options'"),
        ({"min_per_option": float("nan")}, "'min_per_option'"),
        ({"solver": "simplex"}, "'solver'"),
        ({"eps": 1.5}, "'eps'"),
    ],
)
def test_bad_sweep_options(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ParameterError, match=needle):
        SweepOptions(**kwargs)  # type: ignore[arg-type]


def test_every_option_has_help() -> None:
    for cls in (AnalysisOptions, SweepOptions):
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f.name
    assert set(AnalysisOptions().to_dict()) == {f.name for f in dataclasses.fields(AnalysisOptions)}
