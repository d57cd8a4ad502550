"""`socialpref report` (markdown and HTML report with figures) and `socialpref demo` (the main job)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from socialpref.app import AnalysisOptions, SweepOptions
from socialpref_cli.common import FORCE_OPTION, err_console, quiet, status, warn, warn_run
from socialpref_cli.constants import EXIT_SKIPPED, HELP
from socialpref_cli.options import analysis_options


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
    """Say where the report went, on standard error (standard output carries only results);
    nothing with ``--quiet``."""
    if quiet():
        return
    page = path.parent / "report.html"
    err_console.print(
        f"Report written to [bold]{_where(path)}[/] and [bold]{_where(page)}[/] "
        f"(figures in {_where(path.parent / 'figures')}).",
        highlight=False,
        soft_wrap=True,
    )


@analysis_options(sweep=True)
def report(
    sources: list[Path] = typer.Argument(
        ..., help="ATP waves (.sav, .dta) and crosstabs (.csv, .parquet).", show_default=False
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Output folder (default reports/<name of the first source>)."
    ),
    includes: list[Path] = typer.Option(
        [],
        "--include",
        help="A result JSON of another command (counterexamples, train) to show; repeatable.",
    ),
    force: bool = FORCE_OPTION,
    *,
    options: AnalysisOptions,
    sweep: SweepOptions,
) -> None:
    """Write a report (markdown, and one HTML page) with tables and figures: NBC vs average reward vs the other targets, sensitivity, uncertainty."""
    from socialpref.outputs import prepare_folder
    from socialpref.report import build_survey_report, write_report
    from socialpref.report.markdown import slug

    if out is None:
        out = Path("reports") / slug(sources[0].stem)
    prepare_folder(out, force, inputs=[*sources, *includes], kind="report", notify=warn)
    with status("socialpref report") as step:
        built = build_survey_report(
            sources,
            options,
            sweep,
            includes=includes,
            command=_command_line("report"),
            progress=step,
        )
        step("tables and figures")
        path = write_report(built, out, force=force)
    _done(path)
    warn_run(built.run.analysis, ())
    if not built.run.analysis.complete:
        raise typer.Exit(EXIT_SKIPPED)


def demo(
    out: Path = typer.Option(
        None, "--out", "-o", help="Output folder (default reports/demo/ of the checkout)."
    ),
    force: bool = FORCE_OPTION,
) -> None:
    """The main job: report on the demo wave that ships with socialpref into reports/demo/."""
    from socialpref.report import run_demo

    with status("socialpref demo") as step:
        path = run_demo(out, force=force, command=_command_line("demo"), progress=step, notify=warn)
    _done(path)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``demo`` to the root app."""
    app.command("report", help=HELP["report"])(report)
    app.command("demo", help=HELP["demo"])(demo)
