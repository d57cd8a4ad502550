"""Relabelled pairs in TRL's preference format: orientation, lengths, labellers, seeds, and the
data set folder (`datasets` on disk and JSONL) written by the report's folder rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialpref.llm.hh import read_hh, tokenize_pairs
from socialpref.llm.preference_data import (
    COLUMNS,
    build_preference_dataset,
    preference_pairs,
    split_prompt,
    write_preference_dataset,
)
from socialpref.llm.relabel import label_probabilities
from socialpref.llm.rewards import reward_matrix

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")

from socialpref.llm.models import load_tokenizer  # noqa: E402


@pytest.fixture(scope="module")
def tok(tiny_llama: Path):  # type: ignore[no-untyped-def]
    return load_tokenizer(tiny_llama)


@given(
    st.text(alphabet="ab \n", max_size=30),
    st.text(alphabet="xy ", max_size=20),
    st.text(alphabet="zw ", max_size=20),
)
def test_split_prompt_keeps_each_dialogue_whole(prefix: str, a: str, b: str) -> None:
    first, second = prefix + "\n\nAssistant: " + a, prefix + "\n\nAssistant: " + b
    p, ra, rb = split_prompt(first, second)
    assert p + ra == first and p + rb == second
    assert first.startswith(p) and second.startswith(p)


def test_split_prompt_ends_at_the_last_shared_assistant_cue() -> None:
    a = "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye\n\nAssistant: See you."
    b = "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye\n\nAssistant: Go."
    assert split_prompt(a, b) == (a[: a.rindex(":") + 1], " See you.", " Go.")


@pytest.mark.parametrize("dataset", ["anonymous", "max-info", "average"])
def test_pairs_are_oriented_and_labelled(tok, corpus_dir: Path, dataset: str) -> None:  # type: ignore[no-untyped-def]
    pairs = build_preference_dataset(corpus_dir, tok, dataset, seed=3)
    text = read_hh(corpus_dir, "train")
    assert len(pairs) == 320 and pairs.info["pairs_read"] == 320
    recs = pairs.records()
    assert list(recs[0]) == list(COLUMNS)
    for r in recs[:40]:
        whole = {r["prompt"] + r["chosen"], r["prompt"] + r["rejected"]}
        i = r["source_index"]
        assert whole == {text.first[i], text.second[i]}
        assert r["chosen_length"] == len(tok(r["prompt"] + r["chosen"])["input_ids"])
    # label_probability is the BT probability of the chosen side under what labelled the pair
    w, lo = pairs.chosen_length, pairs.rejected_length
    d = reward_matrix(w) - reward_matrix(lo)
    if dataset == "anonymous":
        names = ["long", "short", "mid"]
        assert set(pairs.labelled_by) <= set(names)
        rows = np.array([names.index(n) for n in pairs.labelled_by])
        expected = 1 / (1 + np.exp(-d[rows, np.arange(len(pairs))]))
    else:
        assert set(pairs.labelled_by) == {"all types" if dataset == "max-info" else "average"}
        expected = label_probabilities(w, lo, dataset)
    np.testing.assert_allclose(pairs.label_probability, expected, rtol=0, atol=1e-12)


def test_same_seed_same_data_other_seed_other_labels(tok, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    a = build_preference_dataset(corpus_dir, tok, "anonymous", seed=0)
    b = build_preference_dataset(corpus_dir, tok, "anonymous", seed=0)
    c = build_preference_dataset(corpus_dir, tok, "anonymous", seed=1)
    assert a.records() == b.records()
    assert [r["chosen"] for r in a.records()] != [r["chosen"] for r in c.records()]


def test_test_split_ties_and_length_policies(tok, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    text = read_hh(corpus_dir, "test")
    drop = preference_pairs(text, tokenize_pairs(tok, text, 100), "test", ties="drop")
    cut_tokens = tokenize_pairs(tok, text, 100, length_policy="truncate")
    kept = preference_pairs(text, cut_tokens, "test", ties="authors")
    dropped = preference_pairs(text, cut_tokens, "test", ties="drop")
    assert cut_tokens.n_truncated > 0 and len(cut_tokens) == 80
    assert max(cut_tokens.lengths[0].max(), cut_tokens.lengths[1].max()) == 100
    assert (
        len(drop) < 80
        and drop.info["pairs_dropped_length"] == 80 - len(drop) - drop.info["ties_dropped"]
    )
    assert kept.info["ties_found"] == dropped.info["ties_found"] > 0  # both sides cut to 100
    assert len(kept) == 80 and len(dropped) == 80 - dropped.info["ties_found"]
    tied = kept.chosen_length == kept.rejected_length
    assert np.all(kept.label_probability[tied] == 0.5) and np.all(
        kept.label_probability[~tied] == 1.0
    )


def test_written_folder_loads_back_and_is_deterministic(
    tok, corpus_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        pairs = build_preference_dataset(corpus_dir, tok, "max-info", seed=7)
        write_preference_dataset(pairs, tmp_path / name)
    assert (tmp_path / "a" / "pairs.jsonl").read_bytes() == (
        tmp_path / "b" / "pairs.jsonl"
    ).read_bytes()
    loaded = datasets.load_from_disk(str(tmp_path / "a"))
    assert loaded.column_names == list(COLUMNS) and len(loaded) == len(pairs)
    assert loaded[5] == json.loads((tmp_path / "a" / "pairs.jsonl").read_text().splitlines()[5])
    info = json.loads((tmp_path / "a" / "relabel.json").read_text())
    assert info["dataset"] == "max-info" and info["seed"] == 7 and info["pairs"] == len(pairs)
