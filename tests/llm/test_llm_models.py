"""Scorers on a tiny Llama: one concatenated forward = separate forwards; clean loading errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from socialpref.llm.batching import pad_batch  # noqa: E402
from socialpref.llm.logprobs import sequence_logprobs_reference  # noqa: E402
from socialpref.llm.models import (  # noqa: E402
    CausalLMScorer,
    RewardScorer,
    add_lora,
    enable_gradient_checkpointing,
    load_model,
    load_tokenizer,
)

# float32 model; rows padded to a different width change the summation order inside attention
ATOL = 1e-4


def _batch(tok, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [tok(t)["input_ids"] for t in texts]
    a, m = pad_batch(ids, tok.pad_token_id)
    return torch.from_numpy(a), torch.from_numpy(m)


TEXTS = [
    "\n\nHuman: Why does my blue lamp make noise?\n\nAssistant: Quiet orbit.",
    "\n\nHuman: Why does my blue lamp make noise?\n\nAssistant: Paper garden signal maple copper window cloud.",
    "\n\nHuman: Tell me a fact?\n\nAssistant: Comet.",
    "\n\nHuman: Tell me a fact?\n\nAssistant: Falcon glacier marble pepper velvet compass ladder basket.",
]


@pytest.mark.parametrize("fused", [True, False])
def test_concatenated_forward_equals_separate_forwards(tiny_llama: Path, fused: bool) -> None:
    tok = load_tokenizer(tiny_llama)
    model = load_model(tiny_llama, "dpo", torch.float32, tok.pad_token_id).eval()
    scorer = CausalLMScorer(model, chunk_size=16, fused=fused)
    with torch.no_grad():
        together = scorer(*_batch(tok, TEXTS))
        alone = torch.cat([scorer(*_batch(tok, [t])) for t in TEXTS])
        ids, mask = _batch(tok, TEXTS)
        plain = sequence_logprobs_reference(
            model(input_ids=ids, attention_mask=mask).logits, ids, mask
        )
    torch.testing.assert_close(together, alone, atol=ATOL, rtol=0)
    torch.testing.assert_close(together, plain, atol=ATOL, rtol=0)


def test_reward_scorer_concatenated_equals_separate(tiny_llama: Path) -> None:
    tok = load_tokenizer(tiny_llama)
    torch.manual_seed(0)
    scorer = RewardScorer(load_model(tiny_llama, "reward", torch.float32, tok.pad_token_id)).eval()
    with torch.no_grad():
        together = scorer(*_batch(tok, TEXTS))
        alone = torch.cat([scorer(*_batch(tok, [t])) for t in TEXTS])
    torch.testing.assert_close(together, alone, atol=ATOL, rtol=0)


def test_gradient_checkpointing_gives_the_same_gradients(tiny_llama: Path) -> None:
    tok = load_tokenizer(tiny_llama)
    grads = []
    for fraction in (0.0, 0.5, 1.0):
        torch.manual_seed(0)
        model = add_lora(
            load_model(tiny_llama, "dpo", torch.float32, tok.pad_token_id), "dpo", dropout=0.0
        )
        n = enable_gradient_checkpointing(model, fraction)
        assert n == round(2 * fraction)
        model.train()
        CausalLMScorer(model)(*_batch(tok, TEXTS)).sum().backward()
        grads.append(
            torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
        )
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(grads[0], grads[2], atol=1e-5, rtol=1e-4)


def test_loading_errors(tiny_llama: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Model folder not found"):
        load_tokenizer(tmp_path / "missing")
    no_tok = tmp_path / "no-tokenizer"
    no_tok.mkdir()
    for f in tiny_llama.iterdir():
        if f.name in ("config.json", "model.safetensors"):
            shutil.copy(f, no_tok / f.name)
    with pytest.raises(FileNotFoundError, match="no tokenizer"):
        load_tokenizer(no_tok)
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        load_model(tmp_path, "dpo")
    with pytest.raises(ValueError, match="'objective'"):
        load_model(tiny_llama, "ppo")
