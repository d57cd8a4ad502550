"""`socialpref report` (markdown report with figures) and `socialpref demo` (the main job)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from socialpref_cli.common import console, run_library


def _command_line(name: str) -> str:
    """The command as typed, with the program shortened to ``socialpref`` (for the provenance).

    Outside the ``socialpref`` script (tests, ``python -m``) it is ``socialpref NAME``.
    """
    if sys.argv and Path(sys.argv[0]).name.startswith("socialpref") and len(sys.argv) > 1:
        return shlex.join(["socialpref", *sys.argv[1:]])
    return f"socialpref {name}"


def _where(path: Path) -> str:
    """``path`` relative to the working directory when inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _done(path: Path) -> None:
    console.print(
        f"Report written to [bold]{_where(path)}[/] (figures in {_where(path.parent / 'figures')}).",
        highlight=False,
        soft_wrap=True,
    )


def report(
    sources: list[Path] = typer.Argument(
        ..., help="ATP waves (.sav) and crosstabs (.csv, .parquet).", show_default=False
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Output folder (default reports/<name of the first source>)."
    ),
    question: list[str] = typer.Option(
        [],
        "--question",
        "-q",
        help="Report only this question (repeat for several); it always gets a section.",
    ),
    types: str = typer.Option(
        None, "--types", help="Type column(s), comma-separated (default F_PARTYSUM_FINAL)."
    ),
    include: list[Path] = typer.Option(
        [],
        "--include",
        help="A result JSON of another command (counterexamples, train) to show; repeatable.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace the output folder even if socialpref did not write it."
    ),
) -> None:
    """Write a markdown report with tables and figures: NBC vs average reward, sensitivity."""
    from socialpref.report import make_report
    from socialpref.report.markdown import slug

    if out is None:
        out = Path("reports") / slug(sources[0].stem)
    path = run_library(
        make_report,
        [str(s) for s in sources],
        out,
        force=force,
        questions=question or None,
        types=types,
        includes=[str(i) for i in include],
        command=_command_line("report"),
    )
    _done(path)


def demo(
    out: Path = typer.Option(
        None, "--out", "-o", help="Output folder (default reports/demo/ of the checkout)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace the output folder even if socialpref did not write it."
    ),
) -> None:
    """The main job: report on the embedded demo wave (data/demo/ATP W900.sav) into reports/demo/."""
    from socialpref.report import run_demo

    path = run_library(run_demo, out, force=force, command=_command_line("demo"))
    _done(path)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``demo`` to the root app."""
    app.command("report")(report)
    app.command("demo")(demo)
