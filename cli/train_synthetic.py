"""`socialpref train ...` commands from train_synthetic (being built; see the issue)."""

from __future__ import annotations

import typer


def register(train_app: typer.Typer) -> None:
    """Add this module's commands to the `train` group."""
