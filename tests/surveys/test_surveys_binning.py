"""Which columns an analysis takes: include, bins, the paper's columns; skipped with reasons."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyreadstat
import pytest

from socialpref.errors import ParameterError
from socialpref.surveys import (
    AnswerRule,
    analyze_question,
    analyze_survey,
    bin_variable,
    read_wave,
)
from socialpref.surveys.columns import PAPER_ADMIN

ATOL = 1e-12


def test_default_skips_every_non_question_with_its_class(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    r = analyze_survey(s)
    assert {q.question for q in r.questions} == set(s.questions)
    assert not r.unanalysable
    excluded = {k.question: k for k in r.excluded}
    roles = {"QKEY", "F_PARTYSUM_FINAL", "F_AGECAT", "WEIGHT_W5", "WEIGHT_W5_XS"}
    assert set(excluded) == {c.name for c in s.columns} - set(s.questions) - roles
    assert excluded["THERM1_W5"].kind == "numeric"
    assert "--include-kind numeric" in excluded["THERM1_W5"].reason
    assert excluded["OPENTEXT_W5"].kind == "text" and "--include-kind" not in excluded["OPENTEXT_W5"].reason  # fmt: skip
    assert [k.question for k in r.skipped] == [
        c.name for c in s.columns if c.name in excluded
    ]  # file order


def test_include_brings_classes_back(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    r = analyze_survey(s, include="numeric,open-ended")
    analysed = {q.question: q for q in r.questions}
    assert {"THERM1_W5", "KNOSCT27_1_W5", "NATCHROE1_W5", "EXCITEOE_W5_OE3"} <= set(analysed)
    assert analysed["THERM1_W5"].kind == "numeric"
    assert "Refused" not in analysed["THERM1_W5"].options  # 999 "Refused" stays out
    assert len(analysed["CHRNAT1OE1_W5"].options) == 43  # "Don't know/No answer" stays out
    assert "FLAG_W5" not in analysed and "KNOW_RECODE_B_W5" not in analysed
    assert analyze_survey(s, include=["admin", "derived"]).questions
    with pytest.raises(ParameterError, match="include"):
        analyze_survey(s, include="thermometers")
    with pytest.raises(ParameterError, match="include-kind numeric"):
        analyze_question(s, "THERM1_W5")
    assert analyze_question(s, "THERM1_W5", include="numeric").question == "THERM1_W5"
    # an explicit name of an excluded class is skipped, with the way to include it
    one = analyze_survey(s, ["THERM1_W5", "CANOE_W5"])
    assert [q.question for q in one.questions] == ["CANOE_W5"]
    assert one.skipped[0].excluded and "include" in one.skipped[0].reason


def test_bins_equal_counts_by_hand(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    var = s.question("KNOSCT27_1_W5")
    binned = bin_variable(var, 3)
    df, _ = pyreadstat.read_sav(str(varied_paths[".sav"]))
    values = df["KNOSCT27_1_W5"].to_numpy()
    # equal-count cut by hand: code c goes to floor(3 * (respondents below c) / total)
    codes, counts = np.unique(values[~np.isnan(values)], return_counts=True)
    below = np.cumsum(counts) - counts
    which = np.minimum(2, (3 * below) // counts.sum())
    expected = [
        f"{codes[which == b].min():g}-{codes[which == b].max():g}"
        if codes[which == b].size > 1
        else f"{codes[which == b].min():g}"
        for b in np.unique(which)
    ]
    assert binned.labels == tuple(expected)
    per_bin = np.bincount(binned.answers[binned.answers >= 0], minlength=len(expected))
    assert per_bin.sum() == np.count_nonzero(~np.isnan(values))
    assert per_bin.min() > 0.15 * per_bin.sum()  # roughly equal counts
    qa = analyze_question(s, "KNOSCT27_1_W5", include="numeric", bins=3)
    assert qa.options == binned.labels


def test_bins_leave_non_answers_out() -> None:
    from socialpref.surveys import Variable

    answers = np.array([0, 1, 2, 3, 4, 4, -1], dtype=np.int16)
    var = Variable(
        "AGE_W1", "Age", (20.0, 30.0, 40.0, 50.0, 99.0), ("20", "30", "40", "50", "Refused"),
        ("answer", "answer", "answer", "answer", "refused"), answers=answers,
    )  # fmt: skip
    b = bin_variable(var, 2)
    assert b.labels == ("20-30", "40-50") and b.answers.tolist() == [0, 0, 1, 1, -1, -1, -1]
    paper = bin_variable(var, 2, AnswerRule(preprocessing="paper"))  # 99 is dropped there too
    assert paper.answers.tolist() == [0, 0, 1, 1, -1, -1, -1]
    with pytest.raises(ParameterError, match="bins"):
        bin_variable(var, 1)


def test_bins_need_numeric_included(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    with pytest.raises(ParameterError, match="include-kind numeric"):
        analyze_survey(s, bins=4)


def test_paper_preprocessing_analyses_the_papers_columns(varied_paths: dict[str, Path]) -> None:
    s = read_wave(varied_paths[".sav"])
    r = analyze_survey(s, preprocessing="paper")
    analysed = {q.question for q in r.questions} | {k.question for k in r.unanalysable}
    assert {"THERM1_W5", "NATCHROE1_W5", "LANGUAGE_W5", "INDEXSUM_W5"} <= analysed
    stems = {re.sub(r"_W\d+$", "", n.upper()) for n in analysed}
    assert stems.isdisjoint(PAPER_ADMIN)  # Device_Type_W5, FORM_W5, XTABLET_W5 are not analysed
    assert {"OWNAGE_1_W5", "KNOW_RECODE_B_W5"}.isdisjoint(analysed)  # no value labels
    with pytest.raises(ParameterError, match="include"):
        analyze_survey(s, preprocessing="paper", include="numeric")
