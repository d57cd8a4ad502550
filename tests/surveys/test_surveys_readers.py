"""Readers: real .sav files written with pyreadstat, crosstabs, and every kind of bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialpref.surveys import (
    analyze_survey,
    read_crosstab,
    read_sampling,
    read_source,
    read_wave,
)

ATOL = 1e-12
NAN = float("nan")
PARTY = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Refused/No lean"}
PARTY_OLD = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Ref-no lean"}
WaveWriter = Callable[..., Path]


def test_wave_columns_are_classified(tiny_wave: Path) -> None:
    s = read_wave(tiny_wave)
    assert s.source == "ATP W5.sav" and s.path == tiny_wave and s.kind == "wave"
    # QKEY, admin columns (even labelled ones), weights and the unlabelled column are not questions
    assert s.questions == ("Q1_W5", "Q2_W5")
    kinds = {c.name: c.kind for c in s.columns}
    assert kinds == {
        "QKEY": "id", "INTERVIEW_START_W5": "admin", "DEVICE_TYPE_W5": "admin",
        "LANG_W5": "admin", "Q1_W5": "question", "Q2_W5": "question",
        "NUMERIC_OPEN_W5": "numeric", "F_PARTYSUM_FINAL": "demographic",
        "F_EDUCCAT": "demographic", "WEIGHT_W5": "weight", "WEIGHT_W5_XS": "weight",
    }  # fmt: skip
    assert s.demographics == ("F_PARTYSUM_FINAL", "F_EDUCCAT")
    assert s.question_text("Q1_W5") == "Do you like tests?"
    assert s.options("Q1_W5") == ("Yes", "No", "Maybe")  # code order, Refused excluded
    assert s.weight_column == "WEIGHT_W5" and s.n_bad_weights == 0
    assert s.n_respondents == 10
    assert s.n_answered("Q1_W5") == 8  # one refused, one missing
    assert s.file_label == "test wave"
    np.testing.assert_allclose(s.weights, [1, 2, 1, 1, 1, 2, 1, 3, 1, 0.5], atol=ATOL)


def test_weight_choices(tiny_wave: Path) -> None:
    assert read_wave(tiny_wave, weight="WEIGHT_W5_XS").weight_column == "WEIGHT_W5_XS"
    s = read_wave(tiny_wave, unweighted=True)
    assert s.weights is None and s.weight_column is None
    with pytest.raises(ValueError, match=r"'weight'.*'WEIGHT_W6'.*WEIGHT_W5, WEIGHT_W5_XS"):
        read_wave(tiny_wave, weight="WEIGHT_W6")
    with pytest.raises(ValueError, match="not both"):
        read_wave(tiny_wave, weight="WEIGHT_W5", unweighted=True)


def test_missing_main_weight_is_an_error(sav: WaveWriter, tmp_path: Path) -> None:
    p = sav(
        tmp_path / "ATP W7.sav",
        {"QKEY": [1, 2], "Q_W7": [1, 2], "WEIGHT_W8": [1, 1], "WEIGHT_W9": [1, 1]},
        {"Q_W7": {1.0: "A", 2.0: "B"}},
    )
    with pytest.raises(ValueError, match=r"no main weight column WEIGHT_W7.*WEIGHT_W8, WEIGHT_W9"):
        read_wave(p)
    assert read_wave(p, unweighted=True).weights is None


def test_main_weight_found_without_wave_number_in_name(sav: WaveWriter, tmp_path: Path) -> None:
    p = sav(
        tmp_path / "survey.sav",
        {"Q_W3": [1, 2], "WEIGHT_W3": [1, 2]},
        {"Q_W3": {1.0: "A", 2.0: "B"}},
    )
    assert read_wave(p).weight_column == "WEIGHT_W3"


def test_bad_weights(sav: WaveWriter, tmp_path: Path) -> None:
    cols = {"Q_W1": [1, 2, 1, 2], "F_PARTYSUM_FINAL": [1, 2, 1, 2]}
    labels = {"Q_W1": {1.0: "A", 2.0: "B"}, "F_PARTYSUM_FINAL": PARTY}
    p = sav(tmp_path / "ATP W1.sav", {**cols, "WEIGHT_W1": [1, 0, NAN, 2]}, labels)
    s = read_wave(p)
    assert s.n_bad_weights == 2  # reported, and excluded from analyses
    p = sav(tmp_path / "ATP W1.sav", {**cols, "WEIGHT_W1": [0, 0, NAN, 0]}, labels)
    with pytest.raises(ValueError, match="no positive weight"):
        read_wave(p)
    p = sav(tmp_path / "ATP W1.sav", {**cols, "WEIGHT_W1": [1, -1, 1, 1]}, labels)
    with pytest.raises(ValueError, match="negative"):
        read_wave(p)


def test_refused_and_missing_codes_come_from_labels(sav: WaveWriter, tmp_path: Path) -> None:
    # code 98 is "Refused" here and 99 is a real answer; 7 is declared user-missing
    p = sav(
        tmp_path / "ATP W2.sav",
        {"Q_W2": [1, 2, 98, 99, 7, 1], "WEIGHT_W2": [1] * 6},
        {
            "Q_W2": {
                1.0: "A",
                2.0: "B",
                7.0: "Other (write-in)",
                98.0: "Refused (VOL.)",
                99.0: "Other",
            }
        },
        missing_ranges={"Q_W2": [7]},
    )
    s = read_wave(p)
    var = s.question("Q_W2")
    assert var.codes == (1.0, 2.0, 7.0, 98.0, 99.0)
    assert var.status == ("answer", "answer", "missing", "refused", "answer")
    assert var.declared == (False, False, True, False, False)
    assert s.options("Q_W2") == ("A", "B", "Other")


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("nothere.sav", None, FileNotFoundError, "No such file"),
        ("wave.txt", b"hello", ValueError, r"not a SPSS \.sav or Stata \.dta file"),
        ("empty.sav", b"", ValueError, "empty file"),
        ("garbage.sav", b"this is not spss at all" * 10, ValueError, r"not an SPSS \.sav file"),
        (
            "header.sav",
            b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 20,
            ValueError,
            "corrupt or truncated",
        ),
    ],
)
def test_bad_files(
    tmp_path: Path, name: str, content: bytes | None, error: type, match: str
) -> None:
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(error, match=match):
        read_wave(p)


def test_truncated_file(tiny_wave: Path, tmp_path: Path) -> None:
    data = tiny_wave.read_bytes()
    for cut in (len(data) // 3, len(data) - 40):
        p = tmp_path / "cut.sav"
        p.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated"):
            read_wave(p)


def test_directory_and_zero_rows(sav: WaveWriter, tmp_path: Path) -> None:
    d = tmp_path / "dir.sav"
    d.mkdir()
    with pytest.raises(ValueError, match="directory"):
        read_wave(d)
    p = sav(tmp_path / "ATP W4.sav", {"Q_W4": [], "WEIGHT_W4": []}, {"Q_W4": {1.0: "A"}})
    with pytest.raises(ValueError, match="no respondents"):
        read_wave(p)


def _crosstab(tmp_path: Path, rows: list[tuple], text: bool = True, name: str = "x.csv") -> Path:
    cols = ["question", "group", "option", "count"] + (["question_text"] if text else [])
    frame = pd.DataFrame([r if text else r[:4] for r in rows], columns=cols)
    p = tmp_path / name
    if p.suffix == ".csv":
        frame.to_csv(p, index=False)
    else:
        frame.to_parquet(p)
    return p


CROSSTAB_ROWS = [
    ("EV", "Rep", "Likely", 10.5, "Buy an EV?"),
    ("EV", "Rep", "Unlikely", 30.0, "Buy an EV?"),
    ("EV", "Dem", "Likely", 25.0, "Buy an EV?"),
    ("EV", "Dem", "Unlikely", 5.0, "Buy an EV?"),
    ("EV", "Dem", "Refused", 2.0, "Buy an EV?"),
    ("EV", "Dem", "Likely", 5.0, "Buy an EV?"),  # repeated: summed
    ("JOB", "Dem", "Approve", 8.0, None),
    ("JOB", "Rep", "Approve", 1.0, None),
    ("JOB", "Rep", "Disapprove", 9.0, None),
]


@pytest.mark.parametrize("name", ["x.csv", "x.parquet"])
def test_crosstab(tmp_path: Path, name: str) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    s = read_source(_crosstab(tmp_path, CROSSTAB_ROWS, name=name))
    assert s.kind == "crosstab" and s.source == name
    assert s.questions == ("EV", "JOB") and s.groups == ("Rep", "Dem") and s.demographics == ()
    assert s.question_text("EV") == "Buy an EV?" and s.question_text("JOB") == "JOB"
    assert s.options("EV") == ("Likely", "Unlikely")
    ev = s.question("EV")
    assert ev.counts is not None
    np.testing.assert_allclose(ev.counts, [[10.5, 30.0, 0.0], [30.0, 5.0, 2.0]], atol=ATOL)
    assert s.n_answered("EV") == 76  # 10.5 + 30 + 30 + 5 rounded, Refused excluded


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"question": ["q"], "group": ["g"], "option": ["o"]}), "lacks the column"),
        (
            pd.DataFrame({"question": ["q"], "group": ["g"], "option": ["o"], "count": [-1]}),
            "negative",
        ),
        (
            pd.DataFrame({"question": ["q"], "group": ["g"], "option": ["o"], "count": ["x"]}),
            "non-numeric",
        ),
        (
            pd.DataFrame({"question": ["q"], "group": [None], "option": ["o"], "count": [1]}),
            "empty 'group'",
        ),
        (pd.DataFrame({"question": [], "group": [], "option": [], "count": []}), "no rows"),
    ],
)
def test_bad_crosstabs(tmp_path: Path, frame: pd.DataFrame, match: str) -> None:
    p = tmp_path / "bad.csv"
    frame.to_csv(p, index=False)
    with pytest.raises(ValueError, match=match):
        read_crosstab(p)


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        p = tmp_path / "x.parquet"
        p.write_bytes(b"PAR1 not really")
        with pytest.raises(ValueError, match="needs pyarrow"):
            read_crosstab(p)
    else:
        p = _crosstab(tmp_path, CROSSTAB_ROWS, name="x.parquet")
        assert read_crosstab(p).questions == ("EV", "JOB")


def test_read_source_dispatch(tmp_path: Path, tiny_wave: Path) -> None:
    assert read_source(tiny_wave).kind == "wave"
    assert read_source(tiny_wave, unweighted=True).weights is None
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    with pytest.raises(ValueError, match=r"Unknown kind of source 'notes.txt'"):
        read_source(p)
    with pytest.raises(FileNotFoundError):
        read_source(tmp_path / "missing.json")
    ct = _crosstab(tmp_path, CROSSTAB_ROWS)
    with pytest.raises(ValueError, match="crosstab"):
        read_source(ct, weight="W")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty file"):
        read_source(tmp_path / "empty.csv")


def test_read_sampling(tmp_path: Path) -> None:
    p = tmp_path / "d.json"
    p.write_text("[0.25, 0.75]")
    assert read_sampling(p) == [0.25, 0.75]
    p.write_text('{"sampling": {"A": 0.5, "B": 0.5}}')
    assert read_sampling(p) == {"A": 0.5, "B": 0.5}
    p.write_text('{"A": "x"}')
    with pytest.raises(ValueError, match="JSON list"):
        read_sampling(p)
    p.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_sampling(p)


def test_parquet_rows_are_read_by_position_not_index(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    rows = [("Q", "R", "A", 5.0), ("Q", "R", "B", 3.0), ("Q", "R", "C", 2.0)]
    rows += [("Q", "D", "A", 1.0), ("Q", "D", "B", 3.0), ("Q", "D", "C", 6.0)]
    frame = pd.DataFrame(rows, columns=["question", "group", "option", "count"])
    shuffled = tmp_path / "sorted.parquet"
    frame.sort_values("count").to_parquet(shuffled)  # keeps a non-default index
    relabelled = tmp_path / "relabelled.parquet"
    frame.set_axis(range(10, 16)).to_parquet(relabelled)
    for path in (shuffled, relabelled):
        qa = analyze_survey(read_crosstab(path)).questions[0]
        order = [qa.types.index("R"), qa.types.index("D")]
        cols = [qa.options.index(o) for o in ("A", "B", "C")]
        np.testing.assert_allclose(qa.shares[order][:, cols], [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])


def test_categorical_column_is_not_a_weight(tiny_wave: Path) -> None:
    with pytest.raises(ValueError, match=r"'F_EDUCCAT', a column with value labels"):
        read_wave(tiny_wave, weight="F_EDUCCAT")


def test_answer_index_is_int32_and_never_wraps(sav: WaveWriter, tmp_path: Path) -> None:
    # 40,000 distinct values (a measurement): indices beyond 32,767 stay positive
    values = np.arange(80_000, dtype=np.float64) % 40_000
    cols = {"Q_W5": np.resize([1.0, 2.0], values.size), "NUM_W5": values}
    p = sav(tmp_path / "ATP W5.sav", cols, {"Q_W5": {1.0: "A", 2.0: "B"}})
    s = read_wave(p, unweighted=True, cache=False)
    var = s.variables["NUM_W5"]
    assert var.kind == "numeric" and var.n_codes == 40_000
    assert var.answers is not None and var.answers.dtype == np.int32
    assert var.answers.min() == 0 and var.answers.max() == 39_999
    np.testing.assert_array_equal(np.asarray(var.codes)[var.answers], values)
    assert s.variables["Q_W5"].answers.dtype == np.int32  # type: ignore[union-attr]


def test_date_out_of_range_is_a_corrupt_file(tmp_path: Path) -> None:
    import pyreadstat

    frame = pd.DataFrame({"Q_W5": [1.0, 2.0], "INTERVIEW_START_W5": [1e15, 2.0]})
    p = tmp_path / "ATP W5.sav"
    pyreadstat.write_sav(frame, str(p), variable_format={"INTERVIEW_START_W5": "DATETIME20"})
    with pytest.raises(
        ValueError, match=r"'ATP W5\.sav' is a corrupt .*a date or time out of range"
    ):
        read_wave(p, unweighted=True, cache=False)


def test_read_source_passes_check_and_cache(sav: WaveWriter, tmp_path: Path) -> None:
    q = [1.0, 2.0, 1.0, 0.5]
    p = sav(
        tmp_path / "ATP W5.sav", {"Q_W5": q, "WEIGHT_W5": [1.0] * 4}, {"Q_W5": {1.0: "A", 2.0: "B"}}
    )
    with pytest.raises(ValueError, match="looks damaged"):
        read_source(p, cache=False)
    assert read_source(p, check=False, cache=False).variables["Q_W5"].codes == (0.5, 1.0, 2.0)
    ct = _crosstab(tmp_path, CROSSTAB_ROWS)
    assert read_source(ct, check=False, cache=False).questions == ("EV", "JOB")
