"""Kish's effective sample size, design effect and margin of error, per question and type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from hypothesis import given
from hypothesis import strategies as st

from socialpref.surveys import analyze_question, design_effect, read_crosstab, read_wave
from socialpref.surveys.design import Z_95, design_effects

ATOL = 1e-12


def test_against_kish_by_hand(demo_path: Path) -> None:
    df, _ = pyreadstat.read_sav(str(demo_path))
    qa = analyze_question(read_wave(demo_path), "EVCAR2_W900")
    sub = df[df["EVCAR2_W900"].notna() & (df["EVCAR2_W900"] != 99)]
    w = sub["WEIGHT_W900"].to_numpy()
    n_eff = w.sum() ** 2 / (w**2).sum()
    d = qa.design
    assert d.n == len(sub) == qa.n_respondents
    np.testing.assert_allclose(d.effective_n, n_eff, rtol=ATOL)
    np.testing.assert_allclose(d.design_effect, len(sub) / n_eff, rtol=ATOL)
    np.testing.assert_allclose(d.margin_of_error, Z_95 * np.sqrt(0.25 / n_eff), rtol=ATOL)
    for k, code in enumerate((1.0, 2.0, 9.0)):
        wt = sub.loc[sub["F_PARTYSUM_FINAL"] == code, "WEIGHT_W900"].to_numpy()
        assert d.type_n[k] == len(wt)
        np.testing.assert_allclose(d.type_effective_n[k], wt.sum() ** 2 / (wt**2).sum(), rtol=ATOL)
    # Pew's form: MoE = 1.96 sqrt(deff) sqrt(p (1 - p) / n) at p = 1/2
    np.testing.assert_allclose(
        d.margin_of_error, Z_95 * np.sqrt(d.design_effect * 0.25 / d.n), rtol=1e-12
    )


def test_unweighted_and_crosstab(demo_path: Path, tmp_path: Path) -> None:
    qa = analyze_question(read_wave(demo_path, unweighted=True), "EVCAR2_W900")
    assert qa.design.design_effect == 1.0 and qa.design.effective_n == qa.n_respondents
    np.testing.assert_allclose(qa.design.type_design_effect, 1.0, atol=ATOL)
    p = tmp_path / "c.csv"
    pd.DataFrame(
        [("Q", "R", "A", 3.0), ("Q", "R", "B", 1.0), ("Q", "D", "A", 1.0), ("Q", "D", "B", 2.0)],
        columns=["question", "group", "option", "count"],
    ).to_csv(p, index=False)
    ct = analyze_question(read_crosstab(p), "Q")
    assert np.isnan(ct.design.design_effect) and ct.design.n == 7
    assert ct.to_dict()["design"]["margin_of_error"] is None  # unknown, not made up


@given(
    st.lists(st.floats(0.1, 10.0), min_size=1, max_size=30),
    st.lists(st.floats(0.1, 10.0), min_size=1, max_size=30),
)
def test_kish_bounds(a: list[float], b: list[float]) -> None:
    wa, wb = np.asarray(a), np.asarray(b)
    d = design_effect([wa.size, wb.size], [wa.sum(), wb.sum()], [(wa**2).sum(), (wb**2).sum()])
    # Cauchy-Schwarz: 1 <= deff, n_eff <= n; deff = 1 + CV^2 of the weights
    assert d.design_effect >= 1 - 1e-12 and d.effective_n <= d.n + 1e-9
    w = np.concatenate([wa, wb])
    np.testing.assert_allclose(d.design_effect, 1 + w.var() / w.mean() ** 2, rtol=1e-9)
    np.testing.assert_allclose(d.type_design_effect[0], 1 + wa.var() / wa.mean() ** 2, rtol=1e-9)


@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
)
def test_batch_equals_single(n_questions: int, n_types: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 50, (n_questions, n_types))
    sw = rng.uniform(0.1, 5.0, (n_questions, n_types)) * n
    sw2 = sw * sw / n * rng.uniform(1.0, 3.0, (n_questions, n_types))  # Cauchy-Schwarz
    for squared in (sw2, None):
        batch = design_effects(n, sw, squared)
        assert len(batch) == n_questions
        for k, d in enumerate(batch):
            one = design_effect(n[k], sw[k], None if squared is None else squared[k])
            assert d.n == one.n and d.type_n.tolist() == one.type_n.tolist()
            for a, b in (
                (d.effective_n, one.effective_n),
                (d.margin_of_error, one.margin_of_error),
            ):
                np.testing.assert_allclose(a, b, rtol=ATOL)
            for name in ("type_effective_n", "type_design_effect", "type_margin_of_error"):
                np.testing.assert_allclose(getattr(d, name), getattr(one, name), rtol=ATOL)
