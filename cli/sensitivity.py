"""`socialpref sensitivity`: the smallest TV change of the sampling distribution that changes NBC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from socialpref.app import AnalysisOptions, SweepOptions, SweepRun, analyze_sources, sweep_sources
from socialpref_cli.common import (
    FORMAT_OPTION,
    Format,
    check_format,
    check_outputs,
    console,
    emit,
    flat,
    json_bytes,
    png_bytes,
    print_result,
    progress_bar,
    status,
    warn_run,
)
from socialpref_cli.constants import EXIT_SKIPPED, HELP
from socialpref_cli.options import analysis_options

#: Up to this many kept questions, the table lists each one.
MAX_ROWS = 30


def _short(text: str, width: int = 22) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _tv(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _questions_table(run: SweepRun) -> Table:
    table = Table(title="Minimal TV that changes NBC's order", title_justify="left")
    cols = ("source", "question", "min TV", "95% interval", "pair i > j (j overtakes i)", "top",
            "P(flippable)", "P(top)", "flip", "repair TV")  # fmt: skip
    for col in cols:
        right = "TV" in col or col.startswith(("P(", "95%"))
        table.add_column(col, justify="right" if right else "left", overflow="fold")
    for q in run.sensitivity.kept:
        res, sup, label = q.result, q.support, q.analysis.options
        assert res is not None
        pair = "-" if res.pair is None else f"{_short(label[res.pair[0]])} > {_short(label[res.pair[1]])}"  # fmt: skip
        verdict = q.flip_verdict or "-"
        mark = "" if verdict in ("supported", "-") else "[yellow]"
        table.add_row(
            q.analysis.source,
            q.analysis.question,
            _tv(res.min_tv),
            "-" if sup is None else escape(sup.interval_text()),
            escape(pair),
            "yes" if res.top_flip else "",
            "-" if sup is None else f"{sup.p_flippable:.2f}",
            "-" if sup is None else f"{sup.p_top_flip:.2f}",
            f"{mark}{verdict}",
            _tv(res.repair_tv),
        )
    return table


def _summary_table(run: SweepRun) -> Table:
    """The pooled summary beside one column per source (Section 7.1)."""
    sens = run.sensitivity
    by_source = sens.by_source
    table = Table(title="Summary (Section 7.1)", title_justify="left")
    table.add_column("")
    columns: list[dict[str, Any]] = [sens.summary]
    if len(by_source) > 1:
        table.add_column("all (pooled)", justify="right")
        for name in by_source:
            table.add_column(name, justify="right")
        columns += list(by_source.values())
    else:
        table.add_column("value", justify="right")
    for key in sens.summary:
        cells = [
            "-" if (v := c.get(key)) is None else f"{v:.4f}" if isinstance(v, float) else str(v)
            for c in columns
        ]
        table.add_row(key.replace("_", " "), *cells)
    return table


def _rows(run: SweepRun) -> list[dict[str, Any]]:
    """``--format csv``: one row per kept question (the JSON of each, flattened)."""
    return [
        flat({k: v for k, v in q.to_dict().items() if k != "distribution"})
        for q in run.sensitivity.kept
    ]


@analysis_options(sweep=True)
def sensitivity_command(
    sources: list[Path] = typer.Argument(
        ..., help="ATP waves (.sav, .dta) or crosstabs (.csv/.parquet)."
    ),
    json_path: Path | None = typer.Option(
        None,
        "--json",
        help="Write the results as JSON here ('-': standard output).",
        dir_okay=False,
    ),
    plot_path: Path | None = typer.Option(
        None,
        "--plot",
        help="Write the CDF of minimal TVs (PNG) here ('-': standard output).",
        dir_okay=False,
    ),
    fmt: Format = FORMAT_OPTION,
    *,
    options: AnalysisOptions,
    sweep: SweepOptions,
) -> None:
    """Smallest total-variation change of the sampling distribution that changes NBC's order."""
    files = (("--json", json_path), ("--plot", plot_path))
    check_outputs(*files, inputs=[*sources, options.sampling, sweep.base])
    check_format(fmt, *files)
    with status("socialpref") as step:
        analysis = analyze_sources(sources, options, progress=step)
    with progress_bar(*Progress.get_default_columns(), MofNCompleteColumn()) as bar:
        task = bar.add_task(f"min-TV ({sweep.solver})", total=len(analysis.questions))
        run = sweep_sources(analysis, sweep, progress=lambda n: bar.advance(task, n))

    def plot() -> bytes:
        from socialpref.report.figures_sensitivity import plot_min_tv_cdf

        return png_bytes(plot_min_tv_cdf(list(run.sensitivity.min_tvs), base_label=run.base_label))

    taken = emit([(json_path, lambda: json_bytes(run)), (plot_path, plot)])
    warn_run(analysis, run.notes)

    def tables() -> None:
        if len(run.sensitivity.kept) <= MAX_ROWS:
            console.print(_questions_table(run))
        console.print(_summary_table(run))

    if not taken:
        print_result(fmt, tables, lambda: run, lambda: _rows(run))
    if not analysis.complete:
        raise typer.Exit(EXIT_SKIPPED)


def register(app: typer.Typer) -> None:
    """Add the `sensitivity` command to the root app."""
    app.command("sensitivity", help=HELP["sensitivity"])(sensitivity_command)
