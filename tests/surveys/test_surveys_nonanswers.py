"""Non-answers in the analysis: never options by default, DK with keep_dk, the paper's rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyreadstat
import pytest

from data.wavegen import LABELS_AT_99, LABELS_ELSEWHERE
from socialpref.errors import DataError, ParameterError
from socialpref.surveys import (
    MissingTypeColumnError,
    analyze_question,
    analyze_survey,
    answer_status,
    read_source,
    read_wave,
)

ATOL = 1e-12
OPTIONS = ("Agree", "Disagree", "Neither")


def _nonanswer_questions() -> list[tuple[str, float, str]]:
    out = [(f"NA99_{k + 1:02d}_W5", 99.0, lab) for k, lab in enumerate(LABELS_AT_99)]
    out += [(f"NAELSE_{k + 1:02d}_W5", c, lab) for k, (c, lab) in enumerate(LABELS_ELSEWHERE)]
    return out


def test_non_answers_are_never_options_by_default(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    result = analyze_survey(s, [q for q, _, _ in _nonanswer_questions()])
    assert not result.skipped
    for qa, (name, code, label) in zip(result.questions, _nonanswer_questions(), strict=True):
        assert qa.question == name
        substantive = OPTIONS[:2] if code == 3.0 else OPTIONS
        assert qa.options == substantive, (name, label)


def test_keep_dk_keeps_dont_know_only(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    for name, code, label in _nonanswer_questions():
        qa = analyze_question(s, name, keep_dk=True)
        substantive = OPTIONS[:2] if code == 3.0 else OPTIONS
        extra = (label,) if answer_status(label) == "dk" else ()
        assert qa.options == substantive + extra, (name, label)
    dk = analyze_question(s, "DKQ_W5", keep_dk=True)
    assert dk.options == ("Yes", "No", "Don't know")  # "Refused" at 99 never
    assert analyze_question(s, "DKQ_W5").options == ("Yes", "No")


def test_paper_rule_drops_99_and_declared_missing(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    for name, code, label in _nonanswer_questions():
        qa = analyze_question(s, name, preprocessing="paper")
        substantive = OPTIONS[:2] if code == 3.0 else OPTIONS
        kept = set() if code == 99.0 else {label}  # options in code order: "Not asked" is 0
        assert set(qa.options) == set(substantive) | kept and len(qa.options) == len(
            substantive
        ) + len(kept), name
    assert analyze_question(s, "UNLAB99_W5", preprocessing="paper").options == ("Yes", "No")
    # the code the file declares user-missing is dropped too (pyreadstat's default read it as
    # NaN in the paper's code)
    assert analyze_question(s, "DECL_W5", preprocessing="paper").options == ("Yes", "No")
    assert analyze_question(s, "DECL_W5").options == ("Yes", "No")
    with pytest.raises(ParameterError, match="keep_dk"):
        analyze_question(s, "DKQ_W5", preprocessing="paper", keep_dk=True)
    with pytest.raises(ParameterError, match="preprocessing"):
        analyze_question(s, "DKQ_W5", preprocessing="pew")  # type: ignore[arg-type]


def test_unlabelled_99_is_pews_non_answer(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    var = s.question("UNLAB99_W5")
    assert var.labels == ("Yes", "No", "99") and var.status == ("answer", "answer", "refused")
    assert analyze_question(s, "UNLAB99_W5").options == ("Yes", "No")
    # in a numeric column 99 is a value: a thermometer's 99 is warm, not a refusal
    therm = s.question("THERM1_W5")
    assert therm.status[therm.codes.index(99.0)] == "answer"
    assert therm.status[therm.codes.index(999.0)] == "refused"


def test_shares_match_an_independent_count(varied_paths: dict[str, Path]) -> None:
    """Default rule against pandas: drop every non-answer code and empty answers by hand."""
    df, meta = pyreadstat.read_sav(str(varied_paths[".sav"]), user_missing=True)
    s = read_wave(varied_paths[".sav"])
    for qa in analyze_survey(s, [q for q, _, _ in _nonanswer_questions()]).questions:
        labels = meta.variable_value_labels[qa.question]
        bad = [c for c, lab in labels.items() if answer_status(lab) != "answer"]
        sub = df[df[qa.question].notna() & ~df[qa.question].isin(bad)]
        c = sub.groupby(["F_PARTYSUM_FINAL", qa.question])["WEIGHT_W5"].sum().unstack(fill_value=0)
        np.testing.assert_allclose(c.div(c.sum(axis=1), axis=0).to_numpy(), qa.shares, atol=ATOL)
        assert qa.n_respondents == len(sub)


def test_types_drop_non_answers_and_keep_no_lean(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    qa = analyze_question(s, "CANOE_W5", types="F_AGECAT")
    assert qa.types == ("18-29", "30-64", "65+")  # "Refused" is no type
    party = analyze_question(s, "CANOE_W5")
    assert party.types[-1] == "DK/Refused/No lean"  # the paper's third type stays
    paper = analyze_question(s, "CANOE_W5", types="F_AGECAT", preprocessing="paper")
    assert paper.types == ("18-29", "30-64", "65+")  # 99 dropped by both rules


def test_dta_reads_like_sav(varied_paths: dict[str, Path]) -> None:
    sav, dta = read_wave(varied_paths[".sav"]), read_wave(varied_paths[".dta"])
    assert dta.source == "ATP W5.dta" and dta.weight_column == "WEIGHT_W5"
    same = [q for q in sav.questions if q in dta.questions and q != "DECL_W5"]
    assert len(same) >= 25
    a, b = analyze_survey(sav, same), analyze_survey(dta, same)
    for x, y in zip(a.questions, b.questions, strict=True):
        assert x.options == y.options and x.types == y.types
        np.testing.assert_allclose(x.shares, y.shares, atol=1e-9)
        np.testing.assert_allclose(x.nbc, y.nbc, atol=1e-9)


def test_bad_dta(tmp_path: Path) -> None:
    p = tmp_path / "ATP W1.dta"
    p.write_bytes(b"this is not stata" * 10)
    with pytest.raises(DataError, match=r"not a Stata \.dta file"):
        read_source(p)
    p.write_bytes(b"<stata_dta><header>" + b"\x00" * 30)
    with pytest.raises(DataError, match=r"corrupt or truncated \.dta"):
        read_source(p)


def test_missing_type_column_names_the_option_and_the_nearest_columns(sav, tmp_path: Path) -> None:
    n = 12
    cols = {
        "Q_W3": [1 + k % 2 for k in range(n)],
        "F_PARTYSUM_TYPOLOGY": [1 + k % 3 for k in range(n)],
        "F_PARTY_FINAL": [1 + k % 3 for k in range(n)],
        "F_PARTYLN_FINAL": [1 + k % 2 for k in range(n)],
        "F_AGECAT": [1 + k % 2 for k in range(n)],
        "WEIGHT_W3": [1.0] * n,
    }
    labels = {
        "Q_W3": {1.0: "A", 2.0: "B"},
        "F_PARTYSUM_TYPOLOGY": {1.0: "Rep", 2.0: "Dem", 3.0: "Other"},
        "F_PARTY_FINAL": {1.0: "Republican", 2.0: "Democrat", 3.0: "Independent"},
        "F_PARTYLN_FINAL": {1.0: "Rep", 2.0: "Dem"},
        "F_AGECAT": {1.0: "Young", 2.0: "Old"},
    }
    s = read_wave(sav(tmp_path / "ATP W3.sav", cols, labels))
    with pytest.raises(MissingTypeColumnError) as info:
        analyze_survey(s, bootstrap=50, seed=0)
    err = info.value
    assert isinstance(err, DataError)
    assert err.missing == ("F_PARTYSUM_FINAL",) and err.source == "ATP W3.sav"
    assert {"F_PARTYSUM_TYPOLOGY", "F_PARTY_FINAL", "F_PARTYLN_FINAL"} <= set(err.suggestions)
    assert len(set(err.suggestions)) == len(err.suggestions)
    message = str(err)
    assert "--types" in message and "F_PARTYSUM_TYPOLOGY" in message and len(message) < 300
    assert analyze_question(s, "Q_W3", types="F_PARTYSUM_TYPOLOGY").types == ("Rep", "Dem", "Other")


def test_respondent_level_csv_is_a_short_error(tmp_path: Path) -> None:
    p = tmp_path / "wave.csv"
    header = ["QKEY", *(f"QUESTION_NUMBER_{k}_W5" for k in range(300)), "WEIGHT_W5"]
    p.write_text(",".join(header) + "\n" + ",".join("1" for _ in header) + "\n")
    with pytest.raises(DataError, match="respondent-level data") as info:
        read_source(p)
    assert len(str(info.value)) < 400 and "302 columns" in str(info.value)
