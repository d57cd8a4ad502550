"""Which columns are questions: the class of every column of a wave.

A wave holds much more than opinion questions. :func:`classify_column` gives each column one
:data:`ColumnKind`, decided from its value labels, the share of its observed codes that are
unlabelled, its number of distinct values, the SPSS measure level and format where the file has
them, and patterns of Pew's column names (never a list of one wave's names). In order:

1. ``"id"``: the respondent identifier (``QKEY``, ``CASEID``, ``RESPID``).
2. ``"weight"``: ``WEIGHT*`` columns.
3. ``"demographic"``: ``F_*`` columns (respondent attributes: the candidates for user types).
4. ``"text"`` / ``"admin"``: a column whose values are not numeric codes (text; a date or time,
   also a numeric column with an SPSS date or time format).
5. ``"admin"``: administrative names: ``LANG``/``LANGUAGE``, ``FLAG`` (e.g. "Saw incorrect
   version"), ``DEVICE_TYPE`` and ``NEW_DEVICE_TYPE``, ``XCODE*`` and other ``X*`` sample or
   preload flags, ``FORM`` splits, with or without ``_W<n>``; and interview dates and durations
   (``INTERVIEW_START``, ``INTERVIEW_END``, ``*DURATION*``, a ``DATE``, ``TIMER``,
   ``STARTTIME`` or ``ENDTIME`` part) unless they are labelled categorical answers.
6. ``"derived"``: a recode or summary (a ``RECODE`` token, or ``SUM`` followed by ``_``, a digit
   or the end of the name: ``PARTYSUM_W5``, ``KNOWSUM2``) that is *not* a labelled categorical
   answer. One that is (every observed substantive code labelled, at least two of them) is a
   ``"question"``.
7. ``"numeric"``: a measurement rather than a choice: no value labels; or at least
   :data:`MIN_UNLABELLED` observed substantive codes without a label making up at least half of
   the observed codes (feeling thermometers 0-100 with labels at 0, 50 and 100, ages, minutes,
   counts); or non-integer codes; or SPSS measure ``scale`` with any unlabelled observed code.
8. ``"open-ended"``: a coded open-ended mention: ``OE`` (or ``OE1``, ``OE2``, ...) ends the name or
   a ``_``-separated part of it (``NATCHROE1_W114``, ``EXCITEOE_W99_OE1``) and the column has at
   least :data:`MIN_OPEN_ENDED_CODES` labelled codes (a real question whose name happens to end in
   ``OE``, ``CANOE_W5``, has a handful).
9. ``"question"``: every other column with value labels: a single-choice question.

Observed substantive codes are the distinct values present in the data that are neither labelled
as a non-answer (:func:`~socialpref.surveys.labels.answer_status`) nor declared user-missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from socialpref.surveys.labels import answer_status

ColumnKind = Literal[
    "question", "numeric", "open-ended", "admin", "derived", "demographic", "weight", "id", "text"
]
#: Every column class, in the order ``surveys list`` groups them.
COLUMN_KINDS: tuple[ColumnKind, ...] = (
    "question", "numeric", "open-ended", "derived", "admin", "demographic", "weight", "id", "text"
)  # fmt: skip
#: Classes that ``include`` (``--include-kind``) can bring into an analysis besides questions.
INCLUDABLE_KINDS: tuple[ColumnKind, ...] = (
    "numeric",
    "open-ended",
    "derived",
    "admin",
    "demographic",
)
#: A numeric column has at least this many unlabelled observed codes (and they are at least half).
MIN_UNLABELLED = 3
#: A coded open-ended mention has at least this many labelled codes.
MIN_OPEN_ENDED_CODES = 10

_WAVE_SUFFIX_RE = re.compile(r"_W\d+$", re.IGNORECASE)
_ID_RE = re.compile(r"^(?:QKEY|CASEID|CASE_ID|RESPID|RESP_ID|RESPONDENT_?ID)$", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^WEIGHT", re.IGNORECASE)
_DEMOGRAPHIC_RE = re.compile(r"^F_", re.IGNORECASE)
_ADMIN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), why)
    for p, why in (
        (r"^(?:NEW_)?DEVICE_?TYPE", "device used for the interview"),
        (r"^LANG(?:UAGE)?(?:_W\d+)?$", "language of the interview"),
        (r"^FLAG(?:_|$)", "data-quality flag"),
        (r"^X(?:CODE)?[A-Z0-9_]", "sample or preload flag (X*)"),
        (r"^FORM(?:_W\d+)?$|^FORM_?\d+(?:_W\d+)?$", "form split (questionnaire version)"),
    )
)
#: Interview dates and durations; a labelled categorical answer with such a name stays a question.
_TIMING_RE = re.compile(
    r"^INTERVIEW_(?:START|END)|DURATION|(?:^|_)(?:DATE|TIMER|STARTTIME|ENDTIME)(?:_|$)",
    re.IGNORECASE,
)
_DERIVED_RE = re.compile(r"RECODE|SUM(?:_|\d|$)", re.IGNORECASE)
_OPEN_ENDED_RE = re.compile(r"OE\d*(?:_|$)", re.IGNORECASE)
_DATE_FORMAT_RE = re.compile(r"^(?:DATE|ADATE|EDATE|SDATE|JDATE|DATETIME|TIME|DTIME|YMDHMS|MTIME|%t)", re.IGNORECASE)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One column of a source and its class.

    Attributes
    ----------
    name, text : str
        Column name and label (the question wording for a question).
    kind : ColumnKind
        Its class (see :mod:`socialpref.surveys.columns`).
    reason : str
        Why it has this class (for every class but ``"question"``: why it is not analysed by
        default).
    n_distinct : int
        Distinct observed values (empty answers excluded).
    n_labels : int
        Value labels.
    n_unlabelled : int
        Observed substantive codes without a label.
    measure : str
        SPSS measure level (``"nominal"``, ``"ordinal"``, ``"scale"``) or ``"unknown"``.
    """

    name: str
    text: str
    kind: ColumnKind
    reason: str
    n_distinct: int = 0
    n_labels: int = 0
    n_unlabelled: int = 0
    measure: str = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _admin_reason(name: str) -> str | None:
    for pattern, why in _ADMIN_PATTERNS:
        if pattern.search(name):
            return why
    return None


def classify_column(
    name: str,
    values: np.ndarray | None,
    value_labels: Mapping[float, str] | None = None,
    *,
    declared: tuple[tuple[float, float], ...] = (),
    measure: str = "unknown",
    format: str = "",
    text: str = "",
) -> Column:
    """The class of one column (the rules are in :mod:`socialpref.surveys.columns`).

    Parameters
    ----------
    name : str
        Column name.
    values : array or None
        The column's values; None or a non-numeric array for text and dates.
    value_labels : mapping {code: label}, optional
        Its value labels.
    declared : tuple of (low, high)
        Codes declared user-missing (ranges; a single code is ``(c, c)``).
    measure : str
        SPSS measure level, ``"unknown"`` when the file has none (Stata, CSV).
    format : str
        SPSS/Stata display format (``"F8.2"``, ``"DATETIME20"``, ``"%td"``); dates are admin.
    text : str
        Column label.

    Examples
    --------
    >>> import numpy as np
    >>> classify_column("THERM_W5", np.arange(101.0), {0.0: "Coldest", 100.0: "Warmest"}).kind
    'numeric'
    >>> classify_column("EVCAR2_W5", np.array([1.0, 2.0, 99.0]), {1.0: "Yes", 2.0: "No"}).kind
    'question'
    >>> classify_column("LANGUAGE_W5", np.array([1.0, 2.0]), {1.0: "English", 2.0: "Spanish"}).kind
    'admin'
    """
    labels = {float(k): str(v) for k, v in (value_labels or {}).items()}
    n_distinct = n_unlabelled = 0

    def column(kind: ColumnKind, reason: str) -> Column:
        return Column(
            name, text or name, kind, reason, n_distinct, len(labels), n_unlabelled, measure
        )

    if _ID_RE.match(name):
        return column("id", "respondent identifier")
    if _WEIGHT_RE.match(name):
        return column("weight", "survey weight")
    if _DEMOGRAPHIC_RE.match(name):
        return column(
            "demographic", "respondent attribute (F_*): a user type with types=... (--types)"
        )
    if values is None or values.dtype.kind not in "fiub":
        is_date = values is not None and values.dtype.kind in "mM"
        if values is not None and values.dtype.kind == "O":
            sample = next((v for v in values if v is not None and v == v), None)
            is_date = hasattr(sample, "year")  # datetime.date / datetime / time
        if is_date or _DATE_FORMAT_RE.match(format):
            return column("admin", "interview date or time")
        return column("text", "text, not coded answers")
    if _DATE_FORMAT_RE.match(format):
        return column("admin", f"a date or time (format {format})")
    vals = np.asarray(values, dtype=np.float64)
    observed = np.unique(vals[~np.isnan(vals)])
    non_answer = {c for c, lab in labels.items() if answer_status(lab) != "answer"}
    substantive = [
        float(c)
        for c in observed
        if c not in non_answer and not any(lo <= c <= hi for lo, hi in declared)
    ]
    unlabelled = [c for c in substantive if c not in labels]
    n_sub_labels = sum(1 for c in labels if c not in non_answer)
    n_distinct, n_unlabelled = int(observed.size), len(unlabelled)
    admin = _admin_reason(name)
    if admin is not None:
        return column("admin", admin)
    described = (
        f"{observed.size} distinct values, {len(unlabelled)} of them unlabelled"
        if labels
        else f"no value labels, {observed.size} distinct values"
    )
    categorical = bool(labels) and not unlabelled and n_sub_labels >= 2
    if _TIMING_RE.search(name) and not categorical:
        return column("admin", "interview date, time or duration")
    if _DERIVED_RE.search(_WAVE_SUFFIX_RE.sub("", name)) and not categorical:
        return column(
            "derived",
            f"derived recode or summary without labelled categorical answers ({described})",
        )
    fractional = any(not float(c).is_integer() for c in substantive)
    many_unlabelled = len(unlabelled) >= MIN_UNLABELLED and 2 * len(unlabelled) >= len(substantive)
    if not labels or fractional or many_unlabelled or (measure == "scale" and unlabelled):
        why = "a measurement (thermometer, age, count, minutes), not a choice"
        if measure == "scale":
            why += "; SPSS measure 'scale'"
        return column("numeric", f"{why} ({described})")
    if _OPEN_ENDED_RE.search(name) and n_sub_labels >= MIN_OPEN_ENDED_CODES:
        return column(
            "open-ended", f"coded open-ended mention ({n_sub_labels} codes, one mention per column)"
        )
    return column("question", "")


#: The administrative columns of the paper's reference code (with or without ``_W<n>``):
#: ``preprocessing="paper"`` analyses every other labelled column, as it did.
PAPER_ADMIN: tuple[str, ...] = (
    "INTERVIEW_START", "INTERVIEW_END", "DEVICE_TYPE", "LANG", "FORM", "XTABLET", "TECHHELP",
    "SMARTPHONE", "SNSUSE", "DIGCONF",
)  # fmt: skip
_PAPER_ADMIN_RE = re.compile(rf"^(?:{'|'.join(PAPER_ADMIN)})(?:_W\d+)?$", re.IGNORECASE)


def is_paper_question(column: Column) -> bool:
    """Whether the paper's reference code analysed ``column`` as a question: every column with
    value labels that is not the id, a weight, an ``F_*`` column or one of :data:`PAPER_ADMIN`.
    """
    if column.kind in ("id", "weight", "demographic", "text") or column.n_labels == 0:
        return False
    return _PAPER_ADMIN_RE.match(column.name) is None


__all__ = [
    "COLUMN_KINDS",
    "INCLUDABLE_KINDS",
    "MIN_OPEN_ENDED_CODES",
    "MIN_UNLABELLED",
    "PAPER_ADMIN",
    "Column",
    "ColumnKind",
    "classify_column",
    "is_paper_question",
]
