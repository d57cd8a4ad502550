"""The error hierarchy and the scalar validator."""

from __future__ import annotations

import numpy as np
import pytest

from socialpref._validation import check_scalar
from socialpref.errors import MissingExtraError, ParameterError, SocialPrefError


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        (True, {"target_type": int}, "must be an integer. Got True"),
        (2.0, {"target_type": int}, "must be an integer. Got 2.0"),
        ("3", {"target_type": float}, "must be a number. Got '3'"),
        (float("nan"), {"target_type": float}, "must be finite"),
        (float("inf"), {"target_type": float, "min_val": 0}, "must be finite"),
        (1, {"target_type": int, "min_val": 2}, "must be >= 2. Got 1"),
        (0.0, {"target_type": float, "min_val": 0, "include_boundaries": "right"}, "> 0"),
        (1.0, {"target_type": float, "max_val": 1, "include_boundaries": "left"}, "< 1"),
        (5, {"target_type": int, "max_val": 4}, "<= 4. Got 5"),
    ],
)
def test_check_scalar_refuses_with_the_name_and_value(value, kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match) as info:
        check_scalar(value, "knob", **kwargs)
    assert "'knob'" in str(info.value)


def test_check_scalar_accepts_and_converts() -> None:
    assert check_scalar(np.int64(3), "n", int, min_val=3) == 3
    assert type(check_scalar(np.int64(3), "n", int)) is int
    assert check_scalar(1, "x", float, 0, 1) == 1.0
    assert type(check_scalar(np.float32(0.5), "x", float)) is float
    msg = "of BradleyTerry"
    with pytest.raises(ParameterError, match=msg):
        check_scalar(-1.0, "temperature", float, min_val=0, owner="BradleyTerry")


def test_hierarchy() -> None:
    err = MissingExtraError("torch", "train", "Training")
    assert isinstance(err, ImportError) and isinstance(err, SocialPrefError)
    assert isinstance(err, ValueError)
    assert (
        str(err) == "Training needs torch, which is not installed: pip install 'socialpref[train]'."
    )
    assert issubclass(ParameterError, ValueError)
