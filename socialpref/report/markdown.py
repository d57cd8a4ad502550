"""Small markdown writer: tables, images with relative paths, number formatting, documents.

The output is GitHub-flavoured markdown that also reads well as plain text in an editor.
:func:`render_blocks` writes a document of :mod:`socialpref.report.document` blocks (the
report's sections); :func:`table`, :func:`image` and :func:`escape` are its parts.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from socialpref.errors import ParameterError

if TYPE_CHECKING:
    from socialpref.report.document import Block, Text

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
    from socialpref.report.document import make_table

    return render_blocks([make_table(headers, rows, align)]).rstrip("\n")


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


def _escape_inline(text: str) -> str:
    """:func:`escape` that keeps the spaces at both ends (inline pieces join up)."""
    body = text.strip()
    if not body:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    tail = " " if text[-1].isspace() else ""
    return f"{lead}{escape(body)}{tail}"


def _code(text: str, in_table: bool) -> str:
    s = " ".join(str(text).splitlines())
    if in_table:
        s = s.replace("|", "\\|")  # GitHub shows \| inside a code span of a table as |
    fence = "``" if "`" in s else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def inline(text: Text, in_table: bool = False) -> str:
    """Inline content as markdown: plain strings escaped, spans as ``**``, ``*``, code, links."""
    out = []
    for part in text:
        if isinstance(part, str):
            out.append(_escape_inline(part))
        elif part.style == "code":
            out.append(_code(part.text, in_table))
        elif part.style == "link":
            out.append(f"[{escape(part.text)}]({part.href})")
        else:
            mark = "**" if part.style == "strong" else "*"
            out.append(f"{mark}{escape(part.text)}{mark}")
    return "".join(out)


def render_blocks(blocks: Iterable[Block], figures: str = "figures") -> str:
    """A document as markdown: one paragraph per block, images linked as ``figures/NAME``."""
    from socialpref.report import document as D

    parts: list[str] = []
    for b in blocks:
        if isinstance(b, D.Heading):
            parts.append(f"{'#' * b.level} {escape(b.text)}")
        elif isinstance(b, D.Paragraph):
            parts.append(inline(b.text))
        elif isinstance(b, D.Quote):
            parts.append(f"> {escape(b.text)}")
        elif isinstance(b, D.Bullets):
            parts.append("\n".join(f"- {inline(item)}" for item in b.items))
        elif isinstance(b, D.Table):
            shown = [k for k, c in enumerate(b.columns) if c.markdown]
            marks = {"l": ":---", "r": "---:", "c": ":---:"}
            lines = [
                "| " + " | ".join(escape(b.columns[k].title) for k in shown) + " |",
                "| " + " | ".join(marks[b.columns[k].align] for k in shown) + " |",
            ]
            lines += [
                "| " + " | ".join(inline(row[k].text, in_table=True) for k in shown) + " |"
                for row in b.rows
            ]
            parts.append("\n".join(lines))
        elif isinstance(b, D.Image):
            parts.append(image(b.alt, f"{figures}/{b.name}"))
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"Not a block of socialpref.report.document: {b!r}")
    return "\n\n".join(parts) + "\n"


__all__ = [
    "DECIMALS",
    "anchor",
    "escape",
    "image",
    "inline",
    "number",
    "percent",
    "render_blocks",
    "slug",
    "table",
]
