"""Plausibility of a wave's codes and weights: what a healthy survey file never holds.

pyreadstat reads a damaged file without complaint as long as its structure holds. A few flipped
bytes in the data of a row-compressed ``.sav`` shift the bytes that follow, so that columns get
values such as ``8.6e-05`` or ``1.4e10``; read as they are, the party column becomes hundreds of
"types" and questions get hundreds of unlabelled "options". :func:`code_problem` finds such a
column from the notions of :mod:`socialpref.surveys.columns` (value labels, substantive codes,
labelled and unlabelled observed codes):

* a column is **categorical** when it has at least two substantive labelled codes and at least
  half of its substantive answers carry a labelled code (a question, a type column; a feeling
  thermometer labelled only at 0, 50 and 100 is not: most of its answers are unlabelled);
* a categorical column has **implausible codes** when some of its observed unlabelled
  substantive codes are not integers or exceed :data:`MAX_ABS_CODE` in magnitude (a healthy
  wave codes categories with small integers);
* a categorical column has **too many codes** when more than :data:`MAX_CODES` distinct
  substantive codes are observed: more options than a question, or types than a type column,
  can have (the pairwise aggregates of 40,000 options would need tens of GiB).

:func:`weight_problem` finds weights whose sums overflow (a weight of ``1e308``). The readers
raise a :class:`~socialpref.errors.DataError` that names the columns; :func:`type_problem` says why
a column cannot define user types (a measurement, or too many values), and the analysis refuses
it as types.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import FloatArray
from socialpref.surveys.columns import MIN_UNLABELLED
from socialpref.surveys.survey import Variable, format_code

#: At most this many distinct substantive codes observed in a categorical column.
MAX_CODES = 1_000
#: An unlabelled code of a categorical column is at most this large in magnitude.
MAX_ABS_CODE = 1e6
#: Codes quoted in a message.
_QUOTED = 3


def _quote(codes: NDArray[np.float64]) -> str:
    """A few codes of a sorted array: the smallest and largest in magnitude first."""
    order = np.argsort(np.abs(codes))
    picks = list(dict.fromkeys([int(order[0]), int(order[-1]), *order[: 8 * _QUOTED].tolist()]))
    shown = dict.fromkeys(
        format_code(c) if float(c).is_integer() and abs(c) <= MAX_ABS_CODE else f"{c:.3g}"
        for c in codes[picks]
    )
    return ", ".join(list(shown)[:_QUOTED]) + (", ..." if codes.size > _QUOTED else "")


def code_problem(var: Variable, labelled: NDArray[np.bool_]) -> str | None:
    """What makes the respondent-level column ``var`` implausible, or None.

    Parameters
    ----------
    var : Variable
        A wave's coded column (with ``answers``).
    labelled : bool array (n_codes,)
        Which of ``var.codes`` carry a value label.

    Returns
    -------
    str or None
        A phrase such as ``"74 unlabelled codes that are not small integers (8.6e-05,
        1.4e+10, ...; 1,836 answers)"``; None for a plausible column.

    Examples
    --------
    >>> import numpy as np
    >>> v = Variable("Q", "Q", (1.0, 2.0, 2.5e-05), ("A", "B", "2.5e-05"), ("answer",) * 3,
    ...              answers=np.array([0, 1, 0, 1, 2], dtype=np.int32))
    >>> code_problem(v, np.array([True, True, False]))
    '1 unlabelled code that is not a small integer (2.5e-05; 1 answer)'
    >>> code_problem(v, np.array([True, True, True])) is None
    True
    """
    if var.answers is None or not labelled.any():
        return None
    codes = np.asarray(var.codes, dtype=np.float64)
    per_code = np.bincount(var.answers[var.answers >= 0], minlength=codes.size)
    substantive = np.asarray([s == "answer" for s in var.status], dtype=bool)
    n_sub = int(per_code[substantive].sum())
    n_labelled = int(per_code[substantive & labelled].sum())
    if np.count_nonzero(substantive & labelled) < 2 or 2 * n_labelled < n_sub:
        return None  # not categorical: a measurement, checked by nobody here
    observed = substantive & (per_code > 0)
    n_observed = int(np.count_nonzero(observed))
    if n_observed > MAX_CODES:
        return (
            f"{n_observed:,} distinct codes, more than the {MAX_CODES:,} options or types a "
            "categorical column can have"
        )
    odd = observed & ~labelled & ((codes != np.round(codes)) | (np.abs(codes) > MAX_ABS_CODE))
    if not odd.any():
        return None
    k, held = int(np.count_nonzero(odd)), int(per_code[odd].sum())
    s = "" if k == 1 else "s"
    return (
        f"{k} unlabelled code{s} that {'is' if k == 1 else 'are'} not {'a ' if k == 1 else ''}"
        f"small integer{s} ({_quote(codes[odd])}; {held:,} answer{'' if held == 1 else 's'})"
    )


def type_problem(var: Variable) -> str | None:
    """Why the respondent-level column ``var`` cannot define user types, or None.

    A type column holds categories: not more than :data:`MAX_CODES` distinct substantive codes,
    and, when it has value labels, not mostly unlabelled codes (the notion of a measurement in
    :mod:`socialpref.surveys.columns`: at least ``MIN_UNLABELLED`` unlabelled codes making up at
    least half of the observed substantive codes, as an age labelled only at 97 "97 or older").
    A code is unlabelled when its label is the code itself. A column without any value label is
    taken as categories named by their codes.

    >>> v = Variable("AGE", "Age", (18.0, 19.0, 20.0, 97.0), ("18", "19", "20", "97+"),
    ...              ("answer",) * 4, answers=np.array([0, 1, 2, 3], dtype=np.int32))
    >>> type_problem(v)
    'most of its values have no label (3 of 4 distinct values): a measurement, not categories'
    """
    if var.answers is None:
        return None
    per_code = np.bincount(var.answers[var.answers >= 0], minlength=var.n_codes)
    substantive = np.asarray([s == "answer" for s in var.status], dtype=bool)
    observed = substantive & (per_code > 0)
    n_observed = int(np.count_nonzero(observed))
    if n_observed > MAX_CODES:
        return f"{n_observed:,} distinct values, more than the {MAX_CODES:,} types an analysis can take"
    named = np.asarray(
        [lab != format_code(c) for c, lab in zip(var.codes, var.labels, strict=True)]
    )
    n_unlabelled = int(np.count_nonzero(observed & ~named))
    if named.any() and n_unlabelled >= MIN_UNLABELLED and 2 * n_unlabelled >= n_observed:
        return (
            f"most of its values have no label ({n_unlabelled:,} of {n_observed:,} distinct "
            "values): a measurement, not categories"
        )
    return None


def weight_problem(weights: FloatArray) -> str | None:
    """Why finite, non-negative ``weights`` cannot be used, or None.

    Their sum and the sum of their squares (Kish's design effect) must be finite.

    >>> weight_problem(np.array([1.0, 2.0]))
    >>> weight_problem(np.array([1.0, 1e308, 1e308]))
    'weights too large to add up (largest 1e+308)'
    """
    with np.errstate(over="ignore"):
        ok = np.isfinite(weights.sum()) and np.isfinite(np.dot(weights, weights))
    if ok:
        return None
    return f"weights too large to add up (largest {float(weights.max()):g})"


__all__ = ["MAX_ABS_CODE", "MAX_CODES", "code_problem", "type_problem", "weight_problem"]
