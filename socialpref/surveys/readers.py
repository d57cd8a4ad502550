"""Readers: Pew ATP waves (``.sav``, via pyreadstat) and long crosstabs (``.csv``/``.parquet``).

The conventions of the ATP files (reference-facts section 1): ``QKEY`` is the respondent id,
demographics start with ``F_``, weights with ``WEIGHT_`` (main weight ``WEIGHT_W<n>``), a few
administrative columns (``INTERVIEW_START_W<n>``, ``DEVICE_TYPE_W<n>``, ...); every other column
with value labels is a question. "Refused" and declared-missing codes are read from each wave's
labels and missing ranges, never hard-coded.

pyreadstat and pyarrow are imported lazily, inside the functions that need them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.surveys.survey import Survey, Variable, format_code, is_refused_label

#: Administrative columns of an ATP wave (with or without the ``_W<n>`` suffix).
ADMIN_PREFIXES: tuple[str, ...] = (
    "INTERVIEW_START",
    "INTERVIEW_END",
    "DEVICE_TYPE",
    "LANG",
    "FORM",
    "XTABLET",
    "TECHHELP",
    "SMARTPHONE",
    "SNSUSE",
    "DIGCONF",
)
_ADMIN_RE = re.compile(rf"^(?:{'|'.join(ADMIN_PREFIXES)})(?:_W\d+)?$", re.IGNORECASE)
_WAVE_RE = re.compile(r"W(\d+)", re.IGNORECASE)
_MAIN_WEIGHT_RE = re.compile(r"^WEIGHT_W(\d+)$", re.IGNORECASE)
_SAV_MAGIC = (b"$FL2", b"$FL3")
CROSSTAB_COLUMNS: tuple[str, ...] = ("question", "group", "option", "count")
WAVE_SUFFIXES: tuple[str, ...] = (".sav", ".zsav")
CROSSTAB_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")


def is_admin_column(name: str) -> bool:
    """Whether ``name`` is an administrative column of an ATP wave (``LANG_W128``, ...)."""
    return _ADMIN_RE.match(name) is not None


def _check_file(path: str | Path, suffixes: tuple[str, ...], what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    if p.is_dir():
        raise ValueError(f"'{p}' is a directory, not a {what} file.")
    if p.suffix.lower() not in suffixes:
        raise ValueError(
            f"'{p.name}' is not a {what} file: expected a name ending in {' or '.join(suffixes)}."
        )
    if p.stat().st_size == 0:
        raise ValueError(f"'{p.name}' is an empty file (0 bytes).")
    return p


def _code_array(values: np.ndarray, labels: dict[Any, str]) -> tuple[tuple[float, ...], np.ndarray]:
    """Codes (labelled or observed, ascending) and each respondent's index into them (-1 = NaN)."""
    vals = np.asarray(values, dtype=np.float64)
    observed = np.unique(vals[~np.isnan(vals)])
    labelled = np.array([float(k) for k in labels], dtype=np.float64)
    codes = np.union1d(observed, labelled)
    idx = np.full(vals.shape, -1, dtype=np.int16)
    ok = ~np.isnan(vals)
    idx[ok] = np.searchsorted(codes, vals[ok]).astype(np.int16)
    return tuple(float(c) for c in codes), idx


def _missing_codes(ranges: Any) -> list[tuple[float, float]]:
    out = []
    for r in ranges or []:
        try:
            out.append((float(r["lo"]), float(r["hi"])))
        except (TypeError, ValueError, KeyError):
            continue
    return out


def _variable(
    name: str,
    text: str,
    values: np.ndarray,
    value_labels: dict[Any, str],
    ranges: Any,
) -> Variable:
    codes, idx = _code_array(values, value_labels)
    by_code = {float(k): str(v) for k, v in value_labels.items()}
    labels = tuple(by_code.get(c, format_code(c)) for c in codes)
    spans = _missing_codes(ranges)
    refused = tuple(
        is_refused_label(lab) if c in by_code else False
        for c, lab in zip(codes, labels, strict=True)
    )
    declared = tuple(any(lo <= c <= hi for lo, hi in spans) for c in codes)
    missing = tuple(d and not r for d, r in zip(declared, refused, strict=True))
    return Variable(name, text or name, codes, labels, refused, missing, answers=idx)


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
            raise ValueError("Pass either weight=... or unweighted=True, not both.")
        return None
    weights = [c for c in columns if c.upper().startswith("WEIGHT_")]
    listing = ", ".join(weights) if weights else "none"
    if weight is not None:
        if weight not in columns:
            raise ValueError(
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
    raise ValueError(
        f"'{path.name}' has no main weight column {expected} (weight columns: {listing}); "
        "choose one with weight=COL (--weight COL) or count people with unweighted=True (--unweighted)."
    )


def _numeric(path: Path, column: str, values: np.ndarray) -> np.ndarray:
    if values.dtype.kind not in "fiub":
        raise ValueError(
            f"Weight column {column!r} of '{path.name}' is not numeric (dtype {values.dtype})."
        )
    return values.astype(np.float64)


def _check_weights(path: Path, column: str, values: np.ndarray) -> tuple[np.ndarray, int]:
    w = np.asarray(values, dtype=np.float64)
    if np.any(np.isinf(w)):
        raise ValueError(f"Weight column {column!r} of '{path.name}' has infinite values.")
    if np.any(w < 0):
        k = int(np.count_nonzero(w < 0))
        raise ValueError(
            f"Weight column {column!r} of '{path.name}' has {k} negative weights (min {np.nanmin(w):g})."
        )
    bad = np.isnan(w) | (w == 0)
    if bad.all():
        raise ValueError(
            f"Weight column {column!r} of '{path.name}' has no positive weight (all zero or missing)."
        )
    w = np.where(bad, 0.0, w)
    return w, int(np.count_nonzero(bad))


def read_wave(path: str | Path, weight: str | None = None, unweighted: bool = False) -> Survey:
    """Read a Pew ATP wave (``ATP W<n>.sav``) into a :class:`Survey`.

    Parameters
    ----------
    path : str or Path
        The SPSS file.
    weight : str, optional
        Weight column; default the wave's main weight ``WEIGHT_W<n>`` (``<n>`` from the file
        name, or the only ``WEIGHT_W<n>`` column).
    unweighted : bool
        Count people (every weight 1).

    Returns
    -------
    Survey
        Questions (columns with value labels that are not ``QKEY``, ``F_*``, ``WEIGHT_*`` or
        administrative), demographics (``F_*`` with value labels), weights. Respondents with a
        missing or zero weight are excluded from analyses and counted in ``n_bad_weights``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Not a ``.sav`` name, an empty, corrupt or truncated file, no respondents, a missing or
        unusable weight column.
    """
    p = _check_file(path, WAVE_SUFFIXES, "SPSS .sav")
    with p.open("rb") as fh:
        magic = fh.read(4)
    if magic not in _SAV_MAGIC:
        raise ValueError(
            f"'{p.name}' is not an SPSS .sav file (it does not start with the $FL2 signature)."
        )
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(p), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, UnicodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ValueError(f"'{p.name}' is a corrupt or truncated .sav file ({detail}).") from None
    columns = [str(c) for c in df.columns]
    n_rows = len(df)
    if n_rows == 0:
        raise ValueError(f"'{p.name}' has no respondents (0 rows).")
    if meta.number_rows is not None and meta.number_rows > 0 and n_rows != meta.number_rows:
        raise ValueError(
            f"'{p.name}' is truncated: its header announces {meta.number_rows} rows but {n_rows} were read."
        )
    wcol = _resolve_weight(p, columns, weight, unweighted)
    if wcol is not None and wcol in (meta.variable_value_labels or {}):
        raise ValueError(
            f"The 'weight' parameter names {wcol!r}, a column with value labels (a categorical "
            f"variable of '{p.name}'), not a weight; choose a WEIGHT_ column or unweighted=True."
        )
    if wcol is not None:
        weights, n_bad = _check_weights(p, wcol, _numeric(p, wcol, df[wcol].to_numpy()))
    else:
        weights, n_bad = None, 0
    labels_of = meta.column_names_to_labels or {}
    value_labels = meta.variable_value_labels or {}
    ranges = meta.missing_ranges or {}
    questions: dict[str, Variable] = {}
    demographics: dict[str, Variable] = {}
    for col in columns:
        upper = col.upper()
        if upper == "QKEY" or upper.startswith("WEIGHT_") or is_admin_column(col):
            continue
        if col not in value_labels or not value_labels[col]:
            continue
        values = df[col].to_numpy()
        if values.dtype.kind not in "fiub":
            continue
        var = _variable(
            col, str(labels_of.get(col) or ""), values, value_labels[col], ranges.get(col)
        )
        if upper.startswith("F_"):
            demographics[col] = var
        else:
            questions[col] = var
    if not questions:
        raise ValueError(
            f"'{p.name}' has no question columns (no labelled column besides QKEY, F_*, WEIGHT_* and administrative ones)."
        )
    return Survey(
        source=p.name,
        path=p,
        kind="wave",
        questions=tuple(questions),
        demographics=tuple(demographics),
        weights=weights,
        weight_column=wcol,
        n_bad_weights=n_bad,
        file_label=str(meta.file_label or ""),
        n_rows=n_rows,
        variables=questions,
        demographic_variables=demographics,
    )


def read_crosstab(path: str | Path) -> Survey:
    """Read a long crosstab (``.csv`` or ``.parquet``) into a :class:`Survey`.

    Columns ``question``, ``group``, ``option``, ``count`` (counts may be weighted, >= 0) and
    optionally ``question_text``. Questions, groups and options keep their order of first
    appearance; repeated ``(question, group, option)`` rows are summed. A group is a user type;
    an option labelled "Refused" is dropped unless ``keep_refused``.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file, wrong kind, empty, unreadable, missing columns, negative or non-numeric counts.
    """
    p = _check_file(path, CROSSTAB_SUFFIXES, "crosstab (.csv or .parquet)")
    import pandas as pd

    try:
        if p.suffix.lower() == ".csv":
            frame = pd.read_csv(p, dtype={"question": str, "group": str, "option": str})
        else:
            frame = pd.read_parquet(p)
    except ImportError as exc:
        raise ValueError(f"Reading '{p.name}' needs pyarrow (pip install pyarrow): {exc}") from None
    except (ValueError, OSError, UnicodeError, TypeError) as exc:
        # pandas' ParserError/EmptyDataError and Arrow's ArrowInvalid are ValueErrors,
        # Arrow's IO errors are OSErrors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ValueError(f"'{p.name}' is not a readable crosstab ({detail}).") from None
    # positions, not index labels, address rows below (a parquet file may carry any index)
    frame = frame.reset_index(drop=True)
    missing = [c for c in CROSSTAB_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"Crosstab '{p.name}' lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(CROSSTAB_COLUMNS)} (and optionally question_text). Got: {', '.join(map(str, frame.columns))}."
        )
    if frame.empty:
        raise ValueError(f"Crosstab '{p.name}' has no rows.")
    for c in ("question", "group", "option"):
        if frame[c].isna().any():
            row = int(np.flatnonzero(frame[c].isna().to_numpy())[0])
            raise ValueError(f"Crosstab '{p.name}' has an empty {c!r} in data row {row + 1}.")
        frame[c] = frame[c].astype(str)
    counts = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(counts)):
        row = int(np.flatnonzero(~np.isfinite(counts))[0])
        raise ValueError(
            f"Crosstab '{p.name}' has a non-numeric count in data row {row + 1}: {frame['count'].iloc[row]!r}."
        )
    if np.any(counts < 0):
        row = int(np.flatnonzero(counts < 0)[0])
        raise ValueError(
            f"Crosstab '{p.name}' has a negative count in data row {row + 1}: {counts[row]:g}."
        )
    groups = tuple(dict.fromkeys(frame["group"]))
    gindex = {g: i for i, g in enumerate(groups)}
    texts = frame["question_text"] if "question_text" in frame.columns else None
    variables: dict[str, Variable] = {}
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
        refused = tuple(is_refused_label(o) for o in opts)
        variables[str(q)] = Variable(
            name=str(q),
            text=text or str(q),
            codes=tuple(float(k + 1) for k in range(len(opts))),
            labels=opts,
            refused=refused,
            missing=tuple(False for _ in opts),
            counts=mat,
        )
    return Survey(
        source=p.name,
        path=p,
        kind="crosstab",
        questions=tuple(variables),
        groups=groups,
        variables=variables,
    )


def read_source(path: str | Path, **kwargs: Any) -> Survey:
    """Read a wave (``.sav``) or a crosstab (``.csv``/``.parquet``), by the file's suffix.

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
            raise ValueError(
                f"'{p.name}' is a crosstab: its counts are already aggregated, so {', '.join(extra)} "
                "cannot apply (weights and --unweighted are for .sav waves)."
            )
        return read_crosstab(p)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    raise ValueError(
        f"Unknown kind of source '{p.name}': expected an SPSS wave (.sav) or a crosstab (.csv, .parquet)."
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
        raise ValueError(f"Sampling file '{p.name}' is not valid JSON ({exc}).") from None
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
    raise ValueError(
        f"Sampling file '{p.name}' must hold a JSON list of probabilities or an object "
        '{"option label": probability, ...}.'
    )
