"""The Fig. 5-style accuracy figure renders deterministically."""

from __future__ import annotations

import io

import pytest

from socialpref.llm.figure import experiment_label, plot_accuracies

RESULTS = [
    {
        "objective": "dpo",
        "dataset": "anonymous",
        "seeds": [{"seed": s, "accuracy": a} for s, a in enumerate([0.66, 0.68, 0.69, 0.69, 0.66])],
    },
    {
        "objective": "dpo",
        "dataset": "max-info",
        "reference": "base",
        "seeds": [{"seed": 0, "accuracy": 0.75}],
    },
    {
        "objective": "reward",
        "dataset": "max-info",
        "seeds": [{"seed": 0, "accuracy": 0.95}, {"seed": 1, "accuracy": 0.92}],
    },
]


def _png(results: list[dict[str, object]]) -> bytes:
    buf = io.BytesIO()
    plot_accuracies(results).savefig(buf, format="png", dpi=60, metadata={"Software": None})
    return buf.getvalue()


def test_figure_is_deterministic_png() -> None:
    a, b = _png(RESULTS), _png(RESULTS)
    assert a.startswith(b"\x89PNG") and a == b


def test_labels_and_errors() -> None:
    assert experiment_label(RESULTS[1]) == "DPO (base ref.)\nmax-info"
    assert experiment_label(RESULTS[2]) == "Reward model\nmax-info"
    with pytest.raises(ValueError, match="'results'"):
        plot_accuracies([])


@pytest.mark.parametrize("n", [1, 3])
def test_nothing_is_clipped(n: int) -> None:
    """The title once reached past a one-experiment figure; everything drawn fits now."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plot_accuracies(RESULTS[:n])
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    box = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    assert box.x0 >= -1 and box.y0 >= -1
    assert box.x1 <= fig.bbox.x1 + 1 and box.y1 <= fig.bbox.y1 + 1
    title = fig.axes[0].title
    assert title.get_window_extent(renderer).x1 <= fig.bbox.x1
