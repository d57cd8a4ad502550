"""The wave-level bootstrap: one set of replicates for every question, verdicts, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from socialpref.errors import ParameterError
from socialpref.surveys import (
    SUPPORT_THRESHOLD,
    analyze_question,
    analyze_survey,
    read_crosstab,
    read_wave,
)

#: The replicate counts come from float32 matrix products whose blocking depends on how many
#: questions are counted at once: a question alone and in a whole-wave run agree to this.
RTOL = 1e-5


@pytest.fixture(scope="module")
def demo_boot(demo_path: Path):
    s = read_wave(demo_path)
    return s, analyze_survey(s, bootstrap=100, seed=11)


def test_one_question_gets_the_replicates_of_the_whole_run(demo_boot) -> None:
    s, run = demo_boot
    for name in ("EVCAR2_W900", "ECON1B_W900"):  # ECON1B: one form only
        whole = next(q for q in run.questions if q.question == name).bootstrap
        alone = analyze_question(s, name, bootstrap=100, seed=11).bootstrap
        assert whole is not None and alone is not None
        np.testing.assert_allclose(alone.replicate_nbc, whole.replicate_nbc, rtol=RTOL)
        np.testing.assert_allclose(alone.nbc_low, whole.nbc_low, rtol=RTOL)
        np.testing.assert_allclose(alone.shares_high, whole.shares_high, rtol=RTOL)
        assert abs(alone.p_tops_differ - whole.p_tops_differ) <= 0.02


def test_seeded(demo_path: Path) -> None:
    s = read_wave(demo_path)
    a = analyze_question(s, "EVCAR2_W900", bootstrap=30, seed=1).bootstrap
    b = analyze_question(s, "EVCAR2_W900", bootstrap=30, seed=1).bootstrap
    c = analyze_question(s, "EVCAR2_W900", bootstrap=30, seed=2).bootstrap
    assert a is not None and b is not None and c is not None
    np.testing.assert_array_equal(a.replicate_nbc, b.replicate_nbc)
    assert not np.allclose(a.replicate_nbc, c.replicate_nbc)


def test_intervals_bracket_the_estimates(demo_boot) -> None:
    _, run = demo_boot
    for qa in run.questions:
        b = qa.bootstrap
        assert b is not None and b.n_boot == 100 and b.level == 0.95
        slack = 0.25 * (b.nbc_high - b.nbc_low)  # percentile intervals need not be centred
        assert np.all(b.nbc_low - slack <= qa.nbc) and np.all(qa.nbc <= b.nbc_high + slack)
        assert np.all(b.shares_low <= b.shares_high) and np.all(b.rewards_low <= b.rewards_high)
        np.testing.assert_allclose(b.replicate_type_weights.sum(axis=1), 1.0, atol=1e-9)
        # the interval of a share is about as wide as the margin of error of its type says
        width = (b.shares_high - b.shares_low).max(axis=1)
        assert np.all(width < 2.5 * qa.design.type_margin_of_error)


def test_verdicts_follow_the_rule(demo_boot) -> None:
    _, run = demo_boot
    for qa in run.questions:
        if not qa.tops_differ:
            assert qa.tops_differ_supported is None and qa.verdict == "agree"
        else:
            supported = qa.p_tops_differ >= SUPPORT_THRESHOLD
            assert qa.tops_differ_supported is supported
            assert qa.verdict == ("differ" if supported else "differ (not supported)")
    ev = next(q for q in run.questions if q.question == "EVCAR2_W900")
    assert ev.tops_differ_supported  # the mediocrity example survives resampling
    assert any(q.tops_differ_supported is False for q in run.questions)


def test_json_and_rows(demo_boot) -> None:
    _, run = demo_boot
    payload = json.loads(json.dumps(run.to_dict(), allow_nan=False))
    q = payload["questions"][0]
    assert {"design", "p_tops_differ", "tops_differ_supported", "bootstrap"} <= set(q)
    assert {"nbc_low", "shares_high", "p_tops_differ"} <= set(q["bootstrap"])
    assert not any(k.startswith("replicate_") for k in q["bootstrap"])
    rows = run.to_rows()
    assert {"nbc_low", "nbc_high", "margin_of_error", "tops_differ_supported"} <= set(rows[0])


def test_bootstrap_off_and_refused_for_crosstabs(demo_path: Path, tmp_path: Path) -> None:
    qa = analyze_question(read_wave(demo_path), "EVCAR2_W900")
    assert qa.bootstrap is None and qa.p_tops_differ is None and qa.tops_differ_supported is None
    assert qa.verdict == "differ"
    p = tmp_path / "c.csv"
    p.write_text("question,group,option,count\nQ,R,A,3\nQ,R,B,1\nQ,D,A,1\nQ,D,B,2\n")
    with pytest.raises(ParameterError, match="respondent-level"):
        analyze_survey(read_crosstab(p), bootstrap=10)
    with pytest.raises(ParameterError, match="level"):
        analyze_question(read_wave(demo_path), "EVCAR2_W900", bootstrap=10, level=1.0)
