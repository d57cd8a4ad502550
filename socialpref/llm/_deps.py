"""Optional dependencies of ``socialpref.llm``: one error kind when they are missing.

Every module of ``socialpref.llm`` that needs a package of the ``llm`` extra imports it
through :func:`require`, so a missing package is always a
:class:`~socialpref.errors.MissingExtraError` naming the package and the extra.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from socialpref.errors import MissingExtraError

LLM_PACKAGES = ("torch", "transformers", "peft", "accelerate", "trl", "datasets")
FEATURE = "socialpref.llm"


def missing(name: str) -> MissingExtraError:
    """The error for a missing package of the ``llm`` extra."""
    return MissingExtraError(name, "llm", FEATURE)


def require(name: str) -> ModuleType:
    """Import ``name`` (a package of the ``llm`` extra or one of its submodules).

    Raises
    ------
    MissingExtraError
        If the package is not installed.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = (exc.name or name).split(".")[0]
        if top not in {name.split(".")[0], *LLM_PACKAGES, "tokenizers"}:
            raise  # a broken install of something else: not ours to hide
        raise missing(top) from None


def require_all(*names: str) -> tuple[ModuleType, ...]:
    """:func:`require` for each name, in order."""
    return tuple(require(n) for n in names)


def installed(name: str) -> bool:
    """Whether an optional package (e.g. ``tensorboard``) can be imported."""
    return importlib.util.find_spec(name) is not None
