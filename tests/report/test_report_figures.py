"""Figures: readable, deterministic PNGs; nothing clipped; a size cap; one colour per role.

Clipping is checked twice: on the figure (the window extent of every drawn text, patch and
collection lies inside the figure) and on the PNG (no pixel of ink on the image's border).
The hard case is a synthetic 30-option question with very long labels, a long title and many
user types.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib import image as mpimg
from matplotlib.backends.backend_agg import FigureCanvasAgg

from socialpref import compare_aggregates
from socialpref.report import figures as F
from socialpref.report import palette as P
from socialpref.report.figures_sensitivity import plot_min_tv_cdf
from socialpref.report.layout import MAX_SIZE, text_size, wrap_to

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The drawn extent may reach this many pixels past the figure's edge (anti-aliasing).
EDGE_PX = 1.0
#: Channel distance under which a pixel counts as a palette colour (PNG quantisation).
COLOUR_TOL = 12

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
TITLE = (
    "EVCAR2_W900: The next time you purchase a vehicle, how likely are you to seriously "
    "consider purchasing an electric vehicle?"
)


def _wide_question(n_options: int = 30, n_types: int = 3, seed: int = 0):
    """Many options with very long labels (and a word longer than a line)."""
    rng = np.random.default_rng(seed)
    options = [
        f"Option {k}: " + " ".join(["an extraordinarily verbose answer category"] * (1 + k % 4))
        for k in range(n_options - 1)
    ] + ["Supercalifragilisticexpialidocious" * 3]
    shares = rng.dirichlet(np.ones(n_options), size=n_types)
    rewards = np.log(shares) - np.log(shares).mean(axis=1, keepdims=True)
    weights = rng.dirichlet(np.ones(n_types))
    types = [f"Type {u} with a rather long descriptive name, e.g. a combined type" for u in range(n_types)]  # fmt: skip
    title = "LONGQ_W1: " + "A question with a very long wording that goes on and on. " * 6
    return shares, rewards, weights, options, types, title


def _figures(shares, rewards, weights, options, types, title):
    c = compare_aggregates(rewards, weights)
    low, high = c.average_reward - 0.1, c.average_reward + 0.1
    note = "Error bars: 95% bootstrap intervals (100 replicates). " * 3
    return {
        "question": F.plot_question(
            shares, rewards, c.average_reward, c.nbc, options, types, type_weights=weights,
            average_interval=(low, high), nbc_interval=(c.nbc - 0.02, c.nbc + 0.02),
            title=title, note=note,
        ),
        "shares": F.plot_shares_rewards(shares, rewards, options, types, type_weights=weights,
                                        title=title),
        "aggregates": F.plot_aggregates(c.average_reward, c.nbc, options, title=title,
                                        average_interval=(low, high), note=note),
        "ranks": F.plot_rank_chart(
            {"Average reward": c.average_reward, "NBC, uniform sampling": c.nbc,
             "NBC, flipping distribution\n(TV 0.111 from uniform)": c.nbc[::-1]},
            options, title=title, note=note,
        ),
        "rewards": F.plot_reward_bars(rewards[:, :5], options[:5], types, title=title),
        "profiles": F.plot_profiles(np.arange(5), {"pi* (optimal)": np.ones(5) / 5,
                                    "NBC (normalised)": np.ones(5) / 5, "dpo": np.ones(5) / 5},
                                    xlabel="x", ylabel="y", title=title),
        "seeds": F.plot_seed_bars({"dpo / anonymous": [0.65, 0.67, 0.69]}, ylabel="accuracy",
                                  title=title),
        "cdf": plot_min_tv_cdf([0.1, 0.3, None, 0.2]),
    }  # fmt: skip


CASES = {
    "ev": (SHARES, REWARDS, WEIGHTS, OPTIONS, TYPES, TITLE),
    "30 options": _wide_question(),
    "12 types": _wide_question(8, 12, seed=1),
}
KINDS = ["question", "shares", "aggregates", "ranks", "rewards", "profiles", "seeds", "cdf"]


@pytest.fixture(scope="module")
def figures():
    return {case: _figures(*args) for case, args in CASES.items()}


def _drawn_extent(fig):
    """The tight bounding box (pixels) of everything the figure draws, from a real draw with
    ``bbox_inches`` off: texts, patches, collections, axes with their ticks and legends."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # ticks and layouts are final after a draw
    return fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", KINDS)
def test_nothing_is_clipped_and_size_is_capped(figures, case, kind):
    fig = figures[case][kind]
    width, height = fig.get_size_inches()
    assert width <= MAX_SIZE[0] + 1e-9 and height <= MAX_SIZE[1] + 1e-9
    box, bounds = _drawn_extent(fig), fig.bbox
    assert box.x0 >= bounds.x0 - EDGE_PX and box.y0 >= bounds.y0 - EDGE_PX
    assert box.x1 <= bounds.x1 + EDGE_PX and box.y1 <= bounds.y1 + EDGE_PX
    for ax in fig.axes:  # an axes squeezed to nothing by its labels is a clipped figure too
        assert ax.bbox.width > 20 and ax.bbox.height > 20
    # and in the saved PNG: no ink on the border, within the cap in pixels
    img = mpimg.imread(io.BytesIO(F.png_bytes(fig)), format="png")[..., :3]
    assert img.shape[0] <= MAX_SIZE[1] * F.DPI and img.shape[1] <= MAX_SIZE[0] * F.DPI
    border = np.concatenate([img[:2].reshape(-1, 3), img[-2:].reshape(-1, 3),
                             img[:, :2].reshape(-1, 3), img[:, -2:].reshape(-1, 3)])  # fmt: skip
    assert border.min() > 0.95  # white


def test_many_options_grow_the_height_not_the_width(figures):
    small, big = figures["ev"], figures["30 options"]
    for kind in ("question", "shares", "aggregates", "ranks"):
        ws, hs = small[kind].get_size_inches()
        wb, hb = big[kind].get_size_inches()
        assert wb <= ws + 1e-9  # a 30-option question made a 4,807-pixel-wide figure once
        assert hb > 2 * hs


def test_long_labels_are_wrapped_and_shortened_under_the_cap(figures):
    fig = figures["30 options"]["question"]
    texts = [t.get_text() for t in fig.texts]
    labels = [t for t in texts if t.startswith(("A: ", "B: ", "AD: "))]
    assert len(labels) == 3 and all("\n" in t for t in labels[:2])  # wrapped
    assert labels[2].endswith("…") or "\n" in labels[2]  # the unbreakable word is broken
    assert any(t.endswith("…") for t in texts)  # under the height cap, labels lose lines
    assert all(text_size(line, F.LABEL_PT)[0] <= F.LABEL_WIDTH + 1e-9
               for t in labels for line in t.split("\n"))  # fmt: skip


@pytest.mark.parametrize("kind", ["question", "shares", "aggregates", "ranks", "rewards", "seeds"])
def test_every_figure_is_a_readable_deterministic_png(tmp_path, kind):
    first = F.save_png(_figures(*CASES["ev"])[kind], tmp_path / "a.png").read_bytes()
    again = F.save_png(_figures(*CASES["ev"])[kind], tmp_path / "b.png").read_bytes()
    assert first == again
    assert first[:8] == PNG_SIGNATURE
    img = mpimg.imread(io.BytesIO(first), format="png")
    assert img.shape[0] >= 300 and img.shape[1] >= 500  # readable size
    assert b"Software" not in first and b"tEXt" not in first  # no tool/version metadata
    assert float(np.ptp(img[..., :3])) > 0.5  # not blank


def _pixels_of(png: bytes, hex_colour: str) -> int:
    img = (mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)
    rgb = np.array([int(hex_colour[k : k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(img - rgb).max(axis=-1) <= COLOUR_TOL).sum())


def test_one_colour_per_role_across_the_figures(figures):
    assert P.TYPES[:3] == ("#D55E00", "#0072B2", "#009E73")  # party types keep their colours
    assert len(set(P.TYPES)) == len(P.TYPES)
    assert P.NBC not in P.TYPES and P.AVERAGE not in P.TYPES and P.NBC != P.AVERAGE
    assert not {P.NBC, P.AVERAGE, P.OPTIMAL} & set(P.SERIES)
    assert F.colour(0) == F.colour(len(P.TYPES)) and P.type_hatch(len(P.TYPES)) != ""
    ev = figures["ev"]
    question = F.png_bytes(ev["question"])
    for c in (*P.TYPES[:3], P.NBC, P.AVERAGE):  # types in their bars, each aggregate's top
        assert _pixels_of(question, c) > 500
    for kind in ("aggregates", "ranks", "cdf"):  # the aggregates use no type colour
        png = F.png_bytes(ev[kind])
        assert all(_pixels_of(png, c) < 50 for c in P.TYPES[:3]), kind
        assert _pixels_of(png, P.NBC) > 200, kind
    shares = F.png_bytes(ev["shares"])
    assert _pixels_of(shares, P.NBC) < 50 and _pixels_of(shares, P.AVERAGE) < 50


def test_wrapping_and_letters():
    assert [F.letter(k) for k in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]
    assert F.wrap("I do not expect to purchase a vehicle", 12).split("\n") == [
        "I do not",
        "expect to",
        "purchase a",
        "vehicle",
    ]
    assert F.wrap("line one\nline two", 40) == "line one\nline two"
    assert F.option_labels(["Yes", "No"]) == ["A: Yes", "B: No"]
    text = "An answer category with a great many words in it"
    lines = wrap_to(text, 1.0, 9).split("\n")
    assert len(lines) > 2 and all(text_size(line, 9)[0] <= 1.0 for line in lines)
    assert " ".join(lines) == text
    short = wrap_to(text, 1.0, 9, max_lines=2).split("\n")
    assert len(short) == 2 and short[1].endswith("…")
    with pytest.raises(ValueError, match="'k'"):
        F.letter(-1)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="'shares'"):
        F.plot_shares_rewards(SHARES[:, :3], REWARDS, OPTIONS, TYPES)
    with pytest.raises(ValueError, match="'nbc'"):
        F.plot_aggregates(np.zeros(5), np.zeros(4), OPTIONS)
    with pytest.raises(ValueError, match="'average_reward'"):
        F.plot_question(SHARES, REWARDS, np.zeros(4), np.zeros(5), OPTIONS, TYPES)
    with pytest.raises(ValueError, match="'columns'"):
        F.plot_rank_chart({}, OPTIONS)


def test_rank_chart_orders_each_column_by_its_scores():
    fig = F.plot_rank_chart({"x": [0.1, 0.3, 0.2], "y": [0.2, 0.3, 0.1]}, ["a", "b", "c"])
    inch = fig.dpi_scale_trans.inverted()
    # the boxes' texts: their height on the page is their place in the column's order
    place = {}
    for t in fig.texts:
        x, y = inch.transform(t.get_transform().transform(t.get_position()))
        label = t.get_text().split("\n")[0]
        if label in ("A: a", "B: b", "C: c"):
            place[(round(x, 1), label)] = -y
    columns = sorted({x for x, _ in place})
    order = [sorted((y, label) for (x, label), y in place.items() if x == c) for c in columns]
    assert [label for _, label in order[0]] == ["B: b", "C: c", "A: a"]
    assert [label for _, label in order[1]] == ["B: b", "A: a", "C: c"]
    # one connector per option between the two columns, black where the place changes
    (lines,) = [c for c in fig.artists if hasattr(c, "get_segments")]
    colours = [tuple(c) for c in lines.get_colors()]
    assert len(lines.get_segments()) == 3 and colours.count((0.0, 0.0, 0.0, 1.0)) == 2
