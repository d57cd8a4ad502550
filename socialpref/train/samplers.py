"""Vectorised, seeded preference samplers for the synthetic environment (torch).

Every sampler draws prompts uniformly and both responses from the uniform reference policy
(Section 7.2), then labels each pair with ``o = 1{y2 > y1}`` from the exact win-probability
table ``P[u, x, y1, y2]`` of :meth:`SyntheticEnvironment.win_probabilities` (any core
preference model). No Python loop runs per sample: 500,000 pairs take a few milliseconds.

- :func:`sample_anonymous`: one random type labels each pair (Eq. 8), type kept for reference.
- :func:`sample_paired`: two pairs labelled by the same annotator (Section 5.3, Lemma 5.3).
- :func:`sample_all_types`: one label per type for every pair (Section 6).
- :func:`sample_consensus`: the label the types give when they all agree, i.e. resampled until
  consensus (Appendix E's maximum-information data), drawn exactly from
  ``prod_u z_u / (prod_u z_u + prod_u (1 - z_u))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment

torch = require_torch()


@dataclass(frozen=True)
class PreferencePairs:
    """Pairs ``(x, y1, y2)`` with labels.

    Attributes
    ----------
    x, y1, y2 : torch.Tensor
        Prompt and responses, int64, shape ``(N,)``.
    labels : torch.Tensor
        ``o = 1{y2 > y1}`` as float: shape ``(N,)`` (one annotator) or ``(N, n_types)`` (all types).
    types : torch.Tensor or None
        The annotator's type index per pair (anonymous data; hidden from the learner).
    """

    x: Any
    y1: Any
    y2: Any
    labels: Any
    types: Any = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class PairedPreferences:
    """Two pairs per row labelled by the same annotator (Section 5.3).

    ``first`` and ``second`` are :class:`PreferencePairs` with ``(N,)`` labels; ``types`` is
    the shared annotator's type.
    """

    first: PreferencePairs
    second: PreferencePairs
    types: Any

    def __len__(self) -> int:
        return len(self.first)


def _check_count(n_pairs: int, owner: str) -> int:
    if isinstance(n_pairs, bool) or int(n_pairs) != n_pairs or n_pairs < 1:
        raise ValueError(
            f"The 'n_pairs' parameter of {owner} must be an integer >= 1. Got {n_pairs!r} instead."
        )
    return int(n_pairs)


def _generator(generator: Any, device: Any) -> Any:
    if isinstance(generator, torch.Generator):
        return generator
    if generator is None or isinstance(generator, int):
        g = torch.Generator(device=device)
        g.manual_seed(0 if generator is None else int(generator))
        return g
    raise ValueError(
        f"The 'generator' parameter must be a torch.Generator or an int seed. Got {generator!r} instead."
    )


def win_table(env: SyntheticEnvironment, device: Any = "cpu", dtype: Any = None) -> Any:
    """The exact table ``P[u, x, y1, y2] = Pr(y2 > y1 | u, x)`` as a torch tensor."""
    return torch.as_tensor(env.win_probabilities(), dtype=dtype or torch.float32, device=device)


def _draw_pairs(env: SyntheticEnvironment, n: int, g: Any, device: Any) -> tuple[Any, Any, Any]:
    x = torch.randint(env.n, (n,), generator=g, device=device)
    y1 = torch.randint(env.n, (n,), generator=g, device=device)
    y2 = torch.randint(env.n, (n,), generator=g, device=device)
    return x, y1, y2


def _draw_types(env: SyntheticEnvironment, n: int, g: Any, device: Any) -> Any:
    w = torch.as_tensor(env.weights, dtype=torch.float64, device=device)
    return torch.multinomial(w, n, replacement=True, generator=g)


def _bernoulli(p: Any, g: Any) -> Any:
    return (torch.rand(p.shape, generator=g, device=p.device, dtype=p.dtype) < p).to(torch.float32)


def sample_anonymous(
    env: SyntheticEnvironment, n_pairs: int, generator: Any = None, device: Any = "cpu"
) -> PreferencePairs:
    """Anonymous data: each pair labelled by one annotator of a random type ``u ~ p(u)`` (Eq. 8).

    Parameters
    ----------
    env : SyntheticEnvironment
    n_pairs : int
    generator : torch.Generator or int
        Source of randomness (an int seeds a fresh generator; None means seed 0).
    device : str or torch.device

    Returns
    -------
    PreferencePairs
        ``labels`` of shape ``(N,)``, ``types`` the hidden annotator types.

    Examples
    --------
    >>> data = sample_anonymous(SyntheticEnvironment(), 1000, generator=0)
    >>> len(data), data.labels.shape
    (1000, torch.Size([1000]))
    """
    n = _check_count(n_pairs, "sample_anonymous")
    g = _generator(generator, device)
    table = win_table(env, device)
    x, y1, y2 = _draw_pairs(env, n, g, device)
    types = _draw_types(env, n, g, device)
    labels = _bernoulli(table[types, x, y1, y2], g)
    return PreferencePairs(x, y1, y2, labels, types)


def sample_all_types(
    env: SyntheticEnvironment, n_pairs: int, generator: Any = None, device: Any = "cpu"
) -> PreferencePairs:
    """Maximum-information data (Section 6): every pair labelled once by each type.

    Returns :class:`PreferencePairs` with ``labels`` of shape ``(N, n_types)``.
    """
    n = _check_count(n_pairs, "sample_all_types")
    g = _generator(generator, device)
    table = win_table(env, device)
    x, y1, y2 = _draw_pairs(env, n, g, device)
    p = table[:, x, y1, y2].T  # (N, n_types)
    return PreferencePairs(x, y1, y2, _bernoulli(p.contiguous(), g), None)


def sample_paired(
    env: SyntheticEnvironment, n_pairs: int, generator: Any = None, device: Any = "cpu"
) -> PairedPreferences:
    """Paired data (Section 5.3): two independent pairs, both labelled by one annotator of a
    random type, the input of the joint-likelihood model (Lemma 5.3)."""
    n = _check_count(n_pairs, "sample_paired")
    g = _generator(generator, device)
    table = win_table(env, device)
    types = _draw_types(env, n, g, device)
    x, y1, y2 = _draw_pairs(env, n, g, device)
    xb, y1b, y2b = _draw_pairs(env, n, g, device)
    o = _bernoulli(table[types, x, y1, y2], g)
    ob = _bernoulli(table[types, xb, y1b, y2b], g)
    return PairedPreferences(
        PreferencePairs(x, y1, y2, o, types), PreferencePairs(xb, y1b, y2b, ob, types), types
    )


def consensus_probability(win_probs: Any) -> Any:
    """``Pr(o = 1 | all types agree) = prod z / (prod z + prod (1 - z))`` over the last axis,
    computed in log space; for Bradley-Terry it equals ``sigma(sum_u Delta r_u)``
    (proof of Prop. 6.1)."""
    z = win_probs.to(torch.float64).clamp(1e-300, 1.0)
    one_minus = (1.0 - win_probs.to(torch.float64)).clamp(1e-300, 1.0)
    return torch.sigmoid(torch.log(z).sum(-1) - torch.log(one_minus).sum(-1))


def sample_consensus(
    env: SyntheticEnvironment, n_pairs: int, generator: Any = None, device: Any = "cpu"
) -> PreferencePairs:
    """Consensus-conditioned data: the label all types give once they agree (resampling all
    types until consensus, drawn in one step from :func:`consensus_probability`)."""
    n = _check_count(n_pairs, "sample_consensus")
    g = _generator(generator, device)
    table = win_table(env, device, dtype=torch.float64)
    x, y1, y2 = _draw_pairs(env, n, g, device)
    p = consensus_probability(table[:, x, y1, y2].T)
    return PreferencePairs(x, y1, y2, _bernoulli(p, g), None)
