"""Length-based user types of the semi-synthetic LLM experiment (paper Section 7.3, Appendix E).

Each user type scores a whole dialogue (prompt and response) by its number of tokens ``x``.
The paper's three types (Fig. 11), for ``x`` in 1..512:

- ``long``: ``min(4, exp(x / 80) / 100)``
- ``short``: ``min(4, exp((512 - x) / 80) / 100)``
- ``mid``: ``exp(1 / (((x - 256) / 64)^2 + 1)) - 1``

Any callable from an integer array of lengths to a float array of rewards can serve as a
user type (:class:`LengthReward`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from socialpref._typing import ArrayLike, FloatArray
from socialpref.errors import ParameterError

RewardFn = Callable[[np.ndarray], ArrayLike]


def reward_long(lengths: ArrayLike) -> FloatArray:
    """Type 1 of the paper (prefers long dialogues): ``min(4, exp(x / 80) / 100)``.

    >>> [round(float(v), 4) for v in reward_long([80, 512])]
    [0.0272, 4.0]
    """
    x = np.asarray(lengths, dtype=np.float64)
    return np.minimum(4.0, np.exp(x / 80.0) / 100.0)


def reward_short(lengths: ArrayLike) -> FloatArray:
    """Type 2 of the paper (prefers short dialogues): ``min(4, exp((512 - x) / 80) / 100)``.

    >>> [round(float(v), 4) for v in reward_short([0, 432])]
    [4.0, 0.0272]
    """
    x = np.asarray(lengths, dtype=np.float64)
    return np.minimum(4.0, np.exp((512.0 - x) / 80.0) / 100.0)


def reward_mid(lengths: ArrayLike) -> FloatArray:
    """Type 3 of the paper (prefers mid-length dialogues): ``exp(1 / (((x-256)/64)^2 + 1)) - 1``.

    >>> [round(float(v), 4) for v in reward_mid([256, 320])]
    [1.7183, 0.6487]
    """
    x = np.asarray(lengths, dtype=np.float64)
    return np.exp(1.0 / (((x - 256.0) / 64.0) ** 2 + 1.0)) - 1.0


@dataclass(frozen=True)
class LengthReward:
    """A user type whose reward depends on the token length of the whole dialogue.

    Attributes
    ----------
    name : str
        Label used in results and figures.
    fn : callable
        Maps an integer array of token lengths to a float array of rewards (same shape).
    """

    name: str
    fn: RewardFn

    def __call__(self, lengths: ArrayLike) -> FloatArray:
        x = np.asarray(lengths)
        out = np.asarray(self.fn(x), dtype=np.float64)
        if out.shape != x.shape:
            raise ParameterError(
                f"The reward function of user type {self.name!r} must return an array of shape "
                f"{x.shape}. Got shape {out.shape} instead."
            )
        if not np.all(np.isfinite(out)):
            raise ParameterError(
                f"The reward function of user type {self.name!r} returned non-finite values."
            )
        return out


def paper_length_rewards() -> tuple[LengthReward, ...]:
    """The paper's three user types, in the order long, short, mid (Appendix E, Fig. 11)."""
    return (
        LengthReward("long", reward_long),
        LengthReward("short", reward_short),
        LengthReward("mid", reward_mid),
    )


def as_length_rewards(
    rewards: Sequence[LengthReward | RewardFn] | None,
) -> tuple[LengthReward, ...]:
    """Validate user types; ``None`` gives the paper's three. Bare callables get names ``type<k>``."""
    if rewards is None:
        return paper_length_rewards()
    out = []
    for k, r in enumerate(rewards):
        if isinstance(r, LengthReward):
            out.append(r)
        elif callable(r):
            out.append(LengthReward(f"type{k + 1}", r))
        else:
            raise ParameterError(
                f"The 'rewards' parameter must hold callables. Got {r!r} at position {k}."
            )
    if not out:
        raise ParameterError(
            "The 'rewards' parameter must hold at least one user type. Got an empty sequence."
        )
    return tuple(out)


def reward_matrix(
    lengths: ArrayLike, rewards: Sequence[LengthReward | RewardFn] | None = None
) -> FloatArray:
    """Rewards of every user type for every length: an array of shape ``(n_types, n)``.

    >>> reward_matrix([256]).round(4).tolist()
    [[0.2453], [0.2453], [1.7183]]
    """
    types = as_length_rewards(rewards)
    x = np.asarray(lengths)
    if x.ndim != 1:
        raise ParameterError(
            f"The 'lengths' parameter must be one-dimensional. Got shape {x.shape} instead."
        )
    return np.stack([t(x) for t in types]) if x.size else np.zeros((len(types), 0))
