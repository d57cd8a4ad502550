"""Vectorised, seeded preference samplers for the synthetic environment (torch).

Every sampler draws prompts uniformly and both responses independently from the sampling
distribution ``D(y | x)``: uniform by default (Section 7.2, where ``D`` is the uniform reference
policy), or any ``(n, n)`` table passed as ``sampling`` (e.g. a non-uniform ``pi_ref``), then labels each pair with ``o = 1{y2 > y1}`` from the exact win-probability
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

from socialpref._typing import ArrayLike
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
from socialpref.train.device import require_torch
from socialpref.train.environment import SyntheticEnvironment

require_torch()

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

GeneratorLike = torch.Generator | int | None
"""A ``torch.Generator``, or an int seed for a fresh one (None: seed 0)."""
DeviceLike = str | torch.device


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

    x: Tensor
    y1: Tensor
    y2: Tensor
    labels: Tensor
    types: Tensor | None = None

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
    types: Tensor

    def __len__(self) -> int:
        return len(self.first)


def _check_count(n_pairs: int, owner: str) -> int:
    return check_scalar(n_pairs, "n_pairs", int, min_val=1, owner=owner)


def _generator(generator: GeneratorLike, device: DeviceLike) -> torch.Generator:
    if isinstance(generator, torch.Generator):
        return generator
    if generator is None or isinstance(generator, int):
        g = torch.Generator(device=device)
        g.manual_seed(0 if generator is None else int(generator))
        return g
    raise ParameterError(
        f"The 'generator' parameter must be a torch.Generator or an int seed. Got {generator!r} instead."
    )


def win_table(
    env: SyntheticEnvironment, device: DeviceLike = "cpu", dtype: torch.dtype | None = None
) -> Tensor:
    """The exact table ``P[u, x, y1, y2] = Pr(y2 > y1 | u, x)`` as a torch tensor."""
    return torch.as_tensor(env.win_probabilities(), dtype=dtype or torch.float32, device=device)


def sampling_table(sampling: ArrayLike | None, n: int) -> Tensor | None:
    """Validate a sampling distribution ``D[x, y] = D(y | x)``: None (uniform) or an ``(n, n)``
    table of finite, non-negative probabilities whose rows sum to 1 (within 1e-6). Returns None
    or the row cumulative sums as a float64 CPU tensor (last column exactly 1)."""
    if sampling is None:
        return None
    d = torch.as_tensor(sampling, dtype=torch.float64, device="cpu")
    if d.shape != (n, n):
        raise ParameterError(
            f"The 'sampling' parameter must be an ({n}, {n}) table D(y | x). Got shape {tuple(d.shape)} instead."
        )
    if not bool(torch.isfinite(d).all()) or bool((d < 0).any()):
        raise ParameterError(
            "The 'sampling' parameter must hold finite probabilities >= 0. Got negative or non-finite entries."
        )
    sums = d.sum(dim=1)
    if float((sums - 1.0).abs().max()) > 1e-6:
        raise ParameterError(
            f"The 'sampling' parameter must have rows summing to 1. Got row sums {sums.tolist()} instead."
        )
    cdf = torch.cumsum(d / sums[:, None], dim=1)
    cdf[:, -1] = 1.0
    return cdf


def _draw_responses(cdf: Tensor, x: Tensor, g: torch.Generator, device: DeviceLike) -> Tensor:
    """``y ~ D(. | x)`` by inverse CDF: ``x + u`` searched in the flattened ``x + cdf[x, :]``,
    which is non-decreasing over all cells, so one ``searchsorted`` serves every prompt."""
    n = cdf.shape[0]
    offsets = (torch.arange(n, dtype=torch.float64)[:, None] + cdf).reshape(-1).to(device)
    u = torch.rand(x.shape, generator=g, device=device, dtype=torch.float64)
    flat = torch.searchsorted(offsets, x.to(torch.float64) + u, right=True)
    return (flat.clamp_max(n * n - 1) - x * n).clamp(0, n - 1)


def _draw_pairs(
    env: SyntheticEnvironment,
    n: int,
    g: torch.Generator,
    device: DeviceLike,
    cdf: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    x = torch.randint(env.n, (n,), generator=g, device=device)
    if cdf is not None:
        return x, _draw_responses(cdf, x, g, device), _draw_responses(cdf, x, g, device)
    y1 = torch.randint(env.n, (n,), generator=g, device=device)
    y2 = torch.randint(env.n, (n,), generator=g, device=device)
    return x, y1, y2


def _draw_types(
    env: SyntheticEnvironment, n: int, g: torch.Generator, device: DeviceLike
) -> Tensor:
    w = torch.as_tensor(env.weights, dtype=torch.float64, device=device)
    return torch.multinomial(w, n, replacement=True, generator=g)


def _bernoulli(p: Tensor, g: torch.Generator) -> Tensor:
    return (torch.rand(p.shape, generator=g, device=p.device, dtype=p.dtype) < p).to(torch.float32)


def sample_anonymous(
    env: SyntheticEnvironment,
    n_pairs: int,
    generator: GeneratorLike = None,
    device: DeviceLike = "cpu",
    sampling: ArrayLike | None = None,
) -> PreferencePairs:
    """Anonymous data: each pair labelled by one annotator of a random type ``u ~ p(u)`` (Eq. 8).

    Parameters
    ----------
    env : SyntheticEnvironment
    n_pairs : int
    generator : torch.Generator or int
        Source of randomness (an int seeds a fresh generator; None means seed 0).
    device : str or torch.device
    sampling : array-like of shape (n, n), optional
        ``D(y | x)``, the distribution both responses are drawn from (uniform when None).

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
    cdf = sampling_table(sampling, env.n)
    table = win_table(env, device)
    x, y1, y2 = _draw_pairs(env, n, g, device, cdf)
    types = _draw_types(env, n, g, device)
    labels = _bernoulli(table[types, x, y1, y2], g)
    return PreferencePairs(x, y1, y2, labels, types)


def sample_all_types(
    env: SyntheticEnvironment,
    n_pairs: int,
    generator: GeneratorLike = None,
    device: DeviceLike = "cpu",
    sampling: ArrayLike | None = None,
) -> PreferencePairs:
    """Maximum-information data (Section 6): every pair labelled once by each type.

    Returns :class:`PreferencePairs` with ``labels`` of shape ``(N, n_types)``.
    """
    n = _check_count(n_pairs, "sample_all_types")
    g = _generator(generator, device)
    cdf = sampling_table(sampling, env.n)
    table = win_table(env, device)
    x, y1, y2 = _draw_pairs(env, n, g, device, cdf)
    p = table[:, x, y1, y2].T  # (N, n_types)
    return PreferencePairs(x, y1, y2, _bernoulli(p.contiguous(), g), None)


def sample_paired(
    env: SyntheticEnvironment,
    n_pairs: int,
    generator: GeneratorLike = None,
    device: DeviceLike = "cpu",
    sampling: ArrayLike | None = None,
) -> PairedPreferences:
    """Paired data (Section 5.3): two independent pairs, both labelled by one annotator of a
    random type, the input of the joint-likelihood model (Lemma 5.3)."""
    n = _check_count(n_pairs, "sample_paired")
    g = _generator(generator, device)
    cdf = sampling_table(sampling, env.n)
    table = win_table(env, device)
    types = _draw_types(env, n, g, device)
    x, y1, y2 = _draw_pairs(env, n, g, device, cdf)
    xb, y1b, y2b = _draw_pairs(env, n, g, device, cdf)
    o = _bernoulli(table[types, x, y1, y2], g)
    ob = _bernoulli(table[types, xb, y1b, y2b], g)
    return PairedPreferences(
        PreferencePairs(x, y1, y2, o, types), PreferencePairs(xb, y1b, y2b, ob, types), types
    )


def consensus_probability(win_probs: Tensor) -> Tensor:
    """``Pr(o = 1 | all types agree) = prod z / (prod z + prod (1 - z))`` over the last axis,
    computed in log space; for Bradley-Terry it equals ``sigma(sum_u Delta r_u)``
    (proof of Prop. 6.1)."""
    z = win_probs.to(torch.float64).clamp(1e-300, 1.0)
    one_minus = (1.0 - win_probs.to(torch.float64)).clamp(1e-300, 1.0)
    return torch.sigmoid(torch.log(z).sum(-1) - torch.log(one_minus).sum(-1))


def sample_consensus(
    env: SyntheticEnvironment,
    n_pairs: int,
    generator: GeneratorLike = None,
    device: DeviceLike = "cpu",
    sampling: ArrayLike | None = None,
) -> PreferencePairs:
    """Consensus-conditioned data: the label all types give once they agree (resampling all
    types until consensus, drawn in one step from :func:`consensus_probability`)."""
    n = _check_count(n_pairs, "sample_consensus")
    g = _generator(generator, device)
    cdf = sampling_table(sampling, env.n)
    table = win_table(env, device, dtype=torch.float64)
    x, y1, y2 = _draw_pairs(env, n, g, device, cdf)
    p = consensus_probability(table[:, x, y1, y2].T)
    return PreferencePairs(x, y1, y2, _bernoulli(p, g), None)
