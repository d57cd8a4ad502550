"""Numeric columns (thermometers, ages, counts) offered as ordered classes, only when asked.

:func:`bin_variable` cuts the substantive values of a numeric column into at most ``bins``
contiguous ranges of codes holding about equal numbers of respondents: codes in ascending order
are cumulated and code ``c`` goes to bin ``floor(bins * (respondents below c) / total)``, so a
code is never split and a code that holds many respondents (50 on a thermometer) may leave fewer
bins than asked. Each bin is labelled by its range (``"0-40"``, ``"41-70"``, ``"71-100"``).
Non-substantive codes (by the answer rule) and empty answers stay out of every bin.
"""

from __future__ import annotations

import numpy as np

from socialpref._validation import check_scalar
from socialpref.errors import DataError
from socialpref.surveys.survey import ANSWER_DTYPE, AnswerRule, Variable, format_code


def bin_variable(var: Variable, bins: int, rule: AnswerRule = AnswerRule()) -> Variable:
    """``var`` with its substantive codes grouped into at most ``bins`` equal-count ranges.

    Parameters
    ----------
    var : Variable
        A wave's coded column (respondent-level answers).
    bins : int
        The most bins (>= 2).
    rule : AnswerRule
        Which codes are substantive; the others become empty answers.

    Returns
    -------
    Variable
        Codes ``1..k``, labels ``"lo-hi"`` (a single code: ``"lo"``), every status ``"answer"``.

    Examples
    --------
    >>> import numpy as np
    >>> v = Variable("AGE", "Age", (20.0, 30.0, 40.0, 50.0), ("20", "30", "40", "50"),
    ...              ("answer",) * 4, answers=np.array([0, 0, 1, 1, 2, 2, 3, 3], dtype=np.int32))
    >>> b = bin_variable(v, 2)
    >>> b.labels, b.answers.tolist()
    (('20-30', '40-50'), [0, 0, 0, 0, 1, 1, 1, 1])
    """
    check_scalar(bins, "bins", int, min_val=2)
    if var.answers is None:
        raise DataError(f"Column {var.name!r} has no respondent-level answers to bin.")
    ok = var.allowed(rule)
    a = var.answers.astype(np.int64)
    per_code = np.bincount(np.where(ok[a], a, var.n_codes), minlength=var.n_codes + 1)[:-1]
    total = int(per_code.sum())
    if total == 0:
        raise DataError(f"Column {var.name!r} has no substantive value to bin.")
    below = np.cumsum(per_code) - per_code
    which = np.minimum(bins - 1, (bins * below) // total)
    used = ok[:-1] & (per_code > 0)
    bin_ids = np.unique(which[used])
    new_of_bin = {int(b): k for k, b in enumerate(bin_ids)}
    remap = np.full(var.n_codes + 1, -1, dtype=np.int64)
    labels = []
    for b in bin_ids:
        members = np.flatnonzero(used & (which == b))
        lo, hi = var.codes[members[0]], var.codes[members[-1]]
        labels.append(format_code(lo) if lo == hi else f"{format_code(lo)}-{format_code(hi)}")
        remap[members] = new_of_bin[int(b)]
    return Variable(
        name=var.name,
        text=var.text,
        codes=tuple(float(k + 1) for k in range(len(labels))),
        labels=tuple(labels),
        status=tuple("answer" for _ in labels),
        declared=(False,) * len(labels),
        kind=var.kind,
        answers=remap[a].astype(ANSWER_DTYPE),
    )


__all__ = ["bin_variable"]
