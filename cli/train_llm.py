"""`socialpref train llm` / `train llm-eval`: the `socialpref llm train` / `llm eval` commands
under their earlier names (hidden aliases; the options are the same)."""

from __future__ import annotations

import typer

from socialpref_cli import llm


def register(train_app: typer.Typer) -> None:
    """Add ``llm`` and ``llm-eval`` to the `train` group."""
    train_app.command("llm", hidden=True)(llm.train)
    train_app.command("llm-eval", hidden=True)(llm.evaluate)
