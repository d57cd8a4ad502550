"""Average reward and NBC of many questions of one shape at once.

:func:`compare_batch` returns, for a stack of populations with the same numbers of types and
options, exactly what :func:`socialpref.aggregate.compare_aggregates` returns for each of them
(same formulas: Eq. 9, Eq. 8 and Eq. 13, the same tie tolerance for rankings, Kendall's tau-b
computed as scipy does), with one NumPy call per step instead of one per question. The tests
check it against the core question by question.
"""

from __future__ import annotations

import numpy as np

from socialpref._typing import FloatArray, IntArray
from socialpref.aggregate import TIE_TOL, AggregateComparison, RankComparison
from socialpref.preference import PreferenceModel, get_model


def rankings(scores: FloatArray, tol: float = TIE_TOL) -> IntArray:
    """Competition ranks of each row (1 = best), as :func:`socialpref.ranking` per row."""
    better = (scores[:, None, :] - scores[:, :, None]) > tol
    return np.asarray(better.sum(axis=2) + 1, dtype=np.int64)


def kendall_tau_b(x: FloatArray, y: FloatArray) -> FloatArray:
    """Kendall's tau-b between rows of ``x`` and ``y``, as :func:`socialpref.kendall_tau`.

    The scores are snapped to competition ranks first; NaN where a row has fewer than two
    options or is constant (within the tie tolerance).
    """
    n = x.shape[1]
    out = np.full(x.shape[0], np.nan)
    if n < 2:
        return out
    rx, ry = rankings(x).astype(np.float64), rankings(y).astype(np.float64)
    iu, ju = np.triu_indices(n, k=1)
    sx = np.sign(rx[:, iu] - rx[:, ju])
    sy = np.sign(ry[:, iu] - ry[:, ju])
    tot = iu.size
    xtie = (sx == 0).sum(axis=1)
    ytie = (sy == 0).sum(axis=1)
    cmd = (sx * sy).sum(axis=1).astype(np.int64)
    ok = (np.ptp(x, axis=1) > TIE_TOL) & (np.ptp(y, axis=1) > TIE_TOL) & (xtie < tot) & (ytie < tot)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = cmd / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
    tau = np.minimum(1.0, np.maximum(-1.0, tau))
    out[ok] = tau[ok]
    return out


def compare_batch(
    rewards: FloatArray,
    type_weights: FloatArray,
    sampling: FloatArray,
    model: PreferenceModel | str | None = None,
) -> list[AggregateComparison]:
    """``compare_aggregates`` for ``B`` populations of one shape.

    Parameters
    ----------
    rewards : (B, n_types, n_options) array
    type_weights : (B, n_types) array, rows summing to one
    sampling : (B, n_options) array, rows summing to one
    model : preference model of NBC (default Bradley-Terry)
    """
    sigma = get_model(model)
    avg = np.einsum("bu,bui->bi", type_weights, rewards)
    diffs = rewards[:, :, :, None] - rewards[:, :, None, :]
    pairwise = np.einsum("bu,buij->bij", type_weights, sigma.prob(diffs))
    score = np.einsum("bij,bj->bi", pairwise, sampling)
    ra, rn = rankings(avg), rankings(score)
    tau = kendall_tau_b(avg, score)
    out = []
    for b in range(rewards.shape[0]):
        top_a = np.flatnonzero(ra[b] == 1)
        top_n = np.flatnonzero(rn[b] == 1)
        out.append(
            AggregateComparison(
                average_reward=avg[b],
                nbc=score[b],
                average_ranking=ra[b],
                nbc_ranking=rn[b],
                average_top=tuple(int(i) for i in top_a),
                nbc_top=tuple(int(i) for i in top_n),
                comparison=RankComparison(
                    kendall_tau=float(tau[b]),
                    top_agreement=bool(np.array_equal(top_a, top_n)),
                    same_order=bool(np.array_equal(ra[b], rn[b])),
                ),
            )
        )
    return out
