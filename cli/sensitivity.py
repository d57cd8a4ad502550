"""`socialpref sensitivity`: the smallest TV change of the sampling distribution that changes NBC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from socialpref.sensitivity import DELTA, EPS, SOLVERS, sensitivity
from socialpref.sensitivity_sweep import sensitivity_sweep
from socialpref.surveys import QuestionAnalysis, analyze_survey, read_sampling, read_source
from socialpref_cli.common import console, err_console, fail, run_library, write_json

#: Questions solved per step of the progress bar (exact solver).
STEP = 64


def _base_vector(base: Any, qa: QuestionAnalysis) -> list[float] | None:
    """The --base file for one question's options (None when it does not fit)."""
    if base is None:
        return None
    if isinstance(base, dict):
        if set(base) != set(qa.options):
            return None
        return [base[o] for o in qa.options]
    return list(base) if len(base) == len(qa.options) else None


def _kept(
    questions: list[QuestionAnalysis], min_options: int, min_per_option: float
) -> list[QuestionAnalysis]:
    """The paper's filters: >= min_options options, respondents / options >= min_per_option."""
    return [
        q
        for q in questions
        if len(q.options) >= min_options and q.n_respondents / len(q.options) >= min_per_option
    ]


def _solve(kept: list[QuestionAnalysis], bases: list[Any], solver: str, **kw: Any) -> list[Any]:
    """Per-question results, with a progress bar (the exact solver runs in vectorised blocks)."""
    out: list[Any] = []
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task(f"min-TV ({solver})", total=len(kept))
        step = STEP if solver == "exact" else 1
        for start in range(0, len(kept), step):
            block = kept[start : start + step]
            if solver == "exact":
                pops = [(q.rewards, q.type_weights) for q in block]
                sweep = sensitivity_sweep(pops, bases=bases[start : start + step], **kw)
                out.extend(sweep.results)
            else:
                q, b = block[0], bases[start]
                out.append(sensitivity(q.rewards, q.type_weights, base=b, solver=solver, **kw))
            bar.advance(task, len(block))
    return out


def _row(qa: QuestionAnalysis, res: Any) -> dict[str, Any]:
    label = qa.options
    return {
        "source": qa.source,
        "question": qa.question,
        "min_tv": res.min_tv,
        "pair": None if res.pair is None else [label[res.pair[0]], label[res.pair[1]]],
        "distribution": None
        if res.distribution is None
        else {o: float(p) for o, p in zip(label, res.distribution, strict=True)},
        "top_flip": res.top_flip,
        "flippable": res.flippable,
        "top_flippable": res.top_flippable,
        "top_min_tv": res.top_min_tv,
        "repair_tv": res.repair_tv,
        "nbc_top": [label[i] for i in res.nbc_top],
        "average_top": [label[i] for i in res.average_top],
        "n_options": len(label),
        "n_respondents": qa.n_respondents,
    }


def _summary(rows: list[dict[str, Any]], seen: int, skipped: int) -> dict[str, Any]:
    tvs = sorted(r["min_tv"] for r in rows if r["min_tv"] is not None)
    mid = len(tvs) // 2
    median = None if not tvs else (tvs[mid] if len(tvs) % 2 else (tvs[mid - 1] + tvs[mid]) / 2)
    return {
        "questions": seen,
        "kept": len(rows),
        "flippable": len(tvs),
        "top_flips": sum(r["top_flip"] for r in rows),
        "median_min_tv": median,
        "flippable_share": len(tvs) / len(rows) if rows else None,
        "top_flippable": sum(r["top_flippable"] for r in rows),
        "repairable": sum(r["repair_tv"] is not None for r in rows),
        "unanalysable": skipped,
    }


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
        3, "--min-options", help="Keep questions with at least this many options."
    ),
    min_per_option: float = typer.Option(
        100, "--min-per-option", help="Keep questions with respondents / options >= this."
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
        survey = run_library(read_source, src)
        result = run_library(analyze_survey, survey, wanted, types=types, on_unknown="skip")
        analysed += result.questions
        skipped += sum(s.question in survey.variables for s in result.skipped)
    missing = [w for w in wanted or [] if not any(q.question == w for q in analysed)]
    if wanted and len(missing) == len(wanted):
        raise fail(f"None of the questions {wanted} was found (or analysable) in the sources.")
    for name in missing:
        err_console.print(
            f"[yellow]Warning:[/] {name} not found or not analysable.", highlight=False
        )
    kept = _kept(analysed, min_options, min_per_option)
    bases = [_base_vector(b, q) for q in kept]
    if b is not None and any(v is None for v in bases):
        raise fail(f"The --base file '{base}' does not fit the options of every kept question.")
    results = run_library(_solve, kept, bases, solver, eps=eps, delta=delta, model=model)
    rows = [_row(q, r) for q, r in zip(kept, results, strict=True)]
    payload = {"questions": rows, "summary": _summary(rows, len(analysed) + skipped, skipped)}
    if json_path is not None:
        run_library(write_json, json_path, payload)
    if plot_path is not None:
        from socialpref.report.figures_sensitivity import save_min_tv_cdf

        label = "uniform" if b is None else Path(base).stem
        run_library(save_min_tv_cdf, [r["min_tv"] for r in rows], plot_path, base_label=label)
    for table in _tables(rows, payload["summary"]):
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `sensitivity` command to the root app."""
    app.command("sensitivity")(sensitivity_command)
