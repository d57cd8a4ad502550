"""Markdown writer: tables, escaping, numbers, relative images, slugs and anchors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref.report.markdown import anchor, escape, image, number, percent, slug, table


def test_table_escapes_cells_and_aligns():
    out = table(["a", "b"], [[1, "x|y"], ["*z*", "two\nlines"]], align="rl")
    assert out.splitlines() == [
        "| a | b |",
        "| ---: | :--- |",
        "| 1 | x\\|y |",
        "| \\*z\\* | two lines |",
    ]


def test_table_rejects_bad_rows_and_alignment():
    with pytest.raises(ValueError, match="2 cells"):
        table(["a", "b"], [[1]])
    with pytest.raises(ValueError, match="'align'"):
        table(["a", "b"], [[1, 2]], align="lx")


def test_numbers():
    assert number(0.123456) == "0.1235"
    assert number(-0.00001) == "0.0000"  # no negative zero
    assert number(None) == "-"
    assert number(float("nan")) == "n/a"
    assert number(True) == "yes"
    assert number(7) == "7"
    assert number(1 / 3, 2) == "0.33"
    assert percent(0.2) == "20.0%" and percent(None) == "-"


def test_images_are_relative_and_encoded():
    assert image("CDF", "figures/min tv.png") == "![CDF](figures/min%20tv.png)"
    with pytest.raises(ValueError, match="relative"):
        image("x", "/abs/fig.png")


def test_slug_and_anchor():
    assert slug("ATP W900.sav") == "atp-w900-sav"
    assert slug("???") == "item"
    assert anchor("EVCAR2_W900 (ATP W900.sav)") == "evcar2_w900-atp-w900sav"
    assert escape("EVCAR2_W900 <b>") == "EVCAR2_W900 \\<b\\>"


@given(st.lists(st.text(max_size=30), min_size=1, max_size=4))
def test_any_text_keeps_the_table_shape(cells):
    out = table([f"c{k}" for k in range(len(cells))], [cells])
    for line in out.splitlines():
        # every line has exactly one unescaped pipe per column border
        assert len(re.findall(r"(?<!\\)\|", line.replace("\\\\", ""))) == len(cells) + 1
        assert "\n" not in line


def test_numpy_integers_print_as_integers():
    assert number(np.int64(3)) == "3"
    assert number(np.float64(0.5)) == "0.5000"
