"""Batched training: every method moves toward its target; seeds reproduce; runs stay independent."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from socialpref.errors import ParameterError
from socialpref.train.config import BUILTIN_METHODS, TrainConfig
from socialpref.train.device import resolve_device
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.methods import get_method, nbc_win_rates
from socialpref.train.metrics import kl_divergence
from socialpref.train.runner import train_batched
from socialpref.train.samplers import sample_anonymous

# A small environment whose targets are far from uniform (and from each other); equally likely
# types, as Section 6's consistent losses assume.
ENV = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
SMALL = {
    "n_pairs": 100_000,
    "steps": 300,
    "batch_size": 512,
    "lr": 0.05,
    "policy": "tabular",
    "log_every": 10,
}


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    config = TrainConfig(
        methods=BUILTIN_METHODS,
        alphas=(1.0,),
        seeds=(0,),
        reward_steps=300,
        reward_lr=0.1,
        warmup_steps=100,
        **SMALL,
    )
    return config, train_batched(ENV, config, "cpu")


@pytest.mark.parametrize("method", BUILTIN_METHODS)
def test_each_method_moves_toward_its_target(trained, method):
    # Each method's target is its exact infinite-data policy from the method table (corrected:
    # the global optimum of Eq. 14-16 with the exact variance).
    config, trained = trained
    k = [r.method for r in trained.runs].index(method)
    target = get_method(method).target(ENV, config, trained.runs[k].alpha)
    uniform = np.full_like(target, 1.0 / ENV.n)
    before, after = kl_divergence(target, uniform), kl_divergence(target, trained.policies[k])
    assert after < 0.25 * before, (method, before, after)
    assert np.allclose(trained.policies[k].sum(axis=1), 1.0)
    if method != "nbc":
        assert np.all(np.isfinite(trained.losses[k]))


def test_first_dpo_step_loss_is_ln2(trained):
    _, trained = trained
    k = [r.method for r in trained.runs].index("dpo")
    # Tabular logits start at zero: the policy equals the uniform reference.
    assert trained.losses[k, 0] == pytest.approx(math.log(2.0), abs=1e-6)
    assert trained.losses[k, -1] < trained.losses[k, 0]


def test_consistent_beats_dpo_on_kl_to_optimal(trained):
    _, trained = trained
    names = [r.method for r in trained.runs]
    opt = ENV.optimal_policy()
    kl = {
        m: kl_divergence(opt, trained.policies[names.index(m)])
        for m in ("dpo", "consistent", "reward-average")
    }
    assert kl["consistent"] < 0.5 * kl["dpo"]
    assert kl["reward-average"] < 0.5 * kl["dpo"]


def test_correction_moves_dpo_toward_optimal():
    # Same seed, data and initial weights; after the warm-up the correction moves mass toward pi*.
    config = TrainConfig(
        methods=("dpo", "corrected"), alphas=(4.0,), seeds=(1,), warmup_steps=150, **SMALL
    )
    out = train_batched(ENV, config, "cpu")
    opt = ENV.optimal_policy()
    kl_dpo, kl_corr = (kl_divergence(opt, out.policies[k]) for k in range(2))
    assert kl_corr < kl_dpo


def test_seeds_reproduce_and_runs_are_independent():
    base = {**SMALL, "steps": 60}
    one = train_batched(ENV, TrainConfig(methods=("dpo",), seeds=(3,), **base), "cpu")
    again = train_batched(ENV, TrainConfig(methods=("dpo",), seeds=(3,), **base), "cpu")
    assert np.array_equal(one.policies, again.policies)
    batch = train_batched(
        ENV, TrainConfig(methods=("consistent", "dpo"), seeds=(2, 3), **base), "cpu"
    )
    k = [(r.method, r.seed) for r in batch.runs].index(("dpo", 3))
    assert np.allclose(batch.policies[k], one.policies[0], atol=1e-6)
    other = train_batched(ENV, TrainConfig(methods=("dpo",), seeds=(4,), **base), "cpu")
    assert not np.allclose(other.policies[0], one.policies[0])


def test_mlp_policy_trains_and_reproduces():
    config = TrainConfig(
        methods=("dpo",), seeds=(0,), n_pairs=5000, steps=40, batch_size=128, lr=1e-2
    )
    a = train_batched(ENV, config, "cpu")
    b = train_batched(ENV, config, "cpu")
    assert np.array_equal(a.policies, b.policies)
    assert a.losses[0, -1] < a.losses[0, 0]


def test_nbc_win_rates_estimate_nbc():
    data = sample_anonymous(ENV, 400_000, generator=0)
    rates = nbc_win_rates(data, ENV.n).numpy()
    # Each (x, y) appears about 2 * 400k / n^2 times: a 5-sigma band on a frequency.
    assert np.max(np.abs(rates - ENV.nbc())) < 5 * 0.5 / math.sqrt(400_000 * 2 / ENV.n**2)


def test_config_validation_and_device():
    with pytest.raises(ParameterError, match=r"'methods'.*'dpo'"):
        TrainConfig(methods=("ppo",))
    with pytest.raises(ValueError, match="'alphas'"):
        TrainConfig(methods=("corrected",), alphas=(-1.0,))
    with pytest.raises(ValueError, match="'steps'"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="'policy'"):
        TrainConfig(policy="transformer")
    assert TrainConfig(steps=10_000).warmup == 8000
    assert str(resolve_device("cpu")) == "cpu"
    with pytest.raises(ValueError, match="'device'"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            resolve_device("cuda")
        assert str(resolve_device("auto")) == "cpu"
    runs = TrainConfig(methods=("dpo", "corrected"), alphas=(1.0, 2.0), seeds=(0, 1)).runs()
    assert [(r.method, r.alpha, r.seed) for r in runs] == [
        ("dpo", None, 0),
        ("dpo", None, 1),
        ("corrected", 1.0, 0),
        ("corrected", 1.0, 1),
        ("corrected", 2.0, 0),
        ("corrected", 2.0, 1),
    ]


def test_consistent_losses_refuse_unequal_type_weights():
    env = SyntheticEnvironment(
        n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0),
        type_weights=(0.6, 0.2, 0.2),
    )  # fmt: skip
    for method in ("consistent", "consistent-b3"):
        config = TrainConfig(methods=(method,), seeds=(0,), **{**SMALL, "steps": 1})
        with pytest.raises(ValueError, match="equally represented"):
            train_batched(env, config, device="cpu")
    # the other methods accept any type weights
    out = train_batched(
        env, TrainConfig(methods=("dpo",), seeds=(0,), **{**SMALL, "steps": 1}), "cpu"
    )
    assert len(out.runs) == 1
