"""Results of the min-TV analysis: one pair, one question, many questions.

Frozen dataclasses with ``to_dict()`` for the report and JSON layers. :class:`SweepResult` holds
the arrays of a sweep (:func:`socialpref.sensitivity.sensitivity_sweep`); its ``question(k)``
is the :class:`SensitivityResult` of question ``k``, and the one-question API
(:func:`socialpref.sensitivity.nbc_sensitivity`) returns ``question(0)`` of a one-item sweep.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class FlipResult:
    """Smallest TV change of the sampling distribution that puts ``j`` above ``i``.

    Attributes
    ----------
    pair : tuple of int
        ``(i, j)``: after the change ``NBC_q(j) >= NBC_q(i) + delta``.
    tv : float or None
        ``TV(q, base)`` of the optimal ``q``; None when no ``q >= eps`` flips the pair.
    distribution : (n_options,) array or None
        An optimal ``q`` (None when infeasible).
    """

    pair: tuple[int, int]
    tv: float | None
    distribution: FloatArray | None

    @property
    def feasible(self) -> bool:
        """Whether some distribution with full support flips the pair."""
        return self.tv is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pair": list(self.pair),
            "tv": self.tv,
            "feasible": self.feasible,
            "distribution": None if self.distribution is None else self.distribution.tolist(),
        }


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """How far the sampling distribution must move before NBC's ranking changes (Section 7.1).

    Attributes
    ----------
    min_tv : float or None
        Smallest TV from ``base`` that swaps some pair ordered strictly by NBC under ``base``;
        None when no pair can be swapped (the question is not "flippable").
    pair : tuple of int or None
        The minimising pair ``(i, j)`` (``NBC_base(i) > NBC_base(j)``; after the change ``j``
        is at least ``delta`` above ``i``). Ties in TV (within ``TV_TIE_TOL``) are broken in
        favour of a pair whose ``i`` is an NBC top choice, then by row-major order of ``(i, j)``.
    distribution : (n_options,) array or None
        The flipping distribution for ``pair``.
    top_flip : bool
        Whether the minimising pair involves the NBC top choice (the authors' definition of
        "the preferred choice changes"). Because of the tie rule above, it does not depend on
        the order of the options.
    top_flippable : bool
        Whether *some* feasible pair involves the NBC top choice, i.e. some distribution with
        full support dethrones the top. ``top_flip`` implies ``top_flippable``.
    top_min_tv : float or None
        Smallest TV that dethrones an NBC top choice (None when impossible).
    repair_tv : float or None
        Smallest TV that makes an average-reward winner (Eq. 9) the NBC winner by at least
        ``delta`` over every other option; 0 when it already is, None when impossible or not
        computed (see ``repair_feasible``).
    repair_feasible : bool or None
        Whether the repair is possible (None when it was not computed).
    n_pairs : int
        Ordered pairs with ``NBC_base(i) > NBC_base(j)`` (by more than ``TIE_TOL``).
    n_feasible : int
        How many of them can be swapped.
    nbc : (n_options,) array
        NBC under ``base``.
    nbc_top, average_top : tuple of int
        Options tied for first by NBC under ``base`` and by average reward.
    """

    min_tv: float | None
    pair: tuple[int, int] | None
    distribution: FloatArray | None
    top_flip: bool
    top_flippable: bool
    top_min_tv: float | None
    repair_tv: float | None
    repair_feasible: bool | None
    n_pairs: int
    n_feasible: int
    nbc: FloatArray
    nbc_top: tuple[int, ...]
    average_top: tuple[int, ...]

    @property
    def flippable(self) -> bool:
        """Whether some pair's NBC order can be swapped (the paper's "NBC ranking changes")."""
        return self.min_tv is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_tv": self.min_tv,
            "pair": None if self.pair is None else list(self.pair),
            "distribution": None if self.distribution is None else self.distribution.tolist(),
            "flippable": self.flippable,
            "top_flip": self.top_flip,
            "top_flippable": self.top_flippable,
            "top_min_tv": self.top_min_tv,
            "repair_tv": self.repair_tv,
            "repair_feasible": self.repair_feasible,
            "n_pairs": self.n_pairs,
            "n_feasible": self.n_feasible,
            "nbc": self.nbc.tolist(),
            "nbc_top": list(self.nbc_top),
            "average_top": list(self.average_top),
        }


def _opt(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Sensitivity of many questions (:func:`sensitivity_sweep`), as arrays in input order.

    Per-option arrays are padded to ``n_max`` options (NaN / False beyond ``n_options[k]``).
    ``question(k)`` (or ``results``) gives the :class:`SensitivityResult` of one question.

    Attributes
    ----------
    n_options, n_pairs, n_feasible : int arrays (Q,)
    min_tv, top_min_tv, repair_tv : float arrays (Q,), NaN where None
    pair : int array (Q, 2), -1 where not flippable
    distribution : float array (Q, n_max), NaN rows where not flippable
    top_flip, top_flippable, repair_feasible : bool arrays (Q,)
    repair : bool
        Whether the repair programs were solved (else ``repair_tv`` is all NaN).
    nbc : float array (Q, n_max)
    nbc_top, average_top : bool arrays (Q, n_max)
    """

    n_options: IntArray
    min_tv: FloatArray
    pair: IntArray
    distribution: FloatArray
    top_flip: BoolArray
    top_flippable: BoolArray
    top_min_tv: FloatArray
    repair_tv: FloatArray
    repair_feasible: BoolArray
    repair: bool
    n_pairs: IntArray
    n_feasible: IntArray
    nbc: FloatArray
    nbc_top: BoolArray
    average_top: BoolArray

    def __len__(self) -> int:
        return int(self.n_options.size)

    @property
    def flippable(self) -> BoolArray:
        """Whether each question's NBC order can be changed."""
        return np.asarray(np.isfinite(self.min_tv), dtype=bool)

    def question(self, k: int) -> SensitivityResult:
        """The result of question ``k``, as :func:`socialpref.sensitivity.nbc_sensitivity` gives it."""
        m = int(self.n_options[k])
        ok = bool(np.isfinite(self.min_tv[k]))
        return SensitivityResult(
            min_tv=_opt(self.min_tv[k]),
            pair=(int(self.pair[k, 0]), int(self.pair[k, 1])) if ok else None,
            distribution=self.distribution[k, :m].copy() if ok else None,
            top_flip=bool(self.top_flip[k]),
            top_flippable=bool(self.top_flippable[k]),
            top_min_tv=_opt(self.top_min_tv[k]),
            repair_tv=_opt(self.repair_tv[k]),
            repair_feasible=bool(self.repair_feasible[k]) if self.repair else None,
            n_pairs=int(self.n_pairs[k]),
            n_feasible=int(self.n_feasible[k]),
            nbc=self.nbc[k, :m].copy(),
            nbc_top=tuple(int(i) for i in np.flatnonzero(self.nbc_top[k, :m])),
            average_top=tuple(int(i) for i in np.flatnonzero(self.average_top[k, :m])),
        )

    @functools.cached_property
    def results(self) -> tuple[SensitivityResult, ...]:
        """Every question's :class:`SensitivityResult`, in input order."""
        return tuple(self.question(k) for k in range(len(self)))

    def summary(self) -> dict[str, Any]:
        """Counts over the questions: flippable (and share), top flips, median minimal TV."""
        n = len(self)
        flippable = int(self.flippable.sum())
        tv = self.min_tv[self.flippable]
        return {
            "questions": n,
            "flippable": flippable,
            "flippable_share": flippable / n if n else None,
            "top_flips": int(self.top_flip.sum()),
            "top_flippable": int(self.top_flippable.sum()),
            "median_min_tv": float(np.median(tv)) if flippable else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"questions": [r.to_dict() for r in self.results], "summary": self.summary()}


__all__ = ["FlipResult", "SensitivityResult", "SweepResult"]
