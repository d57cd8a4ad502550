"""Session fixtures: a tiny Llama built from a config and a tokenizer trained on the synthetic corpus."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "hh_synthetic"
VOCAB = 400


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*/train.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                texts += [row["chosen"], row["rejected"]]
    return texts


def build_tiny_llama(
    folder: Path, texts: list[str], hidden: int = 32, layers: int = 2, seed: int = 0
) -> Path:
    """Save a tiny random Llama and a BPE tokenizer trained on ``texts`` into ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB, special_tokens=["<pad>", "<unk>", "<s>", "</s>"]
    )
    tk.train_from_iterator(texts, trainer)
    bos = tk.token_to_id("<s>")
    tk.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", bos)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    config = LlamaConfig(
        vocab_size=tk.get_vocab_size(),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=bos,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "helpful-base" / "train.jsonl.gz").is_file():
        sys.path.insert(0, str(REPO / "data"))
        from make_hh_corpus import make_corpus

        make_corpus(CORPUS, seed=0)
    return CORPUS


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), _corpus_texts())


def pytest_configure(config: pytest.Config) -> None:
    # peft calls a transformers method that transformers 5 deprecates; not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
    )
