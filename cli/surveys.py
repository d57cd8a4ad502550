"""`socialpref surveys`: Pew ATP waves and crosstabs -> per-type rewards, average reward, NBC."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from socialpref.app import AnalysisOptions, analyze_sources
from socialpref.surveys import INCLUDABLE_KINDS, QuestionAnalysis, SurveyAnalysis, read_source
from socialpref.targets import TARGET_NAMES
from socialpref_cli.common import (
    FORMAT_OPTION,
    Format,
    check_format,
    check_outputs,
    console,
    csv_bytes,
    emit,
    flat,
    json_bytes,
    print_result,
    status,
    warn,
    warn_run,
)
from socialpref_cli.constants import EXIT_SKIPPED, HELP
from socialpref_cli.options import analysis_options

app = typer.Typer(help=HELP["surveys"], no_args_is_help=True)

SOURCE_ARG = typer.Argument(
    ..., help="An ATP wave (.sav, .dta) or a long crosstab (.csv/.parquet)."
)
WEIGHT_OPTION = typer.Option(
    None, "--weight", help="Weight column (default the wave's WEIGHT_W<n>)."
)
UNWEIGHTED_OPTION = typer.Option(
    False, "--unweighted", help="Count people instead of weighting them."
)
#: The header of an empty ``--csv``.
CSV_FIELDS = ("source", "question", "option")
#: Column titles of the targets in tables.
TARGET_TITLES = {
    "average_reward": "average reward",
    "nbc": "NBC",
    "maximal_lottery": "max. lottery",
    "condorcet": "Condorcet",
    "copeland": "Copeland",
    "nash": "Nash",
}


def _tau(value: float, digits: int) -> str:
    """Kendall tau for display; '-' where it is undefined (NaN: a constant ranking)."""
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _points(moe: float) -> str:
    """A margin of error in percentage points, '-' when unknown (crosstabs)."""
    return "-" if math.isnan(moe) else f"±{100 * moe:.1f}"


def _shorten(text: str, width: int = 70) -> str:
    """``text`` cut to ``width`` characters on a terminal; whole into a pipe or a file."""
    if not console.is_terminal or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def _list_tables(survey: Any, rows: list[Any]) -> None:
    title = f"{survey.source} ({survey.kind}, {len(survey.questions)} questions"
    title += f", {survey.n_respondents} respondents)" if survey.kind == "wave" else ")"
    table = Table(title=title, title_justify="left", caption=survey.file_label or None)
    for col in ("question", "text", "options", "non-answers (never options)", "respondents"):
        table.add_column(col, justify="right" if col == "respondents" else "left")
    for row in rows:
        if row.kind == "question":
            table.add_row(
                row.name,
                _shorten(row.text),
                "; ".join(row.options),
                _shorten("; ".join(row.non_answers), 40),
                str(row.n_respondents),
            )
    console.print(table)
    others = [r for r in rows if r.kind != "question"]
    if others:
        rest = Table(title="Other columns (not analysed by default)", title_justify="left")
        for col in ("column", "class", "why"):
            rest.add_column(col)
        for row in others:
            rest.add_row(row.name, row.kind, _shorten(row.reason, 90))
        console.print(rest)
    if survey.demographics:
        console.print(
            f"Demographic (type) columns: {', '.join(survey.demographics)}", highlight=False
        )


@app.command("list")
def list_command(
    source: Path = SOURCE_ARG,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    json_path: Path | None = typer.Option(
        None,
        "--json",
        help="Write every column with its class as JSON here ('-': standard output).",
        dir_okay=False,
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List every column of a source with its class; questions with their options."""
    check_outputs(("--json", json_path), inputs=[source])
    check_format(fmt, ("--json", json_path))
    with status("socialpref") as step:
        step(f"reading {source.name}")
        survey = read_source(source, weight=weight, unweighted=unweighted)
    if survey.n_bad_weights:
        warn(
            f"{survey.source}: {survey.n_bad_weights} respondents have a missing or zero "
            f"weight in {survey.weight_column}; they are excluded."
        )
    rows = survey.summary()
    payload = {
        "source": survey.source,
        "kind": survey.kind,
        "n_respondents": survey.n_respondents,
        "file_label": survey.file_label,
        "columns": [r.to_dict() for r in rows],
    }
    if not emit([(json_path, lambda: json_bytes(payload))]):
        print_result(
            fmt,
            lambda: _list_tables(survey, rows),
            lambda: payload,
            lambda: [flat(r.to_dict()) for r in rows],
        )


def _interval(value: float, low: float, high: float, fmt: str) -> str:
    return escape(f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]")  # brackets are not markup


def _question_tables(qa: QuestionAnalysis) -> list[Table]:
    shares = Table(title=f"{qa.question}: {qa.text}", title_justify="left")
    shares.add_column("type")
    shares.add_column("p(u)", justify="right")
    shares.add_column("n", justify="right")
    shares.add_column("MoE", justify="right")
    for opt in qa.options:
        shares.add_column(opt, justify="right")
    for k, t in enumerate(qa.types):
        row = [f"{x:.3f}" for x in qa.shares[k]]
        moe = _points(float(qa.design.type_margin_of_error[k]))
        shares.add_row(t, f"{qa.type_weights[k]:.3f}", str(qa.n_per_type[k]), moe, *row)
    rewards = Table(title="Luce-Shepard rewards r(y; u) (Eq. 27)", title_justify="left")
    rewards.add_column("type")
    for opt in qa.options:
        rewards.add_column(opt, justify="right")
    for k, t in enumerate(qa.types):
        rewards.add_row(t, *(f"{x:+.3f}" for x in qa.rewards[k]))
    c, b = qa.comparison, qa.bootstrap
    title = "Average reward (Eq. 9) vs NBC (Eq. 13)"
    if b is not None:
        title += f", {100 * b.level:g}% bootstrap intervals ({b.n_boot} replicates)"
    ranks = Table(title=title, title_justify="left")
    for col in ("option", "n", "D", "average reward", "rank", "NBC", "rank "):
        ranks.add_column(col, justify="left" if col == "option" else "right")
    for i, opt in enumerate(qa.options):
        avg, score = f"{c.average_reward[i]:+.4f}", f"{c.nbc[i]:.4f}"
        if b is not None:
            avg = _interval(c.average_reward[i], b.average_reward_low[i], b.average_reward_high[i], "+.4f")  # fmt: skip
            score = _interval(c.nbc[i], b.nbc_low[i], b.nbc_high[i], ".4f")
        ranks.add_row(
            opt,
            str(qa.n_per_option[i]),
            f"{qa.sampling[i]:.3f}",
            avg,
            str(c.average_ranking[i]),
            score,
            str(c.nbc_ranking[i]),
        )
    return [shares, rewards, ranks]


def _design_line(qa: QuestionAnalysis) -> str:
    d = qa.design
    if math.isnan(d.design_effect):
        return f"{qa.n_respondents} respondents kept."
    return (
        f"{qa.n_respondents} respondents kept (effective n {d.effective_n:.0f}, design effect "
        f"{d.design_effect:.2f}, margin of error {_points(d.margin_of_error)} points)."
    )


def _show_tables(qa: QuestionAnalysis) -> None:
    for table in _question_tables(qa):
        console.print(table)
    verdict = {"agree": "agree", "differ": "[bold red]differ[/]"}.get(
        qa.verdict, "[yellow]differ, not supported by the bootstrap[/]"
    )
    p = "" if qa.p_tops_differ is None else f", P(differ) {qa.p_tops_differ:.2f} over replicates"
    console.print(
        f"{_design_line(qa)} Top by average reward: {qa.average_top!r}; "
        f"top by NBC: {qa.nbc_top!r} ({verdict}{p}); Kendall tau {_tau(qa.kendall_tau, 3)}.",
        highlight=False,
    )
    if qa.unchosen_options:
        console.print(
            f"Chosen by nobody (not analysed): {'; '.join(qa.unchosen_options)}", highlight=False
        )
    console.print(_targets_table([qa]))


@app.command("show")
@analysis_options(exclude=("questions", "strict"))
def show_command(
    source: Path = SOURCE_ARG,
    question: str = typer.Argument(..., help="Question name (see `surveys list`)."),
    fmt: Format = FORMAT_OPTION,
    *,
    options: AnalysisOptions,
) -> None:
    """Show one question: shares and rewards per type, both rankings with intervals, every target."""
    with status("socialpref") as step:
        run = analyze_sources(
            [source],
            dataclasses.replace(options, questions=(question,), strict=True),
            progress=step,
        )
    warn_run(run)
    (qa,) = run.questions
    print_result(fmt, lambda: _show_tables(qa), lambda: qa, lambda: run.merged.to_rows())


def _summary_table(result: SurveyAnalysis) -> Table:
    table = Table(title="Average reward vs NBC", title_justify="left")
    cols = ("source", "question", "n", "MoE", "options", "top: average reward", "top: NBC",
            "tops", "P(differ)", "tau")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right" if col in ("n", "MoE", "options", "P(differ)", "tau") else "left")  # fmt: skip
    for q in result.questions:
        mark = {"differ": "[bold red]", "agree": ""}.get(q.verdict, "[yellow]")
        table.add_row(
            q.source,
            q.question,
            str(q.n_respondents),
            _points(q.design.margin_of_error),
            str(len(q.options)),
            _shorten(q.average_top, 36),
            f"{mark}{_shorten(q.nbc_top, 36)}",
            f"{mark}{q.verdict}",
            "-" if q.p_tops_differ is None else f"{q.p_tops_differ:.2f}",
            _tau(q.kendall_tau, 2),
        )
    return table


def _excluded_table(result: SurveyAnalysis, paper: bool) -> Table | None:
    by_kind: dict[tuple[str, str], list[str]] = {}
    for s in result.excluded:
        by_kind.setdefault((s.source, s.kind), []).append(s.question)
    if not by_kind:
        return None
    table = Table(title="Not analysed (by class; reasons in --json)", title_justify="left")
    for col in ("source", "class", "columns", "bring back with"):
        table.add_column(col)
    for (source, kind), names in by_kind.items():
        listed = _shorten(", ".join(names), 80) + f" ({len(names)})"
        back = f"--include-kind {kind}" if kind in INCLUDABLE_KINDS and not paper else "-"
        table.add_row(source, kind, listed, back)
    return table


def _tops(qa: QuestionAnalysis, name: str) -> str:
    tops = (qa.target_tops or {}).get(name, ())
    return "none" if not tops else escape(_shorten(" = ".join(tops), 28))


def _targets_table(questions: list[QuestionAnalysis]) -> Table:
    """What each target chooses; a disagreement the bootstrap does not support in yellow."""
    beta = next((q.targets.beta for q in questions if q.targets is not None), None)
    title = "Which objective chooses what" + ("" if beta is None else f" (Nash at beta {beta:g})")
    table = Table(title=title, title_justify="left")
    table.add_column("question")
    for name in TARGET_NAMES:
        table.add_column(TARGET_TITLES[name])
    table.add_column("targets")
    table.add_column("P(disagree)", justify="right")
    for q in questions:
        verdict = "agree" if q.targets_agree else "disagree"
        mark = ""
        if q.targets_agree is False:
            supported = q.targets_disagreement_supported
            mark = "[yellow]" if supported is False else "[bold red]"
            verdict += ", not supported" if supported is False else ""
        p = "-" if q.target_support is None else f"{q.target_support.p_disagree:.2f}"
        table.add_row(q.question, *(_tops(q, name) for name in TARGET_NAMES), f"{mark}{verdict}", p)
    return table


@app.command("analyze")
@analysis_options()
def analyze_command(
    sources: list[Path] = typer.Argument(
        ..., help="One or more waves (.sav, .dta) or crosstabs (.csv/.parquet)."
    ),
    json_path: Path | None = typer.Option(
        None,
        "--json",
        help="Write the results as JSON here ('-': standard output).",
        dir_okay=False,
    ),
    csv_path: Path | None = typer.Option(
        None,
        "--csv",
        help="Write one row per option as CSV here ('-': standard output).",
        dir_okay=False,
    ),
    fmt: Format = FORMAT_OPTION,
    *,
    options: AnalysisOptions,
) -> None:
    """Analyse every question (or each --question) of every source; the rest is listed as skipped."""
    files = (("--json", json_path), ("--csv", csv_path))
    check_outputs(*files, inputs=[*sources, options.sampling])
    check_format(fmt, *files)
    with status("socialpref") as step:
        run = analyze_sources(sources, options, progress=step)
    result = run.merged
    taken = emit(
        [
            (json_path, lambda: json_bytes(run)),
            (csv_path, lambda: csv_bytes(result.to_rows(), CSV_FIELDS)),
        ]
    )
    warn_run(run)
    failed = result.unanalysable
    for s in failed:
        warn(f"{s.source} {s.question}: {s.reason}", tag="Skipped")
    if not taken:
        print_result(
            fmt,
            lambda: _analyze_tables(result, options.preprocessing == "paper"),
            lambda: run,
            result.to_rows,
        )
    if not run.complete:
        raise typer.Exit(EXIT_SKIPPED)


def _analyze_tables(result: SurveyAnalysis, paper: bool) -> None:
    console.print(_summary_table(result))
    console.print(_targets_table(result.questions))
    excluded = _excluded_table(result, paper)
    if excluded is not None:
        console.print(excluded)
    n_diff = sum(q.tops_differ for q in result.questions)
    n_unsupported = sum(q.tops_differ_supported is False for q in result.questions)
    support = f" ({n_unsupported} not supported by the bootstrap)" if n_unsupported else ""
    n_targets = sum(q.targets_agree is False for q in result.questions)
    n = len(result.questions)
    console.print(
        f"{n} question{'' if n == 1 else 's'} analysed, {len(result.excluded)} columns not analysed "
        f"for their class, {len(result.unanalysable)} could not be analysed; top choices of the "
        f"average reward and NBC differ in {n_diff}{support}; the targets disagree in {n_targets}.",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    """Add the `surveys` sub-app to the root app."""
    root.add_typer(app, name="surveys")
