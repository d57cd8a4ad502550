"""Command-line options generated from a settings dataclass, so defaults and help live in one place.

:func:`config_options` adds one typer option per field of a dataclass (whose fields carry their
help text in ``metadata["help"]``) to a command, with the field's default, and hands the command
the values as ``config_fields``, ready for ``cls(**config_fields)``. Types map as: ``int``,
``float``, ``str``, ``bool`` and their ``X | None`` as themselves; ``tuple[T, ...]`` as a
repeatable option; anything else needs a :class:`CliField` that says how it is written.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CliField:
    """How a field is written on the command line when its type is not written as itself.

    Attributes
    ----------
    annotation : type
        The option's type at the command line (e.g. ``str``).
    parse : callable
        Command-line value -> the value handed to the command.
    show : callable
        The field's default -> the option's default as written at the command line.
    help_suffix : str
        Appended to the field's help (e.g. how to write the value).
    """

    annotation: Any
    parse: Callable[[Any], Any] = lambda value: value
    show: Callable[[Any], Any] = lambda value: value
    help_suffix: str = ""


def _auto(hint: Any) -> CliField:
    """The CliField of a plain type: itself, ``X | None``, or a repeatable ``tuple[T, ...]``."""
    if hint in (int, float, str, bool, Path):
        return CliField(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        if inner in (int, float, str, bool, Path):
            return CliField(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and args[0] in (int, float, str):
        item: Any = args[0]
        return CliField(
            list[item],  # type: ignore[valid-type]
            parse=tuple,
            show=list,
            help_suffix="Repeat the option for several.",
        )
    raise TypeError(f"No command-line form for the type {hint!r}; give a CliField.")


def _flag(name: str, default: Any) -> str:
    """``--field-name``; a switch that is on by default also gets its ``--no-field-name``."""
    flag = "--" + name.replace("_", "-")
    return f"{flag}/--no-{flag[2:]}" if default is True else flag


@dataclass(frozen=True)
class GeneratedOption:
    """One generated option: the field, its flags, the command-line default and help."""

    name: str
    flags: tuple[str, ...]
    default: Any
    help: str
    cli: CliField


def generated_options(
    cls: type,
    flags: Mapping[str, Sequence[str]] | None = None,
    fields: Mapping[str, CliField] | None = None,
    exclude: Sequence[str] = (),
) -> list[GeneratedOption]:
    """The options generated for ``cls``, in field order (the fields in ``exclude`` get none)."""
    flags, fields = flags or {}, fields or {}
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        if f.default is dataclasses.MISSING:
            raise TypeError(f"The field {f.name!r} of {cls.__name__} needs a default.")
        cli = fields.get(f.name) or _auto(hints[f.name])
        text = f.metadata.get("help")
        if not text:
            raise TypeError(f"The field {f.name!r} of {cls.__name__} has no help text.")
        if "choices" in f.metadata:
            text = f"{text} One of: {', '.join(f.metadata['choices'])}."
        out.append(
            GeneratedOption(
                name=f.name,
                flags=tuple(flags.get(f.name, (_flag(f.name, f.default),))),
                default=cli.show(f.default),
                help=f"{text} {cli.help_suffix}".strip(),
                cli=cli,
            )
        )
    return out


@dataclass(frozen=True)
class OptionGroup:
    """The generated options of one dataclass and what the command receives for them.

    Attributes
    ----------
    options : sequence of GeneratedOption
        From :func:`generated_options`.
    build : callable
        ``{field name: parsed value}`` -> the value the command's parameter receives (the dict
        itself, or the dataclass built from it).
    """

    options: Sequence[GeneratedOption]
    build: Callable[[dict[str, Any]], Any] = dict


def grouped_options(
    groups: Mapping[str, OptionGroup], panel: str | None = None
) -> Callable[[F], F]:
    """Decorator: the options of every group; the command's parameter named like a group gets it.

    The generated options come after the command's own in ``--help``.
    """
    names = [o.name for g in groups.values() for o in g.options]
    if len(set(names)) != len(names):
        raise TypeError(f"Two generated options share a name: {sorted(names)}.")

    def decorate(fn: F) -> F:
        own_hints = typing.get_type_hints(fn)
        own = [
            p.replace(annotation=own_hints.get(p.name, p.annotation), kind=p.KEYWORD_ONLY)
            for p in inspect.signature(fn).parameters.values()
            if p.name not in groups
        ]
        generated = [
            inspect.Parameter(
                o.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(o.default, *o.flags, help=o.help, rich_help_panel=panel),
                annotation=o.cli.annotation,
            )
            for g in groups.values()
            for o in g.options
        ]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            built = {
                key: g.build({o.name: o.cli.parse(kwargs.pop(o.name)) for o in g.options})
                for key, g in groups.items()
            }
            return fn(**built, **kwargs)

        params = own + generated
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return typing.cast(F, command)

    return decorate


def config_options(
    cls: type,
    flags: Mapping[str, Sequence[str]] | None = None,
    fields: Mapping[str, CliField] | None = None,
    panel: str | None = None,
) -> Callable[[F], F]:
    """Decorator: one option per field of the dataclass ``cls``; the command receives them.

    Parameters
    ----------
    cls : dataclass type
        Every field needs a default and ``metadata["help"]``.
    flags : mapping, optional
        Field name -> its flags (default ``--field-name``), e.g. ``{"n_pairs": ("--pairs",)}``.
    fields : mapping, optional
        Field name -> :class:`CliField`, for fields whose type is not written as itself.
    panel : str, optional
        The help panel that lists the generated options (default: with the others).

    A field's ``metadata["choices"]``, when present, is listed in its help.

    The decorated command takes a keyword ``config_fields: dict`` (field name -> value, parsed)
    besides its own options.
    """
    group = OptionGroup(generated_options(cls, flags, fields))
    return grouped_options({"config_fields": group}, panel)
