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
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from socialpref._typing import IntArray
from socialpref._validation import check_scalar
from socialpref.errors import DataError, ParameterError

TokenIds = NDArray[np.int32]

DEFAULT_SUBSETS: tuple[str, ...] = ("helpful-base", "harmless-base")
LENGTH_POLICIES: tuple[str, ...] = ("drop", "truncate")
"""Pairs with a side over ``max_length`` tokens: ``drop`` them (the paper's text) or keep the
first ``max_length`` tokens of each side (``truncate``: the authors' code)."""
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


def _read_lines(
    fh: Any, path: Path, limit: int | None, first: list[str], second: list[str]
) -> None:
    """Append the pairs of the open file ``fh`` to ``first`` and ``second``."""
    for lineno, line in enumerate(fh, start=1):
        if limit is not None and len(first) >= limit:
            break
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{lineno}: not a JSON line ({exc.msg}).") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object with fields {list(FIELDS)}.")
        for field in FIELDS:
            if not isinstance(row.get(field), str):
                raise DataError(
                    f"{path}:{lineno}: missing string field {field!r} "
                    f"(each line needs the fields {list(FIELDS)}; found {sorted(row)})."
                )
        first.append(row["chosen"])
        second.append(row["rejected"])


def read_jsonl_pairs(path: str | Path, limit: int | None = None) -> TextPairs:
    """Read ``chosen``/``rejected`` pairs from one ``.jsonl`` or ``.jsonl.gz`` file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    DataError
        If the file is not valid gzip (``.gz``), is truncated or is not UTF-8 text, or a line
        is not JSON or lacks a string field ``chosen`` or ``rejected``; the message names the
        file (and the line).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Preference data file not found: {path}")
    first: list[str] = []
    second: list[str] = []
    try:
        with _open_text(path) as fh:
            _read_lines(fh, path, limit, first, second)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        what = "truncated" if isinstance(exc, EOFError) else "not a valid gzip file"
        raise DataError(
            f"{path} is {what} ({exc or type(exc).__name__}); restore or re-download it."
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
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
        raise ParameterError(
            f"The 'split' parameter must be 'train' or 'test'. Got {split!r} instead."
        )
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
    n_truncated : int
        Kept pairs with at least one side cut to ``max_length`` tokens (``truncate`` policy).
    """

    first: tuple[TokenIds, ...]
    second: tuple[TokenIds, ...]
    index: IntArray
    n_read: int
    n_truncated: int = 0

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
        return TokenizedPairs(
            self.first[:n], self.second[:n], self.index[:n], self.n_read, self.n_truncated
        )


def _batched(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def tokenize_pairs(
    tokenizer: Any,
    pairs: TextPairs,
    max_length: int = 512,
    batch_size: int = 1000,
    length_policy: str = "drop",
) -> TokenizedPairs:
    """Tokenize both sides and apply the length policy at ``max_length`` tokens.

    ``tokenizer`` is any Hugging Face tokenizer (called on a list of strings, special tokens
    added). ``length_policy='drop'`` keeps pairs whose two dialogues have at most
    ``max_length`` tokens (the paper's text, Appendix E); ``'truncate'`` keeps every pair and
    cuts longer sides to their first ``max_length`` tokens (the authors' code). Sides with fewer
    than 2 tokens are always dropped (no next token to score).
    """
    check_scalar(max_length, "max_length", int, min_val=2)
    if length_policy not in LENGTH_POLICIES:
        raise ParameterError(
            f"The 'length_policy' parameter must be one of {list(LENGTH_POLICIES)}. "
            f"Got {length_policy!r} instead."
        )
    cut = length_policy == "truncate"

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
        if len(a) >= 2 and len(b) >= 2 and (cut or (len(a) <= max_length and len(b) <= max_length))
    ]
    n_cut = sum(1 for i in keep if max(len(ids_a[i]), len(ids_b[i])) > max_length)
    return TokenizedPairs(
        tuple(ids_a[i][:max_length] for i in keep),
        tuple(ids_b[i][:max_length] for i in keep),
        np.asarray(keep, dtype=np.int64),
        len(pairs),
        n_cut,
    )
