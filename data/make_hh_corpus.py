"""Generate a small, clearly synthetic corpus in the HH-RLHF format (for tests and the demo).

Writes ``<out>/<subset>/{train,test}.jsonl.gz`` for the subsets ``helpful-base`` and
``harmless-base``. Each line is ``{"chosen": ..., "rejected": ...}``: two whole dialogues
("\\n\\nHuman: ... \\n\\nAssistant: ...") that share the prompt and differ in the last
assistant reply. The words are drawn from a small made-up vocabulary, so the text is
obviously synthetic; the lengths vary from a few to a few hundred tokens so that the
length-based user types of the paper (Section 7.3, Appendix E) disagree.

The output is deterministic for a given seed (numpy Generator, gzip with mtime=0,
sorted JSON keys).

Usage::

    python data/make_hh_corpus.py [--out data/hh_synthetic] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path

import numpy as np

SUBSETS = ("helpful-base", "harmless-base")
SPLIT_SIZES = {"train": 160, "test": 40}

_WORDS = (
    "synthetic blue river lamp quiet orbit paper garden signal maple copper window "
    "cloud pencil harbor ticket violet engine meadow puzzle canvas silver tunnel "
    "lantern comet basket ladder velvet compass marble pepper falcon glacier"
).split()
_QUESTIONS = (
    "how do I fix a {a} {b}",
    "what is the best way to clean a {a} {b}",
    "can you explain the {a} {b} rule",
    "tell me a fact about the {a} {b}",
    "why does my {a} {b} make noise",
    "should I paint the {a} {b}",
)


def _sentence(rng: np.random.Generator, n_words: int) -> str:
    words = rng.choice(_WORDS, size=max(int(n_words), 1))
    return " ".join(str(w) for w in words).capitalize() + "."


def _reply(rng: np.random.Generator, n_words: int) -> str:
    parts, left = [], int(n_words)
    while left > 0:
        k = int(min(left, rng.integers(4, 13)))
        parts.append(_sentence(rng, k))
        left -= k
    return " ".join(parts)


def _question(rng: np.random.Generator) -> str:
    template = _QUESTIONS[int(rng.integers(len(_QUESTIONS)))]
    a, b = rng.choice(_WORDS, size=2)
    return template.format(a=a, b=b).capitalize() + "?"


def make_dialogue_pair(rng: np.random.Generator) -> dict[str, str]:
    """One synthetic HH-format pair: shared prompt turns, two different final replies."""
    turns = int(rng.integers(1, 3))
    prompt = ""
    for t in range(turns):
        prompt += f"\n\nHuman: {_question(rng)}"
        if t < turns - 1:
            prompt += f"\n\nAssistant: {_reply(rng, int(rng.integers(5, 30)))}"
    # Reply lengths from a wide log-uniform range: 3 to ~250 words.
    n1, n2 = np.exp(rng.uniform(np.log(3), np.log(250), size=2)).astype(int)
    chosen = prompt + f"\n\nAssistant: {_reply(rng, n1)}"
    rejected = prompt + f"\n\nAssistant: {_reply(rng, n2)}"
    return {"chosen": chosen, "rejected": rejected}


def _write_jsonl_gz(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        for row in rows:
            gz.write((json.dumps(row, sort_keys=True) + "\n").encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def make_corpus(out: Path, seed: int = 0) -> list[Path]:
    """Write the corpus under ``out`` and return the written paths."""
    rng = np.random.default_rng(seed)
    written = []
    for subset in SUBSETS:
        for split, n in SPLIT_SIZES.items():
            rows = [make_dialogue_pair(rng) for _ in range(n)]
            path = Path(out) / subset / f"{split}.jsonl.gz"
            _write_jsonl_gz(path, rows)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "hh_synthetic")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in make_corpus(args.out, args.seed):
        print(path)


if __name__ == "__main__":
    main()
