"""The direction of the arrows: the numerical core imports nothing from the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = sorted(
    [
        *(REPO / "socialpref" / f"{name}.py" for name in ("aggregate", "policy", "population")),
        *(REPO / "socialpref" / f"{name}.py" for name in ("preference", "luce", "errors")),
        *(REPO / "socialpref" / "sensitivity").glob("*.py"),
    ]
)
ABOVE = ("socialpref.surveys", "socialpref.report", "socialpref.train", "socialpref.llm")
ABOVE += ("socialpref.counterexamples", "socialpref_cli", "torch", "pandas", "matplotlib")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(REPO)))
def test_core_imports_nothing_above_it(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.startswith(ABOVE)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_sensitivity_modules_share_only_public_names() -> None:
    """Inside the package, modules import each other's public names only."""
    for path in (REPO / "socialpref" / "sensitivity").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("socialpref"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"
