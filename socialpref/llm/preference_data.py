"""Relabelled pairs as a preference data set in TRL's format (prompt, chosen, rejected).

:func:`preference_pairs` turns one split of HH-style data into the pairs a TRL trainer
takes: ``prompt`` (the dialogue both sides share), ``chosen`` and ``rejected`` (the rest of
the labelled winner and loser), plus the token lengths of the two whole dialogues (what the
user types' rewards read), what labelled the pair and the Bradley-Terry probability of the
label. The same seed gives the same pairs. :meth:`PreferencePairs.to_dataset` makes a
Hugging Face ``datasets.Dataset`` of them; :func:`write_preference_dataset` saves one on
disk (``datasets.load_from_disk`` reads it back) with a JSONL copy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.llm._deps import require
from socialpref.llm.hh import DEFAULT_SUBSETS, TextPairs, TokenizedPairs, read_hh, tokenize_pairs
from socialpref.llm.relabel import (
    LabelledPairs,
    average_reward_labels,
    check_dataset,
    sample_labels,
)
from socialpref.llm.rewards import LengthReward, RewardFn

#: Columns of the data set, in order.
COLUMNS: tuple[str, ...] = (
    "prompt",
    "chosen",
    "rejected",
    "chosen_length",
    "rejected_length",
    "labelled_by",
    "label_probability",
    "source_index",
)
#: Where the prompt of an HH-RLHF dialogue ends: after its last shared assistant cue.
ASSISTANT_CUE = "\n\nAssistant:"


def split_prompt(a: str, b: str) -> tuple[str, str, str]:
    """``(prompt, rest_a, rest_b)``: the longest shared prefix of two dialogues ending at a turn.

    The prompt ends just after the last ``"\\n\\nAssistant:"`` cue both dialogues share (HH-RLHF);
    without a shared cue, at the last space of the shared prefix. TRL's trainers join
    ``prompt + chosen``, so the whole dialogue is kept whatever the split.

    >>> split_prompt("\\n\\nHuman: Hi\\n\\nAssistant: Hello.", "\\n\\nHuman: Hi\\n\\nAssistant: Go away.")
    ('\\n\\nHuman: Hi\\n\\nAssistant:', ' Hello.', ' Go away.')
    """
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    shared = a[:n]
    cut = shared.rfind(ASSISTANT_CUE)
    end = cut + len(ASSISTANT_CUE) if cut >= 0 else max(shared.rfind(" "), 0)
    return a[:end], a[end:], b[end:]


@dataclass(frozen=True)
class PreferencePairs:
    """Relabelled pairs in TRL's preference format, with how each was labelled.

    Attributes
    ----------
    prompt, chosen, rejected : tuple of str
        Shared dialogue prefix, and the rest of the labelled winner and loser.
    chosen_length, rejected_length : numpy.ndarray of int
        Token lengths of the whole chosen and rejected dialogues (prompt included, special
        tokens included, after the length policy): what the user types' rewards read.
    labelled_by : tuple of str
        The user type that labelled each pair (``anonymous``), or ``"all types"``,
        ``"average"``, ``"average reward"``.
    label_probability : numpy.ndarray of float
        Probability that the chosen side wins under what labelled the pair.
    source_index : numpy.ndarray of int
        Position of the pair in the split as read (before the length filter).
    chosen_ids, rejected_ids : tuple of int arrays
        Token ids of the whole chosen and rejected dialogues (not written to disk).
    info : dict
        Settings and counts: dataset, split, seed, max_length, length_policy, ties,
        pairs_read, pairs_dropped_length, pairs_truncated, ties_found, ties_dropped.
    """

    prompt: tuple[str, ...]
    chosen: tuple[str, ...]
    rejected: tuple[str, ...]
    chosen_length: IntArray
    rejected_length: IntArray
    labelled_by: tuple[str, ...]
    label_probability: FloatArray
    source_index: IntArray
    chosen_ids: tuple[np.ndarray, ...]
    rejected_ids: tuple[np.ndarray, ...]
    info: dict[str, Any]

    def __len__(self) -> int:
        return len(self.prompt)

    def head(self, n: int | None) -> PreferencePairs:
        """The first ``n`` pairs (all when ``n`` is None)."""
        if n is None or n >= len(self):
            return self
        cut = {f: getattr(self, f)[:n] for f in (*COLUMNS, "chosen_ids", "rejected_ids")}
        return PreferencePairs(**cut, info={**self.info, "pairs": int(n)})

    def labelled(self) -> LabelledPairs:
        """The whole dialogues' token ids, chosen side first."""
        return LabelledPairs(self.chosen_ids, self.rejected_ids)

    def records(self) -> list[dict[str, Any]]:
        """One dictionary per pair with the :data:`COLUMNS` (JSON-ready types)."""
        cols = [
            self.prompt,
            self.chosen,
            self.rejected,
            self.chosen_length.tolist(),
            self.rejected_length.tolist(),
            self.labelled_by,
            self.label_probability.tolist(),
            self.source_index.tolist(),
        ]
        return [dict(zip(COLUMNS, row, strict=True)) for row in zip(*cols, strict=True)]

    def to_dataset(self) -> Any:
        """A ``datasets.Dataset`` with the :data:`COLUMNS` (needs the ``llm`` extra)."""
        datasets = require("datasets")
        features = datasets.Features(
            {
                "prompt": datasets.Value("string"),
                "chosen": datasets.Value("string"),
                "rejected": datasets.Value("string"),
                "chosen_length": datasets.Value("int64"),
                "rejected_length": datasets.Value("int64"),
                "labelled_by": datasets.Value("string"),
                "label_probability": datasets.Value("float64"),
                "source_index": datasets.Value("int64"),
            }
        )
        table = {c: list(getattr(self, c)) for c in COLUMNS}
        return datasets.Dataset.from_dict(table, features=features)

    def token_dataset(self) -> Any:
        """A ``datasets.Dataset`` of ``chosen_ids`` / ``rejected_ids`` (whole dialogues)."""
        datasets = require("datasets")
        return datasets.Dataset.from_dict(
            {
                "chosen_ids": [x.tolist() for x in self.chosen_ids],
                "rejected_ids": [x.tolist() for x in self.rejected_ids],
            }
        )


def preference_pairs(
    text: TextPairs,
    tokens: TokenizedPairs,
    dataset: str,
    seed: int | None = None,
    ties: str = "drop",
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> PreferencePairs:
    """Label the tokenized pairs and orient them (winner as ``chosen``).

    ``dataset='test'`` labels by the average reward with the tie policy ``ties``;
    the others sample labels from ``numpy.random.default_rng(seed)``.
    """
    kind = check_dataset(dataset)
    la, lb = tokens.lengths
    draw = sample_labels(la, lb, kind, rewards, type_weights, rng=np.random.default_rng(seed))
    keep = np.ones(len(tokens), dtype=bool)
    wins, labeller, prob = draw.a_wins, draw.labeller, draw.probability
    n_ties = 0
    if kind == "test":
        wins, keep = average_reward_labels(la, lb, ties, rewards, type_weights)
        n_ties = int((draw.probability == 0.5).sum())
    idx = np.flatnonzero(keep)
    prompts, chosen, rejected, ids_w, ids_l = [], [], [], [], []
    for i in idx:
        src = int(tokens.index[i])
        a, b = text.first[src], text.second[src]
        w, l_, iw, il = (a, b, tokens.first[i], tokens.second[i])
        if not wins[i]:
            w, l_, iw, il = b, a, il, iw
        p, rest_w, rest_l = split_prompt(w, l_)
        prompts.append(p)
        chosen.append(rest_w)
        rejected.append(rest_l)
        ids_w.append(iw)
        ids_l.append(il)
    w_len = np.where(wins, la, lb)[idx]
    l_len = np.where(wins, lb, la)[idx]
    p_chosen = np.where(wins, prob, 1.0 - prob)[idx]
    info = {
        "dataset": kind,
        "seed": None if seed is None else int(seed),
        "ties": ties if kind == "test" else None,
        "pairs": int(idx.size),
        "pairs_read": int(tokens.n_read),
        "pairs_dropped_length": int(tokens.n_read - len(tokens)),
        "pairs_truncated": int(tokens.n_truncated),
        "ties_found": n_ties,
        "ties_dropped": int((~keep).sum()),
    }
    return PreferencePairs(
        tuple(prompts),
        tuple(chosen),
        tuple(rejected),
        np.asarray(w_len, dtype=np.int64),
        np.asarray(l_len, dtype=np.int64),
        tuple(labeller[i] for i in idx),
        np.asarray(p_chosen, dtype=np.float64),
        np.asarray(tokens.index[idx], dtype=np.int64),
        tuple(ids_w),
        tuple(ids_l),
        info,
    )


def build_preference_dataset(
    data_dir: str | Path,
    tokenizer: Any,
    dataset: str,
    seed: int | None = 0,
    split: str | None = None,
    max_length: int = 512,
    length_policy: str = "drop",
    ties: str = "drop",
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    rewards: Sequence[LengthReward | RewardFn] | None = None,
    type_weights: ArrayLike | None = None,
) -> PreferencePairs:
    """Read one split of HH-style data, tokenize it, apply the length policy and relabel it.

    ``split`` defaults to ``test`` for ``dataset='test'`` and ``train`` otherwise.
    """
    kind = check_dataset(dataset)
    split = split or ("test" if kind == "test" else "train")
    text = read_hh(data_dir, split, subsets)
    tokens = tokenize_pairs(tokenizer, text, max_length, length_policy=length_policy)
    pairs = preference_pairs(text, tokens, kind, seed, ties, rewards, type_weights)
    pairs.info.update(split=split, max_length=int(max_length), length_policy=length_policy)
    return pairs


def write_preference_dataset(pairs: PreferencePairs, folder: Path) -> None:
    """Write ``pairs`` into ``folder``: a ``datasets`` folder, ``pairs.jsonl`` and ``relabel.json``.

    ``folder`` must be new or empty (the caller writes it atomically, see
    :func:`socialpref.outputs.write_folder_atomically`).
    """
    pairs.to_dataset().save_to_disk(str(folder))
    with (folder / "pairs.jsonl").open("w", encoding="utf-8") as fh:
        for row in pairs.records():
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    (folder / "relabel.json").write_text(
        json.dumps(pairs.info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
