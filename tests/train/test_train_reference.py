"""A given reference policy pi_ref and beta != 1: log-ratios (Eq. 15), samplers from D, exact targets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from socialpref import dpo_limit_policy, optimal_policy
from socialpref.train.config import TrainConfig
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.limits import corrected_population_policy
from socialpref.train.methods import nbc_win_rates
from socialpref.train.metrics import kl_divergence, policy_metrics
from socialpref.train.models import BatchedPolicy
from socialpref.train.runner import train_batched
from socialpref.train.samplers import sample_all_types, sample_anonymous, sample_paired

ATOL = 1e-9  # exact targets against the core
LN2_ATOL = 1e-6  # float32 log-ratios at initialisation

BETA = 0.5
# One BT type: DPO's infinite-data limit is pi* for any D with full support.
SINGLE = SyntheticEnvironment(n=5, shifts=(0,), rates=(0.4,), scales=(3.0,))
MIXED = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
REF = np.random.default_rng(0).dirichlet(np.full(5, 2.0), size=5)  # non-uniform, not circulant
SMALL = {
    "n_pairs": 100_000,
    "steps": 400,
    "batch_size": 512,
    "lr": 0.05,
    "policy": "tabular",
    "log_every": 10,
}


def _core_optimal(env: SyntheticEnvironment, beta: float, ref) -> np.ndarray:
    r = env.rewards()
    return np.stack(
        [
            optimal_policy(r[:, x], env.weights, beta, None if ref is None else ref[x])
            for x in range(env.n)
        ]
    )


@pytest.fixture(scope="module")
def dpo_runs():
    """DPO with pi_ref = REF and beta = 0.5, pairs drawn from pi_ref (True) or uniformly (False)."""
    torch.set_num_threads(1)
    out = {}
    for pairs in (True, False):
        config = TrainConfig(
            methods=("dpo",), seeds=(0,), beta=BETA, reference=REF, pairs_from_reference=pairs,
            **SMALL,
        )  # fmt: skip
        out[pairs] = train_batched(SINGLE, config, "cpu")
    return out


@pytest.mark.parametrize("pairs_from_reference", [True, False])
def test_dpo_trains_toward_core_optimal_with_reference_and_beta(dpo_runs, pairs_from_reference):
    out = dpo_runs[pairs_from_reference]
    target = _core_optimal(SINGLE, BETA, REF)
    learned = out.policies[0]
    start = kl_divergence(target, REF)  # the policy starts at pi_ref
    assert kl_divergence(target, learned) < 0.02 * start
    # It is this reference's and this beta's pi*, not the uniform-reference or beta = 1 one.
    for other in (_core_optimal(SINGLE, BETA, None), _core_optimal(SINGLE, 1.0, REF)):
        assert kl_divergence(target, learned) < 0.1 * kl_divergence(other, learned)
    assert np.allclose(learned.sum(axis=1), 1.0)


def test_first_dpo_step_loss_is_ln2_at_the_reference(dpo_runs):
    for out in dpo_runs.values():
        assert out.losses[0, 0] == pytest.approx(math.log(2.0), abs=LN2_ATOL)
        assert out.losses[0, -1] < out.losses[0, 0]
    log_ref = torch.as_tensor(np.log(REF), dtype=torch.float32)
    for kind in ("tabular", "mlp"):
        policy = BatchedPolicy(5, [0, 1], kind, log_reference=log_ref)
        probs = policy.log_probs().exp().detach().numpy()
        assert np.allclose(probs.sum(-1), 1.0, atol=1e-6)
        if kind == "tabular":  # zero logits on top of log pi_ref: exactly pi_ref
            assert np.allclose(probs, REF[None], atol=1e-6)


def test_every_method_runs_with_a_reference():
    config = TrainConfig(
        methods=("dpo", "ipo", "corrected", "consistent", "consistent-b3", "nbc", "reward-average"),
        seeds=(0,), beta=2.0, reference=REF, warmup_steps=5, reward_steps=5,
        **{**SMALL, "n_pairs": 2000, "steps": 10, "batch_size": 32},
    )  # fmt: skip
    out = train_batched(MIXED, config, "cpu")
    assert np.all(np.isfinite(out.policies)) and np.allclose(out.policies.sum(-1), 1.0)
    names = [r.method for r in out.runs]
    # DPO-type losses start at ln 2 (corrected is plain DPO during its warm-up).
    for method in ("dpo", "corrected", "reward-average"):
        assert out.losses[names.index(method), 0] == pytest.approx(math.log(2.0), abs=LN2_ATOL)
    # IPO starts at (0 - 1 / (2 beta))^2.
    assert out.losses[names.index("ipo"), 0] == pytest.approx(0.0625, abs=1e-6)


def test_uniform_reference_is_the_default_path():
    base = {**SMALL, "steps": 30, "n_pairs": 5000}
    plain = train_batched(MIXED, TrainConfig(methods=("dpo",), **base), "cpu")
    named = train_batched(
        MIXED,
        TrainConfig(methods=("dpo",), reference="uniform", pairs_from_reference=True, **base),
        "cpu",
    )
    assert np.array_equal(plain.policies, named.policies)
    same_beta = train_batched(MIXED, TrainConfig(methods=("dpo",), beta=1.0, **base), "cpu")
    assert np.array_equal(plain.policies, same_beta.policies)
    d = TrainConfig().to_dict()
    assert d["reference"] == "uniform" and d["pairs_from_reference"] is False and d["beta"] is None


def test_config_beta_replaces_the_environment_beta():
    config = TrainConfig(beta=0.25, reference=REF)
    env = config.resolve_environment(SINGLE)
    assert env.beta == 0.25 and SINGLE.beta == 1.0
    assert TrainConfig().resolve_environment(SINGLE) is SINGLE
    assert config.draws_from_reference and np.allclose(config.sampling_table, REF)
    assert TrainConfig(reference=REF, pairs_from_reference=False).sampling_table is None
    d = config.to_dict()
    assert d["reference"]["shape"] == [5, 5] and len(d["reference"]["table_sha256"]) == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta": 0.0}, "'beta'"),
        ({"beta": -1.0}, "'beta'"),
        ({"beta": float("nan")}, "'beta'"),
        ({"beta": True}, "'beta'"),
        ({"reference": "softmax"}, "'reference'"),
        ({"reference": [0.5, 0.5]}, "'reference'"),
        ({"reference": [[0.5, 0.6], [0.5, 0.5]]}, "'reference'.*summing to 1"),
        ({"reference": [[1.0, 0.0], [0.5, 0.5]]}, "'reference'.*strictly positive"),
        ({"reference": [[1.5, -0.5], [0.5, 0.5]]}, "'reference'.*strictly positive"),
        ({"reference": [[np.nan, 0.5], [0.5, 0.5]]}, "'reference'"),
        ({"reference": [[0.5, 0.5], [0.5]]}, "'reference'"),
        ({"reference": {"a": 1}}, "'reference'"),
        ({"pairs_from_reference": "yes"}, "'pairs_from_reference'"),
    ],
)
def test_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_reference_shape_must_match_the_environment():
    config = TrainConfig(methods=("dpo",), reference=np.full((4, 4), 0.25), **{**SMALL, "steps": 1})
    with pytest.raises(ValueError, match=r"'reference'.*\(5, 5\)"):
        train_batched(SINGLE, config, "cpu")
    assert TrainConfig(reference=np.full((5, 5), 0.2 + 1e-8)).reference_table.sum(
        1
    ) == pytest.approx(1.0)


def test_samplers_draw_from_the_sampling_table():
    n_pairs = 200_000
    data = sample_anonymous(MIXED, n_pairs, generator=0, sampling=REF)
    x = data.x.numpy()
    for y in (data.y1.numpy(), data.y2.numpy()):
        freq = np.zeros((5, 5))
        np.add.at(freq, (x, y), 1.0)
        counts = freq.sum(1, keepdims=True)
        freq /= counts
        band = 5 * np.sqrt(REF * (1 - REF) / counts)  # 5-sigma band on a frequency
        assert np.all(np.abs(freq - REF) < band)
    # The tabular NBC estimator estimates NBC under D = pi_ref.
    rates = nbc_win_rates(data, 5).numpy()
    assert np.max(np.abs(rates - MIXED.nbc(REF))) < 0.02
    for draw in (sample_all_types, sample_paired):
        assert len(draw(MIXED, 100, generator=1, sampling=REF)) == 100
    with pytest.raises(ValueError, match="'sampling'"):
        sample_anonymous(MIXED, 10, sampling=np.full((5, 5), 0.3))
    with pytest.raises(ValueError, match="'sampling'"):
        sample_anonymous(MIXED, 10, sampling=np.full((4, 4), 0.25))
    # Without a table the stream is the uniform one, as before.
    a, b = (
        sample_anonymous(MIXED, 50, generator=3),
        sample_anonymous(MIXED, 50, generator=3, sampling=None),
    )
    assert torch.equal(a.y1, b.y1) and torch.equal(a.labels, b.labels)


def test_exact_targets_use_reference_beta_and_sampling():
    env = SyntheticEnvironment(
        n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0), beta=BETA
    )
    r = env.rewards()
    d = np.random.default_rng(1).dirichlet(np.full(5, 5.0), size=5)  # D != pi_ref
    assert np.allclose(env.optimal_policy(REF), _core_optimal(env, BETA, REF), atol=ATOL)
    limit = np.stack([dpo_limit_policy(r[:, x], env.weights, BETA, REF[x], d[x]) for x in range(5)])
    assert np.allclose(env.dpo_limit_policy(REF, d), limit, atol=ATOL)
    assert np.allclose(env.nbc(), MIXED.nbc())  # NBC does not depend on beta
    assert not np.allclose(env.nbc(d), env.nbc())  # but it depends on D
    # corrected DPO at alpha = 0 is DPO: its exact optimum is DPO's limit, for any pi_ref and D.
    for x in (0, 3):
        row = corrected_population_policy(env, 0.0, prompt=x, reference=REF, sampling=d)
        assert np.allclose(row, limit[x], atol=1e-4)  # L-BFGS against Newton
    # IPO's limit: pi_ref exp((NBC_D - 1/2) / beta) / Z.
    logits = np.log(REF) + (env.nbc(d) - 0.5) / BETA
    ipo = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.allclose(env.ipo_limit_policy(REF, d), ipo, atol=ATOL)
    with pytest.raises(ValueError, match="'reference'"):
        env.optimal_policy(np.full((4, 4), 0.25))


def test_metrics_read_orders_from_the_ratio():
    # pi ~ pi_ref exp(s) with s strictly ordered over delta = y - x: the ratio pi / pi_ref has
    # s's order in every prompt, pi itself (distorted by pi_ref) does not.
    s = (np.arange(5)[None, :] - np.arange(5)[:, None]) % 5 * 0.3
    pol = REF * np.exp(s)
    pol /= pol.sum(1, keepdims=True)
    with_ref = policy_metrics(pol, pol, s, s, reference=REF)
    assert with_ref.kl_to_optimal == pytest.approx(0.0, abs=1e-12)
    assert with_ref.spearman_average == pytest.approx(1.0)
    assert with_ref.spearman_nbc == pytest.approx(1.0)
    assert with_ref.top_agreement_optimal == 1.0 and with_ref.top_agreement_nbc == 1.0
    ignoring_ref = policy_metrics(pol, pol, s, s)
    assert ignoring_ref.spearman_average < 0.95 and ignoring_ref.top_agreement_nbc < 1.0


def test_reference_is_stored_stably():
    rough = np.round(REF, 7)  # rows off by up to ~1e-7
    config = TrainConfig(reference=rough)
    assert np.allclose(config.reference_table.sum(1), 1.0, atol=1e-14)
    again = TrainConfig(reference=config.reference, beta=0.5)
    assert again.reference == config.reference
    assert again.to_dict()["reference"] == config.to_dict()["reference"]
