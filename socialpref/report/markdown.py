"""Small markdown writer: tables, images with relative paths, number formatting.

The output is GitHub-flavoured markdown that also reads well as plain text in an editor.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

from socialpref.errors import ParameterError

#: Decimals of every number printed in a table (the JSON next to the report keeps all digits).
DECIMALS = 4


def escape(text: Any) -> str:
    """Escape a value for a markdown table cell or a line of text (pipes, newlines, markup)."""
    # every line break (also form feeds, U+2028, ...) becomes a space: a cell is one line
    s = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    s = s.replace("\\", "\\\\").replace("|", "\\|")
    # underscores stay: GitHub does not emphasise inside words such as EVCAR2_W128
    s = re.sub(r"([*<>])", r"\\\1", s)
    return s


def number(value: Any, decimals: int = DECIMALS) -> str:
    """Format a number for a table: fixed decimals, ``-`` for None, ``n/a`` for NaN."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    x = float(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    out = f"{x:.{decimals}f}"
    return "0." + "0" * decimals if out == "-0." + "0" * decimals else out


def percent(value: float | None, decimals: int = 1) -> str:
    """``0.2`` -> ``20.0%``; ``-`` for None or NaN."""
    if value is None or math.isnan(float(value)):
        return "-"
    return f"{100 * float(value):.{decimals}f}%"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> str:
    """A markdown table.

    Parameters
    ----------
    headers : sequence of str
    rows : iterable of sequences
        Cells are escaped; numbers should be formatted with :func:`number` beforehand.
    align : str, optional
        One letter per column: ``l``, ``r`` or ``c`` (default: all left).

    >>> print(table(["a", "b"], [[1, "x|y"]], align="rl"))
    | a | b |
    | ---: | :--- |
    | 1 | x\\|y |
    """
    align = align or "l" * len(headers)
    if len(align) != len(headers) or set(align) - set("lrc"):
        raise ParameterError(
            f"The 'align' parameter must have one of l/r/c per column ({len(headers)}). Got {align!r} instead."
        )
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(escape(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    for row in rows:
        cells = list(row)
        if len(cells) != len(headers):
            raise ParameterError(
                f"Every row must have {len(headers)} cells. Got {len(cells)} in {cells!r}."
            )
        lines.append("| " + " | ".join(escape(c) for c in cells) + " |")
    return "\n".join(lines)


def image(alt: str, relative_path: str | PurePosixPath) -> str:
    """An image link with a relative POSIX path (spaces encoded), so the folder can move."""
    path = str(PurePosixPath(relative_path))
    if path.startswith("/"):
        raise ParameterError(
            f"The 'relative_path' parameter must be relative. Got {path!r} instead."
        )
    return f"![{escape(alt)}]({path.replace(' ', '%20')})"


def slug(text: str, max_length: int = 60) -> str:
    """A file-name-safe, lowercase slug: ``"ATP W900.sav"`` -> ``"atp-w900-sav"``."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return (s[:max_length].rstrip("-")) or "item"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading (lowercase, punctuation dropped, spaces to dashes)."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


__all__ = ["DECIMALS", "anchor", "escape", "image", "number", "percent", "slug", "table"]
