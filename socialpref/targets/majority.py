"""Pairwise-majority targets: majority margins and relations, Condorcet winner and loser, Copeland.

A strict majority of the population prefers ``i`` to ``j`` when ``P[i, j] > 1/2`` (Eq. 8), i.e.
when the margin ``M[i, j] = P[i, j] - P[j, i]`` is positive. Margins within
:data:`~socialpref.aggregate.TIE_TOL` of 0 are ties. With a probabilistic preference model
(Bradley-Terry, Thurstone) "majority" is in the probabilistic sense: a random annotator prefers
``i`` with probability above 1/2; with :class:`~socialpref.preference.MajorityStep` it is the
weighted share of user types.

- Condorcet winner (Condorcet 1785): the option that beats every other option by a strict
  majority; Condorcet loser: the option that every other option beats by a strict majority.
  Each is unique when it exists.
- Copeland score (Copeland 1951): wins minus losses in the pairwise contests, a tie counting 0
  (the convention of ``pref_voting``); it orders the options exactly as "wins + 1/2 ties" does,
  since ``wins + ties + losses = n - 1``.

The ``*_batch`` functions take a stack of matrices, possibly padded (see
:func:`~socialpref.targets.matrix.pairwise_stack`); the single-matrix functions are the batch
with one item.
"""

from __future__ import annotations

import numpy as np

from socialpref._typing import ArrayLike, BoolArray, FloatArray, IntArray
from socialpref.aggregate import TIE_TOL
from socialpref.population import Population
from socialpref.preference import PreferenceModel
from socialpref.targets.matrix import active_mask, margins, pairwise_stack, resolve_pairwise


def _contests(stack: FloatArray, counts: IntArray) -> tuple[BoolArray, BoolArray]:
    """``(wins, losses)``: ``wins[b, i, j]`` when ``i`` beats ``j`` strictly in item ``b``."""
    m = margins(stack)
    n = stack.shape[1]
    mask = active_mask(counts, n)
    pair = mask[:, :, None] & mask[:, None, :] & ~np.eye(n, dtype=bool)[None]
    return (m > TIE_TOL) & pair, (m < -TIE_TOL) & pair


def majority_margins(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> FloatArray:
    """Majority margins ``M[i, j] = P[i, j] - P[j, i] = 2 P[i, j] - 1``, skew-symmetric.

    ``M`` is the payoff matrix of the symmetric zero-sum game whose optimal mixed strategy is
    the maximal lottery (Fishburn 1984).

    Parameters
    ----------
    pairwise : (n, n) array, Population, or (n_types, n_options) rewards
        The pairwise matrix ``P`` (Eq. 8); or a population, or rewards with ``type_weights``,
        from which ``P`` is computed under ``model`` (default Bradley-Terry).
    type_weights : (n_types,) array, optional
        Only with rewards.
    model : PreferenceModel or str, optional
        Only with a population or rewards.

    Examples
    --------
    >>> majority_margins([[0.5, 0.7], [0.3, 0.5]]).round(6).tolist()
    [[0.0, 0.4], [-0.4, 0.0]]
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="majority_margins")
    return margins(p)


def majority_relation(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
    strict: bool = True,
) -> BoolArray:
    """Pairwise majority: ``R[i, j]`` is True when a majority prefers ``i`` to ``j``.

    ``strict=True``: a strict majority, ``P[i, j] > 1/2`` (margin above ``TIE_TOL``);
    ``strict=False``: a weak majority, ``P[i, j] >= 1/2`` (margin at least ``-TIE_TOL``).
    The diagonal is False. Arguments as in :func:`majority_margins`.

    Examples
    --------
    >>> p = [[0.5, 0.7, 0.5], [0.3, 0.5, 0.6], [0.5, 0.4, 0.5]]
    >>> majority_relation(p).astype(int).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    >>> majority_relation(p, strict=False).astype(int).tolist()
    [[0, 1, 1], [0, 0, 1], [1, 0, 0]]
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="majority_relation")
    wins, losses = _contests(p[None], np.array([p.shape[0]]))
    rel = wins[0] if strict else ~losses[0]
    np.fill_diagonal(rel, False)
    return np.asarray(rel, dtype=np.bool_)


def condorcet_winner_batch(pairwise: ArrayLike, n_options: ArrayLike | None = None) -> IntArray:
    """Condorcet winner of each item of a stack of pairwise matrices; -1 where there is none.

    Parameters
    ----------
    pairwise : (B, n, n) array
    n_options : (B,) ints, optional
        Options of each item when the stack is padded.

    Returns
    -------
    (B,) int array
        The option that beats every other by a strict majority, or -1.

    Examples
    --------
    >>> cycle = [[0.5, 0.6, 0.4], [0.4, 0.5, 0.6], [0.6, 0.4, 0.5]]
    >>> condorcet_winner_batch([cycle, [[0.5, 0.2, 0.4], [0.8, 0.5, 0.6], [0.6, 0.4, 0.5]]]).tolist()
    [-1, 1]
    """
    stack, counts = pairwise_stack(pairwise, n_options, owner="condorcet_winner_batch")
    wins, _ = _contests(stack, counts)
    return _only(wins.sum(axis=2) == (counts[:, None] - 1), active_mask(counts, stack.shape[1]))


def condorcet_loser_batch(pairwise: ArrayLike, n_options: ArrayLike | None = None) -> IntArray:
    """Condorcet loser of each item (beaten by every other option by a strict majority); -1 if none.

    Arguments as in :func:`condorcet_winner_batch`. With a single option, that option is both
    the Condorcet winner and the Condorcet loser.

    Examples
    --------
    >>> condorcet_loser_batch([[[0.5, 0.2], [0.8, 0.5]], [[0.5, 0.5], [0.5, 0.5]]]).tolist()
    [0, -1]
    """
    stack, counts = pairwise_stack(pairwise, n_options, owner="condorcet_loser_batch")
    _, losses = _contests(stack, counts)
    return _only(losses.sum(axis=2) == (counts[:, None] - 1), active_mask(counts, stack.shape[1]))


def _only(hit: BoolArray, mask: BoolArray) -> IntArray:
    """Index of the single active True per row, else -1 (at most one can hold for a strict relation)."""
    hit = hit & mask
    out = np.where(hit.sum(axis=1) == 1, np.argmax(hit, axis=1), -1)
    return np.asarray(out, dtype=np.int64)


def condorcet_winner(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> int | None:
    """The Condorcet winner: the option a strict majority prefers to every other one, or None.

    ``c`` with ``P[c, j] > 1/2`` for every ``j != c`` (Condorcet 1785). Arguments as in
    :func:`majority_margins`.

    Examples
    --------
    >>> condorcet_winner([[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1/3, 1/3, 1/3])  # mediocrity example
    1
    >>> condorcet_winner([[0.5, 0.6, 0.4], [0.4, 0.5, 0.6], [0.6, 0.4, 0.5]]) is None
    True
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="condorcet_winner")
    c = int(condorcet_winner_batch(p[None])[0])
    return None if c < 0 else c


def condorcet_loser(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> int | None:
    """The Condorcet loser: the option a strict majority rejects against every other, or None.

    ``c`` with ``P[c, j] < 1/2`` for every ``j != c``. Arguments as in :func:`majority_margins`.

    Examples
    --------
    >>> condorcet_loser([[0.5, 1.0], [0.5, -10.0]], [0.9, 0.1])  # tyranny of the majority
    0
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="condorcet_loser")
    c = int(condorcet_loser_batch(p[None])[0])
    return None if c < 0 else c


def copeland_scores_batch(pairwise: ArrayLike, n_options: ArrayLike | None = None) -> FloatArray:
    """Copeland scores (wins minus losses, a tie counts 0) of each item; NaN at padded options.

    Arguments as in :func:`condorcet_winner_batch`; returns a ``(B, n)`` array.

    Examples
    --------
    >>> p = [[0.5, 0.7, 0.5], [0.3, 0.5, 0.6], [0.5, 0.4, 0.5]]
    >>> copeland_scores_batch([p], [3]).tolist()
    [[1.0, 0.0, -1.0]]
    """
    stack, counts = pairwise_stack(pairwise, n_options, owner="copeland_scores_batch")
    wins, losses = _contests(stack, counts)
    scores = (wins.sum(axis=2) - losses.sum(axis=2)).astype(np.float64)
    scores[~active_mask(counts, stack.shape[1])] = np.nan
    return np.asarray(scores, dtype=np.float64)


def copeland_scores(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> FloatArray:
    """Copeland scores: pairwise majority wins minus losses, a tie counting 0 (Copeland 1951).

    Arguments as in :func:`majority_margins`.

    Examples
    --------
    >>> copeland_scores([[0, 1, 4], [4, 1, 0], [0, 1, 0]], [1/3, 1/3, 1/3]).tolist()
    [-1.0, 2.0, -1.0]
    """
    p = resolve_pairwise(pairwise, type_weights, model, owner="copeland_scores")
    return np.asarray(copeland_scores_batch(p[None])[0], dtype=np.float64)


def copeland_winners(
    pairwise: ArrayLike | Population,
    type_weights: ArrayLike | None = None,
    *,
    model: PreferenceModel | str | None = None,
) -> tuple[int, ...]:
    """The options of highest Copeland score (ties kept). Arguments as in :func:`majority_margins`.

    Examples
    --------
    >>> copeland_winners([[0.5, 0.6, 0.4], [0.4, 0.5, 0.6], [0.6, 0.4, 0.5]])
    (0, 1, 2)
    """
    s = copeland_scores(pairwise, type_weights, model=model)
    return tuple(int(i) for i in np.flatnonzero(s == s.max()))


__all__ = [
    "condorcet_loser",
    "condorcet_loser_batch",
    "condorcet_winner",
    "condorcet_winner_batch",
    "copeland_scores",
    "copeland_scores_batch",
    "copeland_winners",
    "majority_margins",
    "majority_relation",
]
