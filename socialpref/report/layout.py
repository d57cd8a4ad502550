"""Measured text and explicit geometry for the report's figures.

matplotlib's automatic layouts (``constrained``, ``tight``) draw every figure twice: once to
measure its text, once to render it. The survey figures instead measure only the strings they
lay out (labels, titles, notes; each measured once per process and cached) and place their
axes in inches, so a figure is drawn once and nothing reaches past its edge: every margin is
the measured extent of the text it holds.

>>> w, h = text_size("Not at all likely", 9)
>>> 0.8 < w < 1.3 and 0.1 < h < 0.2
True
>>> wrap_to("I do not expect to purchase a vehicle", 1.3, 9).split("\\n")
['I do not expect to', 'purchase a vehicle']
>>> wrap_to("I do not expect to purchase a vehicle", 1.3, 9, max_lines=1)
'I do not expect to…'

"""

from __future__ import annotations

import functools
import textwrap
from typing import Any

from matplotlib.figure import Figure

#: Resolution of every PNG (dots per inch); also the one that text is measured at.
DPI = 110
#: The largest figure, in inches (width, height): 1,320 x 1,760 pixels.
MAX_SIZE = (12.0, 16.0)
#: The report's one font (ships with matplotlib, so every machine measures the same).
FONT = "DejaVu Sans"
ELLIPSIS = "…"


@functools.lru_cache(maxsize=1)
def _scratch() -> tuple[Figure, Any]:
    from matplotlib.backends.backend_agg import RendererAgg

    return Figure(dpi=DPI), RendererAgg(16, 16, DPI)


@functools.lru_cache(maxsize=16384)
def text_size(text: str, size: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height, in inches, of ``text`` (lines split at ``\\n``) as the figures draw it."""
    from matplotlib.text import Text

    if not text:
        return 0.0, 0.0
    fig, renderer = _scratch()
    t = Text(0, 0, text, fontsize=size, fontweight=weight, fontfamily=FONT, linespacing=1.2)
    t.set_figure(fig)
    box = t.get_window_extent(renderer)
    return float(box.width) / DPI, float(box.height) / DPI


def line_height(size: float) -> float:
    """Height of one more line of text at ``size`` points, in inches."""
    return text_size("Ag\nAg", size)[1] - text_size("Ag", size)[1]


def _fits(lines: list[str], width: float, size: float, weight: str) -> bool:
    return all(text_size(line, size, weight)[0] <= width for line in lines)


def _ellipsize(line: str, width: float, size: float, weight: str) -> str:
    cut = line.rstrip()
    while cut and text_size(cut + ELLIPSIS, size, weight)[0] > width:
        cut = cut[:-1].rstrip()
    return cut + ELLIPSIS


def wrap_to(
    text: str,
    width: float,
    size: float,
    max_lines: int | None = None,
    weight: str = "normal",
) -> str:
    """``text`` wrapped on word boundaries so that every line fits ``width`` inches.

    Existing line breaks are kept; a word longer than the width is broken. With
    ``max_lines``, the lines past it are dropped and the last one ends with an ellipsis
    (the full text is in the report's tables).
    """
    paragraphs = str(text).split("\n")
    lines: list[str] = []
    for part in paragraphs:
        if not part.strip():
            lines.append("")
            continue
        chars = max(4, int(width / (0.55 * size / 72)))  # a generous first guess
        wrapped = textwrap.wrap(part, chars, break_long_words=True) or [""]
        while chars > 1 and not _fits(wrapped, width, size, weight):
            chars -= max(1, chars // 12)
            wrapped = textwrap.wrap(part, chars, break_long_words=True) or [""]
        lines += wrapped
    if max_lines is not None and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], width, size, weight)]
    return "\n".join(lines)


def add_axes(
    fig: Figure, left: float, bottom: float, width: float, height: float, **kw: Any
) -> Any:
    """An axes at a place given in inches from the figure's lower left corner."""
    w, h = fig.get_size_inches()
    return fig.add_axes((left / w, bottom / h, width / w, height / h), **kw)


__all__ = ["DPI", "FONT", "MAX_SIZE", "add_axes", "line_height", "text_size", "wrap_to"]
