"""The report as a document: typed blocks that the markdown and the HTML renderers lay out.

The section builders (:mod:`socialpref.report.sections`, :mod:`socialpref.report.includes`)
return blocks built from typed results; :func:`socialpref.report.markdown.render_blocks` writes
them as GitHub-flavoured markdown and :func:`socialpref.report.html.render_html` as one
self-contained HTML page. Text is kept as plain strings (each renderer escapes it its own way:
backslashes in markdown, entities in HTML) with a few inline styles (:class:`Span`), so that a
label read from a survey file is never taken for markup.

Figures are described, not drawn: an :class:`Image` carries a :class:`FigureSpec` (the plotting
function and its arguments) or the path of a PNG to copy, and
:func:`socialpref.report.render.render_figures` draws every figure of a document once,
in parallel processes when there are many.

>>> doc = [Heading(2, "Summary"), Paragraph(("NBC ", strong("differs"), " here."))]
>>> from socialpref.report.markdown import render_blocks
>>> print(render_blocks(doc))
## Summary
<BLANKLINE>
NBC **differs** here.
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from socialpref.errors import ParameterError

SpanStyle = Literal["strong", "em", "code", "link"]
Align = Literal["l", "r", "c"]


@dataclass(frozen=True)
class Span:
    """Styled inline text: bold, italic, code, or a link to an anchor of the document.

    Attributes
    ----------
    text : str
        Plain text (escaped by each renderer).
    style : {"strong", "em", "code", "link"}
    href : str
        For links: ``"#anchor"`` of a heading of the same document.
    """

    text: str
    style: SpanStyle
    href: str = ""


#: Inline content: plain strings and styled spans, in order.
Inline = str | Span
Text = tuple[Inline, ...]


def strong(text: Any) -> Span:
    """Bold text."""
    return Span(str(text), "strong")


def em(text: Any) -> Span:
    """Italic text."""
    return Span(str(text), "em")


def code(text: Any) -> Span:
    """Verbatim text (a file name, a command)."""
    return Span(str(text), "code")


def link(text: Any, anchor: str) -> Span:
    """A link to the heading whose anchor is ``anchor`` (without ``#``)."""
    return Span(str(text), "link", f"#{anchor}")


def as_text(value: Any) -> Text:
    """Inline content from a string, a span, a sequence of both, or any value (``str()``)."""
    if isinstance(value, (str, Span)):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(v, (str, Span)) for v in value):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, Span)) for v in value):
        return tuple(value)
    return (str(value),)


def plain(text: Text) -> str:
    """The text without its styles (for alt texts, sorting, tests)."""
    return "".join(p if isinstance(p, str) else p.text for p in text)


@dataclass(frozen=True)
class Heading:
    """A heading; ``anchor`` is the id that links use (GitHub's anchor of the text by default)."""

    level: int
    text: str
    anchor: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 6:
            raise ParameterError(f"The 'level' parameter must be in 1..6. Got {self.level}.")
        if not self.anchor:
            from socialpref.report.markdown import anchor

            object.__setattr__(self, "anchor", anchor(self.text))


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline content."""

    text: Text

    def __init__(self, *parts: Any) -> None:
        flat: list[Inline] = []
        for p in parts:
            flat.extend(as_text(p))
        object.__setattr__(self, "text", tuple(flat))


@dataclass(frozen=True)
class Quote:
    """A quoted passage (a question's wording)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list; each item is inline content."""

    items: tuple[Text, ...]

    def __init__(self, items: Iterable[Any]) -> None:
        object.__setattr__(self, "items", tuple(as_text(i) for i in items))


@dataclass(frozen=True)
class Column:
    """A table column.

    Attributes
    ----------
    title : str
    align : {"l", "r", "c"}
    markdown : bool
        Whether the markdown table shows it (the HTML table shows every column; long tables
        keep details, such as every target's top choice, for the browser).
    """

    title: str
    align: Align = "l"
    markdown: bool = True


@dataclass(frozen=True)
class Cell:
    """A table cell: inline content and, optionally, the value to sort and filter by.

    ``sort`` is a number (sorted numerically; None sorts last) or a string; by default the
    HTML table sorts by the cell's text, numerically when it reads as a number.
    """

    text: Text
    sort: float | str | None = None
    has_sort: bool = False


def cell(value: Any, sort: Any = ...) -> Cell:
    """A :class:`Cell` from inline content; ``sort`` (if given) is the value to sort by."""
    if isinstance(value, Cell):
        return value
    if sort is ...:
        return Cell(as_text(value))
    if sort is not None and not isinstance(sort, (str, int, float)):
        sort = float(sort)
    return Cell(as_text(value), sort, True)


@dataclass(frozen=True)
class Table:
    """A table of cells.

    Attributes
    ----------
    columns : tuple of Column
    rows : tuple of tuples of Cell
    id : str
        An id for the HTML table (its controls and tests find it by it).
    interactive : bool
        Whether the HTML page makes it sortable by every column and filterable by text.
    row_anchors : tuple of str
        Optional: per row, the anchor of the section it links to ("" for none); the HTML page
        uses it for the row's filter and ``data-target``.
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    id: str = ""
    interactive: bool = False
    row_anchors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.columns)
        for row in self.rows:
            if len(row) != n:
                raise ParameterError(
                    f"Every row must have {n} cells. Got {len(row)} in {[plain(c.text) for c in row]!r}."
                )


def make_table(
    headers: Sequence[str | Column],
    rows: Iterable[Sequence[Any]],
    align: str | None = None,
    **kwargs: Any,
) -> Table:
    """A :class:`Table` from headers (titles or columns), rows of values or cells, and the
    alignment letters of the titles (``"lrr"``; default all left)."""
    align = align or "l" * len(headers)
    if len(align) != len(headers) or set(align) - set("lrc"):
        raise ParameterError(
            f"The 'align' parameter must have one of l/r/c per column ({len(headers)}). Got {align!r} instead."
        )
    columns = tuple(
        h if isinstance(h, Column) else Column(str(h), a)  # type: ignore[arg-type]
        for h, a in zip(headers, align, strict=True)
    )
    return Table(columns, tuple(tuple(cell(v) for v in row) for row in rows), **kwargs)


@dataclass(frozen=True)
class FigureSpec:
    """How to draw a figure: a function of :mod:`socialpref.report` that returns a Figure,
    named ``"module:function"``, and its arguments (picklable, for worker processes)."""

    function: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def draw(self) -> Any:
        """Import the function and call it; returns the :class:`matplotlib.figure.Figure`."""
        import importlib

        module, _, name = self.function.partition(":")
        if not module.startswith("socialpref.") or not name:
            raise ParameterError(
                f"The 'function' parameter must be 'socialpref.MODULE:NAME'. Got {self.function!r}."
            )
        return getattr(importlib.import_module(module), name)(*self.args, **dict(self.kwargs))


@dataclass(frozen=True)
class Image:
    """A figure of the report, stored as ``figures/NAME``.

    Exactly one of ``spec`` (draw it) and ``source`` (copy a PNG that exists) is set.
    """

    name: str
    alt: str
    spec: FigureSpec | None = None
    source: Path | None = None

    def __post_init__(self) -> None:
        if (self.spec is None) == (self.source is None):
            raise ParameterError(
                f"Image {self.name!r} must have either a 'spec' or a 'source'. Got both or neither."
            )


Block = Heading | Paragraph | Quote | Bullets | Table | Image


def images(blocks: Iterable[Block]) -> Iterator[Image]:
    """The images of a document, in order."""
    return (b for b in blocks if isinstance(b, Image))


__all__ = [
    "Block",
    "Bullets",
    "Cell",
    "Column",
    "FigureSpec",
    "Heading",
    "Image",
    "Inline",
    "Paragraph",
    "Quote",
    "Span",
    "Table",
    "Text",
    "as_text",
    "cell",
    "code",
    "em",
    "images",
    "link",
    "make_table",
    "plain",
    "strong",
]
