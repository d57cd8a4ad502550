"""Optional dependencies of ``socialpref.llm``: one clear error when they are missing."""

from __future__ import annotations

LLM_PACKAGES = ("torch", "transformers", "peft", "accelerate")


def missing(name: str) -> str:
    """The one-line message for a missing package of the ``llm`` extra."""
    return f"socialpref.llm needs the package {name!r}: install the 'llm' extra (pip install 'socialpref[llm]')."
