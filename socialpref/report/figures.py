"""Matplotlib figures of the survey report: per-type shares and rewards, aggregates, rank chart.

The figures render numbers that the core and the survey readers computed; they compute nothing
themselves beyond sorting for display. Every function returns a :class:`matplotlib.figure.Figure`
built without pyplot (no global state, no GUI backend), and :func:`save_png` writes it
deterministically: fixed size and resolution, the DejaVu Sans font that ships with matplotlib,
no ``Software`` or date metadata, so that two runs give the same bytes.

Colours follow the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), which
stays distinguishable under the common forms of colour blindness.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from numpy.typing import ArrayLike

from socialpref.errors import ParameterError

#: Okabe-Ito colours, ordered so that a Republican / Democrat / neither type column gets
#: vermillion / blue / green.
PALETTE: tuple[str, ...] = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Neutral grey for bars that are not highlighted.
GREY = "#9A9A9A"
#: Resolution of every PNG (dots per inch).
DPI = 110

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
}


def colour(k: int) -> str:
    """The k-th colour of :data:`PALETTE`, cycling."""
    return PALETTE[k % len(PALETTE)]


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


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure of the given size in inches, with the report's style."""
    with style():
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
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
        colors=256, method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE
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


def _grouped_bars(
    ax: Any,
    matrix: np.ndarray,
    types: Sequence[str],
    type_weights: np.ndarray | None,
    ylabel: str,
) -> None:
    n_types, n_options = matrix.shape
    x = np.arange(n_options, dtype=np.float64)
    width = 0.8 / n_types
    for u in range(n_types):
        label = str(types[u])
        if type_weights is not None:
            label = f"{label} ({100 * type_weights[u]:.0f}%)"
        ax.bar(
            x + (u - (n_types - 1) / 2) * width,
            matrix[u],
            width=width * 0.95,
            color=colour(u),
            label=wrap(label, 28),
        )
    ax.set_ylabel(ylabel)
    ax.set_xticks(x)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


def plot_shares_rewards(
    shares: ArrayLike,
    rewards: ArrayLike,
    options: Sequence[str],
    types: Sequence[str],
    *,
    type_weights: ArrayLike | None = None,
    title: str = "",
) -> Figure:
    """Grouped bars of each type's choice shares (top) and Luce-Shepard rewards (bottom).

    One colour per type, one group of bars per option (paper Figs. 6-10, left panels; rewards
    by Eq. 27).

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
    width = max(8.5, 1.35 * n_options + 3.2)
    # characters per line that fit under one group of bars (legend about 2.8 in on the right)
    labels = option_labels(options, max(12, min(26, int(11 * (width - 2.8) / n_options))))
    n_lines = max(label.count("\n") + 1 for label in labels)
    height = 6.2 + 0.16 * n_lines + 0.18 * title.count("\n")
    fig = new_figure(width, height)
    with style():
        top, bottom = fig.subplots(2, 1, sharex=True)
        _grouped_bars(top, s, types, w, "Choice share")
        top.set_ylim(0.0, max(1e-9, float(s.max())) * 1.12)
        top.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(xmax=1.0, decimals=0))
        top.set_title("Choice shares by type")
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="Type")
        _grouped_bars(bottom, r, types, None, "Reward (Luce-Shepard, centred)")
        bottom.set_title("Rewards by type")
        bottom.set_xticks(np.arange(n_options), labels)
        bottom.tick_params(axis="x", length=0)
        if title:
            fig.suptitle(title)
    return fig


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

    The top option of each aggregate is drawn in colour, the others in grey, and every bar
    carries its value. ``average_interval`` and ``nbc_interval`` (low and high bounds, e.g.
    bootstrap percentile intervals) are drawn as error bars; ``note`` is written under the
    bars (e.g. that the bootstrap does not support the disagreement of the two tops).
    """
    n = len(options)
    avg = _vector(average_reward, "average_reward", n)
    score = _vector(nbc, "nbc", n)
    intervals = [
        None if iv is None else (_vector(iv[0], f"{k} low", n), _vector(iv[1], f"{k} high", n))
        for k, iv in (("average_interval", average_interval), ("nbc_interval", nbc_interval))
    ]
    labels = option_labels(options, 26)
    n_lines = sum(label.count("\n") + 1 for label in labels)
    extra = 0.18 * title.count("\n") + (0.35 * (wrap(note, 110).count("\n") + 1) if note else 0)
    fig = new_figure(10.0, 1.6 + 0.28 * max(n_lines, 2 * n) + extra)
    with style():
        left, right = fig.subplots(1, 2, sharey=True)
        y = np.arange(n, dtype=np.float64)
        for ax, values, name, col, iv in (
            (left, avg, "Average reward", PALETTE[1], intervals[0]),
            (right, score, nbc_label, PALETTE[0], intervals[1]),
        ):
            best = values >= values.max() - 1e-12
            ax.barh(y, values, color=[col if b else GREY for b in best], height=0.7)
            ends = values
            if iv is not None:
                low, high = np.fmin(iv[0], values), np.fmax(iv[1], values)
                ax.errorbar(
                    values,
                    y,
                    xerr=np.stack([values - low, high - values]),
                    fmt="none",
                    ecolor="black",
                    elinewidth=1.0,
                    capsize=3,
                )
                ends = np.concatenate([low, high])
            span = float(np.ptp(np.append(ends, 0.0))) or 1.0
            for k, v in enumerate(values):
                ha = "left" if v >= 0 else "right"
                pad = 0.015 * span * (1 if v >= 0 else -1)
                at = v if iv is None else (high[k] if v >= 0 else low[k])
                ax.text(at + pad, k, f"{v:.3f}", va="center", ha=ha, fontsize=8.5)
            lo, hi = min(0.0, float(ends.min())), max(0.0, float(ends.max()))
            ax.set_xlim(lo - 0.18 * span * (lo < 0), hi + 0.18 * span * (hi > 0) + 1e-12)
            ax.axvline(0.0, color="black", linewidth=0.8)
            ax.set_title(name)
            ax.set_xlabel("score (top option in colour)")
            ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
            ax.set_axisbelow(True)
        left.set_yticks(y, labels)
        left.invert_yaxis()
        left.tick_params(axis="y", length=0)
        if title:
            fig.suptitle(title)
        if note:
            fig.supxlabel(wrap(note, 110), fontsize=9, color="#333333")
    return fig


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
    are marked ``=``); a line joins the places of the same option across columns, so a change
    of order shows as crossing lines.

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
    cell_w, cell_h = 0.64, 0.74
    extra = 0.18 * title.count("\n") + (0.35 * (wrap(note, 110).count("\n") + 1) if note else 0)
    fig = new_figure(max(3.4 * n_cols + 0.4, 7.0 if note else 0.0), 1.4 + 0.62 * n + extra)
    with style():
        ax = fig.subplots()
        ax.set_xlim(-0.62, n_cols - 0.45)
        ax.set_ylim(n - 0.5, -1.05)
        ax.axis("off")
        places: list[dict[int, int]] = []
        for c, (name, values) in enumerate(scores.items()):
            order = [int(i) for i in np.lexsort((np.arange(n), -values))]  # by score, then index
            places.append({i: k for k, i in enumerate(order)})
            digits = _distinguishing_digits(values, tol)
            ax.text(c, -0.8, wrap(name, 32), ha="center", va="center", fontweight="bold")
            for k, i in enumerate(order):
                tied = any(abs(values[i] - values[j]) <= tol for j in range(n) if j != i)
                ax.add_patch(
                    FancyBboxPatch(
                        (c - cell_w / 2, k - cell_h / 2),
                        cell_w,
                        cell_h,
                        boxstyle="round,pad=0,rounding_size=0.08",
                        facecolor="white",
                        edgecolor=colour(i),
                        linewidth=1.8,
                        linestyle="-" if i < len(PALETTE) else "--",
                        mutation_aspect=1.0,
                    )
                )
                text = wrap(f"{letter(i)}: {options[i]}", 26)
                value = f"{'tied ' if tied else ''}{values[i]:.{digits}f}"
                ax.text(c, k, f"{text}\n{value}", ha="center", va="center", fontsize=8.5)
        for k in range(n):
            ax.text(-cell_w / 2 - 0.05, k, f"#{k + 1}", ha="right", va="center", color="#555555")
        for c in range(n_cols - 1):
            for i in range(n):
                a, b = places[c][i], places[c + 1][i]
                ax.plot(
                    [c + cell_w / 2, c + 1 - cell_w / 2],
                    [a, b],
                    color=colour(i),
                    linewidth=2.2 if a != b else 1.2,
                    linestyle="-" if i < len(PALETTE) else "--",
                    solid_capstyle="butt",
                )
        if title:
            fig.suptitle(title)
        if note:
            fig.supxlabel(wrap(note, 110), fontsize=9, color="#333333")
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

    ``errors`` (same keys, optional) are drawn as shaded bands of +- one value.
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    fig = new_figure(8.0, 4.6)
    with style():
        ax = fig.subplots()
        for k, (name, values) in enumerate(curves.items()):
            ys = _vector(values, f"curves[{name!r}]", xs.size)
            ax.plot(xs, ys, color=colour(k), linewidth=1.8, label=name)
            if errors is not None and name in errors:
                e = _vector(errors[name], f"errors[{name!r}]", xs.size)
                ax.fill_between(xs, ys - e, ys + e, color=colour(k), alpha=0.2, linewidth=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(color="#DDDDDD", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        if title:
            ax.set_title(title)
    return fig


def plot_seed_bars(
    groups: Mapping[str, ArrayLike],
    *,
    ylabel: str,
    title: str = "",
    percent: bool = True,
) -> Figure:
    """Bars of the mean over seeds with whiskers at the 25th and 75th percentiles (paper Fig. 5).

    Every seed is also drawn as a dot.
    """
    fig = new_figure(max(5.0, 1.4 * len(groups) + 2.5), 4.4)
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
            ax.bar(k, mean, color=colour(k), width=0.6)
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
            ax.set_title(title)
    return fig


def plot_reward_bars(
    rewards: ArrayLike, options: Sequence[str], types: Sequence[str], *, title: str = ""
) -> Figure:
    """Grouped bars of each type's rewards (one colour per type), for small populations."""
    n_types, n_options = len(types), len(options)
    r = _matrix(rewards, "rewards", (n_types, n_options))
    labels = option_labels(options, 16)
    fig = new_figure(max(6.5, 1.0 * n_options + 3.0), 4.2)
    with style():
        ax = fig.subplots()
        _grouped_bars(ax, r, types, None, "Reward")
        ax.set_xticks(np.arange(n_options), labels)
        ax.tick_params(axis="x", length=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="Type")
        if title:
            ax.set_title(title)
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
    "plot_rank_chart",
    "plot_reward_bars",
    "plot_seed_bars",
    "plot_shares_rewards",
    "png_bytes",
    "save_png",
    "style",
    "wrap",
]
