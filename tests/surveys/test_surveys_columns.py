"""Column classes: every kind of column of real ATP waves, in .sav and .dta files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socialpref.surveys import classify_column, read_wave
from socialpref.surveys.columns import MIN_OPEN_ENDED_CODES, MIN_UNLABELLED, is_paper_question

#: The class of every column of data.wavegen.varied_wave (wave 5).
EXPECTED = {
    "QKEY": "id",
    **{f"NA99_{k:02d}_W5": "question" for k in range(1, 14)},
    **{f"NAELSE_{k:02d}_W5": "question" for k in range(1, 9)},
    "DKQ_W5": "question",
    "UNLAB99_W5": "question",
    "DECL_W5": "question",
    "CANOE_W5": "question",
    "THERM1_W5": "numeric",
    "SHOOTAGE_1_W5": "numeric",
    "OWNAGE_1_W5": "numeric",
    "WAITVOTEOE_MINUTES_W5": "numeric",
    "KNOSCT27_1_W5": "numeric",
    "RATE_W5": "numeric",
    "SCORE_W5": "numeric",  # measure 'scale' and an unlabelled code (.sav only)
    "SCORE2_W5": "question",
    "NATCHROE1_W5": "open-ended",
    "CHRNAT1OE1_W5": "open-ended",
    "DEMNOMOE1_W5": "open-ended",
    "EXCITEOE_W5_OE1": "open-ended",
    "EXCITEOE_W5_OE2": "open-ended",
    "EXCITEOE_W5_OE3": "open-ended",
    "LANGUAGE_W5": "admin",
    "FLAG_W5": "admin",
    "Device_Type_W5": "admin",
    "NEW_Device_Type_W5": "admin",
    "XCODE_W5": "admin",
    "XTABLET_W5": "admin",
    "FORM_W5": "admin",
    "INTERVIEW_START_W5": "admin",
    "INTERVIEW_END_W5": "admin",
    "DURATION_W5": "admin",
    "ECON_RECODE_A_W5": "question",
    "POLSUM_W5": "question",
    "KNOW_RECODE_B_W5": "derived",
    "INDEXSUM_W5": "derived",
    "OPENTEXT_W5": "text",
    "F_PARTYSUM_FINAL": "demographic",
    "F_AGECAT": "demographic",
    "WEIGHT_W5": "weight",
    "WEIGHT_W5_XS": "weight",
}


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_every_column_of_the_varied_wave(varied_paths: dict[str, Path], suffix: str) -> None:
    s = read_wave(varied_paths[suffix])
    got = {c.name: c.kind for c in s.columns}
    expected = dict(EXPECTED)
    if suffix == ".dta":
        expected["SCORE_W5"] = "question"  # Stata has no measure level: labels decide
    assert got == expected
    assert s.questions == tuple(n for n, k in expected.items() if k == "question")
    for c in s.columns:
        assert (c.reason == "") == (c.kind == "question"), c
    # every coded column can be analysed on request; text and dates cannot
    assert "OPENTEXT_W5" not in s.variables and "INTERVIEW_START_W5" not in s.variables
    assert {"THERM1_W5", "NATCHROE1_W5", "FLAG_W5", "KNOW_RECODE_B_W5"} <= set(s.variables)


def test_reasons_say_what_the_column_is(varied_paths: dict[str, Path]) -> None:
    cols = {c.name: c for c in read_wave(varied_paths[".sav"]).columns}
    assert "102 distinct values" in cols["THERM1_W5"].reason  # 0-100 and 999
    assert cols["THERM1_W5"].n_unlabelled == 98  # 0, 50, 100 labelled; 999 is "Refused"
    assert "43 codes" in cols["CHRNAT1OE1_W5"].reason
    assert cols["FLAG_W5"].reason == "data-quality flag"
    assert cols["XCODE_W5"].reason == "sample or preload flag (X*)"
    assert "SPSS measure 'scale'" in cols["SCORE_W5"].reason
    assert cols["SCORE_W5"].measure == "scale" and cols["SCORE2_W5"].measure == "nominal"
    assert "derived recode or summary" in cols["INDEXSUM_W5"].reason


def _codes(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_numeric_threshold() -> None:
    labels = {1.0: "Low", 5.0: "High", 99.0: "Refused"}
    # two unlabelled codes among four observed substantive ones: still a question
    two = classify_column("Q_W1", _codes(1, 2, 3, 5, 99), labels)
    assert two.kind == "question" and two.n_unlabelled == MIN_UNLABELLED - 1
    # three unlabelled codes, half of the observed ones: a measurement
    three = classify_column("Q_W1", _codes(1, 2, 3, 4, 5, 5, 99), labels)
    assert three.kind == "numeric" and three.n_unlabelled == MIN_UNLABELLED
    # three unlabelled codes among many labelled ones: a stray code or two, still a question
    many = {float(k): f"Option {k}" for k in range(1, 11)}
    assert classify_column("Q_W1", _codes(*range(1, 11), 11, 12, 13), many).kind == "question"
    # a declared user-missing or non-answer code is not an unlabelled substantive code
    assert (
        classify_column("Q_W1", _codes(1, 5, 97, 98), labels, declared=((97.0, 98.0),)).kind
        == "question"
    )


def test_measure_fractions_and_dates() -> None:
    labels = {1.0: "A", 2.0: "B", 3.0: "C"}
    assert classify_column("Q_W1", _codes(1, 2, 3, 4), labels).kind == "question"
    assert classify_column("Q_W1", _codes(1, 2, 3, 4), labels, measure="scale").kind == "numeric"
    assert classify_column("Q_W1", _codes(1, 2, 3), labels, measure="scale").kind == "question"
    assert classify_column("Q_W1", _codes(1, 2, 2.5), labels).kind == "numeric"
    assert classify_column("Q_W1", _codes(1, 2), {}).kind == "numeric"  # no labels at all
    when = classify_column("STARTED_W1", _codes(1.6e9, 1.7e9), {}, format="DATETIME20")
    assert when.kind == "admin" and "date" in when.reason
    assert classify_column("T_W1", np.array(["a", "b"], dtype=object)).kind == "text"


def test_open_ended_needs_a_code_frame() -> None:
    frame = {float(k): f"Mention {k}" for k in range(1, MIN_OPEN_ENDED_CODES + 1)}
    values = _codes(*frame)
    assert classify_column("WHYOE1_W1", values, frame).kind == "open-ended"
    assert classify_column("WHY_W1_OE2", values, frame).kind == "open-ended"
    small = dict(list(frame.items())[: MIN_OPEN_ENDED_CODES - 1])
    assert classify_column("WHYOE1_W1", _codes(*small), small).kind == "question"
    assert classify_column("SHOES_W1", values, frame).kind == "question"  # OE not ending a part


def test_admin_and_derived_names() -> None:
    two = {1.0: "One", 2.0: "Two"}
    v = _codes(1, 2)
    for name in ("LANG_W9", "LANGUAGE_W9", "FLAG_W9", "DEVICE_TYPE_W9", "new_device_type_w9",
                 "XCODE_W9", "XPANEL", "FORM_W9", "FORM2_W9"):  # fmt: skip
        assert classify_column(name, v, two).kind == "admin", name
    for name in ("FORMAL_W9", "LANGUAGES", "CONSUMER_W9", "FLAGPOLE_W9", "DATEOK_W9"):
        assert classify_column(name, v, two).kind == "question", name
    # timing names are admin unless they hold a labelled categorical answer
    assert classify_column("INTERVIEW_DATE_W9", _codes(1, 2, 3, 4, 5), {}).kind == "admin"
    assert classify_column("DATE_W9", v, two).kind == "question"
    # derived: a question when labelled categorical, else "derived"
    assert classify_column("PARTYSUM_W9", v, two).kind == "question"
    assert classify_column("PARTYSUM_W9", _codes(0, 1, 2, 3), {}).kind == "derived"
    assert classify_column("KNOW_RECODE_W9", _codes(1, 2, 3, 4), {1.0: "Low"}).kind == "derived"


def test_paper_columns(varied_paths: dict[str, Path]) -> None:
    """The reference code analysed every labelled column but the id, weights, F_* and ten names."""
    s = read_wave(varied_paths[".sav"])
    paper = {c.name for c in s.columns if is_paper_question(c)}
    assert {"THERM1_W5", "NATCHROE1_W5", "LANGUAGE_W5", "FLAG_W5", "NEW_Device_Type_W5"} <= paper
    assert {
        "XTABLET_W5",
        "FORM_W5",
        "Device_Type_W5",
        "OWNAGE_1_W5",
        "KNOW_RECODE_B_W5",
    }.isdisjoint(paper)
    assert not any(n.startswith(("F_", "WEIGHT", "QKEY")) for n in paper)
