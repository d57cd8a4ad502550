"""Readers: Pew ATP waves (``.sav``/``.dta``, via pyreadstat) and long crosstabs (``.csv``/``.parquet``).

The conventions of the ATP files: ``QKEY`` is the respondent id, demographics start with ``F_``,
weights with ``WEIGHT_`` (main weight ``WEIGHT_W<n>``). Every column gets a class
(:mod:`socialpref.surveys.columns`): single-choice questions, numeric measurements, coded
open-ended mentions, administrative columns, derived recodes and summaries, demographics,
weights, the id, text. Every code of a coded column gets an answer status
(:mod:`socialpref.surveys.labels`) from its label, the file's user-missing declarations and,
for an unlabelled 99 of a categorical column, Pew's convention that 99 is the non-answer.

pyreadstat and pyarrow are imported lazily, inside the functions that need them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.errors import DataError, ParameterError
from socialpref.surveys.columns import Column, classify_column
from socialpref.surveys.labels import AnswerStatus, answer_status
from socialpref.surveys.survey import PAPER_DROPPED_CODE, Survey, Variable, format_code

_WAVE_RE = re.compile(r"W(\d+)", re.IGNORECASE)
_MAIN_WEIGHT_RE = re.compile(r"^WEIGHT_W(\d+)$", re.IGNORECASE)
_SAV_MAGIC = (b"$FL2", b"$FL3")
_DTA_MAGIC = b"<stata_dta>"
#: First bytes of the older binary Stata formats (versions 102-115) and their byte orders.
_OLD_DTA_VERSIONS = range(102, 116)
CROSSTAB_COLUMNS: tuple[str, ...] = ("question", "group", "option", "count")
WAVE_SUFFIXES: tuple[str, ...] = (".sav", ".zsav", ".dta")
CROSSTAB_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")
#: Classes whose unlabelled code 99 is Pew's non-answer (in a numeric column 99 is a value).
_CATEGORICAL_KINDS = frozenset({"question", "open-ended", "derived", "demographic", "admin"})
#: Classes that get a :class:`Variable` (when their values are numeric codes).
_CODED_KINDS = frozenset({"question", "numeric", "open-ended", "derived", "admin", "demographic"})
#: Column names listed in a "not a crosstab" message.
_LISTED_COLUMNS = 6


def _check_file(path: str | Path, suffixes: tuple[str, ...], what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    if p.is_dir():
        raise DataError(f"'{p}' is a directory, not a {what} file.")
    if p.suffix.lower() not in suffixes:
        raise DataError(
            f"'{p.name}' is not a {what} file: expected a name ending in {' or '.join(suffixes)}."
        )
    if p.stat().st_size == 0:
        raise DataError(f"'{p.name}' is an empty file (0 bytes).")
    return p


def _code_array(
    values: np.ndarray, labels: dict[float, str]
) -> tuple[tuple[float, ...], np.ndarray]:
    """Codes (labelled or observed, ascending) and each respondent's index into them (-1 = NaN)."""
    vals = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(vals)
    observed = np.unique(vals[ok])
    codes = np.union1d(observed, np.fromiter(labels, dtype=np.float64, count=len(labels)))
    dtype = np.int16 if codes.size < np.iinfo(np.int16).max else np.int32
    idx = np.full(vals.shape, -1, dtype=dtype)
    idx[ok] = np.searchsorted(codes, vals[ok]).astype(dtype)
    return tuple(float(c) for c in codes), idx


def _declared_ranges(ranges: Any) -> tuple[tuple[float, float], ...]:
    out = []
    for r in ranges or []:
        try:
            out.append((float(r["lo"]), float(r["hi"])))
        except (TypeError, ValueError, KeyError):
            continue
    return tuple(out)


def _code_status(code: float, label: str | None, declared: bool, categorical: bool) -> AnswerStatus:
    if label is not None:
        status = answer_status(label)
        if status != "answer":
            return status
    if declared:
        return "missing"
    if label is None and categorical and code == PAPER_DROPPED_CODE:
        return "refused"  # Pew's convention: 99 is the non-answer of an ATP question
    return "answer"


def _variable(
    column: Column,
    values: np.ndarray,
    value_labels: dict[Any, str],
    declared: tuple[tuple[float, float], ...],
) -> Variable:
    by_code = {float(k): str(v) for k, v in value_labels.items()}
    codes, idx = _code_array(values, by_code)
    categorical = column.kind in _CATEGORICAL_KINDS
    flags = tuple(any(lo <= c <= hi for lo, hi in declared) for c in codes)
    return Variable(
        name=column.name,
        text=column.text,
        codes=codes,
        labels=tuple(by_code.get(c, format_code(c)) for c in codes),
        status=tuple(
            _code_status(c, by_code.get(c), d, categorical)
            for c, d in zip(codes, flags, strict=True)
        ),
        declared=flags,
        kind=column.kind,
        answers=idx,
    )


def _wave_number(path: Path, columns: list[str]) -> str | None:
    m = _WAVE_RE.search(path.stem)
    if m:
        return m.group(1)
    mains = [mm.group(1) for c in columns if (mm := _MAIN_WEIGHT_RE.match(c))]
    return mains[0] if len(mains) == 1 else None


def _resolve_weight(
    path: Path, columns: list[str], weight: str | None, unweighted: bool
) -> str | None:
    if unweighted:
        if weight is not None:
            raise ParameterError("Pass either weight=... or unweighted=True, not both.")
        return None
    weights = [c for c in columns if c.upper().startswith("WEIGHT_")]
    listing = ", ".join(weights) if weights else "none"
    if weight is not None:
        if weight not in columns:
            raise ParameterError(
                f"The 'weight' parameter names a column that '{path.name}' does not have: {weight!r}. "
                f"Its weight columns: {listing}."
            )
        return weight
    n = _wave_number(path, columns)
    if n is not None and f"WEIGHT_W{n}" in columns:
        return f"WEIGHT_W{n}"
    mains = [c for c in columns if _MAIN_WEIGHT_RE.match(c)]
    if len(mains) == 1:
        return mains[0]
    expected = f"WEIGHT_W{n}" if n is not None else "WEIGHT_W<n>"
    raise DataError(
        f"'{path.name}' has no main weight column {expected} (weight columns: {listing}); "
        "choose one with weight=COL (--weight COL) or count people with unweighted=True (--unweighted)."
    )


def _numeric(path: Path, column: str, values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "fiub":
        raise DataError(
            f"Weight column {column!r} of '{path.name}' is not numeric (dtype {values.dtype})."
        )
    return values.astype(np.float64)


def _check_weights(path: Path, column: str, values: np.ndarray) -> tuple[np.ndarray, int]:
    w = np.asarray(values, dtype=np.float64)
    if np.any(np.isinf(w)):
        raise DataError(f"Weight column {column!r} of '{path.name}' has infinite values.")
    if np.any(w < 0):
        k = int(np.count_nonzero(w < 0))
        raise DataError(
            f"Weight column {column!r} of '{path.name}' has {k} negative weights (min {np.nanmin(w):g})."
        )
    bad = np.isnan(w) | (w == 0)
    if bad.all():
        raise DataError(
            f"Weight column {column!r} of '{path.name}' has no positive weight (all zero or missing)."
        )
    w = np.where(bad, 0.0, w)
    return w, int(np.count_nonzero(bad))


def _read_frame(p: Path) -> tuple[Any, Any]:
    """pyreadstat's frame and metadata of a ``.sav``/``.zsav`` or ``.dta`` file."""
    with p.open("rb") as fh:
        magic = fh.read(len(_DTA_MAGIC))
    stata = p.suffix.lower() == ".dta"
    if stata:
        old = len(magic) >= 2 and magic[0] in _OLD_DTA_VERSIONS and magic[1] in (1, 2)
        if not (magic.startswith(_DTA_MAGIC) or old):
            raise DataError(
                f"'{p.name}' is not a Stata .dta file (it does not start with a Stata signature)."
            )
    elif magic[:4] not in _SAV_MAGIC:
        raise DataError(
            f"'{p.name}' is not an SPSS .sav file (it does not start with the $FL2 signature)."
        )
    import pyreadstat

    try:
        if stata:
            # Stata's extended missing values (.a-.z) are read as empty answers
            return pyreadstat.read_dta(str(p))
        return pyreadstat.read_sav(str(p), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, UnicodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        kind = ".dta" if stata else ".sav"
        raise DataError(f"'{p.name}' is a corrupt or truncated {kind} file ({detail}).") from None


def read_wave(path: str | Path, weight: str | None = None, unweighted: bool = False) -> Survey:
    """Read a Pew ATP wave (``ATP W<n>.sav``, or a Stata ``.dta``) into a :class:`Survey`.

    Parameters
    ----------
    path : str or Path
        The SPSS (``.sav``, ``.zsav``) or Stata (``.dta``) file; both are read with their value
        labels.
    weight : str, optional
        Weight column; default the wave's main weight ``WEIGHT_W<n>`` (``<n>`` from the file
        name, or the only ``WEIGHT_W<n>`` column).
    unweighted : bool
        Count people (every weight 1).

    Returns
    -------
    Survey
        Every column with its class (:attr:`Survey.columns`); the questions (columns classed
        ``"question"``) and the other coded columns an analysis may include; demographics
        (``F_*`` with value labels); weights. Respondents with a missing or zero weight are
        excluded from analyses and counted in ``n_bad_weights``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataError
        Not a ``.sav``/``.dta`` name, an empty, corrupt or truncated file, no respondents, no
        coded column at all, a missing or unusable weight column.
    ParameterError
        ``weight`` names a column the file lacks, or both ``weight`` and ``unweighted``.
    """
    p = _check_file(path, WAVE_SUFFIXES, "SPSS .sav or Stata .dta")
    df, meta = _read_frame(p)
    columns = [str(c) for c in df.columns]
    n_rows = len(df)
    if n_rows == 0:
        raise DataError(f"'{p.name}' has no respondents (0 rows).")
    if meta.number_rows is not None and meta.number_rows > 0 and n_rows != meta.number_rows:
        raise DataError(
            f"'{p.name}' is truncated: its header announces {meta.number_rows} rows but {n_rows} were read."
        )
    wcol = _resolve_weight(p, columns, weight, unweighted)
    value_labels = meta.variable_value_labels or {}
    if wcol is not None and value_labels.get(wcol):
        raise ParameterError(
            f"The 'weight' parameter names {wcol!r}, a column with value labels (a categorical "
            f"variable of '{p.name}'), not a weight; choose a WEIGHT_ column or unweighted=True."
        )
    if wcol is not None:
        weights, n_bad = _check_weights(p, wcol, _numeric(p, wcol, df[wcol].to_numpy()))
    else:
        weights, n_bad = None, 0
    labels_of = meta.column_names_to_labels or {}
    ranges = meta.missing_ranges or {}
    measures = getattr(meta, "variable_measure", None) or {}
    formats = getattr(meta, "original_variable_types", None) or {}
    classified: list[Column] = []
    questions: dict[str, Variable] = {}
    demographics: dict[str, Variable] = {}
    for col in columns:
        values = df[col].to_numpy()
        declared = _declared_ranges(ranges.get(col))
        column = classify_column(
            col,
            values,
            value_labels.get(col),
            declared=declared,
            measure=str(measures.get(col) or "unknown"),
            format=str(formats.get(col) or ""),
            text=str(labels_of.get(col) or ""),
        )
        classified.append(column)
        if column.kind not in _CODED_KINDS or values.dtype.kind not in "fiub":
            continue
        var = _variable(column, values, value_labels.get(col) or {}, declared)
        questions[col] = var
        if column.kind == "demographic" and value_labels.get(col):
            demographics[col] = var
    if not questions:
        raise DataError(
            f"'{p.name}' has no coded answer columns (only the id, weights, text or dates)."
        )
    return Survey(
        source=p.name,
        path=p,
        kind="wave",
        questions=tuple(c.name for c in classified if c.kind == "question"),
        demographics=tuple(demographics),
        weights=weights,
        weight_column=wcol,
        n_bad_weights=n_bad,
        file_label=str(meta.file_label or ""),
        n_rows=n_rows,
        columns=tuple(classified),
        variables=questions,
        demographic_variables=demographics,
    )


def _not_a_crosstab(p: Path, columns: list[str]) -> DataError:
    """The error for a table that lacks the crosstab columns (short, whatever its width)."""
    missing = [c for c in CROSSTAB_COLUMNS if c not in columns]
    upper = {c.upper() for c in columns}
    shown = ", ".join(columns[:_LISTED_COLUMNS])
    more = f" and {len(columns) - _LISTED_COLUMNS} more" if len(columns) > _LISTED_COLUMNS else ""
    if "QKEY" in upper or any(c.startswith("WEIGHT_") for c in upper) or len(columns) > 10:
        return DataError(
            f"'{p.name}' looks like respondent-level data ({len(columns)} columns: {shown}{more}), "
            f"not a crosstab with the columns {', '.join(CROSSTAB_COLUMNS)}; analyse respondents "
            "from the wave's .sav or .dta file, or aggregate them into a crosstab first."
        )
    return DataError(
        f"Crosstab '{p.name}' lacks the column(s) {', '.join(missing)}; it needs "
        f"{', '.join(CROSSTAB_COLUMNS)} (and optionally question_text). Got: {shown}{more}."
    )


def read_crosstab(path: str | Path) -> Survey:
    """Read a long crosstab (``.csv`` or ``.parquet``) into a :class:`Survey`.

    Columns ``question``, ``group``, ``option``, ``count`` (counts may be weighted, >= 0) and
    optionally ``question_text``. Questions, groups and options keep their order of first
    appearance; repeated ``(question, group, option)`` rows are summed. A group is a user type;
    options labelled as non-answers ("Refused", "Don't know", ...) are never options (a "don't
    know" one is with ``keep_dk``), and groups so labelled are never types.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataError
        Wrong kind, empty, unreadable, respondent-level data instead of a crosstab, missing
        columns, negative or non-numeric counts.
    """
    p = _check_file(path, CROSSTAB_SUFFIXES, "crosstab (.csv or .parquet)")
    import pandas as pd

    try:
        if p.suffix.lower() == ".csv":
            header = [str(c) for c in pd.read_csv(p, nrows=0).columns]
            if any(c not in header for c in CROSSTAB_COLUMNS):
                raise _not_a_crosstab(p, header)
            frame = pd.read_csv(p, dtype={"question": str, "group": str, "option": str})
        else:
            frame = pd.read_parquet(p)
    except ImportError as exc:
        raise DataError(f"Reading '{p.name}' needs pyarrow (pip install pyarrow): {exc}") from None
    except DataError:
        raise
    except (ValueError, OSError, UnicodeError, TypeError) as exc:
        # pandas' ParserError/EmptyDataError and Arrow's ArrowInvalid are ValueErrors,
        # Arrow's IO errors are OSErrors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"'{p.name}' is not a readable crosstab ({detail}).") from None
    # positions, not index labels, address rows below (a parquet file may carry any index)
    frame = frame.reset_index(drop=True)
    if any(c not in frame.columns for c in CROSSTAB_COLUMNS):
        raise _not_a_crosstab(p, [str(c) for c in frame.columns])
    if frame.empty:
        raise DataError(f"Crosstab '{p.name}' has no rows.")
    for c in ("question", "group", "option"):
        if frame[c].isna().any():
            row = int(np.flatnonzero(frame[c].isna().to_numpy())[0])
            raise DataError(f"Crosstab '{p.name}' has an empty {c!r} in data row {row + 1}.")
        frame[c] = frame[c].astype(str)
    counts = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(counts)):
        row = int(np.flatnonzero(~np.isfinite(counts))[0])
        raise DataError(
            f"Crosstab '{p.name}' has a non-numeric count in data row {row + 1}: {frame['count'].iloc[row]!r}."
        )
    if np.any(counts < 0):
        row = int(np.flatnonzero(counts < 0)[0])
        raise DataError(
            f"Crosstab '{p.name}' has a negative count in data row {row + 1}: {counts[row]:g}."
        )
    groups = tuple(dict.fromkeys(frame["group"]))
    gindex = {g: i for i, g in enumerate(groups)}
    texts = frame["question_text"] if "question_text" in frame.columns else None
    variables: dict[str, Variable] = {}
    columns: list[Column] = []
    for q, sub in frame.groupby("question", sort=False):
        opts = tuple(dict.fromkeys(sub["option"]))
        oindex = {o: i for i, o in enumerate(opts)}
        mat = np.zeros((len(groups), len(opts)))
        np.add.at(
            mat,
            (sub["group"].map(gindex).to_numpy(), sub["option"].map(oindex).to_numpy()),
            counts[sub.index.to_numpy()],
        )
        text = ""
        if texts is not None:
            vals = [t for t in texts.loc[sub.index] if isinstance(t, str) and t.strip()]
            text = vals[0] if vals else ""
        name = str(q)
        columns.append(Column(name, text or name, "question", "", len(opts), len(opts)))
        variables[name] = Variable(
            name=name,
            text=text or name,
            codes=tuple(float(k + 1) for k in range(len(opts))),
            labels=opts,
            status=tuple(answer_status(o) for o in opts),
            declared=tuple(False for _ in opts),
            counts=mat,
        )
    return Survey(
        source=p.name,
        path=p,
        kind="crosstab",
        questions=tuple(variables),
        groups=groups,
        columns=tuple(columns),
        variables=variables,
    )


def read_source(path: str | Path, **kwargs: Any) -> Survey:
    """Read a wave (``.sav``, ``.dta``) or a crosstab (``.csv``/``.parquet``), by the file's suffix.

    ``kwargs`` go to :func:`read_wave` (``weight``, ``unweighted``); a crosstab accepts none
    (its counts are already weighted or not), except ``weight=None, unweighted=False``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in WAVE_SUFFIXES:
        return read_wave(p, **kwargs)
    if suffix in CROSSTAB_SUFFIXES:
        extra = {k: v for k, v in kwargs.items() if v not in (None, False)}
        if extra:
            raise ParameterError(
                f"'{p.name}' is a crosstab: its counts are already aggregated, so {', '.join(extra)} "
                "cannot apply (weights and --unweighted are for .sav/.dta waves)."
            )
        return read_crosstab(p)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    raise DataError(
        f"Unknown kind of source '{p.name}': expected a wave (.sav, .dta) or a crosstab (.csv, .parquet)."
    )


def read_sampling(path: str | Path) -> list[float] | dict[str, float]:
    """Read a sampling distribution ``D`` from JSON: a list of probabilities (option order) or an
    object ``{option label: probability}`` (optionally wrapped as ``{"sampling": ...}``)."""
    import json

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"Sampling file '{p.name}' is not valid JSON ({exc}).") from None
    if isinstance(data, dict) and set(data) == {"sampling"}:
        data = data["sampling"]
    if isinstance(data, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in data
    ):
        return [float(x) for x in data]
    if isinstance(data, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in data.values()
    ):
        return {str(k): float(v) for k, v in data.items()}
    raise DataError(
        f"Sampling file '{p.name}' must hold a JSON list of probabilities or an object "
        '{"option label": probability, ...}.'
    )
