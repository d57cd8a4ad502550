"""Luce-Shepard reward estimation (Eq. 27), weighted choice shares and bootstrap intervals.

Under the Luce-Shepard model a type chooses option ``i`` from the offered set with probability
``exp(r(i; u)) / sum_j exp(r(j; u))``, so ``r(i; u) = log p_u(i) + c(u)``. The rewards returned
here are centred: ``sum_i r(i; u) = 0`` for every type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, RngLike
from socialpref._validation import check_scalar
from socialpref.aggregate import average_reward, nbc
from socialpref.errors import DataError, ParameterError
from socialpref.population import as_sampling
from socialpref.preference import PreferenceModel

ZeroPolicy = Literal["mix", "error", "reference"]
ZERO_POLICIES: tuple[str, ...] = ("mix", "error", "reference")

#: Default weight of the uniform distribution mixed into a type's shares when one is zero.
DEFAULT_MIX = 1e-3
#: What the authors' code adds inside the log (``zero_policy="reference"``).
REFERENCE_FLOOR = 1e-15


def _as_share_matrix(values: ArrayLike, name: str) -> tuple[FloatArray, bool]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The '{name}' parameter must be a numeric array of shape (n_options,) or "
            f"(n_types, n_options). Got {values!r} instead."
        ) from None
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ParameterError(
            f"The '{name}' parameter must have shape (n_options,) or (n_types, n_options) with at least "
            f"2 options. Got shape {arr.shape} instead."
        )
    if not np.all(np.isfinite(arr)):
        raise ParameterError(
            f"The '{name}' parameter must be finite (no NaN or inf). Got {arr.tolist()} instead."
        )
    if np.any(arr < 0):
        raise ParameterError(
            f"The '{name}' parameter must be non-negative. Got {arr.tolist()} instead."
        )
    return arr, single


def _log_shares(
    shares: FloatArray,
    zero_policy: str,
    mix: float,
    option_labels: Any = None,
    type_labels: Any = None,
) -> FloatArray:
    n_options = shares.shape[1]
    if zero_policy == "reference":
        return np.log(shares + REFERENCE_FLOOR)
    zero = shares <= 0
    if zero_policy == "error":
        if np.any(zero):
            u, i = (int(k) for k in np.argwhere(zero)[0])
            t = type_labels[u] if type_labels is not None else str(u)
            o = option_labels[i] if option_labels is not None else f"option {i}"
            raise DataError(
                f"Type {t!s} never chose {o!s} (share 0), so its Luce reward is -inf; "
                f"use zero_policy='mix' to mix in a little of the uniform distribution, or merge options."
            )
        return np.log(shares)
    if zero_policy != "mix":
        raise ParameterError(
            f"The 'zero_policy' parameter must be one of {ZERO_POLICIES}. Got {zero_policy!r} instead."
        )
    check_scalar(mix, "mix", float, 0.0, 1.0, include_boundaries="neither")
    rows = zero.any(axis=1)
    out = shares.copy()
    out[rows] = (1.0 - mix) * shares[rows] + mix / n_options
    return np.log(out)


def luce_rewards(
    shares: ArrayLike,
    zero_policy: ZeroPolicy = "mix",
    mix: float = DEFAULT_MIX,
    *,
    options: Any = None,
    types: Any = None,
) -> FloatArray:
    """Luce-Shepard rewards from choice shares (Eq. 27): ``r(i; u) = log p_u(i) - mean_j log p_u(j)``.

    Parameters
    ----------
    shares : (n_options,) or (n_types, n_options) array
        Choice shares of each type; each row is normalised to sum to one (so counts work too).
    zero_policy : {"mix", "error", "reference"}
        What to do with a zero share, whose log is ``-inf``:

        * ``"mix"`` (default): in a row that contains a zero, and only there, replace the shares
          ``p`` by ``(1 - mix) p + mix / n_options``. Rows without zeros are untouched, so the result
          equals the paper's method wherever that is defined.
        * ``"error"``: raise :class:`~socialpref.errors.DataError` naming the type and the option.
        * ``"reference"``: the authors' code, ``log(p + 1e-15)`` (a zero gives about -34.5).
    mix : float
        Weight of the uniform distribution for ``"mix"``.
    options, types : sequences of labels, optional
        Used only in error messages.

    >>> luce_rewards([0.5, 0.25, 0.25]).round(4).tolist()
    [0.4621, -0.231, -0.231]
    """
    arr, single = _as_share_matrix(shares, "shares")
    totals = arr.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        u = int(np.flatnonzero(totals[:, 0] <= 0)[0])
        raise ParameterError(
            f"The 'shares' parameter has an all-zero row (type {u}); it has no choices to estimate from."
        )
    logs = _log_shares(arr / totals, zero_policy, mix, options, types)
    rewards = logs - logs.mean(axis=1, keepdims=True)
    return rewards[0] if single else rewards


def choice_counts(
    answers: ArrayLike,
    types: ArrayLike,
    n_types: int,
    n_options: int,
    weights: ArrayLike | None = None,
) -> FloatArray:
    """Weighted counts ``C[u, i] = sum of weights of respondents of type u who chose i``.

    ``answers`` and ``types`` are integer codes ``0..n_options-1`` and ``0..n_types-1``.
    """
    a = np.asarray(answers, dtype=np.int64)
    t = np.asarray(types, dtype=np.int64)
    if a.shape != t.shape or a.ndim != 1:
        raise ValueError(
            f"'answers' and 'types' must be 1-D of one length. Got {a.shape} and {t.shape}."
        )
    if a.size and (a.min() < 0 or a.max() >= n_options or t.min() < 0 or t.max() >= n_types):
        raise ValueError("'answers' and 'types' must be codes in 0..n_options-1 and 0..n_types-1.")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if w is not None and (w.shape != a.shape or not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ValueError(
            "The 'weights' parameter must be finite, non-negative and one per respondent."
        )
    flat = np.bincount(t * n_options + a, weights=w, minlength=n_types * n_options)
    return np.asarray(flat.reshape(n_types, n_options), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class ShareEstimate:
    """Per-type choice shares and type weights from (weighted) counts.

    Attributes
    ----------
    counts : (n_types, n_options) weighted counts
    type_weights : (n_types,) ``p(u)``, each type's share of the total weight
    shares : (n_types, n_options) row-normalised counts
    """

    counts: FloatArray
    type_weights: FloatArray
    shares: FloatArray


def shares_from_counts(counts: ArrayLike) -> ShareEstimate:
    """Type weights ``p(u) = C[u].sum() / C.sum()`` and shares ``C[u, i] / C[u].sum()``.

    Types with no weight at all must be removed by the caller; they raise here.
    """
    c, _ = _as_share_matrix(counts, "counts")
    row = c.sum(axis=1)
    if np.any(row <= 0):
        raise ValueError(
            f"The 'counts' parameter has a type with zero total weight (row {int(np.argmin(row))})."
        )
    return ShareEstimate(counts=c, type_weights=row / row.sum(), shares=c / row[:, None])


@dataclass(frozen=True, eq=False)
class BootstrapIntervals:
    """Percentile bootstrap intervals (respondent-level resampling).

    Each ``*_low``/``*_high`` pair bounds the central ``level`` interval; ``n_boot`` replicates.
    """

    level: float
    n_boot: int
    rewards_low: FloatArray
    rewards_high: FloatArray
    average_reward_low: FloatArray
    average_reward_high: FloatArray
    nbc_low: FloatArray
    nbc_high: FloatArray

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()
        }


def bootstrap_intervals(
    answers: ArrayLike,
    types: ArrayLike,
    n_types: int,
    n_options: int,
    weights: ArrayLike | None = None,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    rng: RngLike = None,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    mix: float = DEFAULT_MIX,
) -> BootstrapIntervals:
    """Seeded percentile bootstrap of Luce rewards, average reward and NBC.

    Respondents are resampled with replacement (uniformly); each replicate recomputes weighted
    shares, type weights ``p(u)``, Luce rewards, average reward and NBC exactly as for the data.
    A type absent from a replicate gets weight 0 there (its rewards do not count for that replicate).
    """
    a = np.asarray(answers, dtype=np.int64)
    t = np.asarray(types, dtype=np.int64)
    base = choice_counts(a, t, n_types, n_options, weights)  # validates
    if n_boot < 2:
        raise ValueError(f"The 'n_boot' parameter must be >= 2. Got {n_boot!r} instead.")
    if not 0 < level < 1:
        raise ValueError(f"The 'level' parameter must be in (0, 1). Got {level!r} instead.")
    del base
    gen = np.random.default_rng(rng)
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    d = as_sampling(sampling, n_options)
    n = a.size
    cell = t * n_options + a
    size = n_types * n_options
    rewards_s = np.full((n_boot, n_types, n_options), np.nan)
    avg_s = np.empty((n_boot, n_options))
    nbc_s = np.empty((n_boot, n_options))
    chunk = max(1, 4_000_000 // max(n, 1))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = gen.integers(0, n, size=(b, n))
        flat = np.arange(b)[:, None] * size + cell[idx]
        counts = np.bincount(flat.ravel(), weights=w[idx].ravel(), minlength=b * size).reshape(
            b, n_types, n_options
        )
        for k in range(b):
            row = counts[k].sum(axis=1)
            present = row > 0
            p = row / row.sum()
            r = np.zeros((n_types, n_options))
            r[present] = luce_rewards(counts[k][present], zero_policy, mix)
            rewards_s[start + k][present] = r[present]
            avg_s[start + k] = average_reward(r, p)
            nbc_s[start + k] = nbc(r, p, d, model)
    lo, hi = 50 * (1 - level), 50 * (1 + level)
    return BootstrapIntervals(
        level=level,
        n_boot=n_boot,
        rewards_low=np.nanpercentile(rewards_s, lo, axis=0),
        rewards_high=np.nanpercentile(rewards_s, hi, axis=0),
        average_reward_low=np.percentile(avg_s, lo, axis=0),
        average_reward_high=np.percentile(avg_s, hi, axis=0),
        nbc_low=np.percentile(nbc_s, lo, axis=0),
        nbc_high=np.percentile(nbc_s, hi, axis=0),
    )
