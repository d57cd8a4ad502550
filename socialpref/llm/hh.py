"""Reading HH-RLHF-style preference data and tokenizing it (paper Section 7.3).

Accepted layouts (local files only, nothing is downloaded):

- a folder as HH-RLHF is distributed: ``<root>/<subset>/<split>.jsonl.gz`` (or ``.jsonl``),
  subsets ``helpful-base`` and ``harmless-base`` by default;
- a folder with ``<root>/<split>.jsonl.gz`` (or ``.jsonl``) directly;
- a single ``.jsonl`` / ``.jsonl.gz`` file.

Each line must be a JSON object with string fields ``chosen`` and ``rejected`` (whole
dialogues). The original labels are ignored later: the pairs are relabelled by user types.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import IntArray

TokenIds = NDArray[np.int32]

DEFAULT_SUBSETS: tuple[str, ...] = ("helpful-base", "harmless-base")
FIELDS: tuple[str, str] = ("chosen", "rejected")


@dataclass(frozen=True)
class TextPairs:
    """Pairs of whole dialogues as read from disk.

    Attributes
    ----------
    first, second : tuple of str
        The ``chosen`` and ``rejected`` dialogues of the source file (labels not used).
    sources : tuple of str
        The file each pair came from.
    """

    first: tuple[str, ...]
    second: tuple[str, ...]
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.first)


def _open_text(path: Path) -> Any:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def read_jsonl_pairs(path: str | Path, limit: int | None = None) -> TextPairs:
    """Read ``chosen``/``rejected`` pairs from one ``.jsonl`` or ``.jsonl.gz`` file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a line is not JSON, or lacks a string field ``chosen`` or ``rejected``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Preference data file not found: {path}")
    first: list[str] = []
    second: list[str] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if limit is not None and len(first) >= limit:
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not a JSON line ({exc.msg}).") from None
            if not isinstance(row, dict):
                raise ValueError(
                    f"{path}:{lineno}: expected a JSON object with fields {list(FIELDS)}."
                )
            for field in FIELDS:
                if not isinstance(row.get(field), str):
                    raise ValueError(
                        f"{path}:{lineno}: missing string field {field!r} "
                        f"(each line needs the fields {list(FIELDS)}; found {sorted(row)})."
                    )
            first.append(row["chosen"])
            second.append(row["rejected"])
    return TextPairs(tuple(first), tuple(second), (str(path),) * len(first))


def find_split_files(
    root: str | Path, split: str, subsets: Sequence[str] | None = DEFAULT_SUBSETS
) -> list[Path]:
    """Files holding ``split`` under ``root`` (see the module docstring for the layouts)."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"Preference data not found: {root}")
    if root.is_file():
        return [root]
    names = (f"{split}.jsonl.gz", f"{split}.jsonl")

    def first_existing(folder: Path) -> Path | None:
        return next((folder / n for n in names if (folder / n).is_file()), None)

    files: list[Path] = []
    missing: list[str] = []
    for subset in subsets or ():
        found = first_existing(root / subset)
        if found is None:
            missing.append(subset)
        else:
            files.append(found)
    if files and missing:
        raise FileNotFoundError(
            f"No {split}.jsonl(.gz) for subset(s) {missing} under {root} (found {[str(f) for f in files]})."
        )
    if not files:
        direct = first_existing(root)
        if direct is None:
            raise FileNotFoundError(
                f"No {split} data under {root}: expected <subset>/{split}.jsonl.gz for subsets "
                f"{list(subsets or ())} or {split}.jsonl(.gz) in the folder itself."
            )
        files.append(direct)
    return files


def read_hh(
    root: str | Path,
    split: str = "train",
    subsets: Sequence[str] | None = DEFAULT_SUBSETS,
    limit: int | None = None,
) -> TextPairs:
    """Read one split of HH-RLHF (or any data in the same layout); ``limit`` caps pairs per file.

    >>> from pathlib import Path
    >>> pairs = read_hh(Path("data/hh_synthetic"), "test")
    >>> len(pairs), pairs.first[0].startswith("\\n\\nHuman:")
    (80, True)
    """
    if split not in ("train", "test"):
        raise ValueError(f"The 'split' parameter must be 'train' or 'test'. Got {split!r} instead.")
    parts = [read_jsonl_pairs(f, limit) for f in find_split_files(root, split, subsets)]
    return TextPairs(
        tuple(t for p in parts for t in p.first),
        tuple(t for p in parts for t in p.second),
        tuple(s for p in parts for s in p.sources),
    )


@dataclass(frozen=True)
class TokenizedPairs:
    """Token ids of both sides of each kept pair, after the length filter.

    Attributes
    ----------
    first, second : tuple of numpy.ndarray of int32
        Token ids (with the tokenizer's special tokens) of the two dialogues; int32 arrays
        take 4 bytes a token (HH-RLHF: about 65 million tokens) instead of a Python int each.
    index : numpy.ndarray of int
        Position of each kept pair in the source :class:`TextPairs`.
    n_read : int
        Number of pairs before filtering.
    """

    first: tuple[TokenIds, ...]
    second: tuple[TokenIds, ...]
    index: IntArray
    n_read: int

    def __len__(self) -> int:
        return len(self.first)

    @property
    def lengths(self) -> tuple[IntArray, IntArray]:
        """Token lengths of the first and second dialogues."""
        return (
            np.fromiter(map(len, self.first), dtype=np.int64, count=len(self.first)),
            np.fromiter(map(len, self.second), dtype=np.int64, count=len(self.second)),
        )

    def head(self, n: int | None) -> TokenizedPairs:
        """The first ``n`` pairs (all when ``n`` is None)."""
        if n is None or n >= len(self):
            return self
        return TokenizedPairs(self.first[:n], self.second[:n], self.index[:n], self.n_read)


def _batched(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def tokenize_pairs(
    tokenizer: Any, pairs: TextPairs, max_length: int = 512, batch_size: int = 1000
) -> TokenizedPairs:
    """Tokenize both sides and keep pairs whose two dialogues have at most ``max_length`` tokens.

    ``tokenizer`` is any Hugging Face tokenizer (called on a list of strings, special tokens
    added). The paper keeps pairs with both lengths <= 512 (Appendix E).
    """
    if int(max_length) < 2:
        raise ValueError(
            f"The 'max_length' parameter must be an integer >= 2. Got {max_length!r} instead."
        )

    def encode(texts: Sequence[str]) -> list[TokenIds]:
        out: list[TokenIds] = []
        for chunk in _batched(texts, batch_size):
            ids = tokenizer(chunk, add_special_tokens=True)["input_ids"]
            out.extend(np.asarray(x, dtype=np.int32) for x in ids)
        return out

    ids_a, ids_b = encode(pairs.first), encode(pairs.second)
    keep = [
        i
        for i, (a, b) in enumerate(zip(ids_a, ids_b, strict=True))
        if 2 <= len(a) <= max_length and 2 <= len(b) <= max_length
    ]
    return TokenizedPairs(
        tuple(ids_a[i] for i in keep),
        tuple(ids_b[i] for i in keep),
        np.asarray(keep, dtype=np.int64),
        len(pairs),
    )
