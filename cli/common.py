"""Helpers shared by the command groups: one-line errors, atomic writes, shared options."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``Error: message`` on stderr (one line) and return an Exit to raise."""
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def warn(message: str, tag: str = "Warning:") -> None:
    """Print ``Warning: message`` on stderr, on one line whatever the terminal width."""
    err_console.print(f"[yellow]{tag}[/] {escape(message)}", highlight=False, soft_wrap=True)


def run_library(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a library function, turning its user-facing errors into one-line CLI errors."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError, OSError) as exc:
        msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        raise fail(msg or exc.__class__.__name__) from None


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json(target: Path, payload: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")


#: At most this many seeds in one --seeds option, and the largest seed.
MAX_SEEDS = 1000
MAX_SEED = 2**32 - 1
_SEED_PART = re.compile(r"([0-9]+)(?:\s*-\s*([0-9]+))?")


def parse_seeds(text: str) -> list[int]:
    """Parse a --seeds option: '0-4' -> [0, 1, 2, 3, 4]; '1,5,9' -> [1, 5, 9]; ranges and lists mix: '0-2,7'.

    Every part is a seed or an ascending range ``LO-HI`` (``LO <= HI``); a descending range,
    a seed given twice, a negative or non-integer part, more than :data:`MAX_SEEDS` seeds or a
    seed above :data:`MAX_SEED` is refused, whichever part it is in.
    """

    def bad(why: str) -> typer.BadParameter:
        return typer.BadParameter(
            f"{why} Expected seeds like '0-4' or '0,3,7'. Got {text!r}.", param_hint="--seeds"
        )

    seeds: list[int] = []
    seen: set[int] = set()
    for raw in text.split(","):
        part = raw.strip()
        m = _SEED_PART.fullmatch(part)
        if m is None:
            raise bad(
                f"{part!r} is neither a non-negative integer nor a range LO-HI."
                if part
                else "An empty seed."
            )
        lo = int(m[1])
        hi = lo if m[2] is None else int(m[2])
        if hi < lo:
            raise bad(f"The range {part!r} descends (write {hi}-{lo}).")
        if hi > MAX_SEED:
            raise bad(f"Seed {hi} is above {MAX_SEED}.")
        if len(seeds) + hi - lo + 1 > MAX_SEEDS:
            raise bad(f"More than {MAX_SEEDS} seeds.")
        for seed in range(lo, hi + 1):
            if seed in seen:
                raise bad(f"Seed {seed} is given twice.")
            seen.add(seed)
            seeds.append(seed)
    return seeds


def read_survey(source: Path, weight: str | None = None, unweighted: bool = False) -> Any:
    """Read a wave or crosstab for a command; warn (one line) about excluded respondents."""
    from socialpref.surveys import read_source

    survey = run_library(read_source, source, weight=weight, unweighted=unweighted)
    if survey.n_bad_weights:
        warn(
            f"{survey.source}: {survey.n_bad_weights} respondents have a missing or zero "
            f"weight in {survey.weight_column}; they are excluded."
        )
    return survey
