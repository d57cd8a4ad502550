"""Populations of user types and validation of the core's array arguments.

A population holds the rewards ``r(y; u)`` of each user type ``u`` for each option ``y``
(shape ``(n_types, n_options)``) and the type weights ``p(u)`` (non-negative, summing to one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray

WEIGHT_SUM_ATOL = 1e-8


def _short(value: Any) -> str:
    """A short printable form of a (possibly ragged or non-numeric) argument for messages."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = np.array2string(np.asarray(value), precision=6, threshold=12)
        except (TypeError, ValueError):  # ragged nested sequences
            text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def as_rewards(rewards: ArrayLike, name: str = "rewards") -> FloatArray:
    """Validate a reward matrix: 2-D ``(n_types, n_options)``, finite, at least one type and option."""
    try:
        arr = np.asarray(rewards, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter must be a numeric array. Got {_short(rewards)} instead."
        ) from None
    if arr.ndim != 2:
        raise ValueError(
            f"The '{name}' parameter must be a 2-D array of shape (n_types, n_options). "
            f"Got an array of shape {arr.shape} instead."
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"The '{name}' parameter needs at least one type and one option. Got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"The '{name}' parameter must be finite (no NaN or inf). Got {_short(arr)} instead."
        )
    return arr


def as_distribution(
    values: ArrayLike, n: int, name: str, *, strictly_positive: bool = False
) -> FloatArray:
    """Validate a probability vector of length ``n``: finite, non-negative, summing to one."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter must be a numeric vector. Got {_short(values)} instead."
        ) from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"The '{name}' parameter must be a vector of length {n}. Got shape {arr.shape}: {_short(arr)}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"The '{name}' parameter must be finite (no NaN or inf). Got {_short(arr)} instead."
        )
    if np.any(arr < 0):
        raise ValueError(f"The '{name}' parameter must be non-negative. Got {_short(arr)} instead.")
    if strictly_positive and np.any(arr <= 0):
        raise ValueError(
            f"The '{name}' parameter must be > 0 everywhere. Got {_short(arr)} instead."
        )
    total = float(arr.sum())
    if abs(total - 1.0) > WEIGHT_SUM_ATOL:
        raise ValueError(
            f"The '{name}' parameter must sum to 1. Got {_short(arr)} (sum {total:.10g}) instead."
        )
    return arr


def as_type_weights(type_weights: ArrayLike, n_types: int) -> FloatArray:
    """Validate type weights ``p(u)``: length ``n_types``, non-negative, sum to one."""
    return as_distribution(type_weights, n_types, "type_weights")


def as_sampling(sampling: ArrayLike | None, n_options: int, name: str = "sampling") -> FloatArray:
    """Validate a sampling distribution D over options; ``None`` is the uniform distribution."""
    if sampling is None:
        return np.full(n_options, 1.0 / n_options)
    return as_distribution(sampling, n_options, name)


def check_positive(value: float, name: str, owner: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"The '{name}' parameter of {owner} must be a number > 0. Got {value!r} instead."
        ) from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(
            f"The '{name}' parameter of {owner} must be a finite number > 0. Got {value!r} instead."
        )
    return v


def _labels(labels: Sequence[str] | None, n: int, prefix: str, name: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(f"{prefix}{k + 1}" for k in range(n))
    out = tuple(str(x) for x in labels)
    if len(out) != n:
        raise ValueError(
            f"The '{name}' parameter must have {n} labels. Got {len(out)}: {list(out)!r}."
        )
    if len(set(out)) != n:
        raise ValueError(f"The '{name}' parameter must have distinct labels. Got {list(out)!r}.")
    return out


@dataclass(frozen=True, eq=False)
class Population:
    """User types with rewards and weights.

    Attributes
    ----------
    rewards : (n_types, n_options) array
        ``rewards[u, y] = r(y; u)``.
    type_weights : (n_types,) array
        ``p(u)``, non-negative, summing to one.
    options : tuple of str
        Option labels (default ``y1, y2, ...``).
    types : tuple of str
        Type labels (default ``u1, u2, ...``).

    >>> Population([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.5]).options
    ('y1', 'y2')
    """

    rewards: FloatArray
    type_weights: FloatArray
    options: tuple[str, ...] = field(default=())
    types: tuple[str, ...] = field(default=())

    def __init__(
        self,
        rewards: ArrayLike,
        type_weights: ArrayLike | None = None,
        options: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
    ) -> None:
        r = as_rewards(rewards)
        n_types, n_options = r.shape
        w = (
            np.full(n_types, 1.0 / n_types)
            if type_weights is None
            else as_type_weights(type_weights, n_types)
        )
        r.setflags(write=False)
        w = np.array(w, dtype=np.float64)
        w.setflags(write=False)
        object.__setattr__(self, "rewards", r)
        object.__setattr__(self, "type_weights", w)
        object.__setattr__(self, "options", _labels(options or None, n_options, "y", "options"))
        object.__setattr__(self, "types", _labels(types or None, n_types, "u", "types"))

    @property
    def n_types(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def n_options(self) -> int:
        return int(self.rewards.shape[1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rewards": self.rewards.tolist(),
            "type_weights": self.type_weights.tolist(),
            "options": list(self.options),
            "types": list(self.types),
        }
