"""``--seeds``: the forms it takes, and every descending range refused wherever it stands."""

from __future__ import annotations

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from socialpref_cli.common import MAX_SEEDS, parse_seeds


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("0-4", [0, 1, 2, 3, 4]),
        ("1,5,9", [1, 5, 9]),
        ("0-2,7", [0, 1, 2, 7]),
        (" 3 - 5 ", [3, 4, 5]),
        ("7", [7]),
        ("4-4", [4]),
        (f"0-{MAX_SEEDS - 1}", list(range(MAX_SEEDS))),
    ],
)
def test_forms(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), min_size=1, max_size=6))
def test_lists_of_ascending_ranges(parts: list[tuple[int, int]]) -> None:
    """Property: disjoint ascending ranges parse to their expansion, in order; any range
    written backwards, anywhere in the list, is refused."""
    start, ranges = 0, []
    for gap, width in parts:
        ranges.append((start + gap, start + gap + width))
        start += gap + width + 1
    text = ",".join(f"{lo}-{hi}" if hi > lo else str(lo) for lo, hi in ranges)
    assert parse_seeds(text) == [s for lo, hi in ranges for s in range(lo, hi + 1)]
    for k, (lo, hi) in enumerate(ranges):
        if hi > lo:
            backwards = [f"{a}-{b}" for a, b in ranges]
            backwards[k] = f"{hi}-{lo}"
            with pytest.raises(typer.BadParameter, match="descends"):
                parse_seeds(",".join(backwards))
