"""`socialpref counterexamples`: the paper's counterexamples, checked, and a search for new ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table

from socialpref.counterexamples import (
    CATALOGUE,
    SEARCH_KINDS,
    SUMMARIES,
    get_counterexample,
    search,
)
from socialpref.population import Population
from socialpref_cli.common import (
    FORMAT_OPTION,
    Format,
    check_format,
    check_outputs,
    console,
    emit,
    fail,
    json_bytes,
    print_result,
    run_library,
    status,
)
from socialpref_cli.constants import HELP

app = typer.Typer(help=HELP["counterexamples"], no_args_is_help=True)

JSON_OPTION = typer.Option(
    None,
    "--json",
    help="Also write the result as JSON to this path ('-': standard output).",
    dir_okay=False,
)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def _population_table(pop: Population, title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("type")
    table.add_column("p(u)", justify="right")
    for option in pop.options:
        table.add_column(option, justify="right")
    for t, w, r in zip(pop.types, pop.type_weights, pop.rewards, strict=True):
        table.add_row(t, f"{w:.4g}", *(f"{x:.6g}" for x in r))
    for label, values in rows.items():
        table.add_row(f"[bold]{label}[/]", "", *(f"{x:.4f}" for x in values))
    return table


def _numbers_table(title: str, numbers: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("quantity")
    table.add_column("value")
    for key, value in numbers.items():
        table.add_row(key, _fmt(value))
    return table


def _catalogue() -> list[dict[str, str]]:
    return [
        {"name": name, "reference": make().reference, "claim": SUMMARIES[name]}
        for name, make in CATALOGUE.items()
    ]


def _catalogue_table(rows: list[dict[str, str]]) -> None:
    table = Table(title="Counterexamples", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("reference")
    table.add_column("claim")
    for row in rows:
        table.add_row(row["name"], row["reference"], row["claim"])
    console.print(table)


@app.command("list")
def list_command(fmt: Format = FORMAT_OPTION) -> None:
    """List the catalogue: name, where the paper states it, the claim in one line."""
    rows = _catalogue()
    print_result(fmt, lambda: _catalogue_table(rows), lambda: rows, lambda: rows)


def _scenario_rows(ce: Any) -> list[dict[str, Any]]:
    """``show --format csv``: one row per scenario and option (rewards per type, aggregates)."""
    rows = []
    for s in ce.scenarios:
        pop = s.population
        nbc, avg = s.nbc(), s.average_reward()
        lottery = s.maximal_lottery().probabilities
        for i, option in enumerate(pop.options):
            row: dict[str, Any] = {"scenario": s.label, "model": s.model.name, "option": option}
            row["sampling"] = float(s.sampling[i])
            row.update({f"reward {t}": float(pop.rewards[k, i]) for k, t in enumerate(pop.types)})
            row.update(
                nbc=float(nbc[i]), average_reward=float(avg[i]), maximal_lottery=float(lottery[i])
            )
            rows.append(row)
    return rows


def _show_tables(ce: Any, v: Any) -> None:
    console.print(f"[bold]{ce.name}[/] ({ce.reference})\n{ce.claim}", highlight=False)
    for s in ce.scenarios:
        title = f"{s.label}: D = {_fmt(s.sampling.tolist())}, model {s.model.name}"
        rows = {
            "NBC": s.nbc(),
            "average": s.average_reward(),
            "max. lottery": s.maximal_lottery().probabilities,
        }
        console.print(f"\n[bold]{title}[/]", highlight=False)
        console.print(_population_table(s.population, "", rows))
    checks = Table(title="Checks", title_justify="left")
    checks.add_column("check")
    checks.add_column("passed")
    for key, ok in v.checks.items():
        checks.add_row(key, "[green]yes[/]" if ok else "[red]no[/]")
    console.print(checks)
    console.print(_numbers_table("Numbers", dict(v.numbers)))
    if v.holds:
        console.print("[green]holds[/]")


@app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Catalogue name (see `counterexamples list`)."),
    json_path: Path | None = JSON_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Verify one counterexample with the core and print its numbers."""
    check_outputs(("--json", json_path))
    check_format(fmt, ("--json", json_path))
    ce = run_library(get_counterexample, name)
    v = run_library(ce.verify)
    payload = ce.to_dict(v)
    if not emit([(json_path, lambda: json_bytes(payload))]):
        print_result(fmt, lambda: _show_tables(ce, v), lambda: payload, lambda: _scenario_rows(ce))
    if not v.holds:
        raise fail(f"The claim of {ce.name!r} does not hold: see the failed checks above.")


@app.command("search")
def search_command(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(SEARCH_KINDS)}."),
    types: int | None = typer.Option(
        None, "--types", help="Number of user types (default 2; 3 for lottery-mixes)."
    ),
    options: int = typer.Option(
        3,
        "--options",
        help="Number of options (iia: the last is the added one; >= 3 for iia, condorcet-rejected, lottery-mixes).",
    ),
    seed: int = typer.Option(
        0, "--seed", help="Random seed; the same seed gives the same instance."
    ),
    budget: int = typer.Option(
        2000, "--budget", help="Margin evaluations for random search + Nelder-Mead."
    ),
    tv: float = typer.Option(0.1, "--tv", help="sampling-flip: largest TV distance from uniform."),
    model: str | None = typer.Option(
        None, "--model", help="Preference model: bt, bt:T, thurstone, majority."
    ),
    json_path: Path | None = JSON_OPTION,
) -> None:
    """Search for a new population of the given kind; shrink it to small, round rewards."""
    check_outputs(("--json", json_path))
    with status("socialpref counterexamples search") as step:
        step(f"{kind}, {budget} evaluations")
        res = run_library(search, kind, types, options, seed, budget, model=model, tv=tv)
    if emit([(json_path, lambda: json_bytes(res))]):
        return
    console.print(res.claim, highlight=False)
    if res.population is not None:
        pop = res.population
        nbc = np.asarray(res.to_dict()["nbc"])
        avg = np.asarray(res.to_dict()["average_reward"])
        console.print(
            _population_table(
                pop, f"Instance (model {res.model.name})", {"NBC": nbc, "average": avg}
            )
        )
        cert = _numbers_table(
            "Certificate (options by 0-based index)", dict(res.to_dict()["certificate"])
        )
        console.print(cert)
        console.print(f"[green]{res.message}[/]", highlight=False)
    else:
        console.print(f"[yellow]{res.message}[/]", highlight=False)


def register(root: typer.Typer) -> None:
    """Add the ``counterexamples`` sub-app to the root app."""
    root.add_typer(app, name="counterexamples")
