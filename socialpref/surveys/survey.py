"""The typed survey object that readers return and the analysis consumes.

A :class:`Survey` holds either respondent-level data (an ATP wave) or aggregated counts (a
crosstab). Answers are stored as integer arrays of :data:`ANSWER_DTYPE`: for each coded column,
``answers[k]`` is the index of respondent ``k``'s code in :attr:`Variable.codes` (``-1`` for an
empty answer), so that counting the answers of every question is one ``np.bincount`` each. Every code carries its
:data:`~socialpref.surveys.labels.AnswerStatus`; an :class:`AnswerRule` says which statuses are
options.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import FloatArray
from socialpref.errors import ParameterError
from socialpref.surveys.columns import Column, ColumnKind
from socialpref.surveys.labels import AnswerStatus

SurveyKind = Literal["wave", "crosstab"]
Preprocessing = Literal["default", "paper"]
#: ``"default"``: non-answers are never options; ``"paper"``: the paper's rule (drop code 99 and
#: the file's declared missing codes).
PREPROCESSINGS: tuple[Preprocessing, ...] = ("default", "paper")
#: The one code that the paper's reference code drops (Pew's "Refused").
PAPER_DROPPED_CODE = 99.0
#: The integer type of :attr:`Variable.answers`: 32 bits, so that an index never wraps (a
#: 16-bit index would turn the 32,768th code of a column into a negative index).
ANSWER_DTYPE = np.int32


def format_code(code: float) -> str:
    """A code as text: ``3.0 -> "3"``, ``2.5 -> "2.5"``."""
    return str(int(code)) if float(code).is_integer() else repr(float(code))


@dataclass(frozen=True)
class AnswerRule:
    """Which codes of a question are options.

    Attributes
    ----------
    keep_dk : bool
        Keep pure "don't know" answers (status ``"dk"``) as an option. Refusals and missing or
        erroneous answers never become options.
    preprocessing : {"default", "paper"}
        ``"default"``: options are the codes whose status is ``"answer"`` (plus ``"dk"`` with
        ``keep_dk``). ``"paper"``: the rule of the paper's reference code, every code but 99
        and the codes the file declares user-missing (labelled or not, whatever its label: the
        paper read waves with pyreadstat's defaults, which turn declared missing values into
        NaN); ``keep_dk`` does not apply.
    """

    keep_dk: bool = False
    preprocessing: Preprocessing = "default"

    def __post_init__(self) -> None:
        if self.preprocessing not in PREPROCESSINGS:
            raise ParameterError(
                f"The 'preprocessing' parameter must be one of {PREPROCESSINGS}. "
                f"Got {self.preprocessing!r} instead."
            )
        if not isinstance(self.keep_dk, (bool, np.bool_)):
            raise ParameterError(
                f"The 'keep_dk' parameter must be True or False. Got {self.keep_dk!r} instead."
            )
        if self.keep_dk and self.preprocessing == "paper":
            raise ParameterError(
                "The 'keep_dk' parameter cannot apply with preprocessing='paper', which keeps "
                "every code but 99 (don't know included)."
            )

    @property
    def for_types(self) -> AnswerRule:
        """The rule for type columns: non-answers are never a type (``keep_dk`` is for answers)."""
        return AnswerRule(False, self.preprocessing)


@dataclass(frozen=True, eq=False)
class Variable:
    """One coded column: a question, a demographic, or another column an analysis may include.

    Attributes
    ----------
    name : str
        Column name (e.g. ``"EVCAR2_W128"``).
    text : str
        Column label (the question wording); the name when the file has none.
    codes : tuple of float
        Every code that is labelled or observed, ascending (for a crosstab: option order of the
        file, with codes ``1, 2, ...``).
    labels : tuple of str
        One label per code (the code itself when unlabelled).
    status : tuple of AnswerStatus
        Per code: ``"answer"``, ``"dk"``, ``"refused"`` or ``"missing"`` (from its label, the
        file's user-missing declarations and, for an unlabelled 99 of a categorical column, Pew's
        convention that 99 is the non-answer).
    declared : tuple of bool
        Codes declared user-missing in the file.
    kind : ColumnKind
        The column's class.
    answers : int32 array (n_respondents,) or None
        Index into ``codes`` per respondent, ``-1`` when empty (waves only; :data:`ANSWER_DTYPE`).
    counts : float array (n_groups, n_codes) or None
        Weighted counts per group and option (crosstabs only).
    """

    name: str
    text: str
    codes: tuple[float, ...]
    labels: tuple[str, ...]
    status: tuple[AnswerStatus, ...]
    declared: tuple[bool, ...] = ()
    kind: ColumnKind = "question"
    answers: NDArray[np.signedinteger[Any]] | None = None
    counts: FloatArray | None = None
    _masks: dict[AnswerRule, NDArray[np.bool_]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def n_codes(self) -> int:
        return len(self.codes)

    def allowed(self, rule: AnswerRule = AnswerRule()) -> NDArray[np.bool_]:
        """Read-only mask over codes (plus a trailing ``False`` for index ``-1``) of the options."""
        cached = self._masks.get(rule)
        if cached is None:
            if rule.preprocessing == "paper":
                # the paper's code read waves with pyreadstat's defaults (user-declared missing
                # codes become NaN), then dropped code 99
                declared = self.declared or (False,) * len(self.codes)
                ok = np.asarray(
                    [
                        c != PAPER_DROPPED_CODE and not d
                        for c, d in zip(self.codes, declared, strict=True)
                    ],
                    dtype=bool,
                )
            else:
                keep = {"answer", "dk"} if rule.keep_dk else {"answer"}
                ok = np.asarray([s in keep for s in self.status], dtype=bool)
            cached = np.append(ok, False)
            cached.setflags(write=False)
            self._masks[rule] = cached
        return cached


@dataclass(frozen=True, eq=False)
class QuestionSummary:
    """One row of ``socialpref surveys list``: a column, its class and, for questions, options."""

    name: str
    text: str
    options: tuple[str, ...]
    n_respondents: int
    kind: ColumnKind = "question"
    reason: str = ""
    non_answers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "text": self.text,
            "kind": self.kind,
            "reason": self.reason,
            "options": list(self.options),
            "non_answers": list(self.non_answers),
            "n_respondents": self.n_respondents,
        }


@dataclass(frozen=True, eq=False)
class Survey:
    """A survey wave or crosstab, ready for :func:`socialpref.surveys.analyze_question`.

    Attributes
    ----------
    source : str
        The file name (e.g. ``"ATP W900.sav"``), used to label results.
    path : Path
        The file read.
    kind : {"wave", "crosstab"}
    questions : tuple of str
        Names of the columns classed ``"question"``, in file order: what an analysis takes by
        default.
    demographics : tuple of str
        ``F_*`` columns with value labels (waves only).
    weights : float array (n_respondents,) or None
        Respondent weights; ``None`` when unweighted or for a crosstab.
    weight_column : str or None
        The weight column used (``None`` when unweighted).
    n_bad_weights : int
        Respondents whose weight is missing or zero; they are excluded from every analysis and
        reported (never silently dropped).
    file_label : str
        The file label of a ``.sav`` (e.g. says "SYNTHETIC" for the demo wave).
    groups : tuple of str
        Crosstab group labels in file order (crosstabs only).
    columns : tuple of Column
        Every column of the file with its class and the reason for it, in file order.
    variables : mapping {name: Variable}
        Every coded column an analysis may take (questions, and the numeric, open-ended,
        derived and administrative columns with numeric codes that ``include`` brings in).
    demographic_variables : mapping {name: Variable}
        The coded ``F_*`` columns.
    """

    source: str
    path: Path
    kind: SurveyKind
    questions: tuple[str, ...]
    demographics: tuple[str, ...] = ()
    weights: FloatArray | None = None
    weight_column: str | None = None
    n_bad_weights: int = 0
    file_label: str = ""
    groups: tuple[str, ...] = ()
    n_rows: int = 0
    columns: tuple[Column, ...] = ()
    variables: Mapping[str, Variable] = field(default_factory=dict, repr=False)
    demographic_variables: Mapping[str, Variable] = field(default_factory=dict, repr=False)
    cache: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_respondents(self) -> int:
        """Rows of the wave (0 for a crosstab)."""
        return self.n_rows

    def column(self, name: str) -> Column | None:
        """The :class:`Column` called ``name``, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def names_of_kind(self, kinds: Sequence[str]) -> tuple[str, ...]:
        """Coded columns of the given classes, in file order."""
        wanted = set(kinds)
        return tuple(c.name for c in self.columns if c.kind in wanted and c.name in self.variables)

    def question(self, name: str) -> Variable:
        """The coded column ``name``; an unknown name raises ``ValueError`` with close matches."""
        try:
            return self.variables[name]
        except KeyError:
            raise ParameterError(self.unknown_question(name)) from None

    def unknown_question(self, name: str) -> str:
        """The message for an unknown question name, with the closest names."""
        col = self.column(name)
        if col is not None:
            return f"{name!r} of {self.source!r} is not a coded answer column: {col.kind}, {col.reason}."
        close = difflib.get_close_matches(name, self.questions, n=5, cutoff=0.5)
        if not close:
            lowered = {q.lower(): q for q in self.questions}
            close = [
                lowered[q]
                for q in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.4)
            ]
        hint = (
            f" Did you mean: {', '.join(close)}?"
            if close
            else f" It has {len(self.questions)} questions; run 'socialpref surveys list'."
        )
        return f"Unknown question {name!r} in {self.source!r}.{hint}"

    def question_text(self, name: str) -> str:
        """The wording of question ``name`` (its column label)."""
        return self.question(name).text

    def options(self, name: str, rule: AnswerRule = AnswerRule()) -> tuple[str, ...]:
        """Labels of the codes of ``name`` that ``rule`` keeps as options, in code order."""
        var = self.question(name)
        ok = var.allowed(rule)
        return tuple(lab for lab, keep in zip(var.labels, ok, strict=False) if keep)

    def n_answered(self, name: str, rule: AnswerRule = AnswerRule()) -> int:
        """Respondents whose answer is an option under ``rule`` (crosstab: rounded total count)."""
        var = self.question(name)
        ok = var.allowed(rule)
        if var.answers is not None:
            return int(np.count_nonzero(ok[var.answers]))
        assert var.counts is not None
        return round(float(var.counts[:, ok[:-1]].sum()))

    def summary(self) -> list[QuestionSummary]:
        """Every column in file order: class, reason and, for coded ones, options and respondents."""
        rows = []
        for col in self.columns:
            var = self.variables.get(col.name) or self.demographic_variables.get(col.name)
            if var is None:
                rows.append(QuestionSummary(col.name, col.text, (), 0, col.kind, col.reason))
                continue
            nonans = tuple(
                f"{lab} [{format_code(c)}]"
                for c, lab, s in zip(var.codes, var.labels, var.status, strict=True)
                if s != "answer"
            )
            rows.append(
                QuestionSummary(
                    col.name,
                    col.text,
                    self.options(col.name) if col.name in self.variables else (),
                    self.n_answered(col.name) if col.name in self.variables else 0,
                    col.kind,
                    col.reason,
                    nonans,
                )
            )
        return rows


__all__ = [
    "ANSWER_DTYPE",
    "PAPER_DROPPED_CODE",
    "PREPROCESSINGS",
    "AnswerRule",
    "Preprocessing",
    "QuestionSummary",
    "Survey",
    "SurveyKind",
    "Variable",
    "format_code",
]
