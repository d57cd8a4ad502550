"""Session fixtures: a tiny Llama built from a config and a tokenizer trained on the synthetic corpus
(:func:`socialpref.llm.tiny.build_tiny_llama`); nothing is downloaded."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("trl")
pytest.importorskip("datasets")

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "hh_synthetic"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "helpful-base" / "train.jsonl.gz").is_file():
        sys.path.insert(0, str(REPO / "data"))
        from make_hh_corpus import make_corpus

        make_corpus(CORPUS, seed=0)
    return CORPUS


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    from socialpref.llm.tiny import build_tiny_llama, corpus_texts

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), corpus_texts(corpus_dir))


def pytest_configure(config: pytest.Config) -> None:
    # peft calls a transformers method that transformers 5 deprecates; not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
    )
