"""`socialpref surveys`: Pew ATP waves and crosstabs -> per-type rewards, average reward, NBC."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from socialpref.surveys import (
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
    help="Pew ATP waves (.sav) and crosstabs (.csv/.parquet): shares, Luce rewards, average reward vs NBC.",
    no_args_is_help=True,
)

SOURCE_ARG = typer.Argument(..., help="An ATP wave (.sav) or a long crosstab (.csv/.parquet).")
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
KEEP_REFUSED_OPTION = typer.Option(
    False,
    "--keep-refused",
    help="Keep 'Refused' (code 99) as an answer option (never as a user type).",
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


def _tau(value: float, digits: int) -> str:
    """Kendall tau for display; '-' where it is undefined (NaN: a constant ranking)."""
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _sampling(path: Path | None) -> Any:
    return None if path is None else run_library(read_sampling, path)


def _shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("list")
def list_command(
    source: Path = SOURCE_ARG,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
) -> None:
    """List the questions of a source: name, text, options, respondents."""
    survey = read_survey(source, weight, unweighted)
    title = f"{survey.source} ({survey.kind}, {len(survey.questions)} questions"
    title += f", {survey.n_respondents} respondents)" if survey.kind == "wave" else ")"
    table = Table(title=title, title_justify="left", caption=survey.file_label or None)
    for col in ("question", "text", "options", "respondents"):
        table.add_column(col, justify="right" if col == "respondents" else "left")
    for row in survey.summary():
        table.add_row(row.name, _shorten(row.text), "; ".join(row.options), str(row.n_respondents))
    console.print(table)
    if survey.demographics:
        console.print(
            f"Demographic (type) columns: {', '.join(survey.demographics)}", highlight=False
        )


def _question_tables(qa: QuestionAnalysis) -> list[Table]:
    shares = Table(title=f"{qa.question}: {qa.text}", title_justify="left")
    shares.add_column("type")
    shares.add_column("p(u)", justify="right")
    shares.add_column("n", justify="right")
    for opt in qa.options:
        shares.add_column(opt, justify="right")
    for k, t in enumerate(qa.types):
        row = [f"{x:.3f}" for x in qa.shares[k]]
        shares.add_row(t, f"{qa.type_weights[k]:.3f}", str(qa.n_per_type[k]), *row)
    rewards = Table(title="Luce-Shepard rewards r(y; u) (Eq. 27)", title_justify="left")
    rewards.add_column("type")
    for opt in qa.options:
        rewards.add_column(opt, justify="right")
    for k, t in enumerate(qa.types):
        rewards.add_row(t, *(f"{x:+.3f}" for x in qa.rewards[k]))
    c = qa.comparison
    ranks = Table(title="Average reward (Eq. 9) vs NBC (Eq. 13)", title_justify="left")
    for col in ("option", "n", "D", "average reward", "rank", "NBC", "rank "):
        ranks.add_column(col, justify="left" if col == "option" else "right")
    for i, opt in enumerate(qa.options):
        ranks.add_row(
            opt,
            str(qa.n_per_option[i]),
            f"{qa.sampling[i]:.3f}",
            f"{c.average_reward[i]:+.4f}",
            str(c.average_ranking[i]),
            f"{c.nbc[i]:.4f}",
            str(c.nbc_ranking[i]),
        )
    return [shares, rewards, ranks]


@app.command("show")
def show_command(
    source: Path = SOURCE_ARG,
    question: str = typer.Argument(..., help="Question name (see `surveys list`)."),
    types: str | None = TYPES_OPTION,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    keep_refused: bool = KEEP_REFUSED_OPTION,
    drop_no_lean: bool = DROP_NO_LEAN_OPTION,
    sampling: Path | None = SAMPLING_OPTION,
    model: str | None = MODEL_OPTION,
) -> None:
    """Show one question: shares and rewards per type, both rankings."""
    survey = read_survey(source, weight, unweighted)
    qa = run_library(
        analyze_question,
        survey,
        question,
        types=types,
        keep_refused=keep_refused,
        drop_no_lean=drop_no_lean,
        sampling=_sampling(sampling),
        model=model,
    )
    for table in _question_tables(qa):
        console.print(table)
    verdict = "[bold red]differ[/]" if qa.tops_differ else "agree"
    console.print(
        f"{qa.n_respondents} respondents kept. Top by average reward: {qa.average_top!r}; "
        f"top by NBC: {qa.nbc_top!r} ({verdict}); Kendall tau {_tau(qa.kendall_tau, 3)}.",
        highlight=False,
    )
    if qa.unchosen_options:
        console.print(
            f"Chosen by nobody (not analysed): {'; '.join(qa.unchosen_options)}", highlight=False
        )


def _write_csv(target: Path, rows: list[dict[str, Any]]) -> None:
    fields = list(rows[0]) if rows else ["source", "question", "option"]
    with atomic_path(target) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _summary_table(result: SurveyAnalysis) -> Table:
    table = Table(title="Average reward vs NBC", title_justify="left")
    for col in ("source", "question", "n", "options", "top: average reward", "top: NBC", "tau"):
        table.add_column(col, justify="right" if col in ("n", "options", "tau") else "left")
    for q in result.questions:
        mark = "[bold red]" if q.tops_differ else ""
        table.add_row(
            q.source,
            q.question,
            str(q.n_respondents),
            str(len(q.options)),
            _shorten(q.average_top, 36),
            f"{mark}{_shorten(q.nbc_top, 36)}",
            _tau(q.kendall_tau, 2),
        )
    return table


@app.command("analyze")
def analyze_command(
    sources: list[Path] = typer.Argument(
        ..., help="One or more waves (.sav) or crosstabs (.csv/.parquet)."
    ),
    question: list[str] | None = typer.Option(
        None, "--question", "-q", help="Only this question (repeatable)."
    ),
    types: str | None = TYPES_OPTION,
    weight: str | None = WEIGHT_OPTION,
    unweighted: bool = UNWEIGHTED_OPTION,
    keep_refused: bool = KEEP_REFUSED_OPTION,
    drop_no_lean: bool = DROP_NO_LEAN_OPTION,
    sampling: Path | None = SAMPLING_OPTION,
    model: str | None = MODEL_OPTION,
    bootstrap: int = typer.Option(
        0, "--bootstrap", help="Bootstrap replicates (respondent-level, weighted)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the bootstrap."),
    json_path: Path | None = typer.Option(
        None, "--json", help="Write the results as JSON here.", dir_okay=False
    ),
    csv_path: Path | None = typer.Option(
        None, "--csv", help="Write one row per option as CSV here.", dir_okay=False
    ),
) -> None:
    """Analyse every question (or each --question) of every source; unanalysable ones are skipped."""
    surveys = [read_survey(s, weight, unweighted) for s in sources]
    d = _sampling(sampling)
    wanted = list(dict.fromkeys(question)) if question else None
    if wanted:
        absent = [q for q in wanted if not any(q in s.variables for s in surveys)]
        if absent:
            raise fail(surveys[0].unknown_question(absent[0]))
    result = SurveyAnalysis([], [])
    for survey in surveys:
        result = result + run_library(
            analyze_survey,
            survey,
            wanted,
            types=types,
            keep_refused=keep_refused,
            drop_no_lean=drop_no_lean,
            sampling=d,
            model=model,
            bootstrap=bootstrap,
            seed=seed,
            on_unknown="skip",
        )
    if not result.questions and result.skipped:
        # nothing could be analysed (e.g. one --question with fewer than two options): an error
        first = result.skipped[0]
        more = f" (and {len(result.skipped) - 1} more)" if len(result.skipped) > 1 else ""
        raise fail(f"No question could be analysed: {first.question}: {first.reason}{more}")
    payload = result.to_dict()
    if json_path is not None:
        run_library(write_json, json_path, payload)
    if csv_path is not None:
        run_library(_write_csv, csv_path, result.to_rows())
    console.print(_summary_table(result))
    for s in result.skipped:
        warn(f"{s.source} {s.question}: {s.reason}", tag="Skipped")
    n_diff = sum(q.tops_differ for q in result.questions)
    console.print(
        f"{len(result.questions)} questions analysed, {len(result.skipped)} skipped; "
        f"top choices differ in {n_diff}.",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    """Add the `surveys` sub-app to the root app."""
    root.add_typer(app, name="surveys")
