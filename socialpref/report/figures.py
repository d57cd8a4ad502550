"""Matplotlib figures of the survey report: per-type shares and rewards, aggregates, rank chart.

The figures render numbers that the core and the survey readers computed; they compute nothing
themselves beyond sorting for display. Every function returns a :class:`matplotlib.figure.Figure`
built without pyplot (no global state, no GUI backend), and :func:`png_bytes` draws it once with
Agg and encodes it deterministically: fixed size and resolution, the DejaVu Sans font that ships
with matplotlib, no metadata but the resolution, so that two runs give the same bytes.

Readable at any size: options are listed down the figure (one row per option, with its label
wrapped beside it), so a question with many options makes a taller figure, never a wider
one; no figure exceeds :data:`~socialpref.report.layout.MAX_SIZE` (labels lose lines, with an
ellipsis, before that happens; the tables keep them whole). The survey figures place their
axes from measured text (:mod:`socialpref.report.layout`), so nothing is clipped and each is
drawn once. Colours follow their role (:mod:`socialpref.report.palette`): each user type keeps
its colour, NBC and the average reward have their own.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from numpy.typing import ArrayLike

from socialpref.errors import ParameterError
from socialpref.report import palette as P
from socialpref.report.layout import DPI, MAX_SIZE, line_height, text_size, wrap_to

#: Colours of the user types, in order (see :mod:`socialpref.report.palette`).
PALETTE: tuple[str, ...] = P.TYPES
#: Neutral grey for bars that are not highlighted.
GREY = P.GREY

#: Fixed style: the figures look and hash the same on every machine with this matplotlib.
RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "savefig.dpi": DPI,
    "path.simplify": True,
    "svg.hashsalt": "socialpref",
    # glyphs drawn from their outlines without the hinter: the text of a figure is most of
    # its drawing time, and unhinted glyphs take half as long at this resolution
    "text.hinting": "no_hinting",
}

#: Width of the survey figures, in inches (1,155 pixels).
WIDTH = 10.5
#: Font sizes (points): option labels and ticks, values on bars, titles.
LABEL_PT, VALUE_PT, PANEL_PT, TITLE_PT, NOTE_PT = 9.0, 8.5, 11.0, 12.0, 9.0
#: Outer margin of every survey figure, in inches.
EDGE = 0.15
#: Widest option label beside the bars, in inches.
LABEL_WIDTH = 2.8
#: Lines of an option label when there is room.
LABEL_LINES = 3


def colour(k: int) -> str:
    """The colour of the k-th user type (:func:`socialpref.report.palette.type_colour`)."""
    return P.type_colour(k)


def letter(k: int) -> str:
    """Letter code of the k-th option, as in the paper's figures: A, B, ..., Z, AA, AB, ..."""
    if k < 0:
        raise ParameterError(f"The 'k' parameter must be >= 0. Got {k} instead.")
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(ord("A") + r) + out
    return out


def wrap(text: str, width: int) -> str:
    """Wrap a label on word boundaries to lines of at most ``width`` characters.

    Existing line breaks are kept.

    >>> wrap("Not at all likely", 10).split("\\n")
    ['Not at all', 'likely']
    """
    lines = [
        textwrap.wrap(part, width=width, break_long_words=True) or [""]
        for part in str(text).split("\n")
    ]
    return "\n".join(line for part in lines for line in part)


def option_labels(options: Sequence[str], width: int = 16) -> list[str]:
    """``"A: first option"``-style labels, wrapped for a tick axis."""
    return [wrap(f"{letter(k)}: {name}", width) for k, name in enumerate(options)]


@contextmanager
def style() -> Iterator[None]:
    """Apply :data:`RC` for the duration of the block."""
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        yield


def new_figure(
    width: float, height: float, layout: Literal["constrained"] | None = "constrained"
) -> Figure:
    """A pyplot-free figure of the given size in inches (capped at ``MAX_SIZE``), with the
    report's style."""
    with style():
        fig = Figure(
            figsize=(min(width, MAX_SIZE[0]), min(height, MAX_SIZE[1])), dpi=DPI, layout=layout
        )
    return fig


def png_bytes(fig: Figure) -> bytes:
    """``fig`` drawn once by Agg and encoded as a deterministic, palette PNG.

    No metadata but the resolution; 256 colours (the figures use a few flat colours and
    anti-aliased edges), which makes the files about a third of a full-colour PNG, for the
    pages that embed them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image as PILImage

    canvas = FigureCanvasAgg(fig)
    with style():
        canvas.draw()
    width, height = canvas.get_width_height()
    rgba = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    img = rgba.convert("RGB").quantize(
        colors=256, method=PILImage.Quantize.FASTOCTREE, dither=PILImage.Dither.NONE
    )
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6, dpi=(DPI, DPI))
    return out.getvalue()


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a deterministic PNG (:func:`png_bytes`) and return the path."""
    path = Path(path)
    path.write_bytes(png_bytes(fig))
    return path


def _matrix(values: ArrayLike, name: str, shape: tuple[int, int]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != shape:
        raise ParameterError(
            f"The '{name}' parameter must have shape {shape}. Got {arr.shape} instead."
        )
    return arr


def _vector(values: ArrayLike, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.shape != (n,):
        raise ParameterError(
            f"The '{name}' parameter must have {n} entries. Got shape {arr.shape} instead."
        )
    return arr


# ------------------------------------------------------------------------------ geometry


class _Sheet:
    """Artists placed on a figure in inches from its top left corner, without axes.

    The survey figures draw everything this way: an axes costs more to build and draw than
    the bars it holds (ticks, spines, autoscaling), and here every position is known.
    """

    def __init__(self, fig: Figure) -> None:
        from matplotlib.transforms import Affine2D

        self.fig = fig
        height = float(fig.get_size_inches()[1])
        self.transform = Affine2D().scale(1.0, -1.0).translate(0.0, height) + fig.dpi_scale_trans

    def text(self, x: float, y: float, s: str, **kw: Any) -> Any:
        return self.fig.text(x, y, s, transform=self.transform, **kw)

    def add(self, artist: Any, transform: Any = None) -> Any:
        artist.set_transform(self.transform if transform is None else transform)
        return self.fig.add_artist(artist)


class _Rows:
    """Vertical geometry of a figure with one row per option beside a column of labels.

    ``top`` (inches above the rows: title, legend, panel titles), ``bottom`` (below: the
    value axis, a note) and the rows: each at least ``min_row`` high and as high as its
    label. When the whole would exceed the height cap, the rows shrink to fit and the labels
    lose lines (ending with an ellipsis).
    """

    def __init__(
        self, options: Sequence[str], top: float, bottom: float, min_row: float, pad: float = 0.1
    ) -> None:
        self.n = len(options)
        full = [f"{letter(i)}: {o}" for i, o in enumerate(options)]
        self.labels = [wrap_to(t, LABEL_WIDTH, LABEL_PT, LABEL_LINES) for t in full]
        label_h = max(text_size(t, LABEL_PT)[1] for t in self.labels)
        row = max(min_row, label_h + pad)
        room = MAX_SIZE[1] - top - bottom
        if self.n * row > room:
            row = room / self.n
            one = text_size("Ag", LABEL_PT)[1]
            lines = max(1, int((row - 0.02 - one) / line_height(LABEL_PT)) + 1)
            self.labels = [wrap_to(t, LABEL_WIDTH, LABEL_PT, lines) for t in full]
        self.row = row
        self.top, self.bottom = top, bottom
        self.height = top + bottom + self.n * row
        self.label_width = max(text_size(t, LABEL_PT)[0] for t in self.labels)

    def put_labels(self, sheet: _Sheet, right: float) -> None:
        """The option labels, right-aligned at ``right`` inches, centred on their rows."""
        for k, label in enumerate(self.labels):
            sheet.text(right, self.top + (k + 0.5) * self.row, label, ha="right", va="center",
                       fontsize=LABEL_PT)  # fmt: skip


def _title_block(title: str, width: float) -> tuple[str, float]:
    """The title wrapped to ``width`` inches and the height it takes (with its gap)."""
    if not title:
        return "", 0.0
    text = wrap_to(title, width, TITLE_PT)
    return text, text_size(text, TITLE_PT)[1] + 0.12


def _note_block(note: str, width: float) -> tuple[str, float]:
    if not note:
        return "", 0.0
    text = wrap_to(note, width, NOTE_PT)
    return text, text_size(text, NOTE_PT)[1] + 0.12


def _put_title(sheet: _Sheet, text: str, width: float) -> None:
    if text:
        sheet.text(width / 2, EDGE, text, ha="center", va="top", fontsize=TITLE_PT)


def _put_note(sheet: _Sheet, text: str, width: float, height: float) -> None:
    if text:
        sheet.text(width / 2, height - EDGE, text, ha="center", va="bottom", fontsize=NOTE_PT,
                   color="#333333")  # fmt: skip


#: The value axis under a panel (inches): tick length, gaps, and its height with its label.
TICK, TICK_GAP, AXIS_GAP = 0.05, 0.03, 0.06


def _axis_height() -> float:
    """Room under a panel for its value axis: ticks, their labels, the axis label."""
    return TICK + TICK_GAP + text_size("0.5", LABEL_PT)[1] + AXIS_GAP + text_size("Ag", 10.0)[1]


def _ticks(lo: float, hi: float, percent: bool) -> list[tuple[float, str]]:
    """About four round tick values in ``[lo, hi]`` and their labels (``12%`` or ``0.25``)."""
    values = matplotlib.ticker.MaxNLocator(4).tick_values(lo, hi)
    values = [float(v) for v in values if lo - 1e-12 <= v <= hi + 1e-12]
    step = values[1] - values[0] if len(values) > 1 else 1.0
    scale = 100.0 if percent else 1.0
    digits = max(0, -math.floor(math.log10(step * scale) + 1e-9))
    out = []
    for v in values:
        text = f"{scale * v + 0.0:.{digits}f}".replace("-", "\u2212")
        out.append((v, text + ("%" if percent else "")))
    return out


def _limits(
    lo: float, hi: float, width_in: float, left_in: float, right_in: float
) -> tuple[float, float]:
    """x limits that hold ``[lo, hi]`` (and 0) plus ``left_in`` / ``right_in`` inches of text
    beyond the extreme bars, on a panel ``width_in`` inches wide."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = (hi - lo) or 1.0
    frac = min(0.8, (left_in + right_in) / width_in)
    total = span / (1 - frac)
    return lo - total * left_in / width_in, hi + total * right_in / width_in


class _Panel:
    """A plot area of a sheet: x in data units from ``lo`` to ``hi``, one row per option.

    ``data`` maps (value, row index) to the sheet's inches, rows from the top; ``0`` is the
    centre of the first row.
    """

    def __init__(
        self, sheet: _Sheet, rows: _Rows, left: float, width: float, lo: float, hi: float
    ) -> None:
        from matplotlib.transforms import Affine2D

        self.sheet, self.rows = sheet, rows
        self.left, self.width, self.lo, self.hi = left, width, lo, hi
        self.top, self.bottom = rows.top, rows.top + rows.n * rows.row
        sx = width / (hi - lo)
        self.data = (
            Affine2D().scale(sx, rows.row).translate(left - lo * sx, rows.top + 0.5 * rows.row)
            + sheet.transform
        )

    def x(self, value: float) -> float:
        """The sheet's x (inches) of a data value."""
        return self.left + (value - self.lo) / (self.hi - self.lo) * self.width

    def bars(
        self, values: np.ndarray, offset: float, height: float, colours: Any, hatch: str = ""
    ) -> Any:
        """Horizontal bars from 0 (one collection: one artist), ``offset`` rows off centre."""
        x = np.nan_to_num(np.asarray(values, dtype=np.float64))
        y = np.arange(x.size, dtype=np.float64) + offset
        lo, hi, zero = y - height / 2, y + height / 2, np.zeros_like(x)
        verts = np.stack(
            [np.stack(p, 1) for p in ((zero, lo), (zero, hi), (x, hi), (x, lo))], axis=1
        )
        bars = PolyCollection(list(verts), facecolors=colours, edgecolors="white" if hatch else "none",
                              linewidths=0.0, hatch=hatch or None)  # fmt: skip
        return self.sheet.add(bars, self.data)

    def errorbars(self, low: np.ndarray, high: np.ndarray, cap: float = 0.14) -> None:
        y = np.arange(len(low), dtype=np.float64)
        segments = [[(a, k), (b, k)] for a, b, k in zip(low, high, y, strict=True)]
        for x in (low, high):
            segments += [[(v, k - cap), (v, k + cap)] for v, k in zip(x, y, strict=True)]
        self.sheet.add(LineCollection(segments, colors="black", linewidths=1.0), self.data)

    def zero_line(self) -> None:
        if self.lo < 0 < self.hi:
            self.sheet.add(Line2D([self.x(0.0)] * 2, [self.top, self.bottom], color="black",
                                  linewidth=0.8))  # fmt: skip

    def axis(self, label: str, percent: bool = False) -> None:
        """Grid, baseline, ticks, tick labels and the axis label under the panel."""
        ticks = _ticks(self.lo, self.hi, percent)
        xs = [self.x(v) for v, _ in ticks]
        grid = [[(x, self.top), (x, self.bottom)] for x in xs]
        self.sheet.add(LineCollection(grid, colors="#DDDDDD", linewidths=0.6, zorder=0.5))
        marks = [[(x, self.bottom), (x, self.bottom + TICK)] for x in xs]
        marks.append([(self.left, self.bottom), (self.left + self.width, self.bottom)])
        marks.append([(self.left, self.top), (self.left, self.bottom)])
        self.sheet.add(LineCollection(marks, colors="black", linewidths=0.8))
        below = self.bottom + TICK + TICK_GAP
        for x, (_, text) in zip(xs, ticks, strict=True):
            self.sheet.text(x, below, text, ha="center", va="top", fontsize=LABEL_PT)
        at = below + text_size("0.5", LABEL_PT)[1] + AXIS_GAP
        self.sheet.text(self.left + self.width / 2, at, label, ha="center", va="top", fontsize=10.0)

    def title(self, text: str) -> None:
        self.sheet.text(self.left + self.width / 2, self.top - 0.08, text, ha="center",
                        va="bottom", fontsize=PANEL_PT)  # fmt: skip


def _legend(sheet: _Sheet, entries: Sequence[str], top: float, width: float) -> float:
    """Type entries (a colour swatch and the text), centred in rows under ``top``; returns the
    height used. The same swatches as the bars: colour and hatch of each type."""
    from matplotlib.patches import Rectangle

    sizes = [text_size(e, 9.0) for e in entries]
    cell = max(w for w, _ in sizes) + 0.75
    ncol = max(1, min(len(entries), int((width - 2 * EDGE) // cell)))
    line = max(h for _, h in sizes) + 0.1
    for k, entry in enumerate(entries):
        r, c = divmod(k, ncol)
        in_row = min(ncol, len(entries) - r * ncol)
        x = width / 2 - in_row * cell / 2 + c * cell + 0.1
        y = top + r * line + line / 2
        sheet.add(Rectangle((x, y - 0.06), 0.3, 0.12, facecolor=colour(k), hatch=P.type_hatch(k) or None,
                            edgecolor="white" if P.type_hatch(k) else "none", linewidth=0.0))  # fmt: skip
        sheet.text(x + 0.38, y, entry, ha="left", va="center", fontsize=9.0)
    return math.ceil(len(entries) / ncol) * line + 0.1


def _legend_height(entries: Sequence[str], width: float) -> float:
    sizes = [text_size(e, 9.0) for e in entries]
    cell = max(w for w, _ in sizes) + 0.75
    ncol = max(1, min(len(entries), int((width - 2 * EDGE) // cell)))
    return math.ceil(len(entries) / ncol) * (max(h for _, h in sizes) + 0.1) + 0.1


# ------------------------------------------------------------------------------ figures


@dataclass
class _Series:
    """Bars of one panel: values per option, drawn ``offset`` rows off centre."""

    values: np.ndarray
    colours: Any
    offset: float = 0.0
    height: float = 0.7
    hatch: str = ""


@dataclass
class _PanelSpec:
    """One panel of a row figure: its title, its value axis, its bars."""

    title: str
    axis: str
    series: list[_Series]
    percent: bool = False
    interval: tuple[np.ndarray, np.ndarray] | None = None
    labels: bool = False  # write each option's value at the end of its bar
    lo: float | None = None  # default: from the bars (and 0)
    hi: float | None = None


def _row_figure(
    options: Sequence[str],
    panels: Sequence[_PanelSpec],
    *,
    width: float,
    title: str,
    note: str = "",
    legend: Sequence[str] = (),
    min_row: float = 0.36,
) -> Figure:
    """Panels side by side with one row per option, the option labels once at the left.

    Every position comes from measured text (no layout engine, no axes): the title, a legend
    of the types, the panel titles, the rows, the value axes and the note, top to bottom.
    """
    inner = width - 2 * EDGE
    title_text, title_h = _title_block(title, inner)
    note_text, note_h = _note_block(note, inner)
    entries = [wrap_to(e, inner / 2, 9.0, 2) for e in legend]
    legend_h = _legend_height(entries, width) if entries else 0.0
    gap = 0.42
    names = [wrap_to(p.title, 2.6, PANEL_PT, 2) for p in panels]
    panel_h = max(text_size(t, PANEL_PT)[1] for t in names) + 0.12
    rows = _Rows(
        options,
        top=EDGE + title_h + legend_h + panel_h,
        bottom=EDGE + note_h + _axis_height(),
        min_row=min_row,
    )
    left = EDGE + rows.label_width + 0.12
    right = 0.3
    panel_w = (width - left - right - gap * (len(panels) - 1)) / len(panels)
    fig = new_figure(width, rows.height, layout=None)
    with style():
        sheet = _Sheet(fig)
        _put_title(sheet, title_text, width)
        if entries:
            _legend(sheet, entries, EDGE + title_h, width)
        _put_note(sheet, note_text, width, rows.height)
        rows.put_labels(sheet, left - 0.08)
        for k, (spec, name) in enumerate(zip(panels, names, strict=True)):
            values = np.concatenate([s.values for s in spec.series])
            low = high = values
            if spec.interval is not None:
                low = np.concatenate([np.fmin(spec.interval[0], values), values])
                high = np.concatenate([np.fmax(spec.interval[1], values), values])
            lo, hi = float(np.nanmin(low)), float(np.nanmax(high))
            text_w = 0.0
            if spec.labels:
                text_w = max(text_size(_number(v), VALUE_PT)[0] for v in values) + 0.12
            limits = _limits(lo, hi, panel_w, text_w if lo < 0 else 0.06,
                             text_w if hi > 0 else 0.06)  # fmt: skip
            limits = (
                limits[0] if spec.lo is None else spec.lo,
                limits[1] if spec.hi is None else spec.hi,
            )
            panel = _Panel(sheet, rows, left + k * (panel_w + gap), panel_w, *limits)
            for s in spec.series:
                panel.bars(s.values, s.offset, s.height, s.colours, s.hatch)
            ends_low, ends_high = spec.series[0].values, spec.series[0].values
            if spec.interval is not None:
                ends_low = np.fmin(spec.interval[0], ends_low)
                ends_high = np.fmax(spec.interval[1], ends_high)
                panel.errorbars(ends_low, ends_high)
            if spec.labels:
                for i, v in enumerate(spec.series[0].values):
                    end = ends_high[i] if v >= 0 else ends_low[i]
                    sheet.text(panel.x(end) + (0.05 if v >= 0 else -0.05),
                               rows.top + (i + 0.5) * rows.row, _number(v), va="center",
                               ha="left" if v >= 0 else "right", fontsize=VALUE_PT)  # fmt: skip
            panel.axis(spec.axis, percent=spec.percent)
            panel.zero_line()
            panel.title(name)
    return fig


def _number(v: float) -> str:
    return f"{v:.3f}".replace("-", "\u2212")


def _type_series(matrix: np.ndarray, row: float) -> list[_Series]:
    """One bar per type in every row, side by side, in the types' colours."""
    n_types = matrix.shape[0]
    one = min(0.8, (row - 0.12) / row) / n_types  # one bar, in rows
    return [
        _Series(matrix[u], colour(u), (u - (n_types - 1) / 2) * one, one * 0.92, P.type_hatch(u))
        for u in range(n_types)
    ]


def _type_min_row(n_types: int) -> float:
    return n_types * (0.13 if n_types <= 4 else max(0.05, 0.52 / n_types)) + 0.16


def _legend_entries(types: Sequence[str], weights: np.ndarray | None) -> list[str]:
    return [str(t) if weights is None else f"{t} ({100 * weights[u]:.0f}%)"
            for u, t in enumerate(types)]  # fmt: skip


def _top_colours(values: np.ndarray, colour_: str) -> list[str]:
    best = values >= np.nanmax(values) - 1e-12
    return [colour_ if b else GREY for b in best]


def plot_shares_rewards(
    shares: ArrayLike,
    rewards: ArrayLike,
    options: Sequence[str],
    types: Sequence[str],
    *,
    type_weights: ArrayLike | None = None,
    title: str = "",
) -> Figure:
    """Each type's choice shares (left) and Luce-Shepard rewards (right), one row per option.

    One colour per type (paper Figs. 6-10, left panels; rewards by Eq. 27).

    Parameters
    ----------
    shares, rewards : (n_types, n_options) array-like
        ``shares[u, i]`` is the share of type ``u`` choosing option ``i``; ``rewards[u, i]``
        its reward.
    options, types : sequence of str
        Option and type labels.
    type_weights : (n_types,) array-like, optional
        Shown as percentages in the legend.
    title : str
        Figure title (wrapped).
    """
    n_types, n_options = len(types), len(options)
    s = _matrix(shares, "shares", (n_types, n_options))
    r = _matrix(rewards, "rewards", (n_types, n_options))
    w = None if type_weights is None else _vector(type_weights, "type_weights", n_types)
    min_row = _type_min_row(n_types)
    return _row_figure(
        options,
        [
            _PanelSpec(
                "Choice shares by type",
                "share of the type's respondents",
                _type_series(s, min_row),
                percent=True,
                lo=0.0,
            ),
            _PanelSpec(
                "Rewards by type (Luce-Shepard, centred)", "reward", _type_series(r, min_row)
            ),
        ],
        width=WIDTH,
        title=title,
        legend=_legend_entries(types, w),
        min_row=min_row,
    )


def plot_aggregates(
    average_reward: ArrayLike,
    nbc: ArrayLike,
    options: Sequence[str],
    *,
    title: str = "",
    nbc_label: str = "NBC (uniform sampling)",
    average_interval: tuple[ArrayLike, ArrayLike] | None = None,
    nbc_interval: tuple[ArrayLike, ArrayLike] | None = None,
    note: str = "",
) -> Figure:
    """Horizontal bars: the user-weighted average reward (Eq. 9) next to NBC (Eq. 13).

    The top option of each aggregate is drawn in its colour (the average reward's, NBC's), the
    others in grey, and every bar carries its value. ``average_interval`` and
    ``nbc_interval`` (low and high bounds, e.g. bootstrap percentile intervals) are drawn as
    error bars; ``note`` is written under the bars (e.g. that the bootstrap does not support
    the disagreement of the two tops).
    """
    n = len(options)
    avg = _vector(average_reward, "average_reward", n)
    score = _vector(nbc, "nbc", n)
    ivs = [
        None if iv is None else (_vector(iv[0], f"{k} low", n), _vector(iv[1], f"{k} high", n))
        for k, iv in (("average_interval", average_interval), ("nbc_interval", nbc_interval))
    ]
    return _row_figure(
        options,
        [
            _PanelSpec(
                "Average reward",
                "score (top option in colour)",
                [_Series(avg, _top_colours(avg, P.AVERAGE))],
                interval=ivs[0],
                labels=True,
            ),
            _PanelSpec(
                nbc_label,
                "score (top option in colour)",
                [_Series(score, _top_colours(score, P.NBC))],
                interval=ivs[1],
                labels=True,
            ),
        ],
        width=WIDTH,
        title=title,
        note=note,
    )


def plot_question(
    shares: ArrayLike,
    rewards: ArrayLike,
    average_reward: ArrayLike,
    nbc: ArrayLike,
    options: Sequence[str],
    types: Sequence[str],
    *,
    type_weights: ArrayLike | None = None,
    nbc_label: str = "NBC (uniform sampling)",
    average_interval: tuple[ArrayLike, ArrayLike] | None = None,
    nbc_interval: tuple[ArrayLike, ArrayLike] | None = None,
    title: str = "",
    note: str = "",
) -> Figure:
    """A question at a glance (the layout of paper Figs. 6-10): each type's choice shares and
    rewards, then the average reward (Eq. 9) and NBC (Eq. 13), one row per option.

    The top option of each aggregate is in its colour (the others grey), with the intervals
    (e.g. bootstrap) as error bars; the values are in the report's table beside the figure.
    Parameters as :func:`plot_shares_rewards` and :func:`plot_aggregates`.
    """
    n_types, n = len(types), len(options)
    s = _matrix(shares, "shares", (n_types, n))
    r = _matrix(rewards, "rewards", (n_types, n))
    w = None if type_weights is None else _vector(type_weights, "type_weights", n_types)
    avg = _vector(average_reward, "average_reward", n)
    score = _vector(nbc, "nbc", n)
    ivs = [
        None if iv is None else (_vector(iv[0], f"{k} low", n), _vector(iv[1], f"{k} high", n))
        for k, iv in (("average_interval", average_interval), ("nbc_interval", nbc_interval))
    ]
    min_row = _type_min_row(n_types)
    return _row_figure(
        options,
        [
            _PanelSpec(
                "Choice shares by type",
                "share of the type",
                _type_series(s, min_row),
                percent=True,
                lo=0.0,
            ),
            _PanelSpec("Rewards by type (Luce-Shepard)", "reward", _type_series(r, min_row)),
            _PanelSpec(
                "Average reward",
                "score",
                [_Series(avg, _top_colours(avg, P.AVERAGE))],
                interval=ivs[0],
            ),
            _PanelSpec(
                nbc_label, "score", [_Series(score, _top_colours(score, P.NBC))], interval=ivs[1]
            ),
        ],
        width=MAX_SIZE[0],
        title=title,
        note=note,
        legend=_legend_entries(types, w),
        min_row=min_row,
    )


def _distinguishing_digits(values: np.ndarray, tol: float, lo: int = 3, hi: int = 6) -> int:
    """Fewest decimals (``lo`` to ``hi``) that print values differing by more than ``tol`` apart."""
    for digits in range(lo, hi + 1):
        shown: dict[str, float] = {}
        clash = False
        for v in values:
            text = f"{v:.{digits}f}"
            if text in shown and abs(shown[text] - v) > tol:
                clash = True
                break
            shown[text] = v
        if not clash:
            return digits
    return hi


#: Rank chart geometry (inches): column pitch, box width, rank-number margin.
RANK_COLUMN, RANK_BOX, RANK_MARGIN = 2.9, 2.4, 0.5


def plot_rank_chart(
    columns: Mapping[str, ArrayLike],
    options: Sequence[str],
    *,
    title: str = "",
    tol: float = 1e-9,
    note: str = "",
) -> Figure:
    """Rank chart: one column per aggregate, options from best (top) to worst (paper Fig. 1).

    Each column lists the options in the order of its scores (ties keep the option order and
    are marked ``tied``); a line joins the places of the same option across columns, grey when
    it keeps its place and black when it moves, so a change of order shows as crossing lines.
    A column's boxes take its role's colour (:func:`socialpref.report.palette.role_colour`:
    NBC's for a name that starts with "NBC", the average reward's for "Average").

    Parameters
    ----------
    columns : mapping of str to (n_options,) array-like
        Column title -> scores (higher is better), e.g. average reward, NBC under uniform,
        NBC under the flipping distribution.
    options : sequence of str
        Option labels.
    note : str
        Written under the chart (e.g. what the bootstrap says of the flip).
    """
    n = len(options)
    if not columns:
        raise ParameterError(
            "The 'columns' parameter must hold at least one score vector. Got none."
        )
    scores = {name: _vector(v, f"columns[{name!r}]", n) for name, v in columns.items()}
    n_cols = len(scores)
    width = min(
        MAX_SIZE[0], max(RANK_MARGIN + n_cols * RANK_COLUMN + 2 * EDGE, 7.0 if note else 0.0)
    )
    pitch = (width - 2 * EDGE - RANK_MARGIN) / n_cols
    box = min(RANK_BOX, pitch - 0.45)
    inner = width - 2 * EDGE
    title_text, title_h = _title_block(title, inner)
    note_text, note_h = _note_block(note, inner)
    heads = [wrap_to(name, pitch - 0.1, 10.0, 3, weight="bold") for name in scores]
    head_h = max(text_size(h, 10.0, "bold")[1] for h in heads) + 0.15
    value_h = text_size("0.5", VALUE_PT)[1]
    digits = [_distinguishing_digits(v, tol) for v in scores.values()]
    full = [f"{letter(i)}: {o}" for i, o in enumerate(options)]
    top, bottom = EDGE + title_h + head_h, EDGE + note_h
    lines = LABEL_LINES
    labels = [wrap_to(t, box - 0.16, VALUE_PT, lines) for t in full]
    row = max(text_size(t, VALUE_PT)[1] for t in labels) + value_h + 0.22
    if top + bottom + n * row > MAX_SIZE[1]:
        row = (MAX_SIZE[1] - top - bottom) / n
        room = row - value_h - 0.2 - text_size("Ag", VALUE_PT)[1]
        lines = max(1, int(room / line_height(VALUE_PT)) + 1)
        labels = [wrap_to(t, box - 0.16, VALUE_PT, lines) for t in full]
    height = top + bottom + n * row
    fig = new_figure(width, height, layout=None)
    x0 = EDGE + RANK_MARGIN + pitch / 2  # centre of the first column
    with style():
        ax = _Sheet(fig)  # no axes: nothing to lay out, no ticks
        places: list[dict[int, int]] = []
        for c, ((name, values), head) in enumerate(zip(scores.items(), heads, strict=True)):
            xc = x0 + c * pitch
            col = P.role_colour(name, c)
            order = [int(i) for i in np.lexsort((np.arange(n), -values))]  # by score, then index
            places.append({i: k for k, i in enumerate(order)})
            ax.text(xc, top - 0.08, head, ha="center", va="bottom", fontweight="bold")
            for k, i in enumerate(order):
                yc = top + (k + 0.5) * row
                tied = any(abs(values[i] - values[j]) <= tol for j in range(n) if j != i)
                ax.add(
                    FancyBboxPatch(
                        (xc - box / 2, yc - row / 2 + 0.05),
                        box,
                        row - 0.1,
                        boxstyle="round,pad=0,rounding_size=0.06",
                        facecolor="white",
                        edgecolor=col,
                        linewidth=1.8,
                    )
                )
                value = f"{'tied ' if tied else ''}{values[i]:.{digits[c]}f}"
                ax.text(xc, yc, f"{labels[i]}\n{value}", ha="center", va="center",
                        fontsize=VALUE_PT)  # fmt: skip
        for k in range(n):
            ax.text(EDGE + RANK_MARGIN - 0.08, top + (k + 0.5) * row, f"#{k + 1}", ha="right",
                    va="center", color="#555555", fontsize=LABEL_PT)  # fmt: skip
        segments, moved = [], []
        for c in range(n_cols - 1):
            for i in range(n):
                a, b = places[c][i], places[c + 1][i]
                segments.append(
                    [(x0 + c * pitch + box / 2, top + (a + 0.5) * row),
                     (x0 + (c + 1) * pitch - box / 2, top + (b + 0.5) * row)]
                )  # fmt: skip
                moved.append(a != b)
        ax.add(
            LineCollection(
                segments,
                colors=["black" if m else GREY for m in moved],
                linewidths=[2.0 if m else 1.2 for m in moved],
                capstyle="butt",
            )
        )
        _put_title(ax, title_text, width)
        _put_note(ax, note_text, width, height)
    return fig


def plot_profiles(
    x: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    errors: Mapping[str, ArrayLike] | None = None,
) -> Figure:
    """Line plot of several curves over a common x axis (paper Figs. 3 and 4).

    ``errors`` (same keys, optional) are drawn as shaded bands of +- one value. A curve's
    colour follows its role (:func:`socialpref.report.palette.role_colour`: NBC, average
    reward, pi*), the others take the series colours.
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    fig = new_figure(8.0, 4.6)
    with style():
        ax = fig.subplots()
        k = 0
        for name, values in curves.items():
            col = P.role_colour(name, k)
            k += col in P.SERIES
            ys = _vector(values, f"curves[{name!r}]", xs.size)
            ax.plot(xs, ys, color=col, linewidth=1.8, label=wrap(name, 30))
            if errors is not None and name in errors:
                e = _vector(errors[name], f"errors[{name!r}]", xs.size)
                ax.fill_between(xs, ys - e, ys + e, color=col, alpha=0.2, linewidth=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(color="#DDDDDD", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        if title:
            fig.suptitle(wrap(title, 70))
    return fig


def plot_seed_bars(
    groups: Mapping[str, ArrayLike],
    *,
    ylabel: str,
    title: str = "",
    percent: bool = True,
) -> Figure:
    """Bars of the mean over seeds with whiskers at the 25th and 75th percentiles (paper Fig. 5).

    Every seed is also drawn as a dot; one series colour per group.
    """
    width = max(5.0, 1.4 * len(groups) + 2.5)
    fig = new_figure(width, 4.4)
    with style():
        ax = fig.subplots()
        labels = []
        for k, (name, values) in enumerate(groups.items()):
            v = np.asarray(values, dtype=np.float64).reshape(-1)
            if v.size == 0:
                labels.append(wrap(name, 16))
                continue
            mean = float(v.mean())
            q1, q3 = (float(q) for q in np.percentile(v, [25, 75]))
            ax.bar(k, mean, color=P.series_colour(k), width=0.6)
            ax.errorbar(k, mean, yerr=[[mean - q1], [q3 - mean]], color="black", capsize=5)
            ax.scatter(np.full(v.size, k + 0.22), v, color="black", s=10, zorder=3)
            shown = f"{100 * mean:.1f}%" if percent else f"{mean:.3g}"
            labels.append(f"{wrap(name, 16)}\nmean {shown}")
        ax.set_xticks(np.arange(len(groups)), labels)
        if percent:
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(xmax=1.0, decimals=0))
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
        if title:
            fig.suptitle(wrap_to(title, min(width, MAX_SIZE[0]) - 0.4, TITLE_PT))
    return fig


def plot_reward_bars(
    rewards: ArrayLike, options: Sequence[str], types: Sequence[str], *, title: str = ""
) -> Figure:
    """Grouped bars of each type's rewards (one colour per type), for small populations.

    Labels are wrapped to their group's width (at most four lines), the legend entries to two
    lines; the figure grows in height with them, within the size cap.
    """
    n_types, n_options = len(types), len(options)
    r = _matrix(rewards, "rewards", (n_types, n_options))
    entries = [wrap_to(str(t), 2.0, 9.0, 2) for t in types]
    legend_w = max(text_size(e, 9.0)[0] for e in entries) + 0.9
    width = min(MAX_SIZE[0], max(6.5, 1.0 * n_options + 1.2 + legend_w))
    group = (width - legend_w - 1.0) / n_options
    labels = [wrap_to(f"{letter(k)}: {o}", group - 0.08, 9.0, 4) for k, o in enumerate(options)]
    label_h = max(text_size(t, 9.0)[1] for t in labels)
    legend_h = sum(text_size(e, 9.0)[1] + 0.14 for e in entries) + 0.45
    title_text = wrap_to(title, width - legend_w - 0.6, PANEL_PT, 3) if title else ""
    title_h = text_size(title_text, PANEL_PT)[1] + 0.1 if title else 0.0
    height = max(2.6 + label_h + title_h, legend_h + title_h + 0.5)
    fig = new_figure(width, height)
    with style():
        ax = fig.subplots()
        x = np.arange(n_options, dtype=np.float64)
        bar = 0.8 / n_types
        for u in range(n_types):
            ax.bar(
                x + (u - (n_types - 1) / 2) * bar,
                r[u],
                width=bar * 0.95,
                color=colour(u),
                hatch=P.type_hatch(u) or None,
                label=entries[u],
            )
        ax.set_ylabel("Reward")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xticks(x, labels)
        ax.tick_params(axis="x", length=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="Type")
        if title:
            ax.set_title(title_text)
    return fig


__all__ = [
    "DPI",
    "PALETTE",
    "colour",
    "letter",
    "new_figure",
    "option_labels",
    "plot_aggregates",
    "plot_profiles",
    "plot_question",
    "plot_rank_chart",
    "plot_reward_bars",
    "plot_seed_bars",
    "plot_shares_rewards",
    "png_bytes",
    "save_png",
    "style",
    "wrap",
]
