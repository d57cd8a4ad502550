"""Relabelling preference pairs by simulated user types (paper Section 7.3, Appendix E).

Every pair ``(a, b)`` of dialogues gets a label "a preferred" or "b preferred" from the
user types' rewards ``r(len; u)``:

- ``anonymous``: one type ``u`` drawn from the type weights (uniform by default), then
  Bradley-Terry: ``Pr(a > b) = sigma(r(a; u) - r(b; u))`` (Eq. 2). The annotator is unknown.
- ``max-info``: the types are asked repeatedly until they all agree (maximum annotator
  information). As in the proof of Prop. 6.1, the agreed label follows Bradley-Terry on the
  *sum* of the reward differences: ``Pr(a > b | consensus) = sigma(sum_u [r(a; u) - r(b; u)])``,
  because ``prod_u sigma(d_u) / prod_u sigma(-d_u) = exp(sum_u d_u)``.
- ``average``: Bradley-Terry on the type-weighted average reward difference.
- ``test``: deterministic, by the average reward (ties have no label and are dropped).

All sampling is vectorised on one ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
from scipy.special import expit

from socialpref._typing import ArrayLike, BoolArray, FloatArray, RngLike
from socialpref.errors import ParameterError
from socialpref.llm.batching import TokenSeq
from socialpref.llm.rewards import LengthReward, RewardFn, as_length_rewards, reward_matrix
from socialpref.population import as_distribution

Dataset = Literal["anonymous", "max-info", "average", "test"]
DATASETS: tuple[str, ...] = ("anonymous", "max-info", "average", "test")
Ties = Literal["drop", "authors"]
TIES: tuple[str, ...] = ("drop", "authors")
"""Test pairs whose average rewards tie: ``drop`` them (the paper's text), or keep them with
the first side winning and count a model tie as correct (``authors``: as the authors' code,
which labels a pair by ``p >= 0.5`` and scores ``>=``)."""

#: What labelled a pair when no single user type did (see :class:`LabelDraw`).
LABELLERS = {"max-info": "all types", "average": "average", "test": "average reward"}


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ParameterError listing them."""
    if value not in choices:
        raise ParameterError(
            f"The '{name}' parameter must be one of {list(choices)}. Got {value!r} instead."
        )
    return value


def check_dataset(dataset: str) -> Dataset:
    """Return ``dataset`` if it names a relabelling scheme, else raise listing the valid ones."""
    return cast(Dataset, check_choice(dataset, "dataset", DATASETS))


def label_probabilities(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    dataset: str,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> FloatArray:
    """Probability that ``a`` is labelled preferred, marginalised over the annotator's type.

    For ``anonymous`` this is ``sum_u p(u) sigma(d_u)``; for ``max-info`` ``sigma(sum_u d_u)``;
    for ``average`` ``sigma(sum_u p(u) d_u)``; for ``test`` 1, 1/2 or 0 by the sign of the
    average difference. ``d_u = r(len_a; u) - r(len_b; u)``.

    >>> label_probabilities([256], [256], "max-info").tolist()
    [0.5]
    """
    kind = check_dataset(dataset)
    d, w = _differences(lengths_a, lengths_b, rewards, type_weights, kind)
    if kind == "anonymous":
        return np.asarray(w @ expit(d), dtype=np.float64)
    if kind == "max-info":
        return np.asarray(expit(d.sum(axis=0)), dtype=np.float64)
    avg = w @ d
    if kind == "average":
        return np.asarray(expit(avg), dtype=np.float64)
    return np.where(avg > 0, 1.0, np.where(avg < 0, 0.0, 0.5))


@dataclass(frozen=True)
class LabelDraw:
    """Sampled labels with what produced them.

    Attributes
    ----------
    a_wins : numpy.ndarray of bool, shape (n,)
        ``True`` where the first side is labelled preferred.
    labeller : tuple of str
        Per pair, what labelled it: the name of the drawn user type (``anonymous``),
        ``"all types"`` (``max-info``), ``"average"`` or ``"average reward"`` (``test``).
    probability : numpy.ndarray of float, shape (n,)
        Bradley-Terry probability that the first side is preferred under what labelled the
        pair (for ``anonymous``: given the drawn type; for ``test``: 1, 1/2 or 0).
    """

    a_wins: BoolArray
    labeller: tuple[str, ...]
    probability: FloatArray


def sample_labels(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    dataset: str,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
    rng: RngLike = None,
) -> LabelDraw:
    """Sample labels and keep who labelled each pair and with what probability.

    The same draws as :func:`relabel` (which returns ``sample_labels(...).a_wins``): for
    ``anonymous`` one type per pair from ``rng``, then one uniform number per pair.

    >>> draw = sample_labels([500, 10], [10, 500], "anonymous", rng=0)
    >>> draw.labeller, draw.probability.round(3).tolist()
    (('short', 'long'), [0.018, 0.018])
    """
    kind = check_dataset(dataset)
    d, w = _differences(lengths_a, lengths_b, rewards, type_weights, kind)
    n = d.shape[1]
    gen = np.random.default_rng(rng)
    if kind == "test":
        avg = w @ d
        p = np.where(avg > 0, 1.0, np.where(avg < 0, 0.0, 0.5))
        return LabelDraw(np.asarray(avg > 0), (LABELLERS[kind],) * n, p)
    if kind == "anonymous":
        types = gen.choice(len(w), size=n, p=w)
        p = expit(d[types, np.arange(n)])
        names = tuple(t.name for t in as_length_rewards(rewards))
        labeller = tuple(names[t] for t in np.asarray(types).tolist())
    else:
        p = expit(d.sum(axis=0)) if kind == "max-info" else expit(w @ d)
        labeller = (LABELLERS[kind],) * n
    return LabelDraw(np.asarray(gen.random(n) < p), labeller, np.asarray(p, dtype=np.float64))


def relabel(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    dataset: str,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
    rng: RngLike = None,
) -> BoolArray:
    """Sample labels: ``True`` where ``a`` is preferred to ``b``.

    Parameters
    ----------
    lengths_a, lengths_b : array_like of int, shape (n,)
        Token lengths of the two whole dialogues of each pair.
    dataset : {"anonymous", "max-info", "average", "test"}
        Labelling scheme (module docstring). ``test`` is deterministic; ties (equal average
        reward) are labelled ``False`` here: see :func:`average_reward_labels` for the tie policies.
    rewards : sequence of LengthReward or callables, optional
        User types; the paper's three (long, short, mid) by default.
    type_weights : array_like, optional
        Share of each type, uniform by default (used by ``anonymous`` and ``average``).
    rng : numpy.random.Generator, int or None
        Source of randomness.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)

    Examples
    --------
    >>> relabel([500, 10], [10, 500], "test").tolist()
    [True, False]
    """
    return sample_labels(lengths_a, lengths_b, dataset, rewards, type_weights, rng).a_wins


def average_reward_labels(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    ties: str = "drop",
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> tuple[BoolArray, BoolArray]:
    """Test labels by the average reward under a tie policy: ``(a_wins, keep)``.

    ``ties='drop'`` keeps only pairs the average reward orders; ``'authors'`` keeps every pair
    and lets the first side win a tie (``p >= 0.5``).

    >>> [x.tolist() for x in average_reward_labels([300, 256, 10], [200, 256, 500], "authors")]
    [[True, True, False], [True, True, True]]
    >>> [x.tolist() for x in average_reward_labels([300, 256, 10], [200, 256, 500], "drop")]
    [[True, False, False], [True, False, True]]
    """
    policy = check_choice(ties, "ties", TIES)
    tie = average_ties(lengths_a, lengths_b, rewards, type_weights)
    wins = relabel(lengths_a, lengths_b, "test", rewards, type_weights)
    if policy == "authors":
        return wins | tie, np.ones_like(tie)
    return wins, ~tie


def average_ties(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> BoolArray:
    """``True`` where the average reward does not order the pair (no test label)."""
    d, w = _differences(lengths_a, lengths_b, rewards, type_weights)
    return np.asarray(w @ d == 0)


@dataclass(frozen=True)
class LabelledPairs:
    """Pairs of token sequences oriented by their labels.

    Attributes
    ----------
    preferred, dispreferred : tuple of int sequences
        Token ids (tuples or int arrays, kept as given) of the labelled winner and loser.
    """

    preferred: tuple[TokenSeq, ...]
    dispreferred: tuple[TokenSeq, ...]

    def __post_init__(self) -> None:
        if len(self.preferred) != len(self.dispreferred):
            raise ParameterError(
                "The 'preferred' and 'dispreferred' parameters of LabelledPairs must have the "
                f"same length. Got {len(self.preferred)} and {len(self.dispreferred)} instead."
            )

    def __len__(self) -> int:
        return len(self.preferred)

    @property
    def n_tokens(self) -> int:
        """Total number of (real, unpadded) tokens over both sides."""
        return sum(map(len, self.preferred)) + sum(map(len, self.dispreferred))


def orient_pairs(
    ids_a: Sequence[TokenSeq],
    ids_b: Sequence[TokenSeq],
    a_wins: ArrayLike,
    keep: ArrayLike | None = None,
) -> LabelledPairs:
    """Put each pair's labelled winner first; ``keep`` (bool mask) selects pairs."""
    wins = np.asarray(a_wins, dtype=bool)
    if wins.shape != (len(ids_a),) or len(ids_a) != len(ids_b):
        raise ParameterError(
            f"The 'a_wins' parameter must have shape ({len(ids_a)},) matching both id lists. "
            f"Got {wins.shape} with {len(ids_b)} second sequences instead."
        )
    mask = np.ones(len(ids_a), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    pref, disp = [], []
    for i in np.flatnonzero(mask):
        a, b = ids_a[i], ids_b[i]
        pref.append(a if wins[i] else b)
        disp.append(b if wins[i] else a)
    return LabelledPairs(tuple(pref), tuple(disp))


def _differences(
    lengths_a: ArrayLike,
    lengths_b: ArrayLike,
    rewards: Sequence[LengthReward | RewardFn] | None,
    type_weights: ArrayLike | None,
    dataset: str = "anonymous",
) -> tuple[FloatArray, FloatArray]:
    la, lb = np.asarray(lengths_a), np.asarray(lengths_b)
    if la.ndim != 1 or la.shape != lb.shape:
        raise ParameterError(
            "The 'lengths_a' and 'lengths_b' parameters must be one-dimensional of equal length. "
            f"Got shapes {la.shape} and {lb.shape} instead."
        )
    d = reward_matrix(la, rewards) - reward_matrix(lb, rewards)
    n_types = d.shape[0]
    if type_weights is None:
        return d, np.full(n_types, 1.0 / n_types)
    w = as_distribution(type_weights, n_types, "type_weights")
    if dataset == "max-info" and np.ptp(w) > 1e-12:
        # Prop. 6.1: consensus labels are BT on the *sum* of the types' differences, whose
        # target is the unweighted average reward; with unequal p(u) the test labels (weighted
        # average) would disagree with what max-info data can teach.
        raise ParameterError(
            "The 'max-info' dataset assumes equally represented user types (Prop. 6.1). "
            f"Got type_weights={w.tolist()}; use equal weights or the 'anonymous'/'average' dataset."
        )
    return d, w
