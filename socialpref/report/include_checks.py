"""The field types of the result files that ``socialpref report --include`` shows.

:func:`check_include` checks a parsed result file against :data:`FIELDS` before the report
renders it, so that a file of the right shape with a field of the wrong type (a name that is a
number, runs that are not objects) is a :class:`~socialpref.errors.DataError` naming the file
and the field, not a failure deep in the renderer. Numeric arrays (rewards, weights, profiles)
are checked where they are read, as numbers of the right shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialpref.errors import DataError

#: What each type name in :data:`FIELDS` accepts.
TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "yes/no": (bool,),
    "number": (int, float),
    "object": (Mapping,),
    "list": (list,),
    "list or object": (list, Mapping),
    "text or number": (str, int, float),
    "numbers": (list,),
}

#: Kind -> field -> (type name, required). Fields of the objects inside a list are named
#: ``field[]`` (``runs[]`` holds the fields of each run).
FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "counterexample": {
        "name": ("text", True),
        "claim": ("text", True),
        "reference": ("text", False),
        "model": ("text", False),
        "message": ("text", False),
        "holds": ("yes/no", False),
        "certificate": ("object", False),
        "checks": ("object", False),
        "scenarios": ("list", False),
        "scenarios[].label": ("text", False),
        "scenarios[].model": ("text", False),
        "scenarios[].options": ("list", False),
        "scenarios[].types": ("list", False),
        "options": ("list", False),
        "types": ("list", False),
        "figures": ("list or object", False),
    },
    "synthetic": {
        "runs": ("list", True),
        "runs[].method": ("text", False),
        "runs[].alpha": ("number", False),
        "runs[].seed": ("text or number", False),
        "runs[].policy_profile": ("numbers", False),
        "summary": ("list", False),
        "summary[].method": ("text", False),
        "summary[].alpha": ("number", False),
        "device": ("text", False),
        "figures": ("list or object", False),
    },
    "llm": {
        "objective": ("text", True),
        "dataset": ("text", True),
        "seeds": ("list", True),
        "seeds[].accuracy": ("number", True),
        "seeds[].seed": ("text or number", False),
        "figures": ("list or object", False),
    },
}


def _fits(value: Any, type_name: str) -> bool:
    if isinstance(value, bool) and type_name in ("number", "text or number"):
        return False  # JSON true/false are not numbers
    return isinstance(value, TYPES[type_name])


def _bad(source: str, field: str, type_name: str, value: Any) -> DataError:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return DataError(
        f"The --include file {source!r}: field {field!r} must be {type_name}. Got {shown} "
        f"({type(value).__name__}); was it written by another program or edited?"
    )


def check_include(payload: Mapping[str, Any], kind: str, source: str) -> None:
    """Check the field types of the result file ``source`` of kind ``kind``.

    A field that :data:`FIELDS` lists may be absent or null unless it is required; when
    present it must have its type, and every object of a listed list must be an object whose
    listed fields have theirs.

    Raises
    ------
    DataError
        The first field of the wrong type (or a required one that is missing or null), named
        with its place (``runs[2].method``) and the file.

    Examples
    --------
    >>> check_include({"objective": "dpo", "dataset": "d", "seeds": [{"accuracy": 0.6}]}, "llm", "r.json")
    >>> check_include({"objective": "dpo", "dataset": "d", "seeds": [3]}, "llm", "r.json")
    Traceback (most recent call last):
    ...
    socialpref.errors.DataError: The --include file 'r.json': field 'seeds[0]' must be object. Got 3 (int); was it written by another program or edited?
    """
    fields = FIELDS[kind]
    for name, (type_name, required) in fields.items():
        if "[]" in name:
            continue
        value = payload.get(name)
        if value is None:
            if required:
                raise _bad(source, name, type_name, value)
            continue
        if not _fits(value, type_name):
            raise _bad(source, name, type_name, value)
        inner = {k.split(".", 1)[1]: v for k, v in fields.items() if k.startswith(f"{name}[].")}
        if not inner:
            continue
        for i, item in enumerate(value):
            where = f"{name}[{i}]"
            if not isinstance(item, Mapping):
                raise _bad(source, where, "object", item)
            for sub, (sub_type, sub_required) in inner.items():
                got = item.get(sub)
                if got is None:
                    if sub_required:
                        raise _bad(source, f"{where}.{sub}", sub_type, got)
                    continue
                if not _fits(got, sub_type):
                    raise _bad(source, f"{where}.{sub}", sub_type, got)


__all__ = ["FIELDS", "check_include"]
