"""From answers to one question's options, type weights ``p(u)``, choice shares and ``D``.

:func:`_cell_counts` counts the kept respondents of one question per (type cell, code): their
number, their weight and their squared weight (for Kish's design effect);
:func:`_all_cell_counts` does the same for many wave questions with one ``np.bincount`` per
block of questions. :func:`_prepare` keeps the observed options and present types and gives
everything about a question except its rewards and aggregates (:class:`_Prepared`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialpref._typing import FloatArray, IntArray
from socialpref.errors import DataError
from socialpref.surveys.checks import MAX_CODES
from socialpref.surveys.design import DesignEffect, design_effect
from socialpref.surveys.sampling import SamplingArg, _sampling_vector
from socialpref.surveys.survey import AnswerRule, Survey, Variable
from socialpref.surveys.user_types import _TypeCoding

#: Weighted counts, respondent counts and squared-weight sums per (type cell, code).
Counts = tuple[FloatArray, IntArray, FloatArray | None]

#: Elements (respondents x questions) counted per ``np.bincount`` call in :func:`_all_cell_counts`.
_BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Everything about one question except its rewards and aggregates."""

    var: Variable
    options: tuple[str, ...]
    types: tuple[str, ...]
    opt_idx: IntArray
    type_idx: IntArray
    counts: FloatArray
    type_weights: FloatArray
    shares: FloatArray
    n_kept: int
    n_per_option: IntArray
    n_per_type: IntArray
    sampling: FloatArray
    unchosen: tuple[str, ...]
    design: DesignEffect


def _cell_counts(survey: Survey, var: Variable, coding: _TypeCoding, rule: AnswerRule) -> Counts:
    """Weighted, unweighted and squared-weight counts per (type cell, code) of kept respondents."""
    n_codes = var.n_codes
    allowed = var.allowed(rule)
    n_cells = len(coding.labels)
    if var.answers is None:
        assert var.counts is not None
        mask = np.outer(np.asarray(coding.kept, dtype=bool), allowed[:-1])
        wcounts = np.where(mask, var.counts, 0.0)
        return wcounts, np.rint(wcounts).astype(np.int64), None
    assert coding.index is not None
    a = var.answers.astype(np.intp)
    keep = allowed[a] & (coding.index >= 0)
    cell = np.where(keep, coding.index * n_codes + a, n_cells * n_codes)
    size = n_cells * n_codes + 1
    ncounts = np.asarray(
        np.bincount(cell, minlength=size)[:-1].reshape(n_cells, n_codes), dtype=np.int64
    )
    if survey.weights is None:
        unit = ncounts.astype(np.float64)
        return unit, ncounts, unit
    w = survey.weights
    wcounts, w2counts = (
        np.asarray(np.bincount(cell, weights=x, minlength=size)[:-1], dtype=np.float64).reshape(
            n_cells, n_codes
        )
        for x in (w, w * w)
    )
    return wcounts, ncounts, w2counts


def _all_cell_counts(
    survey: Survey, variables: list[Variable], coding: _TypeCoding, rule: AnswerRule
) -> list[Counts]:
    """:func:`_cell_counts` for many wave questions, a block of questions per ``np.bincount``.

    Every answer is counted in a ``(type cell + 1) x (1 + code)`` grid per question: one extra
    row for dropped respondents and one extra column, first, for empty answers, so that a
    respondent's cell is ``type * width + 1 + answer`` whatever the answer (one fused pass per
    question, no masking); codes that are not kept are zeroed afterwards.
    """
    assert coding.index is not None
    n_cells = len(coding.labels)
    n = survey.n_rows
    out: list[Counts] = []
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    rows = np.where(coding.index >= 0, coding.index, n_cells).astype(np.int64)
    for start in range(0, len(variables), block):
        chunk = variables[start : start + block]
        width = max(v.n_codes for v in chunk) + 1
        size = (n_cells + 1) * width
        base = rows * width + 1
        cell = np.empty((len(chunk), n), dtype=np.int64)
        for k, v in enumerate(chunk):
            assert v.answers is not None
            np.add(v.answers, base + k * size, out=cell[k])
        flat = cell.ravel()
        ncounts = np.asarray(
            np.bincount(flat, minlength=len(chunk) * size), dtype=np.int64
        ).reshape(len(chunk), n_cells + 1, width)
        wcounts: FloatArray
        w2counts: FloatArray
        if survey.weights is None:
            wcounts = w2counts = ncounts.astype(np.float64)
        else:
            w = survey.weights
            wcounts, w2counts = (
                np.asarray(
                    np.bincount(
                        flat,
                        weights=np.broadcast_to(x, (len(chunk), n)).ravel(),
                        minlength=len(chunk) * size,
                    ),
                    dtype=np.float64,
                ).reshape(len(chunk), n_cells + 1, width)
                for x in (w, w * w)
            )
        for k, v in enumerate(chunk):
            dropped = ~v.allowed(rule)[:-1]
            codes = slice(1, v.n_codes + 1)
            nc = ncounts[k, :n_cells, codes].copy()
            wc = wcounts[k, :n_cells, codes].copy()
            w2 = w2counts[k, :n_cells, codes].copy()
            nc[:, dropped] = 0
            wc[:, dropped] = 0.0
            w2[:, dropped] = 0.0
            out.append((wc, nc, w2))
    return out


def _distinct(labels: list[str], codes: list[str]) -> tuple[str, ...]:
    if len(set(labels)) == len(labels):
        return tuple(labels)
    return tuple(
        f"{lab} [{c}]" if labels.count(lab) > 1 else lab
        for lab, c in zip(labels, codes, strict=True)
    )


def _prepare(
    survey: Survey,
    var: Variable,
    coding: _TypeCoding,
    counted: Counts,
    rule: AnswerRule,
    sampling: SamplingArg,
) -> _Prepared:
    wcounts, ncounts, w2counts = counted
    allowed = var.allowed(rule)
    observed = (ncounts.sum(axis=0) > 0) if var.answers is not None else (wcounts.sum(axis=0) > 0)
    opt_idx = np.flatnonzero(observed)
    type_idx = np.flatnonzero(wcounts[:, opt_idx].sum(axis=1) > 0)
    unchosen = tuple(var.labels[i] for i in range(var.n_codes) if allowed[i] and not observed[i])
    options = _distinct([var.labels[i] for i in opt_idx], [f"{var.codes[i]:g}" for i in opt_idx])
    n_kept = int(ncounts.sum())
    if len(opt_idx) < 2:
        got = f"only {options[0]!r}" if options else "none"
        raise DataError(
            f"Question {var.name!r} of {survey.source!r} has fewer than two options after filtering "
            f"({got}; {n_kept} respondents kept)."
        )
    if len(opt_idx) > MAX_CODES:  # the pairwise aggregates would need O(options^2) memory
        raise DataError(
            f"Column {var.name!r} of {survey.source!r} has {len(opt_idx):,} options, more than "
            f"the {MAX_CODES:,} an analysis can take; analyse a numeric column as ranges of "
            "values with bins=N (--bins N)."
        )
    types = _distinct([coding.labels[i] for i in type_idx], [str(i) for i in type_idx])
    counts = wcounts[type_idx][:, opt_idx]
    row = counts.sum(axis=1)  # p(u) and shares as socialpref.shares_from_counts
    sub_n = ncounts[type_idx][:, opt_idx]
    n_per_type = sub_n.sum(axis=1).astype(np.int64)
    sum_w2 = None if w2counts is None else w2counts[type_idx][:, opt_idx].sum(axis=1)
    return _Prepared(
        var=var,
        options=options,
        types=types,
        opt_idx=opt_idx,
        type_idx=type_idx,
        counts=counts,
        type_weights=row / row.sum(),
        shares=counts / row[:, None],
        n_kept=n_kept,
        n_per_option=sub_n.sum(axis=0).astype(np.int64),
        n_per_type=n_per_type,
        sampling=_sampling_vector(sampling, options),
        unchosen=unchosen,
        design=design_effect(n_per_type, row, sum_w2),
    )
