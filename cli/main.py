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
from socialpref_cli.constants import DEBUG_KEY, EXIT_SKIPPED, HELP

#: Command name -> the module in ``socialpref_cli`` that registers it. Its help is
#: :data:`socialpref_cli.constants.HELP`, shown without importing the module. The order is the
#: order of ``socialpref --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    name: (module, HELP[name])
    for name, module in (
        ("sensitivity", "sensitivity"),
        ("report", "report"),
        ("demo", "report"),
        ("surveys", "surveys"),
        ("counterexamples", "counterexamples"),
        ("train", "train"),
        ("llm", "llm"),
    )
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


class _Commands(dict[str, Any]):
    """The root's commands: ``commands[name]`` loads a listed command; ``.get`` (the help) does
    not."""

    def __getitem__(self, name: str) -> Any:
        command = super().__getitem__(name)
        if isinstance(command, _Listed):
            command = load_command(name)
            self[name] = command
        return command


class LazyGroup(TyperGroup):
    """The root group: lists every command at once, imports a command's module when it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)
        for name, (_, text) in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name=name, help=text, callback=None))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.commands:
            self.commands[args[0]]  # loads it
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a user error becomes one line on stderr and exit status 1.

        User errors are :class:`socialpref.errors.SocialPrefError` and ``OSError``; any other
        exception is a bug and keeps its traceback, and ``--debug`` keeps it for all.
        """
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from socialpref_cli.common import error_line, fail, is_user_error

            if ctx.meta.get(DEBUG_KEY) or not is_user_error(exc):
                raise
            raise fail(error_line(exc)) from None

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command; a usage error (a bad option or value) is one line on stderr, exit 2.

        typer prints usage errors as a usage line, a hint and a boxed message; here they are
        ``Error: MESSAGE. See 'socialpref CMD --help'.``, one line like every other error.
        """
        kwargs["standalone_mode"] = False
        if not standalone_mode:
            return super().main(*args, **kwargs)
        try:
            rv = super().main(*args, **kwargs)
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
    add_completion=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socialpref {socialpref.__version__}")
        raise typer.Exit()


@app.callback(
    epilog=f"Exit status: 0 done; 1 error (one line on stderr); 2 bad usage; {EXIT_SKIPPED} done, "
    "but some sources could not be analysed with the options and were skipped (--strict makes "
    "that an error)."
)
def main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of every error, not one line."
    ),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        help="No progress on stderr (it is hidden anyway when stderr is not a terminal).",
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        help="Say each step on stderr, with the seconds since the command started.",
    ),
) -> None:
    """socialpref: rank options by Normalized Borda Count and by average reward, and compare.

    Every file option takes '-' for standard output; results go to stdout, progress, warnings
    and errors to stderr.
    """
    from socialpref_cli.common import ROOT, RootOptions

    ctx.meta[DEBUG_KEY] = debug
    vars(ROOT).update(vars(RootOptions(debug, quiet, verbose)))
