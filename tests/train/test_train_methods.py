"""The method table: built-ins, hand-written gradients against autograd, adding a method."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from socialpref.errors import ParameterError
from socialpref.train.config import BUILTIN_METHODS, TrainConfig
from socialpref.train.environment import SyntheticEnvironment
from socialpref.train.methods import (
    DATA_KINDS,
    LossInputs,
    TrainingMethod,
    get_method,
    method_names,
    register_method,
    unregister_method,
)
from socialpref.train.metrics import kl_divergence
from socialpref.train.runner import train_batched

GRAD_ATOL, GRAD_RTOL = 1e-10, 1e-12  # float64: hand-written gradients against autograd
ENV = SyntheticEnvironment(n=5, shifts=(-1, 0, 1), rates=(0.4, 0.4, 0.4), scales=(8.0, 4.0, 8.0))
WITH_GRAD = [m for m in BUILTIN_METHODS if get_method(m).grad is not None]


def test_builtins_are_registered_in_order():
    assert method_names()[: len(BUILTIN_METHODS)] == BUILTIN_METHODS
    for name in BUILTIN_METHODS:
        m = get_method(name)
        assert m.name == name and m.description
        assert m.data in DATA_KINDS
        assert m.trained == (m.loss is not None)
    assert [m for m in BUILTIN_METHODS if get_method(m).uses_alpha] == ["corrected"]


def test_unknown_and_duplicate_methods_are_errors():
    with pytest.raises(ParameterError, match=r"'methods'.*'dpo'.*Got 'ppo'"):
        get_method("ppo")
    with pytest.raises(ParameterError, match="already registered"):
        register_method(get_method("dpo"))
    dpo = get_method("dpo")
    with pytest.raises(ParameterError, match="exactly one of 'loss' and 'estimate'"):
        TrainingMethod("x", "x", "anonymous", dpo.target)
    with pytest.raises(ParameterError, match="'data'"):
        TrainingMethod("x", "x", "consensus", dpo.target, loss=dpo.loss)
    with pytest.raises(ParameterError, match="needs a 'loss' and a 'data'"):
        TrainingMethod("x", "x", None, dpo.target, loss=dpo.loss, grad=dpo.grad)
    with pytest.raises(ParameterError, match="lower-case"):
        TrainingMethod("DPO", "x", "anonymous", dpo.target, loss=dpo.loss)


def _inputs(method: str, step: int, seed: int) -> LossInputs:
    """Random float64 inputs, with large margins so that clamps and floors are reached."""
    g = torch.Generator().manual_seed(seed)
    runs, batch = 3, 400
    spec = get_method(method)
    rho1 = (torch.randn(runs, batch, generator=g, dtype=torch.float64) * 4).requires_grad_()
    rho2 = (torch.randn(runs, batch, generator=g, dtype=torch.float64) * 4).requires_grad_()
    if spec.data == "all-types":
        labels = (torch.rand(runs, batch, 3, generator=g) < 0.5).double()
        labels[:, :100] = 1.0  # unanimous rows both ways
        labels[:, 100:200] = 0.0
    else:
        labels = (torch.rand(runs, batch, generator=g) < 0.5).double()
    var = torch.rand(runs, batch, generator=g, dtype=torch.float64) * 0.25
    config = TrainConfig(methods=(method,), steps=10, warmup_steps=5, alphas=(1.0,))
    return LossInputs(
        rho1=rho1,
        rho2=rho2,
        labels=labels,
        alpha=torch.tensor([[0.5], [4.0], [40.0]], dtype=torch.float64),
        beta=0.7,
        step=step,
        config=config,
        env=ENV,
        variance=lambda: var,
        table=torch.zeros(runs, 5, 5, dtype=torch.float64),
        runs=torch.arange(runs),
    )


@pytest.mark.parametrize("step", [0, 9])  # corrected: DPO during the warm-up, then corrected
@pytest.mark.parametrize("method", WITH_GRAD)
def test_hand_written_gradients_equal_autograd(method, step):
    spec = get_method(method)
    for seed in range(3):
        inputs = _inputs(method, step, seed)
        assert spec.loss is not None and spec.grad is not None
        loss = spec.loss(inputs)
        want1, want2 = torch.autograd.grad(loss.sum(), [inputs.rho1, inputs.rho2])
        pair = spec.grad(inputs)
        assert pair is not None
        torch.testing.assert_close(pair[0], want1, rtol=GRAD_RTOL, atol=GRAD_ATOL)
        torch.testing.assert_close(pair[1], want2, rtol=GRAD_RTOL, atol=GRAD_ATOL)
        assert float(want2.abs().max()) > 0.1  # the test compares something


def _exact_dpo(inputs: LossInputs) -> torch.Tensor:
    """DPO's population loss from the log-ratio table and the exact win table (no data)."""
    rho = inputs.log_ratio_table()  # (G, x, y)
    p = inputs.win_table()  # (x, a, b): Pr(b > a | x)
    h = inputs.beta * (rho[:, :, None, :] - rho[:, :, :, None])
    return -(p * F.logsigmoid(h)).mean(dim=(1, 2, 3))


@pytest.fixture
def exact_dpo():
    method = TrainingMethod(
        "exact-dpo",
        "DPO on the population (a table-based loss, no data).",
        data=None,
        loss=_exact_dpo,
        target=lambda env, config, alpha: env.dpo_limit_policy(
            config.reference_table, config.sampling_table
        ),
    )
    register_method(method)
    yield method
    unregister_method("exact-dpo")


def test_a_registered_method_trains_without_other_changes(exact_dpo):
    assert "exact-dpo" in method_names()
    config = TrainConfig(
        methods=("exact-dpo", "dpo"),
        seeds=(0,),
        n_pairs=20_000,
        steps=300,
        batch_size=256,
        lr=0.05,
        policy="tabular",
        log_every=50,
    )
    out = train_batched(ENV, config, "cpu")
    target = exact_dpo.target(ENV, config, None)
    uniform = np.full_like(target, 1 / ENV.n)
    k = [r.method for r in out.runs].index("exact-dpo")
    assert kl_divergence(target, out.policies[k]) < 0.02 * kl_divergence(target, uniform)
    # the loss at the uniform start is ln 2 times the pairs' mean, as DPO's
    assert out.losses[k, 0] == pytest.approx(np.log(2.0) * 0.5, abs=1e-6)
    assert out.losses[k, -1] < out.losses[k, 0]


def test_registry_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_method("dpo").data = "all-types"  # type: ignore[misc]
