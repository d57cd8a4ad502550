"""The closed form of the min-TV flip program (``solver="exact"``): a fractional-knapsack greedy.

The program of paper Appendix D (see :mod:`socialpref.sensitivity`), for ``c = P[i] - P[j]``
and a base distribution ``b``::

    minimise    TV(q, b) = 1/2 ||q - b||_1
    subject to  q >= eps,  sum(q) = 1,  c @ q <= -delta.

:func:`greedy_flip` solves it in closed form (the proof is in its docstring), vectorised over
leading axes so that one call handles every pair of many questions; :func:`greedy_tv_uniform`
is its TV-only hot path for a uniform base. numpy only. The sweep
(:mod:`socialpref.sensitivity.sweep`) and the repair program
(:mod:`socialpref.sensitivity.repair`) call it; the LP formulations it is tested against live
in :mod:`socialpref.sensitivity.lp`.

Examples
--------
>>> import numpy as np
>>> c, base = np.array([0.3, 0.1, -0.1, -0.2]), np.full(4, 0.25)
>>> tv, q = greedy_flip(c, base, np.ones(4, dtype=bool), 1e-5, 1e-5, want_q=True)
>>> round(float(tv), 5), q.round(5).tolist()
(0.05002, [0.19998, 0.25, 0.25, 0.30002])
>>> round(float(greedy_tv_uniform(c, 1e-5, 1e-5)), 5)
0.05002
>>> float(greedy_tv_uniform(np.array([0.5, 0.4]), 1e-5, 1e-5))  # no q >= eps flips it
inf
"""

from __future__ import annotations

import math

import numpy as np

from socialpref._typing import BoolArray, FloatArray


def greedy_flip(
    c: FloatArray,
    base: FloatArray,
    valid: BoolArray,
    eps: float,
    delta: float,
    want_q: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    r"""Closed-form minimum of ``TV(q, b)`` s.t. ``q >= eps``, ``sum q = 1``, ``c @ q <= -delta``.

    Vectorised over leading axes: ``c``, ``base`` and ``valid`` broadcast to ``(..., n)``;
    entries where ``valid`` is False are padding (not options: no mass, no constraint).

    Returns ``(tv, q)``: ``tv`` of shape ``(...)`` (``inf`` where infeasible) and, when
    ``want_q``, an optimal ``q`` of shape ``(..., n)`` (NaN rows where infeasible).

    The greedy rule: move mass from the options with the largest ``c``, each down to ``eps``,
    onto one option ``l`` with the smallest ``c``, until ``c @ q = -delta``; options whose base
    is below ``eps`` are first raised to ``eps``.

    Proof (fractional knapsack). Write ``q = b + d+ - d-`` with ``d+, d- >= 0`` the positive and
    negative parts of ``q - b``; then ``sum d+ = sum d- = T = TV(q, b)``. Let ``f_k =
    max(eps - b_k, 0)`` (forced raises, total ``F``), ``u_k = max(b_k - eps, 0)`` (what option
    ``k`` can give), ``g_k = c_k - c_min >= 0`` and ``G = c @ b + delta + sum_k g_k f_k``.
    Feasibility forces ``d+_k >= f_k``, ``d-_k = 0`` where ``f_k > 0`` and ``d-_k <= u_k``.
    Since the free part of ``d+`` (``d+ - f`` has total ``T - F``) gains at least ``c_min``
    per unit,

        ``c @ d >= sum_k c_k f_k + c_min (T - F) - sum_k c_k d-_k
                 = sum_k g_k f_k - sum_k g_k d-_k``,

    so the flip constraint ``c @ d <= -(c @ b + delta)`` needs ``sum_k g_k d-_k >= G``. The
    largest value of ``sum_k g_k d-_k`` over ``0 <= d- <= u``, ``sum d- = T`` is the fractional
    knapsack ``R(T)``: fill the largest ``g_k`` first. ``R`` is non-decreasing, hence every
    feasible ``q`` has ``T >= T* = max(F, min{t : R(t) >= G})``, and the program is feasible iff
    ``R(sum u) >= G`` (``sum u >= F`` always holds because ``sum b = 1 > n eps``). The greedy
    ``q`` (raise each ``f_k``, take ``R``'s optimal ``d-`` for ``T*``, put the remaining
    ``T* - F`` on ``l = argmin c``) meets every bound, has ``c @ d <= -(c @ b + delta)`` and
    ``TV = T*``: the minimum. (When ``T* > F`` the greedy stops inside the options with
    ``g_k > 0``, so ``l`` gives nothing and the TV is exactly ``T*``.) With ``b >= eps``
    (e.g. uniform) ``F = 0`` and ``G = c @ b + delta``: the rule in the first paragraph.
    """
    c = np.asarray(c, np.float64)
    b = np.asarray(base, np.float64)
    if b.shape != c.shape:
        c, b = np.broadcast_arrays(c, b)
    n = c.shape[-1]
    valid_arr = np.asarray(valid, bool)
    padded = not valid_arr.all()  # without padding the masks below change nothing: skip them
    ok = np.broadcast_to(valid_arr, c.shape) if padded else valid_arr
    c_masked = np.where(ok, c, np.inf) if padded else c
    c_min = c_masked.min(axis=-1, keepdims=True)
    receiver = c_masked.argmin(axis=-1)
    forced = np.maximum(eps - b, 0.0)
    cap = np.maximum(b - eps, 0.0)
    gain = c - c_min
    cb = c * b
    if padded:
        gain, forced, cap, cb = (np.where(ok, x, 0.0) for x in (gain, forced, cap, cb))
    total_forced = forced.sum(axis=-1)
    need = cb.sum(axis=-1) + delta + (gain * forced).sum(axis=-1)

    if not want_q:
        row_cap = cap.max(axis=-1)
        if not total_forced.any() and np.all(~ok | (cap == row_cap[..., None])):
            return greedy_equal_caps(gain, row_cap, need), None

    # the knapsack on rows of n entries (leading axes flattened: plain fancy indexing)
    shape = c.shape[:-1]
    rows = math.prod(shape)
    gain2, cap2, need2 = gain.reshape(rows, n), cap.reshape(rows, n), need.reshape(rows)
    order = np.argsort(-gain2, axis=-1, kind="stable")
    r_col, r_idx = np.arange(rows)[:, None], np.arange(rows)
    g_s = gain2[r_col, order]
    cap_s = cap2[r_col, order]
    val_s = g_s * cap_s
    cum_val = np.cumsum(val_s, axis=-1)
    before_cap = np.cumsum(cap_s, axis=-1) - cap_s  # capacity of the options sorted before
    feasible = cum_val[:, -1] >= need2
    # first sorted position where the cumulative value reaches the need
    m = np.minimum((cum_val < need2[:, None]).sum(axis=-1), n - 1)
    prev_cap = before_cap[r_idx, m]
    prev_val = cum_val[r_idx, m] - val_s[r_idx, m]
    g_m = g_s[r_idx, m]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t_need = np.where(
            need2 > 0, prev_cap + (need2 - prev_val) / np.where(g_m > 0, g_m, 1.0), 0.0
        )
    tv2 = np.where(feasible, np.maximum(total_forced.reshape(rows), t_need), np.inf)
    tv = tv2.reshape(shape)
    if not want_q:
        return tv, None
    t = np.where(feasible, tv2, 0.0)
    give_s = np.minimum(np.maximum(t[:, None] - before_cap, 0.0), cap_s)
    give = np.empty_like(give_s)
    give[r_col, order] = give_s
    q2 = (b + forced).reshape(rows, n) - give
    q2[r_idx, receiver.reshape(rows)] += t - total_forced.reshape(rows)
    q = q2.reshape(c.shape)
    if padded:
        q = np.where(ok, q, 0.0)
    q = np.where(feasible.reshape(shape)[..., None], q, np.nan)
    return tv, q


def greedy_equal_caps(gain: FloatArray, row_cap: FloatArray, need: FloatArray) -> FloatArray:
    """Fast path of :func:`greedy_flip` (TV only) when every option can give ``row_cap``.

    With a uniform base (no forced raises) all capacities are ``1/n - eps``: sorting the gains
    suffices (no argsort, no gathers). Padding entries get the same capacity with gain 0, which
    changes nothing: the greedy reaches the need before any option of gain 0.
    """
    n = gain.shape[-1]
    g_s = np.sort(gain, axis=-1)[..., ::-1]  # descending
    cum_g = np.cumsum(g_s, axis=-1)
    feasible = cum_g[..., -1] * row_cap >= need
    m = np.minimum((cum_g * row_cap[..., None] < need[..., None]).sum(axis=-1), n - 1)
    flat_m = np.arange(m.size) * n + m.reshape(-1)  # the m-th entry of each row
    g_m = g_s.reshape(-1)[flat_m].reshape(m.shape)
    prev_val = (cum_g.reshape(-1)[flat_m].reshape(m.shape) - g_m) * row_cap
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t_need = np.where(
            need > 0, m * row_cap + (need - prev_val) / np.where(g_m > 0, g_m, 1.0), 0.0
        )
    return np.where(feasible, t_need, np.inf)


def greedy_tv_uniform(c: FloatArray, eps: float, delta: float) -> FloatArray:
    """:func:`greedy_flip`'s TV for a uniform base over all ``n`` entries of ``c`` (no padding).

    The sweep's hot path: ``need = mean(c) + delta``, every capacity is ``1/n - eps``.
    """
    n = c.shape[-1]
    gain = c - c.min(axis=-1, keepdims=True)
    need = c.sum(axis=-1) / n + delta
    return greedy_equal_caps(gain, np.full(need.shape, 1.0 / n - eps), need)


__all__ = ["greedy_equal_caps", "greedy_flip", "greedy_tv_uniform"]
