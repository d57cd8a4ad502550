"""Length rewards of the paper's user types (Appendix E, Fig. 11): closed forms at chosen points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref.llm.rewards import (
    LengthReward,
    as_length_rewards,
    paper_length_rewards,
    reward_long,
    reward_matrix,
    reward_mid,
    reward_short,
)

ATOL = 1e-12


def test_closed_forms_at_known_points() -> None:
    assert reward_long([0])[0] == pytest.approx(0.01, abs=ATOL)
    assert reward_long([80])[0] == pytest.approx(np.e / 100, abs=ATOL)
    # exp(x/80)/100 reaches 4 at x = 80 ln 400 ~ 479.3: capped beyond
    cap = 80 * np.log(400)
    assert reward_long([cap - 1])[0] < 4.0
    assert reward_long([cap + 1, 512])[0] == 4.0
    assert reward_short([512])[0] == pytest.approx(0.01, abs=ATOL)
    assert reward_short([0])[0] == 4.0
    assert reward_mid([256])[0] == pytest.approx(np.e - 1, abs=ATOL)
    assert reward_mid([320])[0] == pytest.approx(np.exp(0.5) - 1, abs=ATOL)


@given(st.integers(1, 511))
def test_long_and_short_mirror_each_other(x: int) -> None:
    assert reward_long([x])[0] == pytest.approx(reward_short([512 - x])[0], abs=ATOL)


@given(st.integers(0, 256))
def test_mid_is_symmetric_and_peaks_at_256(d: int) -> None:
    lo, hi = reward_mid([256 - d])[0], reward_mid([256 + d])[0]
    assert lo == pytest.approx(hi, abs=ATOL)
    assert lo <= reward_mid([256])[0] + ATOL


def test_reward_matrix_shape_order_and_user_types() -> None:
    m = reward_matrix([10, 256, 500])
    assert m.shape == (3, 3)
    assert [t.name for t in paper_length_rewards()] == ["long", "short", "mid"]
    np.testing.assert_allclose(m[2], reward_mid([10, 256, 500]), atol=ATOL)
    custom = reward_matrix([1, 2], [lambda x: 2.0 * x])
    np.testing.assert_allclose(custom, [[2.0, 4.0]])
    assert as_length_rewards([lambda x: x])[0].name == "type1"


def test_bad_user_types_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        LengthReward("bad", lambda x: np.zeros(3))(np.arange(2))
    with pytest.raises(ValueError, match="non-finite"):
        LengthReward("nan", lambda x: np.full(x.shape, np.nan))(np.arange(2))
    with pytest.raises(ValueError, match="'rewards'"):
        as_length_rewards([])
    with pytest.raises(ValueError, match="callables"):
        as_length_rewards([3])  # type: ignore[list-item]
