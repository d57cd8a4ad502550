"""`socialpref sensitivity`: the smallest TV change of the sampling distribution that changes NBC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from socialpref.sensitivity import DELTA, EPS, SOLVERS, sensitivity
from socialpref.surveys import (
    MIN_OPTIONS,
    MIN_PER_OPTION,
    QuestionAnalysis,
    analyze_survey,
    base_fits,
    passes_filters,
    read_sampling,
    survey_sensitivity,
)
from socialpref_cli.common import (
    console,
    err_console,
    fail,
    read_survey,
    run_library,
    warn,
    write_json,
)


def _short(text: str, width: int = 22) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _tables(rows: list[dict[str, Any]], summary: dict[str, Any]) -> list[Table]:
    tables = []
    if len(rows) <= 30:
        per = Table(title="Minimal TV that changes NBC's order", title_justify="left")
        for col in ("source", "question", "min TV", "pair i > j (j overtakes i)", "top", "repair TV"):  # fmt: skip
            per.add_column(col, justify="right" if "TV" in col else "left", overflow="fold")
        for r in rows:
            tv = "-" if r["min_tv"] is None else f"{r['min_tv']:.4f}"
            pair = "-" if r["pair"] is None else f"{_short(r['pair'][0])} > {_short(r['pair'][1])}"
            rep = "-" if r["repair_tv"] is None else f"{r['repair_tv']:.4f}"
            per.add_row(r["source"], r["question"], tv, pair, "yes" if r["top_flip"] else "", rep)
        tables.append(per)
    summ = Table(title="Summary (Section 7.1)", title_justify="left")
    summ.add_column("")
    summ.add_column("value", justify="right")
    for key, value in summary.items():
        text = "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
        summ.add_row(key.replace("_", " "), text)
    tables.append(summ)
    return tables


def sensitivity_command(
    sources: list[Path] = typer.Argument(
        ..., help="ATP waves (.sav) or crosstabs (.csv/.parquet)."
    ),
    question: list[str] | None = typer.Option(
        None, "--question", "-q", help="Only this question (repeatable)."
    ),
    types: str | None = typer.Option(
        None, "--types", help="Type column(s), comma-separated (default F_PARTYSUM_FINAL)."
    ),
    base: str = typer.Option(
        "uniform",
        "--base",
        help="Base distribution: 'uniform' or a JSON file (list or {option: p}).",
    ),
    solver: str = typer.Option(
        "exact", "--solver", help=f"One of {', '.join(SOLVERS)}, or cvxpy:NAME."
    ),
    min_options: int = typer.Option(
        MIN_OPTIONS, "--min-options", help="Keep questions with at least this many options."
    ),
    min_per_option: float = typer.Option(
        MIN_PER_OPTION,
        "--min-per-option",
        help="Keep questions with respondents / options >= this.",
    ),
    model: str | None = typer.Option(
        None, "--model", help="Preference model: bt (default), bt:T, thurstone, majority."
    ),
    eps: float = typer.Option(EPS, "--eps", help="Every option keeps at least this probability."),
    delta: float = typer.Option(DELTA, "--delta", help="Margin of the flip."),
    json_path: Path | None = typer.Option(
        None, "--json", help="Write the results as JSON here.", dir_okay=False
    ),
    plot_path: Path | None = typer.Option(
        None, "--plot", help="Write the CDF of minimal TVs (PNG) here.", dir_okay=False
    ),
) -> None:
    """Smallest total-variation change of the sampling distribution that changes NBC's order."""
    b = None if base == "uniform" else run_library(read_sampling, Path(base))
    run_library(sensitivity, [[0.0, 1.0]], [1.0], solver=solver, eps=eps, delta=delta, model=model)
    wanted = list(dict.fromkeys(question)) if question else None
    analysed: list[QuestionAnalysis] = []
    skipped = 0
    for src in sources:
        survey = read_survey(src)
        result = run_library(analyze_survey, survey, wanted, types=types, on_unknown="skip")
        analysed += result.questions
        skipped += len(result.unanalysable)
    missing = [w for w in wanted or [] if not any(q.question == w for q in analysed)]
    if wanted and len(missing) == len(wanted):
        raise fail(f"None of the questions {wanted} was found (or analysable) in the sources.")
    for name in missing:
        warn(f"{name} not found or not analysable.")
    kept = [q for q in analysed if passes_filters(q, min_options, min_per_option)]
    for q in analysed:
        if wanted and q.question in wanted and not passes_filters(q, min_options, min_per_option):
            warn(
                f"{q.question} has {len(q.options)} options and {q.n_respondents} respondents: "
                f"removed by --min-options {min_options} / --min-per-option {min_per_option:g}."
            )
    if b is not None and not all(base_fits(b, q) for q in kept):
        raise fail(f"The --base file '{base}' does not fit the options of every kept question.")
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task(f"min-TV ({solver})", total=len(kept))
        sweep = run_library(
            survey_sensitivity,
            analysed,
            skipped=skipped,
            min_options=min_options,
            min_per_option=min_per_option,
            base=b,
            solver=solver,
            model=model,
            eps=eps,
            delta=delta,
            progress=lambda n: bar.advance(task, n),
        )
    payload = sweep.to_dict()
    rows = payload["questions"]
    if json_path is not None:
        run_library(write_json, json_path, payload)
    if plot_path is not None:
        from socialpref.report.figures_sensitivity import save_min_tv_cdf

        label = "uniform" if b is None else Path(base).stem
        run_library(save_min_tv_cdf, list(sweep.min_tvs), plot_path, base_label=label)
    for table in _tables(rows, payload["summary"]):
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `sensitivity` command to the root app."""
    app.command("sensitivity")(sensitivity_command)
