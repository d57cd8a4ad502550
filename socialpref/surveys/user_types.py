"""User types of a survey: which columns define them, each respondent's type cell, its labels.

A type is the tuple of a respondent's codes in the type column(s) (``F_PARTYSUM_FINAL`` by
default); respondents whose type code is a non-answer ("Refused", "Don't know", not asked:
:mod:`socialpref.surveys.labels`; under ``preprocessing="paper"`` code 99 and the declared
missing codes) or who have an empty type or a zero weight have no type. The no-lean party type ("DK/Refused/No lean") is a
type. A crosstab's types are its ``group`` column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from socialpref._typing import IntArray
from socialpref.errors import DataError, ParameterError
from socialpref.surveys.checks import type_problem
from socialpref.surveys.labels import answer_status, is_no_lean_label
from socialpref.surveys.survey import AnswerRule, Survey, Variable

#: The paper's user types: Pew's party summary (1 Rep/Lean Rep, 2 Dem/Lean Dem, 9 no lean).
DEFAULT_TYPES = "F_PARTYSUM_FINAL"
#: Separator of the labels of combined types.
TYPE_JOIN = " | "

TypesArg = str | Sequence[str] | None
#: Suggested columns in a :class:`MissingTypeColumnError` message.
_N_SUGGESTIONS = 4
#: Demographic columns listed when no column is near.
_N_LISTED = 8


class MissingTypeColumnError(DataError):
    """A source lacks a type column (e.g. ``F_PARTYSUM_FINAL`` in ATP waves 3, 4 and 59).

    Raised by the analysis before any counting, so that a run over many sources can skip the
    source with this reason. Attributes: ``source``, ``missing`` (the absent columns),
    ``suggestions`` (the nearest columns present, e.g. ``F_PARTYSUM_TYPOLOGY``,
    ``F_PARTY_FINAL``, ``F_PARTYLN_FINAL``).
    """

    def __init__(
        self,
        source: str,
        missing: Sequence[str],
        suggestions: Sequence[str],
        demographics: Sequence[str] = (),
    ) -> None:
        self.source = source
        self.missing = tuple(missing)
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            near = f" Nearest columns present: {', '.join(self.suggestions)}."
        else:
            shown = ", ".join(demographics[:_N_LISTED]) or "none"
            more = (
                f" and {len(demographics) - _N_LISTED} more"
                if len(demographics) > _N_LISTED
                else ""
            )
            near = f" Its demographic columns: {shown}{more}."
        super().__init__(
            f"{source!r} has no type column {', '.join(self.missing)}; choose the user types with "
            f"types=... (--types COL[,COL]).{near}"
        )


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
        raise ParameterError(
            f"The 'types' parameter must name at least one column. Got {types!r} instead."
        )
    if len(set(cols)) != len(cols):
        raise ParameterError(f"The 'types' parameter names a column twice: {list(cols)!r}.")
    return cols


def _suggestions(missing: Sequence[str], present: Sequence[str]) -> list[str]:
    """Columns of ``present`` nearest to the ``missing`` ones (same stem first, then spelling)."""
    out: list[str] = []
    for name in missing:
        stem = re.sub(r"^F_|_(?:FINAL|W\d+)$", "", name.upper())
        root = re.sub(r"(?:SUM|LN|CAT)$", "", stem)
        same = [c for c in present if root and root in c.upper()]
        close = difflib.get_close_matches(name, present, n=_N_SUGGESTIONS, cutoff=0.6)
        out += [c for c in dict.fromkeys([*same, *close]) if c not in out]
    return out[:_N_SUGGESTIONS]


def _type_mask(var: Variable, rule: AnswerRule, drop_no_lean: bool) -> np.ndarray:
    # A respondent whose type is a non-answer has no type: keep_dk keeps "don't know" as an
    # answer option only, never as a user type.
    ok = var.allowed(rule.for_types).copy()
    if drop_no_lean:
        ok[:-1] &= ~np.array([is_no_lean_label(lab) for lab in var.labels], dtype=bool)
    return ok


def _code_types(
    survey: Survey, types: TypesArg, drop_no_lean: bool, rule: AnswerRule = AnswerRule()
) -> _TypeCoding:
    if survey.kind == "crosstab":
        if types is not None and _type_columns(types) != ("group",):
            raise ParameterError(
                f"The 'types' parameter cannot apply to crosstab {survey.source!r}: its types are its "
                f"'group' column ({', '.join(survey.groups)}). Got {types!r} instead."
            )
        kept = tuple(
            not ((drop_no_lean and is_no_lean_label(g)) or answer_status(g) != "answer")
            for g in survey.groups
        )
        return _TypeCoding(("group",), None, survey.groups, kept)
    cols = _type_columns(types)
    known = {**survey.demographic_variables, **survey.variables}
    absent = [c for c in cols if c not in known]
    if absent:
        present = [*survey.demographics, *(n for n in survey.variables if n not in cols)]
        raise MissingTypeColumnError(
            survey.source, absent, _suggestions(absent, present), survey.demographics
        )
    variables = [known[c] for c in cols]
    for var in variables:
        why = type_problem(var)
        if why is not None:
            raise DataError(
                f"Column {var.name!r} of {survey.source!r} cannot define user types: {why}. "
                "Choose a column of categories with types=... (--types COL)."
            )
    index = np.zeros(survey.n_rows, dtype=np.int64)
    dropped = np.zeros(survey.n_rows, dtype=bool)
    for var in variables:
        assert var.answers is not None
        ok = _type_mask(var, rule, drop_no_lean)
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
