"""`socialpref surveys`: Pew ATP waves and crosstabs -> per-type rewards, average reward, NBC."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from socialpref.surveys import (
    DEFAULT_REPLICATES,
    INCLUDABLE_KINDS,
    PREPROCESSINGS,
    QuestionAnalysis,
    SurveyAnalysis,
    analyze_question,
    analyze_survey,
    read_sampling,
)
from socialpref_cli.common import (
    atomic_path,
    console,
    fail,
    read_survey,
    run_library,
    warn,
    write_json,
)

app = typer.Typer(
    help="Pew ATP waves (.sav, .dta) and crosstabs (.csv/.parquet): shares, Luce rewards, "
    "average reward vs NBC, with bootstrap intervals.",
    no_args_is_help=True,
)

SOURCE_ARG = typer.Argument(
    ..., help="An ATP wave (.sav, .dta) or a long crosstab (.csv/.parquet)."
)
TYPES_OPTION = typer.Option(
    None,
    "--types",
    help="Type column(s), comma-separated (default F_PARTYSUM_FINAL; crosstabs: group).",
)
WEIGHT_OPTION = typer.Option(
    None, "--weight", help="Weight column (default the wave's WEIGHT_W<n>)."
)
UNWEIGHTED_OPTION = typer.Option(
    False, "--unweighted", help="Count people instead of weighting them."
)
KEEP_DK_OPTION = typer.Option(
    False,
    "--keep-dk",
    help="Keep 'don't know' answers as an option (refusals, 'not asked' and errors never are).",
)
PREPROCESSING_OPTION = typer.Option(
    "default",
    "--preprocessing",
    help="default: substantive answers of single-choice questions; paper: the paper's rule "
    "(drop code 99 only, keep every other code; the paper's columns).",
)
INCLUDE_OPTION = typer.Option(
    None,
    "--include-kind",
    help=f"Also analyse these column classes, comma-separated: {', '.join(INCLUDABLE_KINDS)}.",
)
BINS_OPTION = typer.Option(
    None,
    "--bins",
    help="Analyse included numeric columns as at most N equal-count ranges of values.",
)
DROP_NO_LEAN_OPTION = typer.Option(
    False,
    "--drop-no-lean",
    help="Drop the no-lean / DK / refused type (kept by default, as in the paper).",
)
SAMPLING_OPTION = typer.Option(
    None,
    "--sampling",
    help="JSON file with D: a list of probabilities or {option label: probability}.",
    dir_okay=False,
)
MODEL_OPTION = typer.Option(
    None, "--model", help="Preference model for NBC: bt (default), bt:T, thurstone, majority."
)
BOOTSTRAP_OPTION = typer.Option(
    DEFAULT_REPLICATES,
    "--bootstrap",
    help="Bootstrap replicates (respondent-level, weighted; waves only); 0 turns it off.",
)
SEED_OPTION = typer.Option(0, "--seed", help="Seed of the bootstrap.")


def _tau(value: float, digits: int) -> str:
    """Kendall tau for display; '-' where it is undefined (NaN: a constant ranking)."""
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _points(moe: float) -> str:
    """A margin of error in percentage points, '-' when unknown (crosstabs)."""
    return "-" if math.isnan(moe) else f"±{100 * moe:.1f}"


def _sampling(path: Path | None) -> Any:
    return None if path is None else run_library(read_sampling, path)


def _shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _check_preprocessing(preprocessing: str) -> None:
    if preprocessing not in PREPROCESSINGS:
        raise typer.BadParameter(
            f"expected one of {', '.join(PREPROCESSINGS)}. Got {preprocessing!r}.",
            param_hint="--preprocessing",
        )


@app.command("list")
def list_command(
    source: Path = SOURCE_ARG,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    json_path: Path | None = typer.Option(
        None, "--json", help="Write every column with its class as JSON here.", dir_okay=False
    ),
) -> None:
    """List every column of a source with its class; questions with their options."""
    survey = read_survey(source, weight, unweighted)
    rows = survey.summary()
    if json_path is not None:
        payload = {
            "source": survey.source,
            "kind": survey.kind,
            "n_respondents": survey.n_respondents,
            "file_label": survey.file_label,
            "columns": [r.to_dict() for r in rows],
        }
        run_library(write_json, json_path, payload)
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


def _interval(value: float, low: float, high: float, fmt: str) -> str:
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


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


@app.command("show")
def show_command(
    source: Path = SOURCE_ARG,
    question: str = typer.Argument(..., help="Question name (see `surveys list`)."),
    types: str | None = TYPES_OPTION,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    keep_dk: bool = KEEP_DK_OPTION,
    preprocessing: str = PREPROCESSING_OPTION,
    include: str | None = INCLUDE_OPTION,
    bins: int | None = BINS_OPTION,
    drop_no_lean: bool = DROP_NO_LEAN_OPTION,
    sampling: Path | None = SAMPLING_OPTION,
    model: str | None = MODEL_OPTION,
    bootstrap: int = BOOTSTRAP_OPTION,
    seed: int = SEED_OPTION,
) -> None:
    """Show one question: shares and rewards per type, both rankings with intervals."""
    _check_preprocessing(preprocessing)
    survey = read_survey(source, weight, unweighted)
    qa = run_library(
        analyze_question,
        survey,
        question,
        types=types,
        keep_dk=keep_dk,
        preprocessing=preprocessing,
        include=include,
        bins=bins,
        drop_no_lean=drop_no_lean,
        sampling=_sampling(sampling),
        model=model,
        bootstrap=bootstrap if survey.kind == "wave" else 0,
        seed=seed,
    )
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


def _write_csv(target: Path, rows: list[dict[str, Any]]) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r)) or ["source", "question", "option"]
    with atomic_path(target) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)


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


@app.command("analyze")
def analyze_command(
    sources: list[Path] = typer.Argument(
        ..., help="One or more waves (.sav, .dta) or crosstabs (.csv/.parquet)."
    ),
    question: list[str] | None = typer.Option(
        None, "--question", "-q", help="Only this question (repeatable)."
    ),
    types: str | None = TYPES_OPTION,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    keep_dk: bool = KEEP_DK_OPTION,
    preprocessing: str = PREPROCESSING_OPTION,
    include: str | None = INCLUDE_OPTION,
    bins: int | None = BINS_OPTION,
    drop_no_lean: bool = DROP_NO_LEAN_OPTION,
    sampling: Path | None = SAMPLING_OPTION,
    model: str | None = MODEL_OPTION,
    bootstrap: int = BOOTSTRAP_OPTION,
    seed: int = SEED_OPTION,
    json_path: Path | None = typer.Option(
        None, "--json", help="Write the results as JSON here.", dir_okay=False
    ),
    csv_path: Path | None = typer.Option(
        None, "--csv", help="Write one row per option as CSV here.", dir_okay=False
    ),
) -> None:
    """Analyse every question (or each --question) of every source; the rest is listed as skipped."""
    _check_preprocessing(preprocessing)
    surveys = [read_survey(s, weight, unweighted) for s in sources]
    d = _sampling(sampling)
    wanted = list(dict.fromkeys(question)) if question else None
    if wanted:
        absent = [q for q in wanted if not any(q in s.variables for s in surveys)]
        if absent:
            raise fail(surveys[0].unknown_question(absent[0]))
    result = SurveyAnalysis([], [])
    for survey in surveys:
        if bootstrap and survey.kind == "crosstab":
            warn(f"{survey.source}: no bootstrap for a crosstab (it has no respondents).")
        result = result + run_library(
            analyze_survey,
            survey,
            wanted,
            types=types,
            keep_dk=keep_dk,
            preprocessing=preprocessing,
            include=include,
            bins=bins,
            drop_no_lean=drop_no_lean,
            sampling=d,
            model=model,
            bootstrap=bootstrap if survey.kind == "wave" else 0,
            seed=seed,
            on_unknown="skip",
        )
    failed = result.unanalysable
    if not result.questions and result.skipped:
        # nothing could be analysed (e.g. one --question with fewer than two options): an error
        first = (failed or result.skipped)[0]
        more = f" (and {len(result.skipped) - 1} more)" if len(result.skipped) > 1 else ""
        raise fail(f"No question could be analysed: {first.question}: {first.reason}{more}")
    payload = result.to_dict()
    if json_path is not None:
        run_library(write_json, json_path, payload)
    if csv_path is not None:
        run_library(_write_csv, csv_path, result.to_rows())
    console.print(_summary_table(result))
    excluded = _excluded_table(result, preprocessing == "paper")
    if excluded is not None:
        console.print(excluded)
    for s in failed:
        warn(f"{s.source} {s.question}: {s.reason}", tag="Skipped")
    n_diff = sum(q.tops_differ for q in result.questions)
    n_unsupported = sum(q.tops_differ_supported is False for q in result.questions)
    support = f" ({n_unsupported} not supported by the bootstrap)" if n_unsupported else ""
    n = len(result.questions)
    console.print(
        f"{n} question{'' if n == 1 else 's'} analysed, {len(result.excluded)} columns not analysed "
        f"for their class, {len(failed)} could not be analysed; top choices differ in "
        f"{n_diff}{support}.",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    """Add the `surveys` sub-app to the root app."""
    root.add_typer(app, name="surveys")
