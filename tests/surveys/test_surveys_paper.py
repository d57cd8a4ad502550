"""``preprocessing="paper"`` reproduces the paper's reading of a wave: pyreadstat's defaults
(``user_missing=False``: declared missing codes become NaN), then code 99 dropped.

The oracle is that reading itself, done here with pyreadstat and pandas on the same file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyreadstat
import pytest

from socialpref.surveys import analyze_question, read_wave

#: Weighted shares are sums of the same weights in another order.
ATOL = 1e-12
N = 600


@pytest.fixture
def declared_wave(sav, tmp_path: Path) -> Path:
    """A wave whose question and type columns declare missing codes (a value and a range)."""
    rng = np.random.default_rng(7)
    q = rng.choice([1, 2, 3, 8, 97, 98, 99], size=N, p=[0.3, 0.25, 0.2, 0.08, 0.07, 0.05, 0.05])
    party = rng.choice([1, 2, 9, 77], size=N, p=[0.45, 0.45, 0.07, 0.03])
    weights = rng.uniform(0.3, 2.5, size=N)
    columns = {
        "QKEY": list(range(1, N + 1)),
        "Q_W7": q.tolist(),
        "F_PARTYSUM_FINAL": party.tolist(),
        "WEIGHT_W7": weights.tolist(),
    }
    labels = {
        "Q_W7": {
            1.0: "Yes",
            2.0: "No",
            3.0: "Maybe",
            8.0: "Other",
            97.0: "Skipped",
            98.0: "Not asked",
            99.0: "Refused",
        },
        "F_PARTYSUM_FINAL": {
            1.0: "Rep/Lean Rep",
            2.0: "Dem/Lean Dem",
            9.0: "DK/Refused/No lean",
            77.0: "Web blank",
        },
    }
    missing = {
        "Q_W7": [8.0, {"lo": 97.0, "hi": 98.0}],  # one declared value and one declared range
        "F_PARTYSUM_FINAL": [77.0],
    }
    return sav(tmp_path / "ATP W7.sav", columns, labels, missing_ranges=missing)


def _paper_shares(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """The paper's reading: pyreadstat defaults, drop NaN and 99, weighted shares by type."""
    frame, meta = pyreadstat.read_sav(str(path))  # user_missing=False: declared codes -> NaN
    frame = frame.dropna(subset=["Q_W7", "F_PARTYSUM_FINAL"])
    frame = frame[(frame["Q_W7"] != 99) & (frame["F_PARTYSUM_FINAL"] != 99)]
    codes = sorted(frame["Q_W7"].unique())
    types = sorted(frame["F_PARTYSUM_FINAL"].unique())
    table = frame.groupby(["F_PARTYSUM_FINAL", "Q_W7"])["WEIGHT_W7"].sum().unstack(fill_value=0.0)
    counts = table.loc[types, codes].to_numpy()
    q_labels = [meta.variable_value_labels["Q_W7"][c] for c in codes]
    t_labels = [meta.variable_value_labels["F_PARTYSUM_FINAL"][t] for t in types]
    return q_labels, t_labels, counts / counts.sum(axis=1, keepdims=True)


def test_paper_rule_matches_pyreadstat_defaults(declared_wave: Path) -> None:
    options, types, shares = _paper_shares(declared_wave)
    assert options == ["Yes", "No", "Maybe"]  # 8, 97-98 declared missing, 99 dropped
    assert types == ["Rep/Lean Rep", "Dem/Lean Dem", "DK/Refused/No lean"]  # 77 declared
    qa = analyze_question(read_wave(declared_wave), "Q_W7", preprocessing="paper", bootstrap=0)
    assert list(qa.options) == options and list(qa.types) == types
    np.testing.assert_allclose(qa.shares, shares, atol=ATOL, rtol=0)


def test_default_rule_also_drops_them(declared_wave: Path) -> None:
    qa = analyze_question(read_wave(declared_wave), "Q_W7")
    assert qa.options == ("Yes", "No", "Maybe")
    assert "Web blank" not in qa.types
