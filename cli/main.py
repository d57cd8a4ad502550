"""The ``socialpref`` command: one typer app, one module per command group, loaded on demand.

``socialpref --help`` lists every command from :data:`COMMANDS` without importing the command
modules (which import numpy, scipy and the counterexample catalogue); a command's module is
imported when that command runs or shows its own help. Each module exposes ``register(app)``,
which adds its command or sub-app.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

import socialpref

#: Command name -> (module in ``socialpref_cli`` that registers it, its one-line help). The help
#: is the command's own (a test checks that they agree); it is shown without importing the
#: module. The order is the order of ``socialpref --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "sensitivity": (
        "sensitivity",
        "Smallest total-variation change of the sampling distribution that changes NBC's order.",
    ),
    "report": (
        "report",
        "Write a markdown report with tables and figures: NBC vs average reward, sensitivity.",
    ),
    "demo": (
        "report",
        "The main job: report on the embedded demo wave (data/demo/ATP W900.sav) into "
        "reports/demo/.",
    ),
    "surveys": (
        "surveys",
        "Pew ATP waves (.sav, .dta) and crosstabs (.csv/.parquet): shares, Luce rewards, "
        "average reward vs NBC, with bootstrap intervals.",
    ),
    "counterexamples": (
        "counterexamples",
        "The paper's counterexamples (NBC vs average reward) and examples with the maximal "
        "lottery and Condorcet winner, verified with the core; search for new ones.",
    ),
    "train": (
        "train",
        "Train policies and reward models (needs the 'train' / 'llm' extras: torch, "
        "transformers, peft).",
    ),
    "llm": (
        "llm",
        "LLM experiments on HH-RLHF-style data: relabel, train (TRL), evaluate. Needs the 'llm' extra.",
    ),
}


class _Listed(TyperCommand):
    """Stands for a command in the root's help until the command is run."""


def load_command(name: str) -> Any:
    """The click command of ``name``, built from its module's ``register(app)``."""
    module = importlib.import_module(f"socialpref_cli.{COMMANDS[name][0]}")
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback keeps the holder a group of commands
    module.register(holder)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class LazyGroup(TyperGroup):
    """The root group: lists every command at once, imports a command's module when it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (_, text) in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name=name, help=text, callback=None))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and isinstance(self.commands.get(args[0]), _Listed):
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command; a usage error (a bad option or value) is one line on stderr, exit 2.

        typer prints usage errors as a usage line, a hint and a boxed message; here they are
        ``Error: MESSAGE. See 'socialpref CMD --help'.``, one line like every other error.
        """
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as exc:  # click's ClickException, as typer vendors it
            code = int(getattr(exc, "exit_code", 2))
            if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help
                from socialpref_cli.common import fail

                message = " ".join(exc.format_message().split())
                ctx = getattr(exc, "ctx", None)
                if ctx is not None:
                    message += (
                        f"{'' if message.endswith('.') else '.'} See '{ctx.command_path} --help'."
                    )
                fail(message, code)
            sys.exit(code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="socialpref",
    help="Social-choice analysis of heterogeneous preferences: NBC (what DPO optimises) vs average reward.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
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
