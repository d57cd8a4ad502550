"""One validator for scalar arguments, in the style of scikit-learn's ``check_scalar``."""

from __future__ import annotations

import math
import numbers
from typing import Literal, TypeVar

from socialpref.errors import ParameterError

T = TypeVar("T", int, float)

Boundaries = Literal["both", "left", "right", "neither"]


def check_scalar(
    x: object,
    name: str,
    target_type: type[T],
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: Boundaries = "both",
    owner: str | None = None,
) -> T:
    """Validate a scalar argument and return it as ``target_type``.

    ``target_type=int`` accepts integers only (``True``/``False`` and ``2.0`` are refused);
    ``target_type=float`` accepts any finite real number. The error names the argument, the
    bound and the value received.

    >>> check_scalar(3, "n_boot", int, min_val=2)
    3
    >>> check_scalar(0.0, "beta", float, min_val=0, include_boundaries="neither")
    Traceback (most recent call last):
    ...
    socialpref.errors.ParameterError: The 'beta' parameter must be > 0. Got 0.0 instead.
    """
    where = f" of {owner}" if owner else ""
    if target_type is int:
        ok = isinstance(x, numbers.Integral) and not isinstance(x, bool)
        kind = "an integer"
    else:
        ok = isinstance(x, numbers.Real) and not isinstance(x, bool)
        kind = "a number"
    if not ok:
        raise ParameterError(f"The '{name}' parameter{where} must be {kind}. Got {x!r} instead.")
    value = target_type(x)  # type: ignore[call-overload, arg-type]
    if target_type is float and not math.isfinite(value):
        raise ParameterError(f"The '{name}' parameter{where} must be finite. Got {x!r} instead.")
    low_closed = include_boundaries in ("both", "left")
    high_closed = include_boundaries in ("both", "right")
    if min_val is not None and (value < min_val or (value == min_val and not low_closed)):
        op = ">=" if low_closed else ">"
        raise ParameterError(
            f"The '{name}' parameter{where} must be {op} {min_val}. Got {x!r} instead."
        )
    if max_val is not None and (value > max_val or (value == max_val and not high_closed)):
        op = "<=" if high_closed else "<"
        raise ParameterError(
            f"The '{name}' parameter{where} must be {op} {max_val}. Got {x!r} instead."
        )
    return value


__all__ = ["check_scalar"]
