"""Fixtures of the fault corpus: run the real CLI, fingerprint a folder, a tiny local model."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code, its output and the traceback of an exception, if any."""

    exit_code: int
    stdout: str
    stderr: str
    traceback: str = ""

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


Runner = Callable[[Sequence[str]], Outcome]


def run_in_process(argv: Sequence[str]) -> Outcome:
    """``socialpref ARGV`` through typer's CliRunner; warnings count as stderr lines.

    pytest records warnings instead of letting them reach stderr, so they are caught here and
    written into the outcome's stderr as Python would print them.
    """
    from socialpref_cli.main import app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, list(argv), env=ENV)
    stderr = result.stderr + "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught
    )
    tb = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        tb = "".join(traceback.format_exception(*result.exc_info))
    return Outcome(result.exit_code, result.stdout, stderr, tb)


#: ``python -c CODE ARGV`` runs ``socialpref ARGV``.
CODE = "from socialpref_cli.main import app; app(prog_name='socialpref')"


def command(argv: Sequence[str], prefix: Sequence[str] = ()) -> list[str]:
    """The process's command line: ``PREFIX python -c CODE ARGV``."""
    return [*prefix, sys.executable, "-c", CODE, *argv]


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a process of the corpus: this one's, :data:`ENV` and ``extra``."""
    return {**os.environ, **ENV, **extra}


def run_subprocess(
    argv: Sequence[str],
    cwd: Path | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
) -> Outcome:
    """``socialpref ARGV`` as its own process (a real stderr, real signals), with ``env``
    added to its environment and ``prefix`` before the interpreter (``unshare ...``)."""
    proc = subprocess.run(
        command(argv, prefix),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=process_env(**(env or {})),
    )
    tb = proc.stderr if "Traceback (most recent call last)" in proc.stderr else ""
    return Outcome(proc.returncode, proc.stdout, proc.stderr, tb)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (hidden ones too): SHA-256 of files, 'dir' for folders."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def cli() -> Runner:
    """Run ``socialpref ARGV`` in this process."""
    return run_in_process


@pytest.fixture
def cli_process() -> Callable[..., Outcome]:
    """Run ``socialpref ARGV`` as a process of its own (``run_subprocess``)."""
    return run_subprocess


@pytest.fixture
def fingerprint() -> Callable[[Path], dict[str, str]]:
    """:func:`snapshot`: every file under a folder and its hash."""
    return snapshot


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local Llama folder with a BPE tokenizer (random weights, built from a config)."""
    pytest.importorskip("transformers")
    from socialpref.llm.tiny import build_tiny_llama

    texts = ["Human: what is two plus two? Assistant: four."] * 50
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model", texts)
