"""Draw the figures of a report: every :class:`~socialpref.report.document.Image` once.

Figures are most of a report's time, so :func:`render_figures` draws them in worker processes
when there are enough of them to pay for starting the workers (each worker imports matplotlib
once, then draws many figures). A figure's PNG does not depend on the process that draws it:
fixed size, resolution, fonts and encoder settings (:func:`socialpref.report.figures.png_bytes`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from socialpref._validation import check_scalar
from socialpref.report.document import FigureSpec, Image

#: Figures per worker below which another worker does not pay for its start.
FIGURES_PER_WORKER = 8


def draw_png(spec: FigureSpec) -> bytes:
    """The PNG bytes of one figure (what a worker process runs)."""
    from socialpref.report.figures import png_bytes

    return png_bytes(spec.draw())


def _draw_many(specs: Sequence[FigureSpec]) -> list[bytes]:
    return [draw_png(s) for s in specs]


def default_workers(n_figures: int) -> int:
    """Worker processes for ``n_figures``: one per :data:`FIGURES_PER_WORKER` figures, at most
    one per CPU this process may use; 1 (no worker: draw here) for small reports."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, n_figures // FIGURES_PER_WORKER))


def render_figures(
    images: Sequence[Image],
    fig_dir: str | Path,
    *,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, bytes]:
    """Draw (or copy) every image into ``fig_dir``; return the PNG bytes by file name.

    Parameters
    ----------
    images : sequence of Image
        Images with a :class:`~socialpref.report.document.FigureSpec` are drawn, the others
        copied from their ``source``.
    fig_dir : path
        Created if needed.
    workers : int, optional
        Processes that draw; 1 draws in this process. Default: :func:`default_workers`.
    meanwhile : callable, optional
        Work for this process while the workers draw (run after drawing when there are none).

    Raises
    ------
    ParameterError
        ``workers`` is not a positive integer, or two images share a file name.
    """
    from socialpref.errors import ParameterError

    folder = Path(fig_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = [im.name for im in images]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ParameterError(f"Every figure needs its own file name. Got {dup} more than once.")
    drawn = [im for im in images if im.spec is not None]
    n_workers = default_workers(len(drawn)) if workers is None else workers
    check_scalar(n_workers, "workers", int, min_val=1)
    specs = [im.spec for im in drawn if im.spec is not None]
    if n_workers == 1 or len(specs) < 2:
        pngs = _draw_many(specs)
        if meanwhile is not None:
            meanwhile()
    else:
        # contiguous chunks, one per worker task, in order: few round trips, same output
        n_tasks = min(len(specs), 4 * n_workers)
        bounds = [round(k * len(specs) / n_tasks) for k in range(n_tasks + 1)]
        chunks = [specs[a:b] for a, b in itertools.pairwise(bounds)]
        # fork: the workers start at once with this process's imports, and a script that
        # calls the report needs no ``if __name__ == "__main__"`` guard (spawn elsewhere);
        # import what drawing needs first, so that no worker imports anything
        import matplotlib.backends.backend_agg  # noqa: F401
        import PIL.Image  # noqa: F401

        import socialpref.report.figures  # noqa: F401

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(n_workers, mp_context=context) as pool:
            drawing = pool.map(_draw_many, chunks)  # submitted at once
            if meanwhile is not None:
                meanwhile()
            pngs = [png for chunk in drawing for png in chunk]
    out: dict[str, bytes] = {}
    for im, png in zip(drawn, pngs, strict=True):
        (folder / im.name).write_bytes(png)
        out[im.name] = png
    for im in images:
        if im.source is not None:
            shutil.copyfile(im.source, folder / im.name)
            out[im.name] = (folder / im.name).read_bytes()
    return {name: out[name] for name in names}


__all__ = ["FIGURES_PER_WORKER", "default_workers", "draw_png", "render_figures"]
