"""Luce-Shepard reward estimation (Eq. 27), weighted choice shares and bootstrap intervals.

Under the Luce-Shepard model a type chooses option ``i`` from the offered set with probability
``exp(r(i; u)) / sum_j exp(r(j; u))``, so ``r(i; u) = log p_u(i) + c(u)``. The rewards returned
here are centred: ``sum_i r(i; u) = 0`` for every type.

The bootstrap is respondent-level and vectorised: :func:`bootstrap_multiplicities` draws, for
``B`` replicates, how many times each respondent is drawn (``n`` draws with replacement);
:func:`replicate_counts` turns them into every replicate's weighted counts of many questions at
once (one matrix product per type); :func:`replicate_aggregates` recomputes shares, ``p(u)``,
Luce rewards, average reward and NBC of every replicate of every question in one pass; and
:func:`bootstrap_summaries` gives the percentile intervals and ``P(tops differ)``.
:func:`bootstrap_intervals` chains them for one question; the survey analysis chains them for
every question of a wave.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray, RngLike
from socialpref._validation import check_scalar
from socialpref.aggregate import TIE_TOL, pairwise_matrices
from socialpref.errors import DataError, ParameterError
from socialpref.population import Population, as_sampling
from socialpref.preference import PreferenceModel, get_model

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
        raise ParameterError(
            f"'answers' and 'types' must be 1-D of one length. Got {a.shape} and {t.shape}."
        )
    if a.size and (a.min() < 0 or a.max() >= n_options or t.min() < 0 or t.max() >= n_types):
        raise ParameterError(
            "'answers' and 'types' must be codes in 0..n_options-1 and 0..n_types-1."
        )
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if w is not None and (w.shape != a.shape or not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ParameterError(
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
        raise ParameterError(
            f"The 'counts' parameter has a type with zero total weight (row {int(np.argmin(row))})."
        )
    return ShareEstimate(counts=c, type_weights=row / row.sum(), shares=c / row[:, None])


#: Draws of respondent indices held in memory at once by :func:`bootstrap_multiplicities`.
_DRAW_ELEMENTS = 4_000_000
#: One-hot columns per matrix product in :func:`replicate_counts` (bounds its memory).
_MAX_COLUMNS = 1024
#: Populations per block in :func:`replicate_aggregates` (bounds the pairwise tensors).
_AGGREGATE_BLOCK = 16_384
#: Floating type of the replicate matrix products: float32 halves their time; the counts agree
#: with float64 sums to about 1e-6 relative, far below the bootstrap's own spread.
REPLICATE_DTYPE = np.float32


def bootstrap_multiplicities(n: int, n_boot: int, rng: RngLike = None) -> IntArray:
    """How many times each of ``n`` respondents is drawn in each of ``n_boot`` replicates.

    Each replicate draws ``n`` respondents uniformly with replacement (the classic
    nonparametric bootstrap), so every row is a multinomial ``(n; 1/n, ..., 1/n)`` vector.

    >>> m = bootstrap_multiplicities(5, 3, rng=0)
    >>> m.shape, m.sum(axis=1).tolist()
    ((3, 5), [5, 5, 5])
    """
    check_scalar(n, "n", int, min_val=1)
    check_scalar(n_boot, "n_boot", int, min_val=1)
    gen = np.random.default_rng(rng)
    out = np.empty((n_boot, n), dtype=np.int64)
    chunk = max(1, _DRAW_ELEMENTS // n)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = gen.integers(0, n, size=(b, n))
        idx += (np.arange(b, dtype=np.int64) * n)[:, None]
        out[start : start + b] = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n)
    return out


def replicate_counts(
    multiplicities: ArrayLike,
    groups: ArrayLike,
    answers: ArrayLike,
    n_groups: int,
    n_options: Sequence[int],
    weights: ArrayLike | None = None,
) -> list[FloatArray]:
    """Weighted counts of every bootstrap replicate of many questions, by matrix products.

    ``C[q][b, u, i] = sum_k m[b, k] w_k [group_k = u] [answer_qk = i]``: respondents are sorted
    by group once; for each group, the replicate weights ``m[b, k] w_k`` of its respondents
    multiply a one-hot matrix of the answers of a block of questions (one row per option).

    Parameters
    ----------
    multiplicities : (B, n) array
        Replicate multiplicities (:func:`bootstrap_multiplicities`).
    groups : (n,) ints
        Each respondent's group (type) in ``0..n_groups-1``; ``-1`` counts them nowhere.
    answers : (Q, n) ints
        Each respondent's option of each question in ``0..n_options[q]-1``; ``-1``: not counted
        for that question.
    n_groups : int
    n_options : sequence of Q ints
    weights : (n,) array, optional
        Respondent weights (default 1).

    Returns
    -------
    list of Q float arrays (B, n_groups, n_options[q])
    """
    m = np.asarray(multiplicities)
    g = np.asarray(groups, dtype=np.int64)
    a = np.atleast_2d(np.asarray(answers, dtype=np.int64))
    sizes = [int(k) for k in n_options]
    n_boot, n = m.shape
    if g.shape != (n,) or a.shape[1:] != (n,) or len(sizes) != a.shape[0]:
        raise ParameterError(
            f"'groups' (n,), 'answers' (Q, n) and 'n_options' (Q) must fit multiplicities of shape "
            f"{m.shape}. Got {g.shape}, {a.shape} and {len(sizes)}."
        )
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    rep = m.astype(REPLICATE_DTYPE)
    rep *= w.astype(REPLICATE_DTYPE)
    if n > 1 and np.any(g[1:] < g[:-1]):  # sort by group (callers may pass them sorted)
        order = np.argsort(g, kind="stable")
        g, a, rep = g[order], a[:, order], rep[:, order]
    bounds = np.searchsorted(g, np.arange(-1, n_groups + 1))  # group -1 first, never counted
    out = [np.zeros((n_boot, n_groups, k)) for k in sizes]
    q = 0
    while q < len(sizes):
        block: list[int] = []
        width = 0
        while q < len(sizes) and (not block or width + sizes[q] <= _MAX_COLUMNS):
            block.append(q)
            width += sizes[q]
            q += 1
        offsets = np.cumsum([0] + [sizes[j] for j in block])
        # the block's answers one-hot, one row per option and one column per respondent (each
        # question fills its own rows, in memory order); answers not counted go to a last row
        answers_block = a[block[0] : block[-1] + 1]  # a view: the block's questions follow
        rows = np.where(answers_block < 0, width, answers_block + offsets[:-1, None])
        rows *= n
        rows += np.arange(n, dtype=np.int64)
        onehot = np.zeros((width + 1, n), dtype=REPLICATE_DTYPE)
        onehot.reshape(-1)[rows.reshape(-1)] = 1.0
        for u in range(n_groups):
            lo, hi = bounds[u + 1], bounds[u + 2]
            if hi == lo:
                continue
            prod = rep[:, lo:hi] @ onehot[:, lo:hi].T
            for off, j in zip(offsets[:-1], block, strict=True):
                out[j][:, u, :] = prod[:, off : off + sizes[j]]
    return out


@dataclass(frozen=True, eq=False)
class ReplicateAggregates:
    """Shares, type weights, Luce rewards, average reward and NBC of a stack of replicates.

    Types absent from a replicate (no weight) have ``type_weights`` 0, ``shares`` NaN and
    ``rewards`` 0 there: the replicate is the population without them.
    """

    type_weights: FloatArray  # (N, n_types)
    shares: FloatArray  # (N, n_types, n_options)
    rewards: FloatArray  # (N, n_types, n_options)
    average_reward: FloatArray  # (N, n_options)
    nbc: FloatArray  # (N, n_options)
    tops_differ: np.ndarray  # (N,) bool


def replicate_aggregates(
    counts: ArrayLike,
    sampling: ArrayLike | None = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    mix: float = DEFAULT_MIX,
) -> ReplicateAggregates:
    """Recompute everything of the point estimate for a stack of replicate counts.

    ``counts`` has shape ``(N, n_types, n_options)``; ``sampling`` is one ``D`` for all or
    ``(N, n_options)``. Shares and ``p(u)`` as :func:`shares_from_counts`, rewards as
    :func:`luce_rewards` (a zero share is mixed with the uniform distribution under
    ``zero_policy="mix"`` or ``"error"``: in a replicate a zero is resampling noise, so
    ``"error"`` does not raise here), average reward (Eq. 9), NBC (Eq. 13), and whether the two
    top choices differ (ties within the core's tolerance, as in :func:`compare_aggregates`).
    """
    c = np.asarray(counts, dtype=np.float64)
    n_pop, _, n_options = c.shape
    policy = "mix" if zero_policy == "error" else zero_policy
    sigma = get_model(model)
    d = np.asarray(as_sampling(None, n_options) if sampling is None else sampling, dtype=np.float64)
    d = np.broadcast_to(d, (n_pop, n_options))
    rows = c.sum(axis=2)
    present = rows > 0
    total = rows.sum(axis=1, keepdims=True)
    p = np.divide(rows, total, out=np.zeros_like(rows), where=total > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = c / rows[..., None]
    rewards = np.zeros_like(c)
    if present.all():
        logs = _log_shares(shares.reshape(-1, n_options), policy, mix).reshape(c.shape)
        rewards = logs - logs.mean(axis=2, keepdims=True)
    elif present.any():
        logs = _log_shares(shares[present], policy, mix)
        rewards[present] = logs - logs.mean(axis=1, keepdims=True)
    avg = np.einsum("nu,nui->ni", p, rewards)
    score = np.empty((n_pop, n_options))
    for lo in range(0, n_pop, _AGGREGATE_BLOCK):
        hi = min(n_pop, lo + _AGGREGATE_BLOCK)
        pair = pairwise_matrices(rewards[lo:hi], p[lo:hi], sigma)
        score[lo:hi] = np.einsum("nij,nj->ni", pair, d[lo:hi])
    # top choices as the core's ranking defines them: no option better by more than TIE_TOL
    top_avg = avg.max(axis=1, keepdims=True) - avg <= TIE_TOL
    top_nbc = score.max(axis=1, keepdims=True) - score <= TIE_TOL
    differ = np.any(top_avg != top_nbc, axis=1)
    return ReplicateAggregates(p, shares, rewards, avg, score, differ)


def _percentiles(values: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Central ``level`` percentile interval along axis 0 (linear interpolation, as
    ``np.percentile``), ignoring NaN; all NaN gives NaN.

    One sort of the replicates of every column, laid out so that each column's replicates are
    contiguous (several times faster than ``np.percentile`` along axis 0), then numpy's linear
    rule: position ``(n - 1) q`` among the ``n`` values that are not NaN.
    """
    s = np.sort(np.moveaxis(values, 0, -1), axis=-1)  # (..., B), NaN last
    valid = values.shape[0] - np.count_nonzero(np.isnan(values), axis=0)
    last = np.maximum(valid - 1, 0)
    out = []
    for q in (50 * (1 - level) / 100, 50 * (1 + level) / 100):
        pos = last * q
        below = np.floor(pos).astype(np.int64)
        above = np.minimum(below + 1, last)
        a = np.take_along_axis(s, below[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(s, above[..., None], axis=-1)[..., 0]
        t = pos - below
        diff = b - a
        # numpy's lerp: from the nearer end, so that t = 1 gives b exactly
        value = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        out.append(np.where(valid > 0, value, np.nan))
    return out[0], out[1]


@dataclass(frozen=True, eq=False)
class BootstrapIntervals:
    """Percentile bootstrap intervals (respondent-level resampling) and the replicates.

    Each ``*_low``/``*_high`` pair bounds the central ``level`` interval over ``n_boot``
    replicates (NaN where a type is absent from every replicate). ``p_tops_differ`` is the share
    of replicates in which NBC's top choice differs from the average reward's.

    The replicates themselves are kept for later batched computations (e.g. the sensitivity
    sweep over every replicate's population): ``replicate_rewards`` ``(n_boot, n_types,
    n_options)`` and ``replicate_type_weights`` ``(n_boot, n_types)`` (a type absent from a
    replicate has weight 0 and rewards 0 there), with ``replicate_average_reward`` and
    ``replicate_nbc`` ``(n_boot, n_options)``; :meth:`populations` yields them as
    :class:`~socialpref.population.Population` objects. ``to_dict()`` leaves them out.
    """

    level: float
    n_boot: int
    rewards_low: FloatArray
    rewards_high: FloatArray
    average_reward_low: FloatArray
    average_reward_high: FloatArray
    nbc_low: FloatArray
    nbc_high: FloatArray
    shares_low: FloatArray
    shares_high: FloatArray
    type_weights_low: FloatArray
    type_weights_high: FloatArray
    p_tops_differ: float
    replicate_rewards: FloatArray
    replicate_type_weights: FloatArray
    replicate_average_reward: FloatArray
    replicate_nbc: FloatArray

    def populations(
        self, options: Sequence[str] | None = None, types: Sequence[str] | None = None
    ) -> Iterator[Population]:
        """Every replicate as a :class:`Population` (rewards, ``p(u)``; absent types weigh 0)."""
        for r, w in zip(self.replicate_rewards, self.replicate_type_weights, strict=True):
            yield Population(r, w, options, types)

    def to_dict(self) -> dict[str, Any]:
        """The intervals and ``p_tops_differ`` (NaN as float; the replicates are left out)."""
        return {
            k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in self.__dict__.items()
            if not k.startswith("replicate_")
        }


def bootstrap_summaries(
    aggregates: ReplicateAggregates, n_boot: int, level: float = 0.95
) -> list[BootstrapIntervals]:
    """Percentile intervals and ``P(tops differ)`` of questions whose replicates are stacked.

    ``aggregates`` holds ``Q * n_boot`` replicates: question ``q``'s are rows
    ``q * n_boot .. (q + 1) * n_boot - 1``. The percentiles of all questions come from one sort.
    """
    check_scalar(level, "level", float, 0, 1, include_boundaries="neither")
    agg = aggregates
    n_q = agg.nbc.shape[0] // n_boot

    def by_replicate(x: np.ndarray) -> np.ndarray:  # (Q * B, ...) -> (B, Q, ...)
        return np.moveaxis(x.reshape(n_q, n_boot, *x.shape[1:]), 1, 0)

    present = agg.type_weights > 0
    parts = [
        np.where(present[..., None], agg.rewards, np.nan),
        np.where(present[..., None], agg.shares, np.nan),
        agg.type_weights,
        agg.average_reward,
        agg.nbc,
    ]
    # every statistic of every question in one (B, X) matrix: one partition for all
    flat = [by_replicate(x).reshape(n_boot, n_q, -1) for x in parts]
    low, high = _percentiles(np.concatenate(flat, axis=2), level)
    edges = np.cumsum([0] + [f.shape[2] for f in flat])
    shapes = [x.shape[1:] for x in parts]
    rl, sl, tl, al, nl = (
        low[:, a:b].reshape(n_q, *shape)
        for a, b, shape in zip(edges[:-1], edges[1:], shapes, strict=True)
    )
    rh, sh, th, ah, nh = (
        high[:, a:b].reshape(n_q, *shape)
        for a, b, shape in zip(edges[:-1], edges[1:], shapes, strict=True)
    )
    p_differ = agg.tops_differ.reshape(n_q, n_boot).mean(axis=1)
    out = []
    for q in range(n_q):
        part = slice(q * n_boot, (q + 1) * n_boot)
        out.append(
            BootstrapIntervals(
                level=float(level),
                n_boot=int(n_boot),
                rewards_low=rl[q],
                rewards_high=rh[q],
                average_reward_low=al[q],
                average_reward_high=ah[q],
                nbc_low=nl[q],
                nbc_high=nh[q],
                shares_low=sl[q],
                shares_high=sh[q],
                type_weights_low=tl[q],
                type_weights_high=th[q],
                p_tops_differ=float(p_differ[q]),
                replicate_rewards=agg.rewards[part],
                replicate_type_weights=agg.type_weights[part],
                replicate_average_reward=agg.average_reward[part],
                replicate_nbc=agg.nbc[part],
            )
        )
    return out


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
    """Seeded percentile bootstrap of one question's shares, rewards, average reward and NBC.

    Respondents are resampled with replacement (:func:`bootstrap_multiplicities`); each
    replicate recomputes weighted shares, type weights ``p(u)``, Luce rewards, average reward and
    NBC exactly as for the data (:func:`replicate_aggregates`). A type absent from a replicate
    gets weight 0 there.

    >>> b = bootstrap_intervals([0, 1, 1, 0, 1, 1], [0, 0, 0, 1, 1, 1], 2, 2, n_boot=50, rng=0)
    >>> b.n_boot, b.nbc_low.shape, 0.0 <= b.p_tops_differ <= 1.0
    (50, (2,), True)
    """
    a = np.asarray(answers, dtype=np.int64)
    t = np.asarray(types, dtype=np.int64)
    choice_counts(a, t, n_types, n_options, weights)  # validates
    check_scalar(n_boot, "n_boot", int, min_val=2)
    check_scalar(level, "level", float, 0, 1, include_boundaries="neither")
    d = as_sampling(sampling, n_options)
    m = bootstrap_multiplicities(a.size, n_boot, rng)
    (counts,) = replicate_counts(m, t, a[None, :], n_types, [n_options], weights)
    aggregates = replicate_aggregates(counts, d, model, zero_policy, mix)
    return bootstrap_summaries(aggregates, n_boot, level)[0]
