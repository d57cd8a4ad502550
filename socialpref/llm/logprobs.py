"""Memory-lean token and sequence log-probabilities.

The log-probability of token ``t`` under logits ``z`` is ``z[t] - logsumexp(z)``. Computing
it as ``log_softmax(z.float()).gather(t)`` materialises a float32 copy of the logits over the
whole vocabulary for every token (and keeps it for backward): 512 tokens x 128,256 entries x
4 bytes = 263 MB per sequence for Llama-3. Here:

- :func:`token_logprobs` takes logits rows in chunks; each chunk's logsumexp is taken in
  float32 under activation checkpointing, so only one chunk's float32 copy lives at a time,
  forward and backward.
- :func:`fused_token_logprobs` goes one step further: it takes the final hidden states and the
  output projection and builds the logits chunk by chunk, so the ``(tokens x vocab)`` logits
  never exist at once (recomputed per chunk in backward).

Both return float32 log-probs; only real (non-padding) positions are passed in, so padding
costs nothing in the output projection.
"""

from __future__ import annotations

from typing import Any

from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
from socialpref.llm._deps import missing

try:
    import torch
    import torch.nn.functional as F
    from torch.utils.checkpoint import checkpoint
except ImportError as exc:  # pragma: no cover - the llm extra is installed for the tests
    raise missing(exc.name or "torch") from None

DEFAULT_CHUNK = 1024


def _chunk_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    lse = torch.logsumexp(logits.float(), dim=-1)
    return logits.gather(-1, targets[:, None]).squeeze(-1).float() - lse


def _chunk_fused(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return _chunk_logprobs(F.linear(hidden, weight), targets)


def _run(fn: Any, *args: torch.Tensor) -> torch.Tensor:
    if torch.is_grad_enabled() and any(a.requires_grad for a in args):
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def _check_chunk(chunk_size: int) -> int:
    return check_scalar(chunk_size, "chunk_size", int, min_val=1)


def token_logprobs(
    logits: torch.Tensor, targets: torch.Tensor, chunk_size: int = DEFAULT_CHUNK
) -> torch.Tensor:
    """``log p(target)`` for rows of logits ``(n, vocab)`` and targets ``(n,)``; float32 ``(n,)``."""
    size = _check_chunk(chunk_size)
    if logits.ndim != 2 or targets.shape != logits.shape[:1]:
        raise ParameterError(
            f"The 'logits' and 'targets' parameters must have shapes (n, vocab) and (n,). "
            f"Got {tuple(logits.shape)} and {tuple(targets.shape)} instead."
        )
    parts = [
        _run(_chunk_logprobs, logits[s : s + size], targets[s : s + size])
        for s in range(0, logits.shape[0], size)
    ]
    return torch.cat(parts) if parts else logits.new_zeros(0, dtype=torch.float32)


def fused_token_logprobs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    chunk_size: int = DEFAULT_CHUNK,
) -> torch.Tensor:
    """``log softmax(hidden @ weight.T)[target]`` without materialising all logits; float32 ``(n,)``."""
    size = _check_chunk(chunk_size)
    parts = [
        _run(_chunk_fused, hidden[s : s + size], weight, targets[s : s + size])
        for s in range(0, hidden.shape[0], size)
    ]
    return torch.cat(parts) if parts else hidden.new_zeros(0, dtype=torch.float32)


def shifted_positions(
    input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real next-token positions of a right- or left-padded batch.

    Returns ``(valid, targets, rows)``: ``valid`` is a ``(batch, T-1)`` bool mask of positions
    ``t`` whose state predicts a real token ``t+1`` (both real), ``targets`` the predicted ids
    and ``rows`` the sequence index of each, both flattened in ``valid`` order.
    """
    mask = attention_mask.bool()
    valid = mask[:, 1:] & mask[:, :-1]
    targets = input_ids[:, 1:][valid]
    rows = torch.arange(input_ids.shape[0], device=input_ids.device)[:, None].expand_as(valid)[
        valid
    ]
    return valid, targets, rows


def sequence_logprobs_from_logits(
    logits: torch.Tensor,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    chunk_size: int = DEFAULT_CHUNK,
) -> torch.Tensor:
    """Sum of next-token log-probs of each sequence, from full logits ``(batch, T, vocab)``."""
    valid, targets, rows = shifted_positions(input_ids, attention_mask)
    tok = token_logprobs(logits[:, :-1][valid], targets, chunk_size)
    return torch.zeros(input_ids.shape[0], dtype=torch.float32, device=tok.device).index_add(
        0, rows, tok
    )


def sequence_logprobs_reference(
    logits: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """The plain way (float32 log-softmax over the vocabulary, then gather); for tests and baselines."""
    logp = (
        torch.log_softmax(logits[:, :-1].float(), dim=-1)
        .gather(-1, input_ids[:, 1:, None])
        .squeeze(-1)
    )
    mask = (attention_mask[:, 1:] * attention_mask[:, :-1]).to(logp.dtype)
    return (logp * mask).sum(-1)
