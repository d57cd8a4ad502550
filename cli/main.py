"""The ``socialpref`` command: one typer app, one sub-app per command group."""

from __future__ import annotations

import typer

import socialpref

app = typer.Typer(
    name="socialpref",
    help="Social-choice analysis of heterogeneous preferences: NBC (what DPO optimises) vs average reward.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socialpref {socialpref.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """socialpref: rank options by Normalized Borda Count and by average reward, and compare."""


def _register_groups() -> None:
    # Each command module exposes ``register(app)``, which adds its command or sub-app.
    from socialpref_cli import counterexamples, llm, report, sensitivity, surveys, train

    for module in (surveys, sensitivity, counterexamples, report, train, llm):
        module.register(app)


_register_groups()
