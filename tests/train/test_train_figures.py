"""Fig. 3-4 render deterministically from a results dictionary; metrics helpers."""

from __future__ import annotations

import io

import numpy as np
import pytest

from socialpref.train.config import TrainConfig
from socialpref.train.experiment import run_synthetic
from socialpref.train.figures import PNG_METADATA, figure_policies, figure_rewards
from socialpref.train.metrics import kl_divergence, spearman, top_agreement


@pytest.fixture(scope="module")
def payload():
    config = TrainConfig(
        methods=("dpo", "corrected", "consistent", "consistent-b3", "nbc"),
        alphas=(1.0,),
        seeds=(0, 1),
        n_pairs=2000,
        steps=20,
        batch_size=64,
        warmup_steps=5,
    )
    return run_synthetic(None, config, "cpu").to_dict()


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=PNG_METADATA)
    return buf.getvalue()


@pytest.mark.parametrize("make", [figure_rewards, figure_policies])
def test_figures_are_deterministic(payload, make):
    first, second = _png(make(payload)), _png(make(payload))
    assert first == second
    assert first[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("make", [figure_rewards, figure_policies])
def test_figures_fit_and_use_the_role_colours(payload, make):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from socialpref.report.palette import AVERAGE, NBC, OPTIMAL

    fig = make(payload)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    box = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    assert box.x0 >= -1 and box.y0 >= -1
    assert box.x1 <= fig.bbox.x1 + 1 and box.y1 <= fig.bbox.y1 + 1
    colours = {line.get_label(): line.get_color() for ax in fig.axes for line in ax.lines}
    if make is figure_rewards:
        assert colours["average reward"] == AVERAGE
    else:
        assert colours["NBC (normalised)"] == NBC and colours[r"$\pi^*$"] == OPTIMAL


def test_summary_rows(payload):
    rows = {(r["method"], r["alpha"]): r for r in payload["summary"]}
    assert set(rows) == {
        ("dpo", None),
        ("corrected", 1.0),
        ("consistent", None),
        ("consistent-b3", None),
        ("nbc", None),
    }
    assert rows[("dpo", None)]["n_seeds"] == 2
    assert np.isfinite(rows[("consistent", None)]["kl_to_optimal"])


def test_metric_helpers():
    p = np.array([[0.5, 0.5], [0.9, 0.1]])
    assert kl_divergence(p, p) == pytest.approx(0.0)
    assert kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(np.log(2))
    assert spearman([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0
    # exact ties stay ties under rounding noise (a symmetric profile computed two ways)
    rng = np.random.default_rng(0)
    base = np.concatenate([np.linspace(0.02, 0.03, 20), np.linspace(0.03, 0.02, 20)])
    noisy = base * (1 + rng.uniform(-4e-16, 4e-16, size=40))
    other = rng.normal(size=40)
    assert spearman(noisy, other) == pytest.approx(spearman(base, other), abs=1e-12)
    assert top_agreement([[0.2, 0.8]], [[1.0, 1.0]]) == 1.0  # ties: both are top choices
    with pytest.raises(ValueError, match="'q'"):
        kl_divergence([[0.5, 0.5]], [[1.0]])
