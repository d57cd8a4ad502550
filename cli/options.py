"""The analysis options of ``surveys analyze``, ``sensitivity`` and ``report``, defined once.

:func:`analysis_options` gives a command one typer option per field of
:class:`socialpref.app.AnalysisOptions` (and, with ``sweep=True``, of
:class:`socialpref.app.SweepOptions`), with the field's default and help text, and hands the
command the built dataclasses as ``options`` (and ``sweep``). A bad value is a one-line error
from the dataclass's checks. The style is sqlite-utils' ``output_options``: the commands share
one definition, so they accept the same options and the report records all of them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


def _comma_list(value: str | None) -> tuple[str, ...]:
    return () if value is None else tuple(k.strip() for k in value.split(",") if k.strip())


def _base(value: str | None) -> Path | None:
    return None if value is None or value == "uniform" else Path(value)


@dataclass(frozen=True)
class _Form:
    """How a field is written at the command line: flags, type, parse."""

    flags: tuple[str, ...]
    annotation: Any
    parse: Callable[[Any], Any] = lambda value: value
    show: Callable[[Any], Any] = lambda value: value


#: Fields whose command-line form is not ``--field-name`` of the field's own type.
_FORMS: dict[str, _Form] = {
    "include": _Form(("--include-kind",), str | None, _comma_list, lambda v: ",".join(v) or None),
    "questions": _Form(
        ("--question", "-q"), list[str] | None, lambda v: tuple(v or ()), lambda v: None
    ),
    "sampling": _Form(("--sampling",), Path | None),
    "base": _Form(("--base",), str | None, _base, lambda v: None),
}


def _form(f: dataclasses.Field[Any], hint: Any) -> _Form:
    return _FORMS.get(f.name) or _Form(("--" + f.name.replace("_", "-"),), hint)


def _parameters(cls: type, exclude: tuple[str, ...]) -> list[tuple[str, inspect.Parameter, _Form]]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        form = _form(f, hints[f.name])
        option = typer.Option(form.show(f.default), *form.flags, help=f.metadata["help"])
        param = inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=form.annotation
        )
        out.append((f.name, param, form))
    return out


def analysis_options(*, sweep: bool = False, exclude: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorator: the options of :class:`AnalysisOptions` (and :class:`SweepOptions`).

    The decorated command takes ``options`` (an ``AnalysisOptions``) and, with ``sweep``,
    ``sweep`` (a ``SweepOptions``) besides its own parameters; the options come after its own
    in ``--help``. Fields named in ``exclude`` get no option (they keep their default).
    """
    from socialpref.app import AnalysisOptions, SweepOptions

    groups: dict[str, tuple[type, list[tuple[str, inspect.Parameter, _Form]]]] = {
        "options": (AnalysisOptions, _parameters(AnalysisOptions, exclude))
    }
    if sweep:
        groups["sweep"] = (SweepOptions, _parameters(SweepOptions, exclude))

    def decorate(fn: F) -> F:
        own_hints = typing.get_type_hints(fn)
        own = [
            p.replace(annotation=own_hints.get(p.name, p.annotation), kind=p.KEYWORD_ONLY)
            for p in inspect.signature(fn).parameters.values()
            if p.name not in groups
        ]
        generated = [param for _, params in groups.values() for _, param, _ in params]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            built = {
                key: cls(**{name: form.parse(kwargs.pop(name)) for name, _, form in params})
                for key, (cls, params) in groups.items()
            }
            return fn(**built, **kwargs)

        params = own + generated
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return typing.cast(F, command)

    return decorate


__all__ = ["analysis_options"]
