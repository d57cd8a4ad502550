"""Import cost: ``socialpref`` and the command line load no heavy module until it is used."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

HEAVY = ("scipy.optimize", "matplotlib", "pandas", "torch", "cvxpy")


def modules_imported(statement: str) -> set[str]:
    """Modules that ``python -X importtime -c statement`` reports importing (fresh process)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, out.stderr[-2000:]
    return names


@pytest.mark.parametrize("statement", ["import socialpref_cli.main", "import socialpref"])
def test_no_heavy_module_at_import(statement: str) -> None:
    imported = modules_imported(statement)
    heavy = sorted(m for m in imported if m.startswith(HEAVY))
    assert not heavy, heavy
    assert "socialpref.counterexamples" not in imported


def test_help_lists_every_command_with_its_own_help() -> None:
    """The root help is written without importing the commands; it says what they say."""
    from socialpref_cli.main import COMMANDS, app, load_command

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, (_, text) in COMMANDS.items():
        assert name in result.output
        command = load_command(name)
        assert (command.help or "").strip().splitlines()[0] == text
        assert text.split(":")[0] in result.output


def test_commands_run_after_lazy_loading() -> None:
    from socialpref_cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["counterexamples", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "sampling-sensitivity" in result.output
    result = runner.invoke(app, ["sensitivty"])
    assert result.exit_code != 0 and "sensitivity" in result.output  # suggestions still work
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("socialpref ")


def test_attributes_load_on_first_use() -> None:
    code = (
        "import sys, socialpref\n"
        "assert 'socialpref.sensitivity' not in sys.modules\n"
        "assert socialpref.sensitivity.min_tv_flip is socialpref.min_tv_flip\n"
        "assert 'socialpref.sensitivity' in sys.modules\n"
        "assert set(socialpref.__all__) <= set(dir(socialpref))\n"
        "try:\n    socialpref.no_such_name\nexcept AttributeError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "no attribute 'no_such_name'" in out.stdout
