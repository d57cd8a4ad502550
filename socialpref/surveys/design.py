"""Design effect and margin of sampling error from the weights (Kish), as Pew reports them.

For the ``n`` respondents of a group with weights ``w_k``:

* Kish's effective sample size ``n_eff = (sum_k w_k)^2 / sum_k w_k^2``;
* the design effect of weighting ``deff = n / n_eff = n sum_k w_k^2 / (sum_k w_k)^2``
  (``1 + CV^2`` of the weights; 1 when unweighted);
* the margin of sampling error of a share at the 95% level, at its widest (``p = 1/2``):
  ``MoE = z sqrt(deff p (1 - p) / n) = z / (2 sqrt(n_eff))`` with ``z = 1.959964``.

Pew computes these once for the whole sample and for subgroups; here they are computed per
question (its kept respondents) and per type within it. A crosstab has no respondent weights:
its design effects and margins are NaN (unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray

#: The standard normal quantile of a 95% interval.
Z_95 = 1.959963984540054


def _nan_to_none(values: FloatArray) -> list[float | None]:
    return [None if np.isnan(x) else float(x) for x in values]


@dataclass(frozen=True, eq=False)
class DesignEffect:
    """Kish's effective sample size, design effect and margin of error of a question and its types.

    Attributes
    ----------
    n : int
        Kept respondents of the question.
    effective_n, design_effect, margin_of_error : float
        ``n_eff``, ``deff`` and the 95% margin of error (a proportion, ``0.031`` = 3.1 points)
        over all kept respondents; NaN when unknown (crosstabs).
    type_n : int array (n_types,)
        Kept respondents per type.
    type_effective_n, type_design_effect, type_margin_of_error : float arrays (n_types,)
        The same within each type.
    """

    n: int
    effective_n: float
    design_effect: float
    margin_of_error: float
    type_n: IntArray
    type_effective_n: FloatArray
    type_design_effect: FloatArray
    type_margin_of_error: FloatArray

    def to_dict(self) -> dict[str, Any]:
        def one(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        return {
            "n": self.n,
            "effective_n": one(self.effective_n),
            "design_effect": one(self.design_effect),
            "margin_of_error": one(self.margin_of_error),
            "type_n": self.type_n.tolist(),
            "type_effective_n": _nan_to_none(self.type_effective_n),
            "type_design_effect": _nan_to_none(self.type_design_effect),
            "type_margin_of_error": _nan_to_none(self.type_margin_of_error),
        }


def _kish(n: FloatArray, sum_w: FloatArray, sum_w2: FloatArray) -> tuple[FloatArray, ...]:
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(sum_w2 > 0, sum_w * sum_w / sum_w2, np.nan)
        deff = np.where(n_eff > 0, n / n_eff, np.nan)
        moe = np.where(n_eff > 0, Z_95 / (2.0 * np.sqrt(n_eff)), np.nan)
    return n_eff, deff, moe


def design_effect(
    type_n: ArrayLike, type_sum_w: ArrayLike, type_sum_w2: ArrayLike | None
) -> DesignEffect:
    """Kish's design effect of a question and of each type, from per-type sums.

    Parameters
    ----------
    type_n : (n_types,) ints
        Respondents per type.
    type_sum_w, type_sum_w2 : (n_types,) floats
        Sums of the weights and of the squared weights per type; ``type_sum_w2=None`` when the
        weights are unknown (a crosstab): everything but ``n`` is NaN.

    Examples
    --------
    >>> d = design_effect([2, 2], [3.0, 2.0], [5.0, 2.0])   # weights (1, 2) and (1, 1)
    >>> round(d.design_effect, 4), round(d.effective_n, 4), d.type_design_effect.round(4).tolist()
    (1.12, 3.5714, [1.1111, 1.0])
    >>> round(d.margin_of_error, 4)   # 1.959964 / (2 sqrt(25 / 7))
    0.5186
    """
    sw2 = None if type_sum_w2 is None else np.asarray(type_sum_w2, dtype=np.float64)[None]
    return design_effects(
        np.asarray(type_n, dtype=np.int64)[None],
        np.asarray(type_sum_w, dtype=np.float64)[None],
        sw2,
    )[0]


def design_effects(
    type_n: ArrayLike, type_sum_w: ArrayLike, type_sum_w2: ArrayLike | None
) -> list[DesignEffect]:
    """:func:`design_effect` of ``Q`` questions with the same number of types, in one pass.

    ``type_n``, ``type_sum_w`` and ``type_sum_w2`` are ``(Q, n_types)``; element ``k`` equals
    ``design_effect(type_n[k], type_sum_w[k], type_sum_w2[k])`` (its arrays are views into
    arrays of the batch).

    >>> ds = design_effects([[2, 2], [1, 3]], [[3.0, 2.0], [1.0, 3.0]], [[5.0, 2.0], [1.0, 3.0]])
    >>> [round(d.design_effect, 4) for d in ds], ds[1].type_design_effect.tolist()
    ([1.12, 1.0], [1.0, 1.0])
    """
    n = np.asarray(type_n, dtype=np.int64)
    sw = np.asarray(type_sum_w, dtype=np.float64)
    q_n = n.sum(axis=1)
    if type_sum_w2 is None:
        eff, deff, moe = (np.full(n.shape, np.nan) for _ in range(3))
        return [
            DesignEffect(int(t), np.nan, np.nan, np.nan, n[k], eff[k], deff[k], moe[k])
            for k, t in enumerate(q_n.tolist())
        ]
    sw2 = np.asarray(type_sum_w2, dtype=np.float64)
    t_eff, t_deff, t_moe = _kish(n.astype(np.float64), sw, sw2)
    q_eff, q_deff, q_moe = (
        x.tolist() for x in _kish(q_n.astype(np.float64), sw.sum(axis=1), sw2.sum(axis=1))
    )
    totals = q_n.tolist()
    return [
        DesignEffect(
            n=totals[k],
            effective_n=q_eff[k],
            design_effect=q_deff[k],
            margin_of_error=q_moe[k],
            type_n=n[k],
            type_effective_n=t_eff[k],
            type_design_effect=t_deff[k],
            type_margin_of_error=t_moe[k],
        )
        for k in range(n.shape[0])
    ]


__all__ = ["Z_95", "DesignEffect", "design_effect", "design_effects"]
