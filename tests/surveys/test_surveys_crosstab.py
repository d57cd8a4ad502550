"""The vectorised crosstab reader against a brute-force reading, and its labels and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialpref.errors import DataError
from socialpref.surveys import analyze_survey, read_crosstab
from socialpref.surveys.checks import MAX_CODES

ATOL = 1e-9
LABELS = ["A", "B", "None", "NA", "null", "nan", "N/A", "Refused", "1", "-", "Don't know"]


def brute_force(rows: list[tuple[str, str, str, float]]) -> dict[str, object]:
    """Questions, groups, options per question and count matrices, by dictionaries."""
    questions: dict[str, dict[str, int]] = {}
    groups: dict[str, int] = {}
    cells: dict[tuple[str, str, str], float] = {}
    for q, g, o, c in rows:
        opts = questions.setdefault(q, {})
        opts.setdefault(o, len(opts))
        groups.setdefault(g, len(groups))
        cells[q, g, o] = cells.get((q, g, o), 0.0) + c
    mats = {}
    for q, opts in questions.items():
        m = np.zeros((len(groups), len(opts)))
        for (qq, g, o), c in cells.items():
            if qq == q:
                m[groups[g], opts[o]] = c
        mats[q] = m
    return {
        "questions": tuple(questions),
        "groups": tuple(groups),
        "options": {q: tuple(o) for q, o in questions.items()},
        "counts": mats,
    }


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["Q1", "Q2", "NA", "None", "Q 3"]),
        st.sampled_from(["Rep", "Dem", "NA", "None", "Total"]),
        st.sampled_from(LABELS),
        st.floats(0, 1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, suffix=st.sampled_from([".csv", ".parquet"]))
def test_reader_equals_brute_force(tmp_path: Path, rows: list, suffix: str) -> None:
    frame = pd.DataFrame(rows, columns=["question", "group", "option", "count"])
    p = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        frame.to_csv(p, index=False)
    else:
        pytest.importorskip("pyarrow")
        frame.to_parquet(p)
    s = read_crosstab(p)
    want = brute_force(rows)
    assert s.questions == want["questions"] and s.groups == want["groups"]
    for q in s.questions:
        var = s.variables[q]
        assert var.labels == want["options"][q]  # type: ignore[index]
        assert var.codes == tuple(float(k + 1) for k in range(len(var.labels)))
        assert var.counts is not None
        np.testing.assert_allclose(var.counts, want["counts"][q], rtol=1e-12, atol=ATOL)  # type: ignore[index]


def test_labels_are_read_as_written(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text(
        "question,group,option,count,question_text\n"
        "Q,NA,None,4,\nQ,NA,Some,6,Is it?\nQ,Rep,None,10,Ignored\nQ,Rep,Some,5,\n"
        "Q,Dem,None,3,\nQ,Dem,Some,9,\nnull,Rep,nan,1,\nnull,Rep,N/A,2,\nnull,Dem,nan,2,\n"
    )
    s = read_crosstab(p)
    assert s.questions == ("Q", "null") and s.groups == ("NA", "Rep", "Dem")
    assert s.question_text("Q") == "Is it?" and s.question_text("null") == "null"
    assert s.options("Q") == ("None", "Some") and s.variables["null"].labels == ("nan", "N/A")
    assert s.variables["null"].status == ("answer", "missing")  # "N/A": a label, a non-answer
    qa = analyze_survey(s, ["Q"]).questions[0]
    assert qa.types == ("Rep", "Dem")  # a group called "NA" is kept as a label, never a type
    np.testing.assert_allclose(qa.shares, [[10 / 15, 5 / 15], [3 / 12, 9 / 12]], atol=ATOL)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("Q,,A,1\n", r"empty 'group' in data row 2"),
        ("Q,R, ,1\n", r"empty 'option' in data row 2"),
        (" ,R,A,1\n", r"empty 'question' in data row 2"),
        ("Q,R,A,\n", r"non-numeric count in data row 2: ''"),
        ("Q,R,A,NA\n", r"non-numeric count in data row 2: 'NA'"),
        ("Q,R,A,nan\n", r"missing or infinite count in data row 2: nan"),
        ("Q,R,A,-inf\n", r"missing or infinite count in data row 2: -inf"),
        ("Q,R,A,1e308\n", r"counts too large to add up \(largest 1e\+308, in data row 1\)"),
    ],
)
def test_bad_cells_name_the_row(tmp_path: Path, body: str, match: str) -> None:
    p = tmp_path / "x.csv"
    p.write_text("question,group,option,count\nQ,R,A,1e308\n" + body)
    with pytest.raises(DataError, match=rf"Crosstab 'x\.csv' has .*{match}"):
        read_crosstab(p)


def test_parquet_labels_of_other_types_are_text(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame(
        {
            "question": [7, 7, 7, 7],
            "group": [1, 1, 2, 2],
            "option": ["A", "B", "A", "B"],
            "count": ["1", "2", "3", "4"],  # counts written as text are numbers
        }
    )
    p = tmp_path / "x.parquet"
    frame.to_parquet(p)
    s = read_crosstab(p)
    assert s.questions == ("7",) and s.groups == ("1", "2")
    np.testing.assert_allclose(s.variables["7"].counts, [[1, 2], [3, 4]], atol=ATOL)


def test_too_many_options_or_groups(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    rows = [("Q", "R", f"O{k}", 1.0) for k in range(MAX_CODES + 1)]
    pd.DataFrame(rows, columns=["question", "group", "option", "count"]).to_csv(p, index=False)
    with pytest.raises(
        DataError, match=rf"Question 'Q' of crosstab 'x\.csv' has {MAX_CODES + 1:,}"
    ):
        read_crosstab(p)
    assert len(read_crosstab(p, check=False).options("Q")) == MAX_CODES + 1
    rows = [("Q", f"G{k}", "A", 1.0) for k in range(MAX_CODES + 1)]
    pd.DataFrame(rows, columns=["question", "group", "option", "count"]).to_csv(p, index=False)
    with pytest.raises(DataError, match=rf"has {MAX_CODES + 1:,} groups, more than"):
        read_crosstab(p)


def test_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_crosstab.py"
    spec = importlib.util.spec_from_file_location("bench_crosstab", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "identical questions, groups, options, texts and counts: True" in out
    assert "ratio" in out
