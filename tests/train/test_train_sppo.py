"""The self-play method ``sppo``: its loss and gradient, its fixed point (the NLHF Nash policy),
training toward it, and the experiment's Nash outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from socialpref import pairwise_matrix
from socialpref.targets import nash_policy
from socialpref.train.config import TrainConfig
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.experiment import run_synthetic
from socialpref.train.losses import sppo_loss
from socialpref.train.methods import LossInputs, get_method
from socialpref.train.metrics import kl_divergence
from socialpref.train.runner import train_batched

GRAD_ATOL, GRAD_RTOL = 1e-10, 1e-12  # float64: hand-written gradient against autograd
STATIONARY_ATOL = 1e-12  # float64: the exact expected gradient at the Nash policy
TARGET_ATOL = 1e-12  # the method's target against the core's nash_policy, prompt by prompt
ENV = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
REF = np.random.default_rng(0).dirichlet(np.full(5, 2.0), size=5)  # non-uniform, not circulant
SPPO = get_method("sppo")
# Training on ENV at beta = 0.25, where the Nash policy is far from uniform (KL 0.106).
TRAIN = {"n_pairs": 100_000, "batch_size": 512, "lr": 0.02, "policy": "tabular", "log_every": 10}
TRAIN_BETA = 0.25
# Bound on KL(Nash || trained) after 300 steps: about 5% of the uniform policy's 0.106. The noise
# floor of these settings (lr 0.02, batch 512, binary labels): 0.0012-0.0021 over seeds 0-7.
KL_BOUND = 0.005


def _win(env: SyntheticEnvironment) -> np.ndarray:
    """``Pr(b > a | x)`` as ``[x, a, b]``, types mixed by ``p(u)``."""
    return np.einsum("u,uxab->xab", env.weights, env.win_probabilities())


def _inputs(
    env: SyntheticEnvironment,
    config: TrainConfig,
    log_pi: np.ndarray,
    *,
    soft: bool,
) -> tuple[LossInputs, torch.Tensor, torch.Tensor, np.ndarray]:
    """Every pair ``(x, a, b)`` of the environment as one batch (float64), with its probability
    under uniform prompts and the sampling distribution ``D``, labelled by the exact win
    probability (``soft``; the loss and gradient are linear in the label, so this is their
    expectation) or by random binary labels. ``log_pi`` is the policy's ``(n, n)`` table; the
    inputs carry it as the runner does (``log pi`` with the uniform reference, else ``rho``)."""
    n = env.n
    ref = config.reference_table
    d = config.sampling_table
    d = np.full((n, n), 1.0 / n) if d is None else d
    x, a, b = (t.reshape(-1) for t in np.meshgrid(*(np.arange(n),) * 3, indexing="ij"))
    rho = log_pi if ref is None else log_pi - np.log(ref)
    table = torch.tensor(rho[None], dtype=torch.float64)
    rho1 = table[0, x, a][None].clone().requires_grad_()
    rho2 = table[0, x, b][None].clone().requires_grad_()
    if soft:
        labels = torch.tensor(_win(env)[x, a, b][None])
    else:
        labels = (torch.rand(1, x.size, generator=torch.Generator().manual_seed(1)) < 0.5).double()
    ratio = None
    if ref is not None and not config.draws_from_reference:
        log_ratio = torch.tensor(np.log(ref) - np.log(d))
        ratio = lambda: (log_ratio[x, a][None], log_ratio[x, b][None])  # noqa: E731
    inputs = LossInputs(
        rho1=rho1,
        rho2=rho2,
        labels=labels,
        alpha=None,
        beta=env.beta,
        step=0,
        config=config,
        env=env,
        variance=None,
        table=table,
        runs=torch.arange(1),
        log_sampling_ratio=ratio,
    )
    prob = d[x, a] * d[x, b] / n
    return inputs, torch.tensor(x * n + a), torch.tensor(x * n + b), prob


def _expected_logit_gradient(
    env: SyntheticEnvironment, config: TrainConfig, policy: np.ndarray
) -> np.ndarray:
    """The exact expected gradient of the sppo loss with respect to a tabular policy's logits,
    ``(n, n)``: the hand-written per-pair gradient, averaged over the pairs' distribution with
    the exact labels, then through the softmax (``d rho(y) / d f(y') = 1{y = y'} - pi(y')``)."""
    n = env.n
    inputs, cell1, cell2, prob = _inputs(env, config, np.log(policy), soft=True)
    assert SPPO.grad is not None
    with torch.no_grad():
        g1, g2 = SPPO.grad(inputs)
    weights = torch.tensor(prob)
    grad_rho = torch.zeros(n * n, dtype=torch.float64)
    grad_rho.index_add_(0, cell1, g1[0] * weights)
    grad_rho.index_add_(0, cell2, g2[0] * weights)
    g = grad_rho.numpy().reshape(n, n)
    return g - policy * g.sum(axis=1, keepdims=True)


# --- (a) the loss and its gradient ---------------------------------------------------------------


def test_loss_closed_forms():
    beta = 0.4
    zero = torch.zeros(2, dtype=torch.float64)
    labels = torch.tensor([0.0, 1.0], dtype=torch.float64)
    # at rho = 0 both terms are (1 / (2 beta))^2: the loss is 1 / (4 beta^2) whatever the label
    assert sppo_loss(zero, zero, labels, beta).tolist() == pytest.approx([1 / (4 * beta**2)] * 2)
    # each response's log-ratio at its own target (o - 1/2) / beta: zero loss
    m = (labels - 0.5) / beta
    assert sppo_loss(-m, m, labels, beta).abs().max().item() == 0.0
    # the weight multiplies the loss; one unit off each target costs w
    w = torch.tensor([0.5, 3.0], dtype=torch.float64)
    assert sppo_loss(-m + 1, m + 1, labels, beta, w).tolist() == pytest.approx(w.tolist())
    with pytest.raises(ValueError, match="'beta'"):
        sppo_loss(zero, zero, labels, 0.0)


def test_loss_gradcheck():
    g = torch.Generator().manual_seed(0)
    rho1 = torch.randn(7, generator=g, dtype=torch.float64).requires_grad_()
    rho2 = torch.randn(7, generator=g, dtype=torch.float64).requires_grad_()
    labels = (torch.rand(7, generator=g) < 0.5).double()
    w = torch.rand(7, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: sppo_loss(a, b, labels, 0.7, w), (rho1, rho2))


@pytest.mark.parametrize("pairs_from_reference", [None, True, False])
def test_hand_written_gradient_equals_autograd(pairs_from_reference):
    # None: the uniform reference (the runner passes log pi, the method adds log n); True: pairs
    # from a given reference; False: uniform pairs with a given reference (importance weights
    # carry pi_ref / D).
    reference = None if pairs_from_reference is None else REF
    config = TrainConfig(
        methods=("sppo",), reference=reference, pairs_from_reference=pairs_from_reference
    )
    env = SyntheticEnvironment(**{**ENV.to_dict(), "shifts": (-1, 0, 1), "beta": 0.6})
    logits = np.random.default_rng(3).normal(size=(5, 5))
    log_pi = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    inputs, *_ = _inputs(env, config, log_pi, soft=False)
    assert SPPO.loss is not None and SPPO.grad is not None
    loss = SPPO.loss(inputs)
    want1, want2 = torch.autograd.grad(loss.sum(), [inputs.rho1, inputs.rho2])
    got1, got2 = SPPO.grad(inputs)
    torch.testing.assert_close(got1, want1, rtol=GRAD_RTOL, atol=GRAD_ATOL)
    torch.testing.assert_close(got2, want2, rtol=GRAD_RTOL, atol=GRAD_ATOL)
    assert float(want2.abs().max()) > 0.1


def test_importance_weight_is_the_policy_over_the_sampling_distribution():
    # w = pi(y1) pi(y2) / (D(y1) D(y2)), read off the loss at a label whose targets are known
    config = TrainConfig(methods=("sppo",), reference=REF, pairs_from_reference=False)
    env = SyntheticEnvironment(**{**ENV.to_dict(), "shifts": (-1, 0, 1)})
    policy = np.random.default_rng(4).dirichlet(np.ones(5), size=5)
    inputs, cell1, cell2, _ = _inputs(env, config, np.log(policy), soft=False)
    assert SPPO.loss is not None
    loss = SPPO.loss(inputs)[0].detach().numpy()
    rho1, rho2 = inputs.rho1[0].detach().numpy(), inputs.rho2[0].detach().numpy()
    m = (inputs.labels[0].numpy() - 0.5) / env.beta
    unweighted = 0.5 * ((rho2 - m) ** 2 + (rho1 + m) ** 2)
    p = policy.reshape(-1)
    want = p[cell1.numpy()] * p[cell2.numpy()] * env.n**2  # D uniform
    np.testing.assert_allclose(loss / unweighted, want, rtol=1e-12)


# --- the fixed point: the expected gradient vanishes exactly at the Nash policy -------------------


@pytest.mark.parametrize(
    ("beta", "reference", "pairs_from_reference"),
    [(1.0, None, None), (0.25, None, None), (0.5, REF, True), (0.5, REF, False)],
)
def test_expected_gradient_vanishes_at_the_nash_policy(beta, reference, pairs_from_reference):
    env = SyntheticEnvironment(**{**ENV.to_dict(), "shifts": (-1, 0, 1), "beta": beta})
    config = TrainConfig(
        methods=("sppo",), reference=reference, pairs_from_reference=pairs_from_reference
    )
    nash = SPPO.target(env, config, None)
    stationary = _expected_logit_gradient(env, config, nash)
    assert np.abs(stationary).max() < STATIONARY_ATOL
    # ... and not at DPO's limit, NBC's order, nor at the reference
    for other in (
        env.dpo_limit_policy(config.reference_table, config.sampling_table),
        np.full((5, 5), 0.2) if reference is None else REF,
    ):
        assert np.abs(_expected_logit_gradient(env, config, other)).max() > 1e-3


@settings(max_examples=25)
@given(
    rates=st.lists(st.floats(0.05, 0.6), min_size=3, max_size=3),
    scales=st.lists(st.floats(0.0, 10.0), min_size=3, max_size=3),
    weights=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
    beta=st.floats(0.05, 4.0),
)
def test_expected_gradient_vanishes_at_the_nash_policy_of_any_environment(
    rates, scales, weights, beta
):
    env = SyntheticEnvironment(
        n=4,
        shifts=(-1, 0, 2),
        rates=tuple(rates),
        scales=tuple(scales),
        type_weights=tuple(w / sum(weights) for w in weights),
        beta=beta,
    )
    config = TrainConfig(methods=("sppo",))
    nash = SPPO.target(env, config, None)
    # scale: the gradient is (2 / beta) C g, with g of order 1
    assert np.abs(_expected_logit_gradient(env, config, nash)).max() < 1e-10 / beta


# --- (c) the target is the core's Nash policy of each prompt's pairwise matrix -------------------


@pytest.mark.parametrize(("beta", "reference"), [(1.0, None), (0.5, REF), (0.1, None)])
def test_target_is_the_nash_policy_of_each_prompt(beta, reference):
    env = SyntheticEnvironment(**{**ENV.to_dict(), "shifts": (-1, 0, 1), "beta": beta})
    r = env.rewards()
    for pairs in (True, False):  # the target does not depend on D
        config = TrainConfig(methods=("sppo",), reference=reference, pairs_from_reference=pairs)
        target = SPPO.target(env, config, None)
        for x in range(env.n):
            p = pairwise_matrix(r[:, x], env.weights)
            np.testing.assert_allclose(env.pairwise()[x], p, rtol=0, atol=1e-15)
            mu = None if reference is None else reference[x]
            want = nash_policy(p, beta=beta, reference=mu)
            np.testing.assert_allclose(target[x], want, rtol=0, atol=TARGET_ATOL)
            # the fixed point, independently: pi = mu exp(P pi / beta) / Z
            mu = np.full(env.n, 1 / env.n) if mu is None else mu
            fixed = mu * np.exp(p @ target[x] / beta)
            np.testing.assert_allclose(target[x], fixed / fixed.sum(), rtol=0, atol=1e-12)


def test_pairwise_is_the_transposed_win_table():
    np.testing.assert_allclose(ENV.pairwise(), _win(ENV).transpose(0, 2, 1), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ENV.pairwise() + ENV.pairwise().transpose(0, 2, 1), 1.0, atol=1e-15)


# --- (b) training approaches the Nash policy -----------------------------------------------------


@pytest.fixture(scope="module")
def kl_by_steps():
    """KL(Nash || trained) for 10, 30 and 300 steps (same seed, data and batches), per seed."""
    torch.set_num_threads(1)
    out = {}
    for seed in (0, 1):
        config = TrainConfig(methods=("sppo",), seeds=(seed,), beta=TRAIN_BETA, steps=1, **TRAIN)
        nash = SPPO.target(config.resolve_environment(ENV), config, None)
        out[seed] = [
            kl_divergence(
                nash,
                train_batched(
                    ENV,
                    TrainConfig(
                        methods=("sppo",), seeds=(seed,), beta=TRAIN_BETA, steps=steps, **TRAIN
                    ),
                    "cpu",
                ).policies[0],
            )
            for steps in (10, 30, 300)
        ]
        out[seed].insert(0, kl_divergence(nash, np.full_like(nash, 1 / ENV.n)))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_training_approaches_the_nash_policy(kl_by_steps, seed):
    start, *kls = kl_by_steps[seed]
    assert start == pytest.approx(0.1056, abs=1e-4)  # the tabular policy starts uniform
    assert start > kls[0] > kls[1] > kls[2]
    assert kls[-1] < KL_BOUND


def test_first_loss_and_trained_policy_beside_dpo():
    # Same seed, data and batches: sppo reaches the Nash policy, DPO its own limit, and neither
    # reaches the other's target.
    config = TrainConfig(methods=("sppo", "dpo"), seeds=(2,), beta=TRAIN_BETA, steps=300, **TRAIN)
    out = train_batched(ENV, config, "cpu")
    env = config.resolve_environment(ENV)
    nash, dpo = SPPO.target(env, config, None), env.dpo_limit_policy()
    # the tabular policy starts at the uniform reference: rho = 0, loss 1 / (4 beta^2)
    assert out.losses[0, 0] == pytest.approx(1 / (4 * TRAIN_BETA**2), abs=1e-5)
    assert kl_divergence(nash, out.policies[0]) < KL_BOUND
    assert kl_divergence(nash, out.policies[1]) > 50 * KL_BOUND
    assert kl_divergence(dpo, out.policies[0]) > 50 * KL_BOUND


@pytest.mark.parametrize("pairs_from_reference", [True, False])
def test_training_with_a_reference_approaches_its_nash_policy(pairs_from_reference):
    torch.set_num_threads(1)
    config = TrainConfig(
        methods=("sppo",), seeds=(0,), beta=0.5, reference=REF,
        pairs_from_reference=pairs_from_reference, steps=400, **TRAIN,
    )  # fmt: skip
    out = train_batched(ENV, config, "cpu")
    nash = SPPO.target(config.resolve_environment(ENV), config, None)
    start = kl_divergence(nash, REF)  # the tabular policy starts at pi_ref
    assert kl_divergence(nash, out.policies[0]) < 0.1 * start  # seeds 0-7: 0.011-0.044 of it


def test_mlp_policy_trains_toward_the_nash_policy():
    config = TrainConfig(
        methods=("sppo",), seeds=(0,), beta=TRAIN_BETA, steps=600, n_pairs=100_000,
        batch_size=512, lr=0.01,
    )  # fmt: skip
    out = train_batched(ENV, config, "cpu")
    nash = SPPO.target(config.resolve_environment(ENV), config, None)
    assert kl_divergence(nash, out.policies[0]) < 2 * KL_BOUND


# --- the experiment reports the Nash policy and each run's KL to its own target ------------------


def test_experiment_reports_kl_to_target_and_nash_top_choices():
    config = TrainConfig(
        methods=("dpo", "sppo", "nbc"), seeds=(0, 1), n_pairs=2000, steps=3, batch_size=64
    )
    res = run_synthetic(SyntheticEnvironment(), config, device="cpu")
    env = SyntheticEnvironment()
    for run in res.runs:
        target = get_method(run.method).target(env, config, None)
        assert run.kl_to_target == pytest.approx(kl_divergence(target, run.policy), rel=1e-12)
    payload = res.to_dict()
    summary = {row["method"]: row for row in payload["summary"]}
    for method in ("dpo", "sppo", "nbc"):
        kls = [r["kl_to_target"] for r in payload["runs"] if r["method"] == method]
        assert summary[method]["kl_to_target"] == pytest.approx(np.mean(kls), rel=1e-12)
    # Section 7.2's environment: responses at delta = 0 beat every other one for a majority, so
    # the Nash policy's top choice is NBC's (delta = 0) on every prompt; the average reward's top
    # choices are the types' favourites at delta = +-10.
    tops = payload["top_choices"]
    assert tops["nash"] == [[0]] * 40 and tops["nbc"] == [[0]] * 40
    assert tops["average_reward"] == [[-10, 10]] * 40
    assert payload["nash_top_differs"] == {"nbc": 0, "average_reward": 40}
    nash = env.nash_policy()
    assert payload["nash_profile"] == pytest.approx(nash[0][(np.arange(-20, 20)) % 40].tolist())
    assert math.isclose(sum(payload["nash_profile"]), 1.0)
