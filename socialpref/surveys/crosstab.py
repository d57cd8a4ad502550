"""Read a long crosstab (``.csv`` or ``.parquet``) into a :class:`~socialpref.surveys.Survey`.

A crosstab has one row per (question, group, option) with a ``count`` (weighted or not), and
optionally a ``question_text``. The table is grouped once, vectorised: questions, groups and
options are numbered by ``pandas.factorize`` in order of first appearance, each (question,
option) pair gets its question's next option index, and one ``np.bincount`` sums every count
into one flat array that holds each question's ``(groups x options)`` matrix in turn. Time grows
with the rows, not with rows x questions (``benchmarks/bench_crosstab.py``). CSV files are
parsed by pyarrow when it is installed (the ``parquet`` extra), else by pandas' C parser.

Labels are read as strings, exactly as written: an option called ``None`` or a group called
``NA`` is that label (whether it is a non-answer is for
:func:`~socialpref.surveys.labels.answer_status` to say), never an empty cell.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.errors import DataError
from socialpref.surveys.checks import MAX_CODES
from socialpref.surveys.columns import Column
from socialpref.surveys.files import check_file
from socialpref.surveys.labels import answer_status
from socialpref.surveys.survey import Survey, Variable

CROSSTAB_COLUMNS: tuple[str, ...] = ("question", "group", "option", "count")
CROSSTAB_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")
_LABEL_COLUMNS = ("question", "group", "option")
#: Column names listed in a "not a crosstab" message.
_LISTED_COLUMNS = 6


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


def _not_utf8(p: Path) -> DataError:
    """The error for a CSV file that is not UTF-8 text, naming the line of the first bad byte."""
    data = p.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return DataError(
            f"'{p.name}' is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} "
            "(save the crosstab as UTF-8)."
        )
    return DataError(f"'{p.name}' is not a readable crosstab (not UTF-8 text).")


def _read_csv(p: Path) -> Any:
    """A CSV crosstab's rows, labels as the strings written."""
    import pandas as pd

    header = [str(c) for c in pd.read_csv(p, nrows=0).columns]
    if not all(c.isprintable() for c in header):
        raise DataError(f"'{p.name}' is not a readable crosstab (its first line is not text).")
    if any(c not in header for c in CROSSTAB_COLUMNS):
        raise _not_a_crosstab(p, header)
    strings = {c: str for c in (*_LABEL_COLUMNS, "question_text") if c in header}
    # keep_default_na=False: "None", "NA", "null" are labels; an empty count is text, reported
    # as a non-numeric count. pyarrow's parser, when installed, is several times faster than
    # pandas' own; its messages do not say where a file is broken, so a file it refuses is
    # parsed again by pandas', which names the line (or reads the file: short rows are empty
    # cells, reported with their row).
    if importlib.util.find_spec("pyarrow") is not None:
        try:
            return pd.read_csv(p, dtype=strings, keep_default_na=False, engine="pyarrow")
        except ValueError:
            pass
    return pd.read_csv(p, dtype=strings, keep_default_na=False, engine="c")


def _read_table(p: Path) -> Any:
    """The crosstab's rows as a DataFrame, labels as the strings written."""
    import pandas as pd

    try:
        if p.suffix.lower() == ".csv":
            return _read_csv(p)
        return pd.read_parquet(p)
    except UnicodeDecodeError:
        raise _not_utf8(p) from None
    except ImportError as exc:
        raise DataError(f"Reading '{p.name}' needs pyarrow (pip install pyarrow): {exc}") from None
    except DataError:
        raise
    except (ValueError, OSError, UnicodeError, TypeError) as exc:
        # pandas' ParserError/EmptyDataError and Arrow's ArrowInvalid are ValueErrors,
        # Arrow's IO errors are OSErrors
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"'{p.name}' is not a readable crosstab ({detail}).") from None


def _factorize_labels(p: Path, column: str, values: Any) -> tuple[np.ndarray, list[str]]:
    """Codes (order of first appearance) and labels of a label column; empty cells are errors."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=False)
    labels = [str(u) for u in np.asarray(uniques, dtype=object).tolist()]  # parquet: 1 -> "1"
    empty = codes < 0
    blank = [k for k, lab in enumerate(labels) if not lab.strip()]
    if blank:
        empty |= np.isin(codes, blank)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise DataError(f"Crosstab '{p.name}' has an empty {column!r} in data row {row + 1}.")
    return codes.astype(np.int64), labels


def _counts(p: Path, frame: Any) -> np.ndarray:
    import pandas as pd

    counts = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(counts)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raw = frame["count"].iloc[row]
        if isinstance(raw, (int, float, np.number)):
            what, shown = "a missing or infinite", f"{float(raw):g}"
        else:
            what, shown = "a non-numeric", repr(str(raw))
        raise DataError(f"Crosstab '{p.name}' has {what} count in data row {row + 1}: {shown}.")
    if np.any(counts < 0):
        row = int(np.flatnonzero(counts < 0)[0])
        raise DataError(
            f"Crosstab '{p.name}' has a negative count in data row {row + 1}: {counts[row]:g}."
        )
    with np.errstate(over="ignore"):
        total = counts.sum()
    if not np.isfinite(total):
        row = int(np.argmax(counts))
        raise DataError(
            f"Crosstab '{p.name}' has counts too large to add up (largest {counts[row]:g}, in "
            f"data row {row + 1})."
        )
    return counts


def _texts(frame: Any, q_codes: np.ndarray, n_questions: int) -> list[str]:
    """Each question's first non-empty ``question_text`` ('' when none)."""
    import pandas as pd

    out = [""] * n_questions
    if "question_text" not in frame.columns:
        return out
    t_codes, uniques = pd.factorize(frame["question_text"], sort=False)
    values = np.asarray(uniques, dtype=object).tolist()
    usable = np.asarray([isinstance(u, str) and bool(u.strip()) for u in values] + [False])
    rows = np.flatnonzero(usable[t_codes])  # t_codes == -1 (empty) picks the trailing False
    qs, first = np.unique(q_codes[rows], return_index=True)
    for q, t in zip(qs.tolist(), t_codes[rows[first]].tolist(), strict=True):
        out[q] = values[t]
    return out


def read_crosstab(path: str | Path, *, check: bool = True) -> Survey:
    """Read a long crosstab (``.csv`` or ``.parquet``) into a :class:`Survey`.

    Columns ``question``, ``group``, ``option``, ``count`` (counts may be weighted, >= 0) and
    optionally ``question_text``. Questions, groups and options keep their order of first
    appearance; repeated ``(question, group, option)`` rows are summed. A group is a user type;
    options labelled as non-answers ("Refused", "Don't know", ...) are never options (a "don't
    know" one is with ``keep_dk``), and groups so labelled are never types. Labels are the
    strings written: ``None`` and ``NA`` are labels, not empty cells.

    Parameters
    ----------
    path : str or Path
        The crosstab.
    check : bool
        Refuse a question with more than :data:`~socialpref.surveys.checks.MAX_CODES` options,
        or more groups than that.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    DataError
        Wrong kind, empty, unreadable, respondent-level data instead of a crosstab, missing
        columns, an empty label, negative, non-numeric or overflowing counts, too many options
        or groups (with ``check``). Messages name the file and the data row.
    """
    p = check_file(path, CROSSTAB_SUFFIXES, "crosstab (.csv or .parquet)")
    # positions, not index labels, address rows below (a parquet file may carry any index)
    frame = _read_table(p).reset_index(drop=True)
    if any(c not in frame.columns for c in CROSSTAB_COLUMNS):
        raise _not_a_crosstab(p, [str(c) for c in frame.columns])
    if frame.empty:
        raise DataError(f"Crosstab '{p.name}' has no rows.")
    q_codes, questions = _factorize_labels(p, "question", frame["question"])
    g_codes, groups = _factorize_labels(p, "group", frame["group"])
    o_codes, options = _factorize_labels(p, "option", frame["option"])
    counts = _counts(p, frame)
    if check and len(groups) > MAX_CODES:
        raise DataError(
            f"Crosstab '{p.name}' has {len(groups):,} groups, more than the {MAX_CODES:,} user "
            "types an analysis can take."
        )
    import pandas as pd

    # (question, option) pairs in order of first appearance, then grouped by question (a stable
    # sort keeps that order within a question): a pair's rank in its question is its option index
    pair_codes, pairs = pd.factorize(q_codes * len(options) + o_codes, sort=False)
    pair_q, pair_o = np.divmod(pairs.astype(np.int64), len(options))
    order = np.argsort(pair_q, kind="stable")
    n_opts = np.bincount(pair_q, minlength=len(questions))
    starts = np.cumsum(n_opts) - n_opts
    local = np.empty(pairs.size, dtype=np.int64)
    local[order] = np.arange(pairs.size) - np.repeat(starts, n_opts)
    if check and n_opts.max() > MAX_CODES:
        q = int(np.argmax(n_opts))
        raise DataError(
            f"Question {questions[q]!r} of crosstab '{p.name}' has {int(n_opts[q]):,} options, "
            f"more than the {MAX_CODES:,} an analysis can take."
        )
    n_g = len(groups)
    # question q's matrix is flat[n_g * starts[q] : n_g * (starts[q] + n_opts[q])], row-major
    k = n_opts[q_codes]
    cell = n_g * starts[q_codes] + g_codes * k + local[pair_codes]
    flat = np.asarray(np.bincount(cell, weights=counts, minlength=n_g * pairs.size), np.float64)
    texts = _texts(frame, q_codes, len(questions))
    labels = [options[o] for o in pair_o[order].tolist()]  # every question's options in turn
    status = [answer_status(o) for o in options]
    statuses = [status[o] for o in pair_o[order].tolist()]
    codes = {n: tuple(float(c + 1) for c in range(n)) for n in set(n_opts.tolist())}
    variables: dict[str, Variable] = {}
    columns: list[Column] = []
    for name, text, s, n in zip(questions, texts, starts.tolist(), n_opts.tolist(), strict=True):
        text = text or name
        columns.append(Column(name, text, "question", "", n, n))
        variables[name] = Variable(
            name=name,
            text=text,
            codes=codes[n],
            labels=tuple(labels[s : s + n]),
            status=tuple(statuses[s : s + n]),
            declared=(False,) * n,
            counts=flat[n_g * s : n_g * (s + n)].reshape(n_g, n),
        )
    return Survey(
        source=p.name,
        path=p,
        kind="crosstab",
        questions=tuple(variables),
        groups=tuple(groups),
        columns=tuple(columns),
        variables=variables,
    )


__all__ = ["CROSSTAB_COLUMNS", "CROSSTAB_SUFFIXES", "read_crosstab"]
