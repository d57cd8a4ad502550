"""Helpers shared by the command groups: one-line errors, atomic writes, shared options."""

from __future__ import annotations

import json
import os
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


def parse_seeds(text: str) -> list[int]:
    """Parse a --seeds option: '0-4' -> [0, 1, 2, 3, 4]; '1,5,9' -> [1, 5, 9]; ranges and lists mix: '0-2,7'."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
        raise typer.BadParameter(
            f"expected seeds like '0-4' or '0,3,7'. Got {text!r}.", param_hint="--seeds"
        ) from None
    if not seeds or min(seeds) < 0:
        raise typer.BadParameter(
            f"expected non-negative seeds like '0-4'. Got {text!r}.", param_hint="--seeds"
        )
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
