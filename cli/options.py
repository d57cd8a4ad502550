"""The analysis options of ``surveys analyze``, ``sensitivity`` and ``report``, defined once.

:func:`analysis_options` gives a command one typer option per field of
:class:`socialpref.app.AnalysisOptions` (and, with ``sweep=True``, of
:class:`socialpref.app.SweepOptions`), with the field's default and help text, and hands the
command the built dataclasses as ``options`` (and ``sweep``). A bad value is a one-line error
from the dataclass's checks. The style is sqlite-utils' ``output_options``: the commands share
one definition, so they accept the same options and the report records all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from socialpref_cli.config_options import CliField, OptionGroup, generated_options, grouped_options

F = TypeVar("F", bound=Callable[..., Any])


def _comma_list(value: str | None) -> tuple[str, ...]:
    return () if value is None else tuple(k.strip() for k in value.split(",") if k.strip())


def _base(value: str | None) -> Path | None:
    return None if value is None or value == "uniform" else Path(value)


#: Flags of the fields whose option is not ``--field-name``.
_FLAGS: dict[str, tuple[str, ...]] = {
    "include": ("--include-kind",),
    "questions": ("--question", "-q"),
}
#: Fields whose command-line form is not the field's own type.
_FIELDS: dict[str, CliField] = {
    "include": CliField(str | None, _comma_list, lambda v: ",".join(v) or None),
    "questions": CliField(list[str] | None, lambda v: tuple(v or ()), lambda v: None),
    "base": CliField(str | None, _base, lambda v: None),
}


def analysis_options(*, sweep: bool = False, exclude: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorator: the options of :class:`AnalysisOptions` (and :class:`SweepOptions`).

    The decorated command takes ``options`` (an ``AnalysisOptions``) and, with ``sweep``,
    ``sweep`` (a ``SweepOptions``) besides its own parameters; the options come after its own
    in ``--help``. Fields named in ``exclude`` get no option (they keep their default).
    """
    from socialpref.app import AnalysisOptions, SweepOptions

    def group(cls: type) -> OptionGroup:
        options = generated_options(cls, _FLAGS, _FIELDS, exclude)
        return OptionGroup(options, lambda values: cls(**values))

    groups = {"options": group(AnalysisOptions)}
    if sweep:
        groups["sweep"] = group(SweepOptions)
    return grouped_options(groups)


__all__ = ["analysis_options"]
