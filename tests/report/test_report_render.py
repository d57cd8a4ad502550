"""Figures drawn in worker processes: the same bytes as drawn here, in the document's order."""

from __future__ import annotations

import pytest

from socialpref.errors import ParameterError
from socialpref.report.document import FigureSpec, Image
from socialpref.report.figures import new_figure, save_png
from socialpref.report.render import FIGURES_PER_WORKER, default_workers, render_figures


def _images(n: int) -> list[Image]:
    return [
        Image(
            f"q{k}.png",
            f"question {k}",
            FigureSpec(
                "socialpref.report.figures:plot_aggregates",
                ([0.1 * k, 0.2, -0.3], [0.3, 0.5 - 0.01 * k, 0.2], ["a", "b <&>", "c"]),
                {"title": f"Q{k}: question {k}", "note": "a note"},
            ),
        )
        for k in range(n)
    ]


def test_workers_draw_the_same_bytes_in_the_same_order(tmp_path) -> None:
    images = _images(6)
    here = render_figures(images, tmp_path / "one", workers=1)
    there = render_figures(images, tmp_path / "two", workers=2)
    assert list(here) == list(there) == [im.name for im in images]
    assert here == there
    assert len(set(here.values())) == len(images)  # each figure its own
    for name, png in there.items():
        assert (tmp_path / "two" / name).read_bytes() == png


@pytest.mark.parametrize("workers", [1, 2])
def test_meanwhile_runs_once_in_this_process(tmp_path, workers: int) -> None:
    import os

    calls: list[int] = []
    drawn = render_figures(
        _images(4), tmp_path, workers=workers, meanwhile=lambda: calls.append(os.getpid())
    )
    assert calls == [os.getpid()] and len(drawn) == 4


def test_copied_figures_and_bad_arguments(tmp_path) -> None:
    source = save_png(new_figure(3, 2), tmp_path / "given.png")
    images = [*_images(1), Image("copy.png", "a copy", source=source)]
    out = render_figures(images, tmp_path / "figures")
    assert out["copy.png"] == source.read_bytes()
    with pytest.raises(ParameterError, match="own file name"):
        render_figures([*_images(1), *_images(1)], tmp_path / "x")
    with pytest.raises(ParameterError, match="'workers'"):
        render_figures(_images(1), tmp_path / "y", workers=0)
    with pytest.raises(ParameterError, match="spec"):
        Image("z.png", "neither")
    with pytest.raises(ParameterError, match="socialpref"):
        FigureSpec("os:system", ("true",)).draw()


def test_workers_only_when_they_pay() -> None:
    assert default_workers(FIGURES_PER_WORKER - 1) == 1
    assert 1 <= default_workers(100 * FIGURES_PER_WORKER) <= 100
