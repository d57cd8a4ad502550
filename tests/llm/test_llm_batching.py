"""Length-bucketed batches: a seeded partition of the items that cuts padding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref.errors import ParameterError
from socialpref.llm.batching import bucketed_batches, pad_batch


def _padded(lengths: np.ndarray, batches: list[np.ndarray]) -> int:
    return int(sum(len(b) * lengths[b].max() for b in batches))


@given(
    st.lists(st.integers(1, 512), min_size=1, max_size=200),
    st.integers(1, 9),
    st.integers(1, 5),
    st.integers(0, 3),
)
def test_batches_partition_the_items(lengths: list[int], size: int, bucket: int, seed: int) -> None:
    batches = bucketed_batches(lengths, size, seed, bucket)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert all(1 <= len(b) <= size for b in batches)


def test_seeded_and_cuts_padding() -> None:
    rng = np.random.default_rng(0)
    lengths = np.clip(rng.lognormal(np.log(200), 0.6, size=4000), 10, 512).astype(int)
    a = bucketed_batches(lengths, 8, 1, 64)
    b = bucketed_batches(lengths, 8, 1, 64)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    plain = bucketed_batches(lengths, 8, 1, bucket_batches=1)
    assert _padded(lengths, a) < 0.8 * _padded(lengths, plain)
    assert _padded(lengths, a) >= lengths.sum()


def test_eval_order_is_sorted_and_pad_batch() -> None:
    batches = bucketed_batches([3, 1, 2], 2, shuffle=False)
    assert [b.tolist() for b in batches] == [[1, 2], [0]]
    ids, mask = pad_batch([[1, 2, 3], [4]], pad_id=9, pad_to_multiple_of=4)
    assert ids.tolist() == [[1, 2, 3, 9], [4, 9, 9, 9]]
    assert mask.sum() == 4


def test_invalid_batch_sizes() -> None:
    with pytest.raises(ParameterError, match="'batch_size'"):
        bucketed_batches([1], 0)
    with pytest.raises(ParameterError, match="'bucket_batches'"):
        bucketed_batches([1], 1, bucket_batches=1.5)
