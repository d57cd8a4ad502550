"""Helpers shared by the command groups: one-line errors, outputs (files, ``-``, ``--format``),
progress on stderr, seeds."""

from __future__ import annotations

import csv
import io
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from socialpref.errors import OutputError, SocialPrefError

#: The width of a console that is not a terminal (a pipe, a file): wide enough never to wrap.
UNWRAPPED = 100_000


class _Console(Console):
    """A rich console that wraps lines and tables at the terminal's width, and never when it
    writes into a pipe or a file (where rich would wrap at 80 columns, or at the width of
    another stream's terminal). Colour is off there too (rich's own rule), and with NO_COLOR."""

    @property  # type: ignore[misc]
    def size(self) -> ConsoleDimensions:
        dims = Console.size.fget(self)  # type: ignore[attr-defined]
        if not self.is_terminal:  # COLUMNS too is for terminals
            return ConsoleDimensions(UNWRAPPED, dims.height)
        return ConsoleDimensions(*dims)


console = _Console()
err_console = _Console(stderr=True)

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


@dataclass
class RootOptions:
    """The root options of the command that runs (``socialpref --debug --quiet --verbose``),
    set by the root callback for the commands' helpers."""

    debug: bool = False
    quiet: bool = False
    verbose: bool = False


#: The root options of the command that runs.
ROOT = RootOptions()


def debugging() -> bool:
    """Whether ``--debug`` was given (tracebacks for every error)."""
    return ROOT.debug


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


#: The file name that stands for standard output in every file option (``--json -``).
STDOUT = "-"


def is_stdout(path: str | Path | None) -> bool:
    """Whether an output option names standard output (``-``)."""
    return path is not None and str(path) == STDOUT


def check_outputs(
    *options: tuple[str, str | Path | None], inputs: Sequence[str | Path | None] = ()
) -> None:
    """Before any work: every ``(flag, path)`` output can be written (:func:`socialpref.outputs.
    check_file_target`) and is none of the run's ``inputs`` (None entries are ignored), at most
    one names standard output and no file is named twice.

    Raises
    ------
    OutputError
        The first output that cannot be written or is an input, or two options that name the
        same place.
    """
    from socialpref.outputs import check_file_target

    read = [p for p in inputs if p is not None]
    seen: dict[str, str] = {}
    for flag, path in options:
        if path is None:
            continue
        key = STDOUT if is_stdout(path) else str(check_file_target(path, flag, inputs=read))
        if key in seen:
            where = "standard output" if key == STDOUT else repr(str(path))
            raise OutputError(f"{seen[key]} and {flag} both write to {where}; give each its own.")
        seen[key] = flag


def emit(outputs: Sequence[tuple[str | Path | None, Callable[[], bytes]]]) -> bool:
    """Write a command's outputs together: every file, or none; ``-`` to standard output.

    Each ``(path, render)`` with a path renders its content first (``render()``), so that a
    failure in any of them writes nothing; the files are then written together
    (:func:`socialpref.outputs.write_together`), and last the one that names ``-`` goes to
    standard output. Returns whether standard output was written (a command then prints no
    table there).
    """
    from socialpref.outputs import write_together

    rendered = [(path, render()) for path, render in outputs if path is not None]
    write_together([(Path(p), data) for p, data in rendered if not is_stdout(p)])
    to_stdout = [data for p, data in rendered if is_stdout(p)]
    for data in to_stdout:
        write_stdout(data)
    return bool(to_stdout)


def write_stdout(data: bytes) -> None:
    """Write bytes to standard output (binary when it has a buffer)."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:  # pragma: no cover - a text-only stream
        stream.write(data.decode("utf-8", errors="replace"))
        stream.flush()


def json_bytes(payload: Any) -> bytes:
    """``payload`` (a result or plain data) as JSON (:func:`socialpref.serialize.dumps`)."""
    from socialpref.serialize import dumps

    return (dumps(payload) + "\n").encode("utf-8")


def csv_bytes(rows: Sequence[Mapping[str, Any]], fields: Sequence[str] = ()) -> bytes:
    """``rows`` as CSV: the union of their keys as header (``fields`` when no row has any)."""
    header = list(dict.fromkeys(k for r in rows for k in r)) or list(fields)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as one CSV row: nested keys joined with ``.``, lists with ``; ``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out[name] = "; ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def png_bytes(figure: Any) -> bytes:
    """A matplotlib figure as the report's PNG (:func:`socialpref.report.figures.save_png`)."""
    from socialpref.report.figures import save_png

    with tempfile.TemporaryDirectory() as folder:
        return save_png(figure, Path(folder) / "figure.png").read_bytes()


def write_json(target: Path, payload: Any) -> None:
    """Write ``payload`` as JSON to ``target`` atomically, or to standard output for ``-``."""
    emit([(target, lambda: json_bytes(payload))])


#: ``--force`` of every command that writes a folder.
FORCE_OPTION: Any = typer.Option(
    False,
    "--force",
    help="Replace an output folder that another socialpref command wrote. A folder that holds "
    "files socialpref did not write, or an input of the run, is never replaced.",
)


class Format(str, Enum):
    """What a command prints on standard output: tables to read, or data for scripts."""

    table = "table"
    json = "json"
    csv = "csv"


#: ``--format``, shared by every command that prints results.
FORMAT_OPTION: Any = typer.Option(
    Format.table,
    "--format",
    help="What to print on standard output: table (to read), json or csv (for scripts).",
    case_sensitive=False,
)


def check_format(fmt: Format, *options: tuple[str, str | Path | None]) -> None:
    """``--format json|csv`` and an output option ``-`` cannot both write standard output."""
    for flag, path in options:
        if fmt is not Format.table and is_stdout(path):
            raise OutputError(
                f"--format {fmt.value} and {flag} - both write to standard output; give one of "
                "them a file."
            )


def print_result(
    fmt: Format,
    tables: Callable[[], object],
    payload: Callable[[], Any],
    rows: Callable[[], Sequence[Mapping[str, Any]]],
) -> None:
    """Print a command's result as ``fmt`` asks: ``tables()`` prints the tables; JSON of
    ``payload()``; CSV of ``rows()``."""
    if fmt is Format.json:
        write_stdout(json_bytes(payload()))
    elif fmt is Format.csv:
        write_stdout(csv_bytes(rows()))
    else:
        tables()


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


def quiet() -> bool:
    """Whether ``--quiet`` was given (no progress)."""
    return ROOT.quiet


def verbose() -> bool:
    """Whether ``--verbose`` was given without ``--quiet`` (every step as a line on stderr,
    with its time)."""
    return ROOT.verbose and not ROOT.quiet


def show_progress() -> bool:
    """Whether progress is shown: stderr is a terminal and ``--quiet`` was not given."""
    return err_console.is_terminal and not quiet()


@contextmanager
def status(title: str) -> Iterator[Callable[[str], object]]:
    """A spinner on stderr while a long step runs; yields the function that says what it is
    doing now. Hidden when stderr is not a terminal or with ``--quiet``; with ``--verbose``,
    every step is also a line on stderr with the time since the start."""
    start = time.perf_counter()
    detail = verbose()

    def log(text: str) -> None:
        if detail:
            err_console.print(
                f"{title}: {text} ({time.perf_counter() - start:.1f} s)",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )

    if not show_progress():
        yield log
        log("done")
        return
    with err_console.status(escape(title)) as shown:

        def step(text: str) -> None:
            log(text)
            shown.update(escape(f"{title}: {text}"))

        yield step
    log("done")


def progress_bar(*columns: Any) -> Any:
    """A rich progress bar on stderr (never stdout), hidden when stderr is not a terminal or
    with ``--quiet``; ``columns`` as :class:`rich.progress.Progress` takes them."""
    from rich.progress import Progress

    return Progress(*columns, console=err_console, transient=True, disable=not show_progress())


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
