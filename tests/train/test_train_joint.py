"""The joint-likelihood model J of Lemma 5.3 as a general MLP: accuracy against the exact
moments of the environment, the variance estimate, batching over runs, seeds, runner and config."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from socialpref.train.config import TrainConfig
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.models import (
    BatchedJointMLP,
    BatchedJointModel,
    make_joint_model,
)
from socialpref.train.runner import train_batched
from socialpref.train.samplers import sample_paired

# The runner tests' small environment: 5 prompts x 5 responses, three equally likely types.
ENV = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
N_PAIRS = 200_000
STEPS = 2000
BATCH = 1024
LR = 1e-2
SEEDS = [0]
# Tolerances on mean absolute errors over every (x, a, b) (J1, J2, Var) or over held-out paired
# rows (J). Measured with these settings (torch 2.x, CPU): J 0.05, J1 0.07, J2 0.04, Var 0.04 with
# correlation 0.75-0.8 with the exact Var; the exact J lies in [0, 1] (mean about 0.25) and the
# exact Var_u[sigma] averages 0.093, so the trivial estimate V = 0 is off by 0.093 on average.
# The binary labels o * o' are the bottleneck: fitted to the exact J as soft labels, the same MLP
# reaches a Var error of 0.015.
ATOL_J = 0.1
ATOL_VAR = 0.06
MIN_CORR_VAR = 0.6


def _cells(pairs):
    n = ENV.n
    return pairs.x * n + pairs.y1, pairs.x * n + pairs.y2


def _exact_moments():
    """Exact ``E_u[sigma]``-moments from the reward tables: ``P[u, x, a, b]``, ``J1``, ``J2`` and
    ``Var_u[sigma]`` over every ``(x, a, b)``."""
    p = torch.as_tensor(ENV.win_probabilities(), dtype=torch.float64)
    w = torch.as_tensor(ENV.weights, dtype=torch.float64)[:, None, None, None]
    j_same = (w * p * p).sum(0)
    j_swapped = (w * p * (1.0 - p)).sum(0)
    var = j_same - (w * p).sum(0) ** 2
    return p, j_same, j_swapped, var


def _all_cells(n_models):
    n = ENV.n
    x, a, b = torch.meshgrid(*(torch.arange(n),) * 3, indexing="ij")
    cell_a = (x * n + a).reshape(1, -1).expand(n_models, -1)
    cell_b = (x * n + b).reshape(1, -1).expand(n_models, -1)
    return cell_a, cell_b


def _fit_mlp_joint():
    """Two stacked MLP J's trained on paired data as the runner trains them (cross-entropy on
    ``o * o'``, Adam, the sum of per-model mean losses)."""
    data = sample_paired(ENV, N_PAIRS, torch.Generator().manual_seed(2))
    c1, c2 = _cells(data.first)
    d1, d2 = _cells(data.second)
    label = data.first.labels * data.second.labels
    joint = BatchedJointMLP(ENV.n, SEEDS)
    opt = torch.optim.Adam(joint.parameters(), lr=LR)
    g = torch.Generator().manual_seed(5)
    for _ in range(STEPS):
        idx = torch.randint(N_PAIRS, (len(SEEDS), BATCH), generator=g)
        loss = joint.nll(c1[idx], c2[idx], d1[idx], d2[idx], label[idx]).mean(dim=-1).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return joint


@pytest.fixture(scope="module")
def fitted():
    torch.set_num_threads(1)
    return _fit_mlp_joint()


@pytest.mark.slow
def test_mlp_joint_estimates_exact_joint_probability(fitted):
    # Fresh paired rows (another seed): J against E_u[sigma_u(x, a, b) sigma_u(x', a', b')].
    p, j_same, j_swapped, _ = _exact_moments()
    held = sample_paired(ENV, 20_000, torch.Generator().manual_seed(99))
    f, s = held.first, held.second
    w = torch.as_tensor(ENV.weights, dtype=torch.float64)[:, None]
    exact = (w * p[:, f.x, f.y1, f.y2] * p[:, s.x, s.y1, s.y2]).sum(0)
    c1, c2 = _cells(f)
    d1, d2 = _cells(s)
    stack = [t.expand(len(SEEDS), -1) for t in (c1[None], c2[None], d1[None], d2[None])]
    with torch.no_grad():
        est = fitted.log_joint(*stack).exp().double()
        cell_a, cell_b = _all_cells(len(SEEDS))
        est_same = fitted.log_joint(cell_a, cell_b, cell_a, cell_b).exp().double()
        est_swapped = fitted.log_joint(cell_a, cell_b, cell_b, cell_a).exp().double()
    for k in range(len(SEEDS)):
        assert (est[k] - exact).abs().mean() < ATOL_J
        # The diagonal J1 = J(l,w,l,w) and J2 = J(l,w,w,l) of Lemma 5.3.
        assert (est_same[k] - j_same.reshape(-1)).abs().mean() < ATOL_J
        assert (est_swapped[k] - j_swapped.reshape(-1)).abs().mean() < ATOL_J


@pytest.mark.slow
def test_mlp_joint_variance_is_nonnegative_and_close_to_exact(fitted):
    _, _, _, var = _exact_moments()
    cell_a, cell_b = _all_cells(len(SEEDS))
    with torch.no_grad():
        est = fitted.variance(cell_a, cell_b).double()
    assert est.shape == (len(SEEDS), ENV.n**3)
    assert torch.all(est >= 0.0)
    for k in range(len(SEEDS)):
        err = (est[k] - var.reshape(-1)).abs().mean()
        assert err < ATOL_VAR
        assert err < 0.65 * var.mean()  # well below the error of V = 0
        corr = torch.corrcoef(torch.stack([est[k], var.reshape(-1)]))[0, 1]
        assert corr > MIN_CORR_VAR


def test_mlp_joint_shapes_and_runs_are_independent():
    joint = BatchedJointMLP(ENV.n, [3, 4, 5], hidden=8, layers=3)
    assert [tuple(t.shape) for t in joint.weights][:4] == [(3, 30, 8), (3, 8), (3, 8, 8), (3, 8)]
    g = torch.Generator().manual_seed(0)
    x = torch.randint(ENV.n, (3, 7), generator=g)
    a = x * ENV.n + torch.randint(ENV.n, (3, 7), generator=g)
    b = x * ENV.n + torch.randint(ENV.n, (3, 7), generator=g)
    full = joint.logit(a, b, b, a)
    assert full.shape == (3, 7)
    # ``rows`` picks stacked models: rows (2, 0) on their batches give the same as all rows.
    rows = torch.tensor([2, 0])
    picked = joint.logit(a[[2, 0]], b[[2, 0]], b[[2, 0]], a[[2, 0]], rows)
    assert torch.allclose(picked, full[[2, 0]], atol=1e-6)
    # A model alone equals the same seed inside a stack.
    alone = BatchedJointMLP(ENV.n, [4], hidden=8, layers=3)
    assert torch.allclose(alone.logit(a[1:2], b[1:2], b[1:2], a[1:2]), full[1:2], atol=1e-6)
    # Run 0's loss moves no parameter of runs 1 and 2.
    joint.nll(a, b, b, a, torch.ones(3, 7))[0].sum().backward()
    for t in joint.weights:
        assert t.grad is not None
        assert torch.all(t.grad[1:] == 0) and torch.any(t.grad[0] != 0)
    v = joint.variance(a, b)
    assert v.shape == (3, 7) and torch.all(v >= 0)


def test_mlp_joint_seeds_reproduce():
    one, again, other = (BatchedJointMLP(ENV.n, [s]) for s in (7, 7, 8))
    for p, q, r in zip(one.weights, again.weights, other.weights, strict=True):
        assert torch.equal(p, q) and not torch.equal(p, r)


def test_make_joint_model_and_config_choice():
    assert isinstance(make_joint_model("mixture", 5, [0]), BatchedJointModel)
    assert isinstance(make_joint_model("mlp", 5, [0], hidden=4), BatchedJointMLP)
    with pytest.raises(ValueError, match="'joint'"):
        make_joint_model("gp", 5, [0])
    with pytest.raises(ValueError, match="'joint'"):
        TrainConfig(joint="gp")
    with pytest.raises(ValueError, match="'joint_hidden'"):
        TrainConfig(joint_hidden=0)
    assert TrainConfig().joint == "mixture"
    assert TrainConfig(joint="mlp").to_dict()["joint"] == "mlp"


def test_runner_with_mlp_joint_reproduces():
    config = TrainConfig(
        methods=("corrected",),
        alphas=(2.0,),
        seeds=(0, 1),
        n_pairs=5000,
        steps=40,
        batch_size=128,
        lr=0.05,
        policy="tabular",
        warmup_steps=20,
        joint="mlp",
        joint_hidden=16,
    )
    a = train_batched(ENV, config, "cpu")
    b = train_batched(ENV, config, "cpu")
    assert np.array_equal(a.policies, b.policies)
    assert np.all(np.isfinite(a.losses))
    assert a.joint_variance is not None and a.joint_variance.shape == (2, ENV.n, ENV.n, ENV.n)
    assert np.array_equal(a.joint_variance, b.joint_variance)
    assert np.all(a.joint_variance >= 0)
    mixture = train_batched(ENV, replace(config, joint="mixture"), "cpu")
    # Same data and policy initialisation: only the correction after the warm-up differs.
    assert not np.array_equal(mixture.policies, a.policies)
    assert mixture.losses[0, 0] == a.losses[0, 0]
