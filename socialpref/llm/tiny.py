"""A tiny random Llama and a BPE tokenizer trained on local text: a model folder made offline.

Tests, benchmarks and examples need a Hugging Face model folder without downloading one.
:func:`build_tiny_llama` trains a byte-pair tokenizer on the given texts (for instance the
synthetic HH-style corpus in ``data/hh_synthetic``) and saves a randomly initialised
``LlamaForCausalLM`` of the requested size beside it. Everything is seeded, so the same
arguments give the same folder content.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

from socialpref.llm._deps import require

SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")


def corpus_texts(root: str | Path, split: str = "train") -> list[str]:
    """Both dialogues of every pair in ``<root>/*/<split>.jsonl.gz``, in a fixed order."""
    texts: list[str] = []
    for path in sorted(Path(root).glob(f"*/{split}.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                texts += [row["chosen"], row["rejected"]]
    return texts


def build_tiny_llama(
    folder: str | Path,
    texts: Iterable[str],
    vocab_size: int = 400,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    seed: int = 0,
) -> Path:
    """Save a random Llama and a BPE tokenizer trained on ``texts`` into ``folder``.

    The tokenizer adds ``<s>`` in front of every text and pads with ``<pad>``; its end token
    ``</s>`` is never added by the tokenizer itself. Returns ``folder``.
    """
    torch = require("torch")
    transformers = require("transformers")
    tokenizers = require("tokenizers")

    tk = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=int(vocab_size), special_tokens=list(SPECIAL_TOKENS)
    )
    tk.train_from_iterator(list(texts), trainer)
    bos = tk.token_to_id("<s>")
    tk.post_processor = tokenizers.processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", bos)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    config = transformers.LlamaConfig(
        vocab_size=tk.get_vocab_size(),
        hidden_size=int(hidden),
        intermediate_size=2 * int(hidden),
        num_hidden_layers=int(layers),
        num_attention_heads=int(heads),
        num_key_value_heads=int(heads),
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=bos,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)
