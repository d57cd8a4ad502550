"""Reading HH-RLHF layouts and the token-length filter."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from socialpref.errors import ParameterError
from socialpref.llm.hh import find_split_files, read_hh, read_jsonl_pairs, tokenize_pairs


def _write(path: Path, rows: list[dict[str, object]], gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


ROWS = [{"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c c"}]


def test_reads_the_generated_corpus(corpus_dir: Path) -> None:
    train = read_hh(corpus_dir, "train")
    assert len(train) == 320
    assert {Path(s).parent.name for s in train.sources} == {"helpful-base", "harmless-base"}
    only = read_hh(corpus_dir, "test", subsets=["harmless-base"])
    assert len(only) == 40 and all(t.startswith("\n\nHuman:") for t in only.first)


def test_layouts_flat_folder_and_single_file(tmp_path: Path) -> None:
    _write(tmp_path / "flat" / "train.jsonl", ROWS, gz=False)
    assert len(read_hh(tmp_path / "flat", "train")) == 1
    f = _write(tmp_path / "one.jsonl.gz", ROWS * 3)
    assert len(read_hh(f, "test")) == 3
    assert len(read_jsonl_pairs(f, limit=2)) == 2


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        read_hh(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="No train data"):
        find_split_files(tmp_path, "train")
    _write(tmp_path / "helpful-base" / "train.jsonl.gz", ROWS)
    with pytest.raises(FileNotFoundError, match="harmless-base"):
        read_hh(tmp_path, "train")
    bad = _write(tmp_path / "bad.jsonl", [{"prompt": "x", "chosen": "y"}], gz=False)
    with pytest.raises(ValueError, match="'rejected'"):
        read_jsonl_pairs(bad)
    (tmp_path / "notjson.jsonl").write_text("{oops\n")
    with pytest.raises(ValueError, match="not a JSON line"):
        read_jsonl_pairs(tmp_path / "notjson.jsonl")
    with pytest.raises(ValueError, match="'split'"):
        read_hh(tmp_path, "dev")


class _CharTokenizer:
    """One token per character plus a BOS: enough to test the length filter exactly."""

    def __call__(
        self, texts: list[str], add_special_tokens: bool = True
    ) -> dict[str, list[list[int]]]:
        return {"input_ids": [[0, *(ord(c) % 50 + 1 for c in t)] for t in texts]}


def test_length_filter_keeps_pairs_with_both_sides_short(tmp_path: Path) -> None:
    rows = [
        {"chosen": "a" * 5, "rejected": "b" * 9},  # lengths 6, 10
        {"chosen": "a" * 3, "rejected": "b" * 10},  # 4, 11: dropped at max_length=10
        {"chosen": "a" * 9, "rejected": "b" * 2},  # 10, 3
    ]
    pairs = read_jsonl_pairs(_write(tmp_path / "x.jsonl", rows, gz=False))
    tok = tokenize_pairs(_CharTokenizer(), pairs, max_length=10, batch_size=2)
    assert tok.index.tolist() == [0, 2] and tok.n_read == 3
    la, lb = tok.lengths
    assert la.tolist() == [6, 10] and lb.tolist() == [10, 3]
    assert len(tok.head(1)) == 1 and tok.head(None) is tok
    with pytest.raises(ValueError, match="'max_length'"):
        tokenize_pairs(_CharTokenizer(), pairs, max_length=1)


def test_truncate_policy_keeps_every_pair_and_cuts_to_max_length(tmp_path: Path) -> None:
    rows = [{"chosen": "a" * 5, "rejected": "b" * 9}, {"chosen": "a" * 3, "rejected": "b" * 10}]
    pairs = read_jsonl_pairs(_write(tmp_path / "x.jsonl", rows, gz=False))
    tok = tokenize_pairs(_CharTokenizer(), pairs, max_length=10, length_policy="truncate")
    assert tok.index.tolist() == [0, 1] and tok.n_truncated == 1
    assert [len(x) for x in tok.second] == [10, 10]  # 11 tokens cut to the first 10
    assert tok.second[1].tolist() == _CharTokenizer()(["b" * 10])["input_ids"][0][:10]
    with pytest.raises(ParameterError, match="'length_policy'"):
        tokenize_pairs(_CharTokenizer(), pairs, length_policy="clip")
