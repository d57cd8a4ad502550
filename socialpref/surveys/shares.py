"""From answers to many questions' options, type weights ``p(u)``, choice shares and ``D``.

Two vectorised steps, each a few numpy calls per *group* of questions rather than per question:

* :func:`count_cells` counts the kept respondents of every question per (type cell, code):
  their number, their weight and their squared weight (for Kish's design effect), one
  ``np.bincount`` of each per question of a wave (a question's counts stay in cache), into one
  array per number of codes (:class:`CellCounts`);
* :func:`prepare_questions` keeps each question's observed options and present types, and
  gives, for every group of questions of one shape (types x options), the stacked counts,
  ``p(u)``, shares, design effects and ``D`` (:class:`PreparedGroup`) with one
  :class:`PreparedQuestion` per question (views into the group's arrays), and the error of
  each question that cannot be analysed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from socialpref._typing import BoolArray, FloatArray, IntArray
from socialpref.errors import DataError, SocialPrefError
from socialpref.surveys.checks import MAX_CODES
from socialpref.surveys.design import DesignEffect, design_effects
from socialpref.surveys.sampling import SamplingArg, _sampling_vector
from socialpref.surveys.survey import AnswerRule, Survey, Variable
from socialpref.surveys.user_types import _TypeCoding


@dataclass(frozen=True, eq=False)
class CellCounts:
    """Counts per (type cell, code) of the questions of a survey that have ``n_codes`` codes.

    Codes that the answer rule does not keep, and types that are dropped, count zero.

    Attributes
    ----------
    members : int array (Q,)
        Positions of these questions in the list given to :func:`count_cells`.
    weighted : float array (Q, n_cells, n_codes)
        Sums of the weights (a crosstab: its counts).
    respondents : int array (Q, n_cells, n_codes)
        Respondents (a crosstab: its rounded counts).
    squared : float array (Q, n_cells, n_codes) or None
        Sums of the squared weights; None when the weights are unknown (a crosstab).
    """

    members: IntArray
    weighted: FloatArray
    respondents: IntArray
    squared: FloatArray | None


@dataclass(frozen=True, eq=False)
class PreparedQuestion:
    """Everything about one question except its rewards and aggregates.

    The arrays are views into the stacked arrays of its :class:`PreparedGroup`.
    """

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


@dataclass(frozen=True, eq=False)
class PreparedGroup:
    """The questions of one shape (``n_types`` present types x ``n_options`` observed options).

    Attributes
    ----------
    questions : tuple of PreparedQuestion
        In the order of the variables given to :func:`prepare_questions`.
    shares : float array (G, n_types, n_options)
    type_weights : float array (G, n_types)
    sampling : float array (G, n_options)
    """

    questions: tuple[PreparedQuestion, ...]
    shares: FloatArray
    type_weights: FloatArray
    sampling: FloatArray


def count_cells(
    survey: Survey, variables: Sequence[Variable], coding: _TypeCoding, rule: AnswerRule
) -> list[CellCounts]:
    """Counts per (type cell, code) of ``variables``, one :class:`CellCounts` per number of codes.

    A wave's respondent falls in cell ``type * (n_codes + 1) + 1 + answer`` of a
    ``(n_cells + 1) x (n_codes + 1)`` grid (an extra row for dropped respondents, an extra
    column, first, for empty answers), so that one fused pass per question counts everything
    without masking; the codes that the rule does not keep are zeroed afterwards, all questions
    of one number of codes at once.
    """
    n_cells = len(coding.labels)
    by_codes: dict[int, list[int]] = {}
    for k, v in enumerate(variables):
        by_codes.setdefault(v.n_codes, []).append(k)
    out = []
    for n_codes, members in by_codes.items():
        mask = np.stack([variables[k].allowed(rule)[:-1] for k in members])[:, None, :]
        squared: FloatArray | None = None
        if survey.kind == "wave":
            assert coding.index is not None
            weighted, respondents, squared = _wave_counts(
                survey, [variables[k] for k in members], coding.index, n_cells, n_codes
            )
            respondents = np.where(mask, respondents, 0)
            squared = np.where(mask, squared, 0.0)
            weighted = np.where(mask, weighted, 0.0)
        else:  # a crosstab: the counts of the kept groups; no weights, rounded respondents
            weighted = np.stack([np.asarray(variables[k].counts, np.float64) for k in members])
            kept = np.asarray(coding.kept, dtype=bool)[None, :, None]
            weighted = np.where(mask & kept, weighted, 0.0)
            respondents = np.rint(weighted).astype(np.int64)
        out.append(CellCounts(np.asarray(members, dtype=np.int64), weighted, respondents, squared))
    return out


def _wave_counts(
    survey: Survey, variables: Sequence[Variable], index: IntArray, n_cells: int, n_codes: int
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Weights, respondents and squared weights per (type cell, code) of wave questions.

    Unweighted (``survey.weights`` None): every weight is 1, the weighted counts are the
    respondents.
    """
    width = n_codes + 1
    size = (n_cells + 1) * width
    base = np.where(index >= 0, index, n_cells) * width + 1
    weights = survey.weights
    squares = None if weights is None else weights * weights
    ncounts = np.empty((len(variables), size), dtype=np.int64)
    wcounts = np.empty((len(variables), size))
    w2counts = np.empty((len(variables), size))
    cell = np.empty(survey.n_rows, dtype=np.int64)
    for k, v in enumerate(variables):  # a question's counts stay in cache
        assert v.answers is not None
        np.add(v.answers, base, out=cell)
        ncounts[k] = np.bincount(cell, minlength=size)
        if weights is not None:
            wcounts[k] = np.bincount(cell, weights=weights, minlength=size)
            w2counts[k] = np.bincount(cell, weights=squares, minlength=size)
    grid = (len(variables), n_cells + 1, width)
    respondents = ncounts.reshape(grid)[:, :n_cells, 1:]
    if weights is None:
        unit = respondents.astype(np.float64)
        return unit, respondents, unit
    weighted = wcounts.reshape(grid)[:, :n_cells, 1:]
    return weighted, respondents, w2counts.reshape(grid)[:, :n_cells, 1:]


def _distinct(labels: list[str], codes: list[float]) -> tuple[str, ...]:
    if len(set(labels)) == len(labels):
        return tuple(labels)
    return tuple(
        f"{lab} [{c:g}]" if labels.count(lab) > 1 else lab
        for lab, c in zip(labels, codes, strict=True)
    )


def _nonzero_rows(mask: BoolArray, count: int) -> IntArray:
    """The column indices of the ``count`` True entries of each row of ``mask``, ``(rows, count)``."""
    return np.nonzero(mask)[1].reshape(mask.shape[0], count)


def prepare_questions(
    survey: Survey,
    variables: Sequence[Variable],
    coding: _TypeCoding,
    counted: Sequence[CellCounts],
    rule: AnswerRule,
    sampling: SamplingArg,
) -> tuple[list[PreparedGroup], dict[str, SocialPrefError]]:
    """Observed options, present types, ``p(u)``, shares, design effects and ``D`` of every question.

    Options are the kept codes that some kept respondent chose, types the cells with a positive
    kept weight. Returns the groups of questions of one shape and, by name, the error of each
    question that cannot be analysed (fewer than two options, more than ``MAX_CODES``, a
    ``sampling`` that does not fit its options).
    """
    errors: dict[str, SocialPrefError] = {}
    parts: dict[tuple[int, int], list[tuple[IntArray, FloatArray, IntArray, FloatArray | None]]]
    parts = {}
    index: dict[int, tuple[IntArray, IntArray, int]] = {}  # question -> opt_idx, type_idx, n
    for cc in counted:
        basis = cc.respondents if cc.squared is not None else cc.weighted
        observed: BoolArray = np.any(basis > 0, axis=1)  # (Q, n_codes)
        present: BoolArray = np.any(cc.weighted > 0, axis=2)  # (Q, n_cells): a kept weight > 0
        n_opts = observed.sum(axis=1)
        n_types = present.sum(axis=1)
        n_kept = cc.respondents.sum(axis=(1, 2))
        ok = (n_opts >= 2) & (n_opts <= MAX_CODES)
        for q in np.flatnonzero(~ok).tolist():
            k = int(cc.members[q])
            errors[variables[k].name] = _shape_error(
                survey, variables[k], coding, observed[q], int(n_opts[q]), int(n_kept[q])
            )
        shape_key = n_types * (MAX_CODES + 1) + n_opts
        for key in np.unique(shape_key[ok]).tolist():
            sel = np.flatnonzero(ok & (shape_key == key))
            t, o = divmod(key, MAX_CODES + 1)
            opt = _nonzero_rows(observed[sel], o)  # (G, o)
            typ = _nonzero_rows(present[sel], t)  # (G, t)
            rows = sel[:, None, None]
            cells = (rows, typ[:, :, None], opt[:, None, :])
            w2 = None if cc.squared is None else cc.squared[cells]
            parts.setdefault((t, o), []).append(
                (cc.members[sel], cc.weighted[cells], cc.respondents[cells], w2)
            )
            for g, q in enumerate(sel.tolist()):
                index[int(cc.members[q])] = (opt[g], typ[g], int(n_kept[q]))
    groups = []
    for pieces in parts.values():
        group = _prepare_group(survey, variables, coding, pieces, index, rule, sampling, errors)
        if group is not None:
            groups.append(group)
    return groups, errors


def _shape_error(
    survey: Survey,
    var: Variable,
    coding: _TypeCoding,
    observed: BoolArray,
    n_opts: int,
    n_kept: int,
) -> DataError:
    opt_idx = np.flatnonzero(observed).tolist()
    options = _distinct([var.labels[i] for i in opt_idx], [var.codes[i] for i in opt_idx])
    if n_opts < 2:
        got = f"only {options[0]!r}" if options else "none"
        return DataError(
            f"Question {var.name!r} of {survey.source!r} has fewer than two options after filtering "
            f"({got}; {n_kept} respondents kept)."
        )
    # the pairwise aggregates would need O(options^2) memory
    return DataError(
        f"Column {var.name!r} of {survey.source!r} has {n_opts:,} options, more than "
        f"the {MAX_CODES:,} an analysis can take; analyse a numeric column as ranges of "
        "values with bins=N (--bins N)."
    )


def _prepare_group(
    survey: Survey,
    variables: Sequence[Variable],
    coding: _TypeCoding,
    pieces: list[tuple[IntArray, FloatArray, IntArray, FloatArray | None]],
    index: dict[int, tuple[IntArray, IntArray, int]],
    rule: AnswerRule,
    sampling: SamplingArg,
    errors: dict[str, SocialPrefError],
) -> PreparedGroup | None:
    """Questions of one shape, stacked from the pieces of each number of codes, in input order."""
    members = np.concatenate([p[0] for p in pieces])
    order = np.argsort(members, kind="stable")
    members = members[order]
    counts = np.concatenate([p[1] for p in pieces])[order]  # (G, t, o)
    sub_n = np.concatenate([p[2] for p in pieces])[order]
    squared = [p[3] for p in pieces if p[3] is not None]
    sum_w2 = np.concatenate(squared)[order].sum(axis=2) if len(squared) == len(pieces) else None
    row = counts.sum(axis=2)  # p(u) and shares as socialpref.shares_from_counts
    n_per_type = sub_n.sum(axis=2)
    type_weights = row / row.sum(axis=1, keepdims=True)
    shares = counts / row[:, :, None]
    n_per_option = sub_n.sum(axis=1)
    designs = design_effects(n_per_type, row, sum_w2)
    n_options = counts.shape[2]
    uniform = np.full((len(members), n_options), 1.0 / n_options)  # as_sampling(None, n)
    samplings = list(uniform)
    questions: list[PreparedQuestion] = []
    keep: list[int] = []
    for g, k in enumerate(members.tolist()):
        var = variables[k]
        opt_idx, type_idx, n_kept = index[k]
        opt_list = opt_idx.tolist()
        options = _distinct([var.labels[i] for i in opt_list], [var.codes[i] for i in opt_list])
        if sampling is not None:
            try:
                samplings[g] = _sampling_vector(sampling, options)
            except SocialPrefError as exc:
                errors[var.name] = exc
                continue
        chosen = set(opt_list)
        allowed = var.allowed(rule)
        type_list = type_idx.tolist()
        questions.append(
            PreparedQuestion(
                var=var,
                options=options,
                types=_distinct(
                    [coding.labels[i] for i in type_list], [float(i) for i in type_list]
                ),
                opt_idx=opt_idx,
                type_idx=type_idx,
                counts=counts[g],
                type_weights=type_weights[g],
                shares=shares[g],
                n_kept=n_kept,
                n_per_option=n_per_option[g],
                n_per_type=n_per_type[g],
                sampling=samplings[g],
                unchosen=tuple(
                    var.labels[i] for i in range(var.n_codes) if allowed[i] and i not in chosen
                ),
                design=designs[g],
            )
        )
        keep.append(g)
    if not keep:
        return None
    if len(keep) == len(members) and sampling is None:
        return PreparedGroup(tuple(questions), shares, type_weights, uniform)
    return PreparedGroup(
        questions=tuple(questions),
        shares=shares[keep],
        type_weights=type_weights[keep],
        sampling=np.stack([samplings[g] for g in keep]),
    )
