"""Figures: valid, readable, deterministic PNGs; labels; input validation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib import image as mpimg

from socialpref import compare_aggregates
from socialpref.report import figures as F

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SHARES = np.array(
    [[0.05, 0.15, 0.30, 0.45, 0.05], [0.25, 0.35, 0.20, 0.10, 0.10], [0.1, 0.2, 0.3, 0.3, 0.1]]
)
REWARDS = np.log(SHARES) - np.log(SHARES).mean(axis=1, keepdims=True)
WEIGHTS = np.array([0.45, 0.48, 0.07])
OPTIONS = [
    "Very likely",
    "Somewhat likely",
    "Not too likely",
    "Not at all likely",
    "I do not expect to purchase a vehicle",
]
TYPES = ["Rep/Lean Rep", "Dem/Lean Dem", "DK/Refused/No lean"]


def _all_figures():
    c = compare_aggregates(REWARDS, WEIGHTS)
    return {
        "shares": F.plot_shares_rewards(
            SHARES, REWARDS, OPTIONS, TYPES, type_weights=WEIGHTS, title="EV"
        ),
        "aggregates": F.plot_aggregates(c.average_reward, c.nbc, OPTIONS, title="EV"),
        "ranks": F.plot_rank_chart(
            {"Average": c.average_reward, "NBC": c.nbc}, OPTIONS, title="EV"
        ),
        "profiles": F.plot_profiles(np.arange(5), {"a": np.ones(5) / 5}, xlabel="x", ylabel="y"),
        "seeds": F.plot_seed_bars({"dpo": [0.65, 0.67, 0.69]}, ylabel="accuracy"),
        "rewards": F.plot_reward_bars(REWARDS, OPTIONS, TYPES),
    }


@pytest.mark.parametrize("name", ["shares", "aggregates", "ranks", "profiles", "seeds", "rewards"])
def test_every_figure_is_a_readable_png(tmp_path, name):
    path = F.save_png(_all_figures()[name], tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    img = mpimg.imread(io.BytesIO(data), format="png")
    assert img.ndim == 3 and img.shape[0] >= 300 and img.shape[1] >= 500  # readable size
    assert b"Software" not in data  # no tool/version metadata
    assert float(np.ptp(img[..., :3])) > 0.5  # not blank


def test_png_bytes_are_deterministic(tmp_path):
    a = F.save_png(_all_figures()["shares"], tmp_path / "a.png").read_bytes()
    b = F.save_png(_all_figures()["shares"], tmp_path / "b.png").read_bytes()
    assert a == b


def test_palette_is_okabe_ito_and_types_get_distinct_colours():
    assert F.PALETTE[:3] == ("#D55E00", "#0072B2", "#009E73")
    assert len(set(F.PALETTE)) == 8
    assert F.colour(0) == F.colour(8)


def test_letters_and_wrapping():
    assert [F.letter(k) for k in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]
    assert F.wrap("I do not expect to purchase a vehicle", 12).split("\n") == [
        "I do not",
        "expect to",
        "purchase a",
        "vehicle",
    ]
    assert F.wrap("line one\nline two", 40) == "line one\nline two"
    assert F.option_labels(["Yes", "No"]) == ["A: Yes", "B: No"]
    with pytest.raises(ValueError, match="'k'"):
        F.letter(-1)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="'shares'"):
        F.plot_shares_rewards(SHARES[:, :3], REWARDS, OPTIONS, TYPES)
    with pytest.raises(ValueError, match="'nbc'"):
        F.plot_aggregates(np.zeros(5), np.zeros(4), OPTIONS)
    with pytest.raises(ValueError, match="'columns'"):
        F.plot_rank_chart({}, OPTIONS)


def test_rank_chart_orders_each_column_by_its_scores():
    fig = F.plot_rank_chart({"x": [0.1, 0.3, 0.2], "y": [0.3, 0.2, 0.1]}, ["a", "b", "c"])
    ax = fig.axes[0]
    # the option texts sit at y = place in their column's order
    pos = {
        (round(t.get_position()[0]), t.get_text().split("\n")[0]): t.get_position()[1]
        for t in ax.texts
    }
    assert pos[(0, "B: b")] == 0 and pos[(0, "C: c")] == 1 and pos[(0, "A: a")] == 2
    assert pos[(1, "A: a")] == 0 and pos[(1, "B: b")] == 1 and pos[(1, "C: c")] == 2
    # one line per option between the two columns
    assert len(ax.lines) == 3
