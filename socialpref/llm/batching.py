"""Length-bucketed batches of preference pairs, collated into one concatenated batch.

Padding is pure waste: a batch costs its longest sequence times its size. Shuffling the
pairs, then sorting by length within chunks of ``bucket_batches`` batches, then shuffling the
batch order keeps the order random (seeded) while batches hold sequences of similar length.
Both sides of a pair go into one forward: rows ``0..B-1`` are the preferred sequences, rows
``B..2B-1`` the dispreferred ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import ArrayLike, IntArray, RngLike
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError

TokenSeq = Sequence[int] | NDArray[np.integer]
"""Token ids of one sequence: a list/tuple of ints or an integer array."""


def bucketed_batches(
    lengths: ArrayLike,
    batch_size: int,
    rng: RngLike = None,
    bucket_batches: int = 64,
    shuffle: bool = True,
) -> list[IntArray]:
    """Split ``range(n)`` into batches of similar ``lengths``.

    Parameters
    ----------
    lengths : array_like of int, shape (n,)
        Cost of each item (for a pair: the longer side).
    batch_size : int
        Items per batch (the last batch of each chunk may be smaller).
    rng : numpy.random.Generator, int or None
        Shuffles items before chunking and batches after.
    bucket_batches : int
        Batches per sorted chunk; 1 disables bucketing (plain shuffled batches).
    shuffle : bool
        False: no randomness, one chunk sorted by length (for evaluation).

    Examples
    --------
    >>> [b.tolist() for b in bucketed_batches([5, 1, 4, 2], 2, shuffle=False)]
    [[1, 3], [2, 0]]
    """
    x = np.asarray(lengths)
    if x.ndim != 1:
        raise ParameterError(
            f"The 'lengths' parameter must be one-dimensional. Got shape {x.shape} instead."
        )
    for name, value in (("batch_size", batch_size), ("bucket_batches", bucket_batches)):
        check_scalar(value, name, int, min_val=1, owner="bucketed_batches")
    n, size = x.shape[0], int(batch_size)
    if not shuffle:
        order = np.argsort(x, kind="stable")
        return [order[s : s + size] for s in range(0, n, size)]
    gen = np.random.default_rng(rng)
    perm = gen.permutation(n)
    chunk = size * int(bucket_batches)
    batches: list[IntArray] = []
    for s in range(0, n, chunk):
        part = perm[s : s + chunk]
        part = part[np.argsort(x[part], kind="stable")]
        batches.extend(part[k : k + size] for k in range(0, part.shape[0], size))
    return [batches[i] for i in gen.permutation(len(batches))]


def pad_batch(
    sequences: Sequence[TokenSeq], pad_id: int, pad_to_multiple_of: int = 1
) -> tuple[IntArray, IntArray]:
    """Right-pad token id sequences: ``(input_ids, attention_mask)``, both ``(n, T)`` int64.

    >>> ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    >>> ids.tolist(), mask.tolist()
    ([[5, 6, 7], [8, 0, 0]], [[1, 1, 1], [1, 0, 0]])
    """
    width = max((len(s) for s in sequences), default=0)
    m = max(int(pad_to_multiple_of), 1)
    width = -(-width // m) * m
    ids = np.full((len(sequences), width), int(pad_id), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1
    return ids, mask
