"""Fixtures of the survey tests: small ATP-format waves written with pyreadstat in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

PARTY = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Refused/No lean"}
PARTY_OLD = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Ref-no lean"}
NAN = float("nan")

WaveWriter = Callable[..., Path]


def write_sav(
    path: Path,
    columns: dict[str, list[Any]],
    value_labels: dict[str, dict[float, str]],
    column_labels: dict[str, str] | None = None,
    missing_ranges: dict[str, list[Any]] | None = None,
    file_label: str = "test wave",
) -> Path:
    frame = pd.DataFrame({k: np.asarray(v, dtype=np.float64) for k, v in columns.items()})
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=file_label,
        column_labels=dict(column_labels or {}),
        variable_value_labels=value_labels,
        missing_ranges=missing_ranges,
    )
    return path


@pytest.fixture
def sav() -> WaveWriter:
    """The function that writes a small .sav (see :func:`write_sav`)."""
    return write_sav


@pytest.fixture
def tiny_wave(tmp_path: Path) -> Path:
    """Ten respondents of 'ATP W5.sav' with weights, a refused and a missing answer.

    Q1_W5 (codes 1 Yes, 2 No, 3 Maybe [never chosen], 99 Refused):
      respondent  party  Q1   weight
      1           1      1    1.0
      2           1      1    2.0
      3           1      2    1.0
      4           2      2    1.0
      5           2      2    1.0
      6           2      1    2.0
      7           9      1    1.0
      8           9      99   3.0   (refused: dropped)
      9           2      NaN  1.0   (missing: dropped)
      10          1      2    0.5
    """
    cols = {
        "QKEY": list(range(1, 11)),
        "INTERVIEW_START_W5": [1.0] * 10,
        "DEVICE_TYPE_W5": [1, 2, 1, 1, 2, 1, 1, 2, 1, 1],
        "LANG_W5": [1] * 10,
        "Q1_W5": [1, 1, 2, 2, 2, 1, 1, 99, NAN, 2],
        "Q2_W5": [1, 1, 1, 1, 1, 1, 1, 1, 1, 99],
        "NUMERIC_OPEN_W5": [3, 4, 5, 6, 7, 8, 9, 1, 2, 3],
        "F_PARTYSUM_FINAL": [1, 1, 1, 2, 2, 2, 9, 9, 2, 1],
        "F_EDUCCAT": [1, 2, 1, 2, 1, 2, 1, 2, 99, 1],
        "WEIGHT_W5": [1.0, 2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 0.5],
        "WEIGHT_W5_XS": [1.0] * 10,
    }
    labels = {
        "DEVICE_TYPE_W5": {1.0: "Mobile", 2.0: "Desktop"},
        "LANG_W5": {1.0: "English"},
        "Q1_W5": {1.0: "Yes", 2.0: "No", 3.0: "Maybe", 99.0: "Refused"},
        "Q2_W5": {1.0: "Agree", 2.0: "Disagree", 99.0: "Refused"},
        "F_PARTYSUM_FINAL": PARTY,
        "F_EDUCCAT": {1.0: "College grad+", 2.0: "Non-college", 99.0: "Refused"},
    }
    texts = {"Q1_W5": "Do you like tests?", "Q2_W5": "Tests are useful."}
    return write_sav(tmp_path / "ATP W5.sav", cols, labels, texts)


@pytest.fixture(scope="session")
def demo_path() -> Path:
    path = Path(__file__).resolve().parents[2] / "data" / "demo" / "ATP W900.sav"
    assert path.exists(), "run: python data/make_demo_wave.py"
    return path


@pytest.fixture(scope="session")
def varied_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The SYNTHETIC wave with every kind of column and label (data/wavegen.py), as .sav and .dta."""
    from data.wavegen import varied_wave, write_wave

    folder = tmp_path_factory.mktemp("varied")
    data = varied_wave(600, 5)
    return {suffix: write_wave(data, folder / f"ATP W5{suffix}") for suffix in (".sav", ".dta")}
