"""Hand-written passes of the models and the direct fused Adam against autograd and torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from socialpref.train.models import BatchedJointMLP, BatchedJointModel, BatchedPolicy, FusedAdam

GRAD_ATOL = 1e-12  # float64 gradients against autograd
ADAM_ATOL = 1e-6  # fused kernel against torch's single-tensor Adam (float32)


@pytest.mark.parametrize(("kind", "layers"), [("mlp", 1), ("mlp", 2), ("mlp", 3), ("tabular", 2)])
@pytest.mark.parametrize("with_reference", [False, True])
def test_policy_backward_table_equals_autograd(kind, layers, with_reference):
    n = 6
    gen = torch.Generator().manual_seed(1)
    ref = None
    if with_reference:
        ref = torch.log(torch.distributions.Dirichlet(torch.full((n,), 2.0)).sample((n,)))
    policy = BatchedPolicy(n, [0, 1, 2], kind, hidden=5, layers=layers, log_reference=ref).double()
    if kind == "tabular":
        with torch.no_grad():
            policy.logits.normal_(generator=gen)
    upstream = torch.randn(3, n, n, generator=gen, dtype=torch.float64)
    params = list(policy.parameters())
    want = torch.autograd.grad((policy.log_probs() * upstream).sum(), params)
    log_pi, cache = policy.forward_table()
    torch.testing.assert_close(log_pi, policy.log_probs().detach(), rtol=0, atol=GRAD_ATOL)
    got = policy.backward_table(upstream, log_pi, cache)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=GRAD_ATOL)
        assert g.is_contiguous()


def test_policy_weights_cache_follows_conversion():
    policy = BatchedPolicy(4, [0], "mlp")
    assert policy.forward_table()[0].dtype == torch.float32
    policy.double()
    assert policy.forward_table()[0].dtype == torch.float64


@pytest.mark.parametrize("transposed", [False, True])
def test_fused_adam_equals_torch_adam(transposed):
    gen = torch.Generator().manual_seed(0)
    shape = (3, 4, 5)
    a = [torch.nn.Parameter(torch.randn(shape, generator=gen)), torch.nn.Parameter(torch.zeros(7))]
    b = [torch.nn.Parameter(p.detach().clone()) for p in a]
    # The reference is torch's single-tensor Adam: its fused kernel given a permuted gradient
    # reads it in the wrong order (why FusedAdam lays gradients out first).
    ref, ours = torch.optim.Adam(a, lr=0.01, foreach=False), FusedAdam(b, 0.01)
    for step in range(25):
        grads = [torch.randn(shape, generator=gen) * (10.0 ** (step % 3)), torch.randn(7)]
        if transposed:  # autograd may return permuted gradients: the layout must be respected
            grads[0] = torch.randn(5, 4, 3, generator=gen).permute(2, 1, 0)
            assert not grads[0].is_contiguous()
        for p, g in zip(a, grads, strict=True):
            p.grad = g.clone()
        ref.step()
        ours.step(grads)
    for p, q in zip(a, b, strict=True):
        torch.testing.assert_close(q, p, rtol=0, atol=ADAM_ATOL)
    assert float(ours.step_count) == 25


def _cells(gen: torch.Generator, rows: int, size: int, n: int) -> torch.Tensor:
    x = torch.randint(n, (rows, size), generator=gen)
    return x * n + torch.randint(n, (rows, size), generator=gen)


@pytest.mark.parametrize("model", ["mixture", "mlp"])
def test_joint_loss_and_grads_equal_autograd(model):
    n, size = 5, 300
    gen = torch.Generator().manual_seed(3)
    joint = (
        BatchedJointModel(n, [0, 1], latent=3) if model == "mixture" else BatchedJointMLP(n, [0, 1])
    ).double()
    with torch.no_grad():  # away from the initial point, with a non-uniform mixture
        for p in joint.parameters():
            p.add_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    a, b, a2, b2 = (_cells(gen, 2, size, n) for _ in range(4))
    target = (torch.rand(2, size, generator=gen) < 0.3).double()
    loss, grads = joint.loss_and_grads(a, b, a2, b2, target)
    want_loss = joint.nll(a, b, a2, b2, target).mean(dim=-1).sum()
    want = torch.autograd.grad(want_loss, list(joint.parameters()))
    assert float(loss) == pytest.approx(float(want_loss.detach()), rel=1e-12)
    for g, w in zip(grads, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=GRAD_ATOL)
    assert np.isfinite(float(loss)) and float(sum(g.abs().sum() for g in grads)) > 0
