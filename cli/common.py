"""Helpers shared by the command groups: one-line errors, atomic writes, seeds."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from socialpref.errors import SocialPrefError
from socialpref_cli.constants import DEBUG_KEY

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


#: What the command line reports as one line: the errors a user can act on, and the operating
#: system's (a missing or unreadable file, a full disk). Anything else is a bug and keeps its
#: traceback; ``socialpref --debug`` shows the traceback of these too.
USER_ERRORS: tuple[type[BaseException], ...] = (SocialPrefError, OSError)


def debugging() -> bool:
    """Whether ``--debug`` was given (tracebacks for every error)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(DEBUG_KEY))


def is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` is reported as one line (:data:`USER_ERRORS`)."""
    return isinstance(exc, USER_ERRORS)


def error_line(exc: BaseException) -> str:
    """The one line that reports ``exc``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc) or exc.__class__.__name__


def run_library(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a library function; a user error (:func:`is_user_error`) becomes a one-line error.

    The root command does the same for every command (:class:`socialpref_cli.main.LazyGroup`);
    this form stops at the call, before anything after it runs.
    """
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        if debugging() or not is_user_error(exc):
            raise
        raise fail(error_line(exc)) from None


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


def write_together(outputs: Sequence[tuple[Path, Callable[[Path], object]]]) -> None:
    """Write every output of a command, or none of them.

    Each ``(target, write)`` writes into a temporary file beside ``target`` (``write(tmp)``);
    only when every write succeeded are they all moved into place. A failing write (a folder
    that cannot be created, a full disk) leaves no output and no temporary file.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for given, write in outputs:
            target = Path(given)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            done.append((Path(name), target))
            write(Path(name))
        for tmp, target in done:
            os.replace(tmp, target)
    finally:
        for tmp, _ in done:
            if tmp.exists():
                tmp.unlink()


def json_writer(payload: Any) -> Callable[[Path], object]:
    """A writer for :func:`write_together`: ``payload`` as JSON (:func:`socialpref.serialize.dumps`)."""
    from socialpref.serialize import dumps

    text = dumps(payload) + "\n"
    return lambda path: path.write_text(text, encoding="utf-8")


def write_json(target: Path, payload: Any) -> None:
    """Write ``payload`` (a result or plain data; :func:`socialpref.serialize.dumps`) as JSON,
    atomically (temporary file, then rename)."""
    write_together([(target, json_writer(payload))])


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


@contextmanager
def status(title: str) -> Iterator[Callable[[str], object]]:
    """A spinner on stderr while a long step runs (rich hides it when stderr is not a
    terminal); yields the function that says what it is doing now."""
    with err_console.status(title) as shown:
        yield lambda text: shown.update(f"{title}: {text}")


def warn_run(analysis: Any, notes: Sequence[str] | None = None) -> None:
    """Warn (stderr) about what a run of :func:`socialpref.app.analyze_sources` left out:
    respondents without a weight, ``notes`` (default the run's), skipped sources."""
    for s in analysis.sources:
        if s.n_bad_weights:
            warn(
                f"{s.name}: {s.n_bad_weights} respondents have a missing or zero weight in "
                f"{s.weight_column}; they are excluded."
            )
    for note in analysis.notes if notes is None else notes:
        warn(note)
    for s in analysis.skipped_sources:
        warn(f"{s.source.name}: {s.reason}", tag="Skipped source:")
