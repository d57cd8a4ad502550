"""Samplers: empirical frequencies against the exact probabilities, seeds, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from scipy.special import expit

from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.samplers import (
    consensus_probability,
    sample_all_types,
    sample_anonymous,
    sample_consensus,
    sample_paired,
)

ENV = SyntheticEnvironment(
    n=4,
    shifts=(-1, 0, 1),
    rates=(0.3, 0.4, 0.3),
    scales=(3.0, 1.5, 3.0),
    type_weights=(0.5, 0.3, 0.2),
)
N = 200_000


# Binomial standard error of a frequency from m draws is at most 0.5 / sqrt(m); 5 sigma.
def _tol(m):
    return 5 * 0.5 / np.sqrt(m)


def test_anonymous_frequencies_match_eq8():
    data = sample_anonymous(ENV, N, generator=1)
    p = ENV.win_probabilities()
    mix = np.tensordot(ENV.weights, p, axes=1)  # Eq. (8): E_u sigma(Delta r_u)
    types = np.bincount(data.types.numpy(), minlength=3) / N
    assert np.allclose(types, ENV.weights, atol=_tol(N))
    x, y1, y2, o = (t.numpy() for t in (data.x, data.y1, data.y2, data.labels))
    assert np.allclose(np.bincount(x, minlength=4) / N, 0.25, atol=_tol(N))
    assert np.allclose(np.bincount(y2, minlength=4) / N, 0.25, atol=_tol(N))
    cells = x * 16 + y1 * 4 + y2
    counts = np.bincount(cells, minlength=64)
    freq = np.bincount(cells, weights=o, minlength=64) / np.maximum(counts, 1)
    assert np.all(np.abs(freq - mix.reshape(-1)) < _tol(counts.min()))
    # Conditionally on the hidden type, the label follows that type's BT probability.
    t = data.types.numpy()
    sel = t == 2
    assert abs(o[sel].mean() - p[2][x[sel], y1[sel], y2[sel]].mean()) < _tol(sel.sum())


def test_all_types_frequencies():
    data = sample_all_types(ENV, N, generator=2)
    p = ENV.win_probabilities()
    x, y1, y2 = (t.numpy() for t in (data.x, data.y1, data.y2))
    labels = data.labels.numpy()
    assert labels.shape == (N, 3)
    for u in range(3):
        assert abs(labels[:, u].mean() - p[u][x, y1, y2].mean()) < _tol(N)
        sel = (x == 1) & (y1 == 0) & (y2 == 2)
        assert abs(labels[sel, u].mean() - p[u, 1, 0, 2]) < _tol(sel.sum())


def test_paired_labels_share_an_annotator():
    env = SyntheticEnvironment(n=3, shifts=(-1, 1), rates=(0.5, 0.5), scales=(6.0, 6.0))
    data = sample_paired(env, N, generator=3)
    p = env.win_probabilities()
    a, b = data.first, data.second
    cell_a = (a.x * 9 + a.y1 * 3 + a.y2).numpy()
    cell_b = (b.x * 9 + b.y1 * 3 + b.y2).numpy()
    same = cell_a == cell_b
    pa = p[:, a.x.numpy(), a.y1.numpy(), a.y2.numpy()][:, same]
    oo = (a.labels * b.labels).numpy()[same]
    # Same annotator: E[o o'] = E_u[sigma_u^2] on a repeated pair (Section 5.3), not E_u[sigma]^2.
    joint = (env.weights[:, None] * pa**2).sum(0).mean()
    independent = ((env.weights[:, None] * pa).sum(0) ** 2).mean()
    assert abs(oo.mean() - joint) < _tol(same.sum())
    assert joint - independent > 2 * _tol(same.sum())  # exact gap, so the check above discriminates
    assert torch.equal(a.types, data.types)
    pall = p[:, a.x.numpy(), a.y1.numpy(), a.y2.numpy()]
    pb = p[:, b.x.numpy(), b.y1.numpy(), b.y2.numpy()]
    assert abs(
        (a.labels * b.labels).numpy().mean() - (env.weights[:, None] * pall * pb).sum(0).mean()
    ) < _tol(N)


def test_consensus_probability_is_bt_on_the_sum():
    r = ENV.rewards()
    p = torch.as_tensor(ENV.win_probabilities())
    got = consensus_probability(p[:, 2, 1, 3][None, :])
    assert float(got[0]) == pytest.approx(float(expit((r[:, 2, 3] - r[:, 2, 1]).sum())), rel=1e-12)
    data = sample_consensus(ENV, N, generator=4)
    x, y1, y2 = (t.numpy() for t in (data.x, data.y1, data.y2))
    expected = consensus_probability(p[:, x, y1, y2].T).numpy()
    assert abs(data.labels.numpy().mean() - expected.mean()) < _tol(N)


def test_seeds_reproduce_and_differ():
    a = sample_anonymous(ENV, 1000, generator=torch.Generator().manual_seed(5))
    b = sample_anonymous(ENV, 1000, generator=5)
    c = sample_anonymous(ENV, 1000, generator=6)
    assert torch.equal(a.labels, b.labels) and torch.equal(a.x, b.x)
    assert not torch.equal(a.x, c.x)


def test_500k_pairs_well_under_a_second():
    env = SyntheticEnvironment()
    sample_anonymous(env, 1000, generator=0)
    start = time.perf_counter()
    data = sample_anonymous(env, 500_000, generator=0)
    elapsed = time.perf_counter() - start
    assert len(data) == 500_000
    assert elapsed < 0.5


def test_sampler_validation():
    with pytest.raises(ValueError, match="'n_pairs'"):
        sample_anonymous(ENV, 0)
    with pytest.raises(ValueError, match="'generator'"):
        sample_paired(ENV, 10, generator="seed")
