"""Figure of the sensitivity sweep: the CDF of minimal TV distances (paper Fig. 2, Section 7.1).

Renders numbers computed by :mod:`socialpref.sensitivity` (it only sorts them). Built without
pyplot on the report's style (:mod:`socialpref.report.figures`: fixed size and resolution; the
CDF in NBC's colour, :mod:`socialpref.report.palette`); :func:`save_min_tv_cdf` writes a
deterministic PNG (:func:`~socialpref.report.figures.png_bytes`) atomically: a temporary file
beside the target, then a rename.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from socialpref.errors import ParameterError
from socialpref.report import palette as P
from socialpref.report.figures import TITLE_PT, new_figure, png_bytes, style
from socialpref.report.layout import wrap_to

#: Size of the CDF figure in inches (width, height).
CDF_SIZE = (5.0, 3.4)


def _finite_tvs(min_tvs: Sequence[float | None] | np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted finite values and the number of entries (None/NaN = not flippable)."""
    raw = [np.nan if v is None else v for v in min_tvs]
    try:
        arr = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The 'min_tvs' parameter must hold numbers or None. Got {raw!r}."
        ) from None
    finite = arr[np.isfinite(arr)]
    if np.any(finite < 0) or np.any(finite > 1):
        raise ParameterError(
            f"The 'min_tvs' parameter must lie in [0, 1] (TV distances). Got {finite!r}."
        )
    return np.sort(finite), int(arr.size)


def plot_min_tv_cdf(
    min_tvs: Sequence[float | None] | np.ndarray,
    title: str | None = "Minimum TV from uniform that changes the NBC order",
    base_label: str = "uniform",
) -> Figure:
    """Empirical CDF of the minimal TV distances over the flippable questions (Fig. 2).

    Parameters
    ----------
    min_tvs : sequence of float or None
        One entry per kept question: its minimal TV, or None / NaN when it cannot be flipped
        (counted in the caption, left out of the CDF, as in the paper).
    title : str or None
    base_label : str
        Name of the base distribution, for the x-axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Step CDF, dashed median line with its value, caption with the counts.
    """
    values, total = _finite_tvs(min_tvs)
    fig = new_figure(*CDF_SIZE)
    with style():
        ax = fig.add_subplot()
        if values.size:
            x = np.concatenate([[0.0], values, [max(1.0, float(values[-1]))]])
            y = np.concatenate([[0.0], np.arange(1, values.size + 1) / values.size, [1.0]])
            ax.step(x, y, where="post", color=P.NBC, linewidth=1.8, label="CDF")
            median = float(np.median(values))
            ax.axvline(median, color="black", linestyle="--", linewidth=1.0)
            ax.axhline(0.5, color="#9A9A9A", linestyle=":", linewidth=0.8)
            ax.annotate(
                f"median {median:.2f}",
                xy=(median, 0.5),
                xytext=(6, -14),
                textcoords="offset points",
                color="black",
            )
        else:
            ax.text(0.5, 0.5, "no flippable question", ha="center", va="center")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.02)
        ax.set_xlabel(f"minimum TV distance from {base_label}")
        ax.set_ylabel("fraction of flippable questions")
        if title:
            ax.set_title(wrap_to(title, CDF_SIZE[0] - 0.3, TITLE_PT - 1))
        ax.text(
            0.98,
            0.04,
            f"{values.size} flippable of {total} questions",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
        )
    return fig


def save_min_tv_cdf(
    min_tvs: Sequence[float | None] | np.ndarray,
    path: str | Path,
    title: str | None = "Minimum TV from uniform that changes the NBC order",
    base_label: str = "uniform",
) -> Path:
    """Write :func:`plot_min_tv_cdf` as a deterministic PNG, atomically; return the path."""
    target = Path(path)
    fig = plot_min_tv_cdf(min_tvs, title, base_label)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        Path(tmp).write_bytes(png_bytes(fig))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
