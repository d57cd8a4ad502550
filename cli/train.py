"""`socialpref train ...`: policy training (torch extra) on the synthetic environment and on LLMs.

The sub-commands live in ``train_synthetic`` and ``train_llm``; each exposes ``register(train_app)``.
torch is imported only inside the commands, so ``socialpref --help`` works without it.
"""

from __future__ import annotations

import typer

from socialpref_cli import train_llm, train_synthetic

train_app = typer.Typer(
    help="Train policies and reward models (needs the 'train' / 'llm' extras: torch, transformers, peft).",
    no_args_is_help=True,
)
train_synthetic.register(train_app)
train_llm.register(train_app)


def register(app: typer.Typer) -> None:
    """Add the ``train`` group to the root app."""
    app.add_typer(train_app, name="train")
