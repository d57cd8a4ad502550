"""User types of a survey: which columns define them, each respondent's type cell, its labels.

A type is the tuple of a respondent's codes in the type column(s) (``F_PARTYSUM_FINAL`` by
default); respondents with a missing or "Refused" type, or a zero weight, have no type. A
crosstab's types are its ``group`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from socialpref._typing import IntArray
from socialpref.surveys.survey import Survey, Variable, is_no_lean_label, is_refused_label

#: The paper's user types: Pew's party summary (1 Rep/Lean Rep, 2 Dem/Lean Dem, 9 no lean).
DEFAULT_TYPES = "F_PARTYSUM_FINAL"
#: Separator of the labels of combined types.
TYPE_JOIN = " | "

TypesArg = str | Sequence[str] | None


@dataclass(frozen=True, eq=False)
class _TypeCoding:
    """Each respondent's type cell (``-1`` = dropped) and the label of every cell."""

    columns: tuple[str, ...]
    index: IntArray | None  # waves: (n_respondents,)
    labels: tuple[str, ...]
    kept: tuple[bool, ...] = ()  # crosstabs: which groups are kept


def _type_columns(types: TypesArg) -> tuple[str, ...]:
    if types is None:
        return (DEFAULT_TYPES,)
    if isinstance(types, str):
        cols = tuple(t.strip() for t in types.split(",") if t.strip())
    else:
        cols = tuple(str(t).strip() for t in types)
    if not cols:
        raise ValueError(
            f"The 'types' parameter must name at least one column. Got {types!r} instead."
        )
    if len(set(cols)) != len(cols):
        raise ValueError(f"The 'types' parameter names a column twice: {list(cols)!r}.")
    return cols


def _type_mask(var: Variable, drop_no_lean: bool) -> np.ndarray:
    # A respondent whose type is "Refused" has no type: --keep-refused keeps Refused as an
    # answer option only, never as a user type.
    ok = var.allowed(False).copy()
    if drop_no_lean:
        ok[:-1] &= ~np.array([is_no_lean_label(lab) for lab in var.labels], dtype=bool)
    return ok


def _code_types(survey: Survey, types: TypesArg, drop_no_lean: bool) -> _TypeCoding:
    if survey.kind == "crosstab":
        if types is not None and _type_columns(types) != ("group",):
            raise ValueError(
                f"The 'types' parameter cannot apply to crosstab {survey.source!r}: its types are its "
                f"'group' column ({', '.join(survey.groups)}). Got {types!r} instead."
            )
        kept = tuple(
            not ((drop_no_lean and is_no_lean_label(g)) or is_refused_label(g))
            for g in survey.groups
        )
        return _TypeCoding(("group",), None, survey.groups, kept)
    cols = _type_columns(types)
    known = {**survey.demographic_variables, **survey.variables}
    absent = [c for c in cols if c not in known]
    if absent:
        demo = ", ".join(survey.demographics) if survey.demographics else "none"
        raise ValueError(
            f"The 'types' parameter names column(s) that {survey.source!r} does not have: "
            f"{', '.join(absent)}. Its demographic columns: {demo}."
        )
    variables = [known[c] for c in cols]
    index = np.zeros(survey.n_rows, dtype=np.int64)
    dropped = np.zeros(survey.n_rows, dtype=bool)
    for var in variables:
        assert var.answers is not None
        ok = _type_mask(var, drop_no_lean)
        a = var.answers.astype(np.int64)
        dropped |= ~ok[a]
        index = index * var.n_codes + np.maximum(a, 0)
    if survey.weights is not None:
        dropped |= survey.weights <= 0
    if len(variables) == 1:
        index[dropped] = -1
        return _TypeCoding(cols, index, variables[0].labels)
    # several columns: number only the combinations that occur (lexicographic code order)
    combos, inverse = np.unique(index[~dropped], return_inverse=True)
    labels = []
    for combo in combos.tolist():
        parts = []
        for var in reversed(variables):
            combo, code = divmod(combo, var.n_codes)
            parts.append(var.labels[code])
        labels.append(TYPE_JOIN.join(reversed(parts)))
    index = np.full(survey.n_rows, -1, dtype=np.int64)
    index[~dropped] = inverse.reshape(-1)
    return _TypeCoding(cols, index, tuple(labels))
