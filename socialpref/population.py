"""Populations of user types and validation of the core's array arguments.

A population holds the rewards ``r(y; u)`` of each user type ``u`` for each option ``y``
(shape ``(n_types, n_options)``) and the type weights ``p(u)`` (non-negative, summing to one).
Every core function that takes ``(rewards, type_weights)`` also takes a :class:`Population` in
their place; :func:`population_arrays` is the one place that unpacks either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from socialpref._typing import ArrayLike, BoolArray, FloatArray
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError

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
    text = " ".join(text.split())  # one line: numpy wraps the rows of a matrix
    return text if len(text) <= 120 else text[:117] + "..."


def _not_finite(arr: FloatArray) -> str:
    """Where the first NaN or infinity of ``arr`` is, for messages: ``nan at [3, 7]``."""
    where = np.argwhere(~np.isfinite(arr))
    first = tuple(int(i) for i in where[0])
    return (
        f"{arr[first]} at {list(first)} ({len(where)} such entr{'y' if len(where) == 1 else 'ies'})"
    )


def as_rewards(rewards: ArrayLike, name: str = "rewards") -> FloatArray:
    """Validate a reward matrix: 2-D ``(n_types, n_options)``, finite, at least one type and option."""
    try:
        arr = np.asarray(rewards, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The '{name}' parameter must be a numeric array. Got {_short(rewards)} instead."
        ) from None
    if arr.ndim != 2:
        raise ParameterError(
            f"The '{name}' parameter must be a 2-D array of shape (n_types, n_options). "
            f"Got an array of shape {arr.shape} instead."
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ParameterError(
            f"The '{name}' parameter needs at least one type and one option. Got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ParameterError(
            f"The '{name}' parameter must be finite (no NaN or inf). Got {_not_finite(arr)}."
        )
    return arr


def as_distribution(
    values: ArrayLike, n: int, name: str, *, strictly_positive: bool = False
) -> FloatArray:
    """Validate a probability vector of length ``n``: finite, non-negative, summing to one."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The '{name}' parameter must be a numeric vector. Got {_short(values)} instead."
        ) from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ParameterError(
            f"The '{name}' parameter must be a vector of length {n}. Got shape {arr.shape}: {_short(arr)}."
        )
    if not np.all(np.isfinite(arr)):
        raise ParameterError(
            f"The '{name}' parameter must be finite (no NaN or inf). Got {_not_finite(arr)}."
        )
    if np.any(arr < 0):
        raise ParameterError(
            f"The '{name}' parameter must be non-negative. Got {_short(arr)} instead."
        )
    if strictly_positive and np.any(arr <= 0):
        raise ParameterError(
            f"The '{name}' parameter must be > 0 everywhere. Got {_short(arr)} instead."
        )
    total = float(arr.sum())
    if abs(total - 1.0) > WEIGHT_SUM_ATOL:
        raise ParameterError(
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
    """``value`` as a finite float > 0 (:func:`socialpref._validation.check_scalar`).

    Kept for callers written before ``check_scalar``; new code calls ``check_scalar`` directly.
    """
    return check_scalar(value, name, float, min_val=0.0, include_boundaries="neither", owner=owner)


def _labels(labels: Sequence[str] | None, n: int, prefix: str, name: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(f"{prefix}{k + 1}" for k in range(n))
    out = tuple(str(x) for x in labels)
    if len(out) != n:
        raise ParameterError(
            f"The '{name}' parameter must have {n} labels. Got {len(out)}: {list(out)!r}."
        )
    if len(set(out)) != n:
        raise ParameterError(
            f"The '{name}' parameter must have distinct labels. Got {list(out)!r}."
        )
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


#: A population, or the rewards of one (with the type weights given separately).
PopulationLike: TypeAlias = "Population | ArrayLike"


def population_arrays(
    rewards: PopulationLike, type_weights: ArrayLike | None = None, *, check_values: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Validated ``(rewards, type_weights)`` from a :class:`Population` or from the two arrays.

    Every core function that accepts either form calls this once.

    Parameters
    ----------
    rewards : (n_types, n_options) array or Population
    type_weights : (n_types,) array, or None with a Population
    check_values : bool
        Whether to check the values of arrays (finite rewards; weights non-negative and summing
        to one). Shapes are always checked. Code that validates many populations at once in a
        vectorised pass (the sensitivity sweep) passes False and checks the values itself.

    Returns
    -------
    rewards, type_weights : float arrays

    Raises
    ------
    ParameterError
        Bad arrays, ``type_weights`` missing for arrays, or given with a Population.

    Examples
    --------
    >>> population_arrays(Population([[0.0, 1.0]], [1.0]))[0].tolist()
    [[0.0, 1.0]]
    >>> population_arrays([[0.0, 1.0], [2.0, 0.0]], [0.5, 0.5])[1].tolist()
    [0.5, 0.5]
    >>> population_arrays([[0.0, 1.0]])
    Traceback (most recent call last):
    ...
    socialpref.errors.ParameterError: The 'type_weights' parameter is required when 'rewards' is an array (pass a Population to give both at once).
    """
    if isinstance(rewards, Population):
        if type_weights is not None:
            raise ParameterError(
                "The 'type_weights' parameter must be None when 'rewards' is a Population "
                f"(it holds its own type weights). Got {_short(type_weights)} instead."
            )
        return rewards.rewards, rewards.type_weights
    if type_weights is None:
        raise ParameterError(
            "The 'type_weights' parameter is required when 'rewards' is an array "
            "(pass a Population to give both at once)."
        )
    if not check_values:
        try:
            r = np.asarray(rewards, dtype=np.float64)
            w = np.asarray(type_weights, dtype=np.float64)
        except (TypeError, ValueError):
            pass  # the full checks below name the bad argument
        else:
            if r.ndim == 2 and min(r.shape) >= 1 and w.shape == (r.shape[0],):
                return r, w
    r = as_rewards(rewards)
    return r, as_type_weights(type_weights, r.shape[0])


def invalid_populations(rewards: FloatArray, type_weights: FloatArray) -> BoolArray:
    """Which of a stack of populations fail the value checks of :func:`population_arrays`.

    ``rewards`` is ``(B, n_types, n_options)`` and ``type_weights`` ``(B, n_types)`` (padding
    with zero rewards and weights is fine). Vectorised: one pass for the whole stack.

    >>> invalid_populations(np.zeros((2, 1, 3)), np.array([[1.0], [0.5]])).tolist()
    [False, True]
    """
    bad = ~np.isfinite(rewards).all(axis=(1, 2)) | ~np.isfinite(type_weights).all(axis=1)
    bad |= (type_weights < 0).any(axis=1)
    bad |= np.abs(type_weights.sum(axis=1) - 1.0) > WEIGHT_SUM_ATOL
    return np.asarray(bad, dtype=bool)
