"""Plausibility checks: damaged columns, too many codes, overflowing weights, type columns."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref.errors import DataError
from socialpref.surveys import analyze_survey, read_wave
from socialpref.surveys.checks import (
    MAX_ABS_CODE,
    MAX_CODES,
    code_problem,
    type_problem,
    weight_problem,
)
from socialpref.surveys.survey import Variable, format_code

PARTY = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Refused/No lean"}


def _var(values: list[float], labels: dict[float, str], status: dict[float, str] | None = None):
    """A Variable as the reader builds it, and which of its codes are labelled."""
    vals = np.asarray(values, dtype=np.float64)
    codes = np.union1d(np.unique(vals[~np.isnan(vals)]), list(labels))
    answers = np.full(vals.size, -1, dtype=np.int32)
    ok = ~np.isnan(vals)
    answers[ok] = np.searchsorted(codes, vals[ok])
    var = Variable(
        "Q",
        "Q",
        tuple(codes.tolist()),
        tuple(labels.get(c, format_code(c)) for c in codes),
        tuple((status or {}).get(c, "answer") for c in codes),  # type: ignore[misc]
        answers=answers,
    )
    return var, np.asarray([c in labels for c in codes])


def test_code_problem_names_odd_codes() -> None:
    var, labelled = _var([1, 2, 1, 2, 1, 2, 8.6e-05, 1.4e10], {1.0: "A", 2.0: "B"})
    assert code_problem(var, labelled) == (
        "2 unlabelled codes that are not small integers (8.6e-05, 1.4e+10; 2 answers)"
    )
    big, labelled = _var([1, 2, 1, 2, MAX_ABS_CODE + 1], {1.0: "A", 2.0: "B"})
    assert "not a small integer (1e+06" in str(code_problem(big, labelled))


def test_code_problem_accepts_healthy_columns() -> None:
    # every code labelled; an unlabelled Pew 99 (a non-answer); a user-missing code
    assert code_problem(*_var([1, 2, 3, 1, np.nan], {1.0: "A", 2.0: "B", 3.0: "C"})) is None
    var, labelled = _var([1, 2, 99.5, 1], {1.0: "A", 2.0: "B"}, status={99.5: "refused"})
    assert code_problem(var, labelled) is None
    # a thermometer labelled at 0, 50 and 100 is a measurement: fractional values are fine
    therm = [float(x) for x in range(101)] + [37.5]
    assert code_problem(*_var(therm, {0.0: "Cold", 50.0: "Neutral", 100.0: "Warm"})) is None
    # unlabelled integer codes in a categorical column are plausible (a stray answer)
    assert code_problem(*_var([1, 2, 1, 2, 7], {1.0: "A", 2.0: "B"})) is None
    # no labels at all: a measurement
    assert code_problem(*_var([0.5, 1.5, 1e9], {})) is None


def test_code_problem_too_many_codes() -> None:
    codes = np.arange(1.0, MAX_CODES + 1)
    at_limit, labelled = _var(list(codes), {float(c): f"O{c:g}" for c in codes})
    assert code_problem(at_limit, labelled) is None
    codes = np.arange(1.0, MAX_CODES + 2)
    over, labelled = _var(list(codes), {float(c): f"O{c:g}" for c in codes})
    assert code_problem(over, labelled) == (
        f"{MAX_CODES + 1:,} distinct codes, more than the {MAX_CODES:,} options or types a "
        "categorical column can have"
    )


@given(
    st.lists(st.integers(-1000, 1000), min_size=2, max_size=40, unique=True),
    st.integers(0, 2**32 - 1),
)
def test_labelled_integer_columns_are_plausible(codes: list[int], seed: int) -> None:
    """Property: a column whose observed codes are all labelled small integers is never flagged."""
    rng = np.random.default_rng(seed)
    values = rng.choice(np.asarray(codes, dtype=np.float64), 60)
    labels = {float(c): f"label {c}" for c in codes}
    assert code_problem(*_var(list(values), labels)) is None


def test_weight_problem() -> None:
    assert weight_problem(np.array([0.5, 2.0, 1e100])) is None
    assert (
        weight_problem(np.array([1e154, 1e154])) == "weights too large to add up (largest 1e+154)"
    )
    assert weight_problem(np.array([1e308, 1e308])) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning escapes
        weight_problem(np.array([1e308] * 3))


def test_type_problem() -> None:
    party, _ = _var([1, 2, 9, 1, 2], PARTY)
    assert type_problem(party) is None
    region, _ = _var([1, 2, 3, 4, 1], {})  # no labels: categories named by their codes
    assert type_problem(region) is None
    age, _ = _var([float(a) for a in range(18, 98)], {97.0: "97 or older"})
    assert "most of its values have no label (79 of 80" in str(type_problem(age))
    many, _ = _var([float(a) for a in range(MAX_CODES + 1)], {})
    assert f"{MAX_CODES + 1:,} distinct values" in str(type_problem(many))


def test_damaged_wave_is_refused_naming_type_columns_first(sav, tmp_path: Path) -> None:
    n = 40
    q = np.resize([1.0, 2.0], n)
    q[3] = 0.437
    party = np.resize([1.0, 2.0, 9.0], n)
    party[5] = 1.4e10
    cols = {"Q1_W5": q, "F_PARTYSUM_FINAL": party, "WEIGHT_W5": np.ones(n)}
    labels = {"Q1_W5": {1.0: "A", 2.0: "B"}, "F_PARTYSUM_FINAL": PARTY}
    p = sav(tmp_path / "ATP W5.sav", cols, labels)
    with pytest.raises(DataError) as info:
        read_wave(p, cache=False)
    message = str(info.value)
    assert message.startswith("'ATP W5.sav' looks damaged or is not a survey wave: 2 categorical")
    assert message.index("F_PARTYSUM_FINAL: 1 unlabelled code") < message.index("Q1_W5: 1 unlab")
    assert "(0.437; 1 answer)" in message and "check=False" in message
    s = read_wave(p, check=False, cache=False)  # read as it is
    assert 1.4e10 in s.variables["F_PARTYSUM_FINAL"].codes


def test_huge_weights_are_refused_without_numpy_warnings(sav, tmp_path: Path) -> None:
    cols = {"Q1_W5": [1, 2, 1, 2], "F_PARTYSUM_FINAL": [1, 2, 1, 2], "WEIGHT_W5": [1e308] * 4}
    p = sav(
        tmp_path / "ATP W5.sav", cols, {"Q1_W5": {1.0: "A", 2.0: "B"}, "F_PARTYSUM_FINAL": PARTY}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            DataError, match=r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' has weights too large"
        ):
            read_wave(p, cache=False)


def test_measurement_is_no_type_column(sav, tmp_path: Path) -> None:
    n = 200
    cols = {
        "Q1_W5": np.resize([1.0, 2.0, 2.0], n),
        "F_AGE": np.resize(np.arange(18.0, 98.0), n),
        "F_PARTYSUM_FINAL": np.resize([1.0, 2.0, 9.0], n),
        "WEIGHT_W5": np.ones(n),
    }
    labels = {"Q1_W5": {1.0: "A", 2.0: "B"}, "F_AGE": {97.0: "97+"}, "F_PARTYSUM_FINAL": PARTY}
    s = read_wave(sav(tmp_path / "ATP W5.sav", cols, labels), cache=False)
    with pytest.raises(
        DataError, match=r"Column 'F_AGE' of 'ATP W5\.sav' cannot define user types"
    ):
        analyze_survey(s, types="F_AGE")
    assert analyze_survey(s).questions[0].types == (
        "Rep/Lean Rep",
        "Dem/Lean Dem",
        "DK/Refused/No lean",
    )
