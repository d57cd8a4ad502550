"""Validation of pairwise matrices, single or stacked, for the aggregation targets.

Every target of :mod:`socialpref.targets` is a function of the population's pairwise matrix
``P`` (Eq. 8): ``P[i, j]`` is the probability that a random annotator prefers option ``i`` to
option ``j``. Every preference model of :mod:`socialpref.preference` has ``sigma(d) +
sigma(-d) = 1``, so ``P + P^T = 1`` (the diagonal is 1/2) and the majority margins
``M = P - P^T`` form a skew-symmetric matrix: the payoff of a symmetric zero-sum game.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.aggregate import pairwise_matrix
from socialpref.errors import ParameterError
from socialpref.population import Population
from socialpref.preference import PreferenceModel

#: ``P[i, j] + P[j, i]`` may differ from 1, and ``P`` leave ``[0, 1]``, by at most this.
COMPLEMENT_ATOL = 1e-9


def _short(arr: Any) -> str:
    text = np.array2string(np.asarray(arr), precision=6, threshold=12)
    return text if len(text) <= 120 else text[:117] + "..."


def _float_array(pairwise: Any, owner: str) -> FloatArray:
    """A float64 copy of ``pairwise``, or a ParameterError naming the caller."""
    try:
        return np.array(pairwise, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The 'pairwise' parameter of {owner} must be a numeric array. "
            f"Got {_short(pairwise)} instead."
        ) from None


def pairwise_stack(
    pairwise: ArrayLike, n_options: ArrayLike | None = None, *, owner: str
) -> tuple[FloatArray, IntArray]:
    """Validate a stack of pairwise matrices, possibly padded.

    Parameters
    ----------
    pairwise : (B, n, n) array
        ``pairwise[b]`` is the matrix ``P`` of item ``b``.
    n_options : (B,) ints, optional
        Number of options of each item: item ``b`` uses the block ``pairwise[b, :k, :k]`` with
        ``k = n_options[b]`` and the entries outside it are ignored (they may hold anything,
        NaN included). Default: every item has all ``n`` options.
    owner : str
        Name of the calling function, for the error messages.

    Returns
    -------
    stack : (B, n, n) array
        A copy whose padded entries are set to 1/2 (a tie), so that they never win.
    counts : (B,) int array
        The number of options of each item.

    Raises
    ------
    ParameterError
        Wrong shape, counts out of ``[1, n]``, or an active block that is not finite, leaves
        ``[0, 1]`` or has ``P[i, j] + P[j, i] != 1`` (beyond ``COMPLEMENT_ATOL``).
    """
    p = _float_array(pairwise, owner)
    if p.ndim != 3 or p.shape[1] != p.shape[2] or p.shape[1] < 1:
        raise ParameterError(
            f"The 'pairwise' parameter of {owner} must be a stack of square matrices, shape "
            f"(n_items, n_options, n_options) with n_options >= 1. Got shape {p.shape} instead."
        )
    n_items, n = p.shape[0], p.shape[1]
    if n_options is None:
        counts = np.full(n_items, n, dtype=np.int64)
    else:
        raw = np.asarray(n_options)
        if (
            raw.shape != (n_items,)
            or not np.issubdtype(raw.dtype, np.integer)
            or np.any(raw < 1)
            or np.any(raw > n)
        ):
            raise ParameterError(
                f"The 'n_options' parameter of {owner} must hold {n_items} integers in [1, {n}]. "
                f"Got {_short(raw)} instead."
            )
        counts = raw.astype(np.int64)
    idx = np.arange(n)
    active = (idx[None, :, None] < counts[:, None, None]) & (
        idx[None, None, :] < counts[:, None, None]
    )
    p[~active] = 0.5
    bad = ~np.isfinite(p) | (p < -COMPLEMENT_ATOL) | (p > 1.0 + COMPLEMENT_ATOL)
    bad |= np.abs(p + np.swapaxes(p, 1, 2) - 1.0) > COMPLEMENT_ATOL
    if bad.any():
        b = int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
        k = int(counts[b])
        raise ParameterError(
            f"The 'pairwise' parameter of {owner} must hold pairwise preference matrices: finite, "
            "in [0, 1], with P[i, j] + P[j, i] = 1 (a diagonal of 1/2). "
            f"Item {b} is {_short(p[b, :k, :k])}."
        )
    np.clip(p, 0.0, 1.0, out=p)
    return p, counts


def resolve_pairwise(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None,
    model: PreferenceModel | str | None,
    *,
    owner: str,
) -> FloatArray:
    """The pairwise matrix ``P`` of a call that accepts ``P``, a population or rewards.

    - a :class:`~socialpref.population.Population`: ``P`` of Eq. (8) under ``model``
      (``type_weights`` must be None);
    - rewards ``(n_types, n_options)`` with ``type_weights``: ``P`` of Eq. (8) under ``model``;
    - otherwise ``pairwise`` is ``P`` itself, validated as in :func:`pairwise_stack`
      (``model`` must then be None: it has already been applied).
    """
    if isinstance(pairwise, Population):
        if type_weights is not None:
            raise ParameterError(
                f"The 'type_weights' parameter of {owner} must be None when a Population is "
                "given (it holds its own type weights)."
            )
        return pairwise_matrix(pairwise.rewards, pairwise.type_weights, model)
    if type_weights is not None:
        return pairwise_matrix(pairwise, type_weights, model)
    if model is not None:
        raise ParameterError(
            f"The 'model' parameter of {owner} applies to rewards only; a pairwise matrix "
            f"already includes its model. Got model={model!r} with a pairwise matrix."
        )
    p = _float_array(pairwise, owner)
    if p.ndim != 2:
        raise ParameterError(
            f"The 'pairwise' parameter of {owner} must be a square pairwise matrix (or rewards "
            f"with type_weights, or a Population). Got shape {np.shape(p)} instead."
        )
    stack, _ = pairwise_stack(p[None], owner=owner)
    return stack[0]


def margins(stack: FloatArray) -> FloatArray:
    """Majority margins ``M = P - P^T`` of a validated stack (exactly skew-symmetric)."""
    return np.asarray(stack - np.swapaxes(stack, -1, -2), dtype=np.float64)


def active_mask(counts: IntArray, n: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``(B, n)`` mask of the options each item has."""
    return np.asarray(np.arange(n)[None, :] < counts[:, None])


__all__ = ["COMPLEMENT_ATOL", "active_mask", "margins", "pairwise_stack", "resolve_pairwise"]
