"""The typed survey object that readers return and the analysis consumes.

A :class:`Survey` holds either respondent-level data (an ATP wave) or aggregated counts (a
crosstab). Answers are stored as small integer arrays: for each question, ``answers[k]`` is the
index of respondent ``k``'s code in :attr:`Variable.codes` (``-1`` for a missing answer), so that
counting the answers of every question is one ``np.bincount`` each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import FloatArray

SurveyKind = Literal["wave", "crosstab"]

#: Words a "Refused" label (Pew's code 99) is made of: "Refused", "DK/Refused", "(VOL) Refused",
#: "Refused/Web blank", "DK/Ref". A label with any other word ("DK/Refused/No lean", the party
#: type the paper keeps; "I refused the vaccine", a real answer) is not a refusal.
_REFUSAL_WORDS = frozenset({"refused", "ref"})
_REFUSAL_VOCABULARY = _REFUSAL_WORDS | {
    "dk", "vol", "no", "answer", "web", "blank", "don't", "dont", "know", "not", "sure", "skipped",
}  # fmt: skip
#: A type label meaning "no lean" / "don't know" / "refused" (e.g. F_PARTYSUM_FINAL code 9).
_NO_LEAN_RE = re.compile(r"no lean|\bdk\b|don'?t know|refused|not sure", re.IGNORECASE)


def is_refused_label(label: str) -> bool:
    """Whether a value label means "Refused" (``"Refused"``, ``"DK/Refused"``, ``"Refused (VOL.)"``).

    >>> is_refused_label("Refused"), is_refused_label("DK/Refused/No lean")
    (True, False)
    >>> is_refused_label("(VOL) Refused"), is_refused_label("DK/Ref"), is_refused_label("Reform")
    (True, True, False)
    """
    words = {w for w in re.split(r"[\s/\-,.()\[\]]+", label.lower()) if w}
    return bool(words & _REFUSAL_WORDS) and words <= _REFUSAL_VOCABULARY


def is_no_lean_label(label: str) -> bool:
    """Whether a type label is a non-substantive group (no lean, DK, refused).

    >>> is_no_lean_label("DK/Ref-no lean"), is_no_lean_label("Rep/Lean Rep")
    (True, False)
    """
    return _NO_LEAN_RE.search(label) is not None


def format_code(code: float) -> str:
    """A code as text: ``3.0 -> "3"``, ``2.5 -> "2.5"``."""
    return str(int(code)) if float(code).is_integer() else repr(float(code))


@dataclass(frozen=True, eq=False)
class Variable:
    """One coded column: a question or a demographic.

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
    refused : tuple of bool
        Codes whose label means "Refused" (dropped unless ``keep_refused``).
    missing : tuple of bool
        Codes declared missing in the file that are not "Refused" (always dropped).
    answers : int16 array (n_respondents,) or None
        Index into ``codes`` per respondent, ``-1`` when missing (waves only).
    counts : float array (n_groups, n_codes) or None
        Weighted counts per group and option (crosstabs only).
    """

    name: str
    text: str
    codes: tuple[float, ...]
    labels: tuple[str, ...]
    refused: tuple[bool, ...]
    missing: tuple[bool, ...]
    answers: NDArray[np.int16] | None = None
    counts: FloatArray | None = None
    _masks: dict[bool, NDArray[np.bool_]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_codes(self) -> int:
        return len(self.codes)

    def allowed(self, keep_refused: bool) -> NDArray[np.bool_]:
        """Read-only mask over codes (plus a trailing ``False`` for index ``-1``) of kept answers."""
        key = bool(keep_refused)
        cached = self._masks.get(key)
        if cached is None:
            ok = ~np.asarray(self.missing, dtype=bool)
            if not keep_refused:
                ok &= ~np.asarray(self.refused, dtype=bool)
            cached = np.append(ok, False)
            cached.setflags(write=False)
            self._masks[key] = cached
        return cached


@dataclass(frozen=True, eq=False)
class QuestionSummary:
    """One row of ``socialpref surveys list``."""

    name: str
    text: str
    options: tuple[str, ...]
    n_respondents: int


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
        Question names in file order.
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
    variables: Mapping[str, Variable] = field(default_factory=dict, repr=False)
    demographic_variables: Mapping[str, Variable] = field(default_factory=dict, repr=False)
    cache: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_respondents(self) -> int:
        """Rows of the wave (0 for a crosstab)."""
        return self.n_rows

    def question(self, name: str) -> Variable:
        """The coded question ``name``; an unknown name raises ``ValueError`` with close matches."""
        try:
            return self.variables[name]
        except KeyError:
            raise ValueError(self.unknown_question(name)) from None

    def unknown_question(self, name: str) -> str:
        """The message for an unknown question name, with the closest names."""
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

    def options(self, name: str) -> tuple[str, ...]:
        """Option labels of question ``name`` in code order, "Refused" and missing codes excluded."""
        var = self.question(name)
        return tuple(
            lab
            for lab, r, m in zip(var.labels, var.refused, var.missing, strict=True)
            if not (r or m)
        )

    def n_answered(self, name: str) -> int:
        """Respondents with a non-missing, non-refused answer (crosstab: rounded total count)."""
        var = self.question(name)
        ok = var.allowed(keep_refused=False)
        if var.answers is not None:
            return int(np.count_nonzero(ok[var.answers]))
        assert var.counts is not None
        return round(float(var.counts[:, ok[:-1]].sum()))

    def summary(self) -> list[QuestionSummary]:
        """Name, text, options and respondents of every question, in file order."""
        return [
            QuestionSummary(q, self.question_text(q), self.options(q), self.n_answered(q))
            for q in self.questions
        ]
