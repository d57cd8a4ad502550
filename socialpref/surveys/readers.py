"""Readers: Pew ATP waves (``.sav``/``.dta``, via pyreadstat) and long crosstabs (``.csv``/``.parquet``).

The conventions of the ATP files: ``QKEY`` is the respondent id, demographics start with ``F_``,
weights with ``WEIGHT_`` (main weight ``WEIGHT_W<n>``). Every column gets a class
(:mod:`socialpref.surveys.columns`): single-choice questions, numeric measurements, coded
open-ended mentions, administrative columns, derived recodes and summaries, demographics,
weights, the id, text. Every code of a coded column gets an answer status
(:mod:`socialpref.surveys.labels`) from its label, the file's user-missing declarations and,
for an unlabelled 99 of a categorical column, Pew's convention that 99 is the non-answer.
Values that no healthy wave holds (:mod:`socialpref.surveys.checks`) make the reader refuse the
file, and decoded waves are cached (:mod:`socialpref.surveys.cache`). Crosstabs are read by
:mod:`socialpref.surveys.crosstab`.

pyreadstat and pyarrow are imported lazily, inside the functions that need them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.errors import DataError, ParameterError
from socialpref.surveys import cache as wave_cache
from socialpref.surveys.checks import code_problem, weight_problem
from socialpref.surveys.columns import Column, classify_column
from socialpref.surveys.crosstab import CROSSTAB_SUFFIXES, read_crosstab
from socialpref.surveys.files import check_file
from socialpref.surveys.labels import AnswerStatus, answer_status
from socialpref.surveys.survey import (
    ANSWER_DTYPE,
    PAPER_DROPPED_CODE,
    Survey,
    Variable,
    format_code,
)

_WAVE_RE = re.compile(r"W(\d+)", re.IGNORECASE)
_MAIN_WEIGHT_RE = re.compile(r"^WEIGHT_W(\d+)$", re.IGNORECASE)
_SAV_MAGIC = (b"$FL2", b"$FL3")
_DTA_MAGIC = b"<stata_dta>"
#: First bytes of the older binary Stata formats (versions 102-115) and their byte orders.
_OLD_DTA_VERSIONS = range(102, 116)
WAVE_SUFFIXES: tuple[str, ...] = (".sav", ".zsav", ".dta")
#: Classes whose unlabelled code 99 is Pew's non-answer (in a numeric column 99 is a value).
_CATEGORICAL_KINDS = frozenset({"question", "open-ended", "derived", "demographic", "admin"})
#: Classes that get a :class:`Variable` (when their values are numeric codes).
_CODED_KINDS = frozenset({"question", "numeric", "open-ended", "derived", "admin", "demographic"})
#: Implausible columns named in the message of a damaged file, type candidates and questions first.
_LISTED_PROBLEMS = 3
_PROBLEM_ORDER = {"demographic": 0, "question": 1}


def _code_array(
    values: np.ndarray, labels: dict[float, str]
) -> tuple[tuple[float, ...], np.ndarray]:
    """Codes (labelled or observed, ascending) and each respondent's index into them (-1 = NaN)."""
    vals = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(vals)
    observed = np.unique(vals[ok])
    codes = np.union1d(observed, np.fromiter(labels, dtype=np.float64, count=len(labels)))
    idx = np.full(vals.shape, -1, dtype=ANSWER_DTYPE)
    idx[ok] = np.searchsorted(codes, vals[ok])
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
) -> tuple[Variable, np.ndarray]:
    """The column's :class:`Variable` and which of its codes carry a value label."""
    by_code = {float(k): str(v) for k, v in value_labels.items()}
    codes, idx = _code_array(values, by_code)
    categorical = column.kind in _CATEGORICAL_KINDS
    flags = tuple(any(lo <= c <= hi for lo, hi in declared) for c in codes)
    labelled = np.fromiter((c in by_code for c in codes), dtype=bool, count=len(codes))
    var = Variable(
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
    return var, labelled


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
    problem = weight_problem(w)
    if problem is not None:
        raise DataError(
            f"Weight column {column!r} of '{path.name}' has {problem}; check it, choose another "
            "with weight=COL (--weight COL) or count people with unweighted=True (--unweighted)."
        )
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
        raise _corrupt(p, stata, exc) from None
    except OverflowError as exc:  # a date or time column decoded to an impossible value
        raise _corrupt(p, stata, exc, "a date or time out of range: ") from None


def _corrupt(p: Path, stata: bool, exc: BaseException, what: str = "") -> DataError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    kind = ".dta" if stata else ".sav"
    return DataError(f"'{p.name}' is a corrupt or truncated {kind} file ({what}{detail}).")


def _damaged(p: Path, problems: list[tuple[str, str]]) -> DataError:
    """The error for a file whose categorical columns hold values no healthy wave has."""
    shown = "; ".join(f"{name}: {why}" for name, why in problems[:_LISTED_PROBLEMS])
    more = len(problems) - _LISTED_PROBLEMS
    if more > 0:
        shown += f"; and {more} more column{'s' if more > 1 else ''}"
    n = len(problems)
    return DataError(
        f"'{p.name}' looks damaged or is not a survey wave: {n} categorical column"
        f"{'s' if n > 1 else ''} hold{'s' if n == 1 else ''} values no healthy wave has ({shown}). "
        "Re-export or re-download the file (--no-check, or check=False, reads it as it is)."
    )


def read_wave(
    path: str | Path,
    weight: str | None = None,
    unweighted: bool = False,
    *,
    check: bool = True,
    cache: bool = True,
) -> Survey:
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
    check : bool
        Refuse a file whose categorical columns hold values no healthy wave has (non-integer
        or huge unlabelled codes, more than :data:`~socialpref.surveys.checks.MAX_CODES`
        options: :mod:`socialpref.surveys.checks`); ``False`` reads it as it is.
    cache : bool
        Load the decoded wave from the cache of decoded waves, or decode the file and store
        it there (:mod:`socialpref.surveys.cache`; also off when ``$SOCIALPREF_NO_CACHE`` is
        set or :func:`~socialpref.surveys.cache.set_cache_enabled` turned it off).

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
        coded column at all, a missing or unusable weight column (negative, infinite, or so
        large that sums overflow), implausible values (with ``check``).
    ParameterError
        ``weight`` names a column the file lacks, or both ``weight`` and ``unweighted``.
    """
    p = check_file(path, WAVE_SUFFIXES, "SPSS .sav or Stata .dta")
    use_cache = cache and wave_cache.cache_enabled()
    if use_cache:
        options = {"weight": weight, "unweighted": bool(unweighted), "check": bool(check)}
        key = wave_cache.cache_key(p, options)
        hit = wave_cache.load(key, p)
        if hit is not None:
            return hit
    survey = _decode_wave(p, weight, unweighted, check)
    if use_cache:
        wave_cache.store(key, survey)
    return survey


def _decode_wave(p: Path, weight: str | None, unweighted: bool, check: bool) -> Survey:
    """Parse and decode a wave (what :func:`read_wave` does without the cache)."""
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
    labels_of = meta.column_names_to_labels or {}
    ranges = meta.missing_ranges or {}
    measures = getattr(meta, "variable_measure", None) or {}
    formats = getattr(meta, "original_variable_types", None) or {}
    classified: list[Column] = []
    questions: dict[str, Variable] = {}
    demographics: dict[str, Variable] = {}
    problems: list[tuple[int, str, str]] = []
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
        var, labelled = _variable(column, values, value_labels.get(col) or {}, declared)
        why = code_problem(var, labelled) if check else None
        if why is not None:
            problems.append((_PROBLEM_ORDER.get(column.kind, len(_PROBLEM_ORDER)), col, why))
        questions[col] = var
        if column.kind == "demographic" and value_labels.get(col):
            demographics[col] = var
    if problems:  # before the weights: a damaged file also has odd weights
        raise _damaged(p, [(name, why) for _, name, why in sorted(problems)])
    if wcol is not None:
        weights, n_bad = _check_weights(p, wcol, _numeric(p, wcol, df[wcol].to_numpy()))
    else:
        weights, n_bad = None, 0
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


def read_source(
    path: str | Path,
    weight: str | None = None,
    unweighted: bool = False,
    *,
    check: bool = True,
    cache: bool = True,
) -> Survey:
    """Read a wave (``.sav``, ``.dta``) or a crosstab (``.csv``/``.parquet``), by the file's suffix.

    The arguments are :func:`read_wave`'s. A crosstab takes neither ``weight`` nor
    ``unweighted`` (its counts are already weighted or not); ``check`` applies to both and
    ``cache`` to waves (a crosstab is read fast enough without).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in WAVE_SUFFIXES:
        return read_wave(p, weight, unweighted, check=check, cache=cache)
    if suffix in CROSSTAB_SUFFIXES:
        extra = [k for k, v in (("weight", weight), ("unweighted", unweighted)) if v]
        if extra:
            raise ParameterError(
                f"'{p.name}' is a crosstab: its counts are already aggregated, so {', '.join(extra)} "
                "cannot apply (weights and --unweighted are for .sav/.dta waves)."
            )
        return read_crosstab(p, check=check)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    if p.is_dir():
        raise DataError(
            f"'{p}' is a folder: give the file of a wave (.sav, .dta) or a crosstab (.csv, "
            ".parquet) in it."
        )
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
