"""Chunked and fused log-probabilities equal a plain float32 log_softmax gather (values and grads)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from socialpref.llm.logprobs import (  # noqa: E402
    fused_token_logprobs,
    sequence_logprobs_from_logits,
    sequence_logprobs_reference,
    token_logprobs,
)

ATOL_FP32 = 1e-5
ATOL_BF16 = 2e-2  # bf16 logits: the plain path rounds the same inputs; only summation order differs


def _plain(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits.float(), -1).gather(-1, targets[:, None]).squeeze(-1)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunked_equals_log_softmax_gather(chunk: int) -> None:
    g = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(50, 301, generator=g)).requires_grad_(True)
    targets = torch.randint(0, 301, (50,), generator=g)
    ours = token_logprobs(logits, targets, chunk)
    torch.testing.assert_close(ours, _plain(logits, targets), atol=ATOL_FP32, rtol=0)
    (g1,) = torch.autograd.grad(ours.sum(), logits)
    (g2,) = torch.autograd.grad(_plain(logits, targets).sum(), logits)
    torch.testing.assert_close(g1, g2, atol=ATOL_FP32, rtol=0)


def test_bf16_logits_are_reduced_in_float32() -> None:
    g = torch.Generator().manual_seed(1)
    logits = (3 * torch.randn(40, 500, generator=g)).bfloat16()
    targets = torch.randint(0, 500, (40,), generator=g)
    ours = token_logprobs(logits, targets, 16)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, _plain(logits, targets), atol=ATOL_BF16, rtol=0)


def test_fused_equals_projection_then_log_softmax() -> None:
    g = torch.Generator().manual_seed(2)
    hidden = torch.randn(33, 16, generator=g, requires_grad=True)
    weight = torch.randn(120, 16, generator=g)
    targets = torch.randint(0, 120, (33,), generator=g)
    ours = fused_token_logprobs(hidden, weight, targets, chunk_size=8)
    plain = _plain(hidden @ weight.T, targets)
    torch.testing.assert_close(ours, plain, atol=ATOL_FP32, rtol=0)
    (g1,) = torch.autograd.grad(ours.sum(), hidden)
    (g2,) = torch.autograd.grad(plain.sum(), hidden)
    torch.testing.assert_close(g1, g2, atol=ATOL_FP32, rtol=0)


def test_sequence_sums_skip_padding() -> None:
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 6, 40, generator=g)
    ids = torch.randint(0, 40, (3, 6), generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]])
    ours = sequence_logprobs_from_logits(logits, ids, mask, chunk_size=4)
    torch.testing.assert_close(
        ours, sequence_logprobs_reference(logits, ids, mask), atol=ATOL_FP32, rtol=0
    )
    by_hand = torch.log_softmax(logits[1, :2], -1)[torch.arange(2), ids[1, 1:3]].sum()
    assert float(ours[1]) == pytest.approx(float(by_hand), abs=ATOL_FP32)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'chunk_size'"):
        token_logprobs(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), 0)
    with pytest.raises(ValueError, match="'logits'"):
        token_logprobs(torch.zeros(2, 3, 4), torch.zeros(2, dtype=torch.long))
