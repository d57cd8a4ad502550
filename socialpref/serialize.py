"""The one JSON helper: typed results stay typed until they are written, then this serialises them.

:func:`to_jsonable` turns a result (anything with ``to_dict()``), a mapping, a sequence, a numpy
array or scalar into plain JSON values; NaN and infinities become ``null`` (JSON has neither).
:func:`dumps` is ``json.dumps`` of that, refusing anything JSON cannot hold.

>>> import numpy as np
>>> to_jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2), np.bool_(True))})
{'a': [1.0, None], 'b': [2, True]}
>>> dumps({"x": float("inf")}, indent=None)
'{"x": null}'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of ``value``.

    Objects with a ``to_dict()`` method are replaced by its result; mappings get string keys;
    tuples, lists and numpy arrays become lists; numpy scalars become Python scalars; NaN and
    infinities become None. Anything else is returned as is (``json.dumps`` refuses what it
    cannot hold).
    """
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """``json.dumps`` of :func:`to_jsonable` (``allow_nan=False``: no NaN can slip through)."""
    return json.dumps(to_jsonable(value), indent=indent, allow_nan=False)


__all__ = ["dumps", "to_jsonable"]
