"""Provenance of a report: socialpref version, command line, input files with SHA-256, options,
seed and date.

Everything but the date is a function of the inputs, so two runs of the same command give the
same provenance block except its ``Date`` line.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from socialpref.errors import ParameterError
from socialpref.report.document import Block, code, make_table
from socialpref.report.markdown import render_blocks

#: Label of the one line of a report that changes between two runs of the same command.
DATE_LABEL = "Date"


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class InputFile:
    """One input of a report.

    Attributes
    ----------
    name : str
        The path as the user gave it (or relative to the repository for the demo).
    sha256 : str
        SHA-256 of the file's bytes.
    size : int
        Size in bytes.
    """

    name: str
    sha256: str
    size: int

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> InputFile:
        """Hash ``path``; ``name`` (default ``str(path)``) is what the report shows."""
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"Input file not found: {str(p)!r}.")
        return cls(
            name=str(path) if name is None else name, sha256=sha256_file(p), size=p.stat().st_size
        )

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Provenance:
    """Where a report comes from.

    Attributes
    ----------
    version : str
        socialpref's version.
    command : str
        The command line (``socialpref report ...``).
    inputs : tuple of InputFile
        Source files and included result files.
    options : dict
        Analysis options (types, questions, preference model, filters ...).
    seed : int or None
        Random seed, None when nothing random was done.
    date : str
        UTC time of the run, ISO 8601.
    python : str
        Python version.
    """

    version: str
    command: str
    inputs: tuple[InputFile, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    date: str = ""
    python: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "command": self.command,
            "inputs": [f.to_dict() for f in self.inputs],
            "options": dict(self.options),
            "seed": self.seed,
            "date": self.date,
            "python": self.python,
        }

    def to_blocks(self) -> list[Block]:
        """The report's blocks: a key/value table, then the inputs with their SHA-256."""
        options = "; ".join(f"{k} = {_show(v)}" for k, v in self.options.items()) or "-"
        rows = [
            ("socialpref", self.version),
            ("Python", self.python or "-"),
            ("Command", code(self.command)),
            ("Options", options),
            ("Seed", "none (the analysis is deterministic)" if self.seed is None else self.seed),
            (DATE_LABEL, self.date),
        ]
        return [
            make_table(["Field", "Value"], rows, id="provenance"),
            make_table(
                ["Input file", "SHA-256", "Bytes"],
                [(f.name, f.sha256, f.size) for f in self.inputs],
                align="llr",
                id="inputs",
            ),
        ]

    def to_markdown(self) -> str:
        """Markdown: a key/value table, then the inputs with their SHA-256."""
        return render_blocks(self.to_blocks()).rstrip("\n")


def _show(value: Any) -> str:
    if value is None:
        return "default"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "all"
    return str(value)


def _source_date() -> datetime | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ParameterError(
            f"SOURCE_DATE_EPOCH must be an integer number of seconds since 1970; got {value!r}."
        ) from None


def collect_provenance(
    inputs: Sequence[InputFile],
    command: str,
    options: Mapping[str, Any] | None = None,
    seed: int | None = None,
    date: datetime | None = None,
) -> Provenance:
    """Gather the provenance of a run (version, Python, UTC date to the second).

    The date is ``date`` when given, else ``SOURCE_DATE_EPOCH`` (seconds since the epoch, the
    reproducible-builds convention) when that environment variable is set, else now.
    """
    import socialpref

    when = (date or _source_date() or datetime.now(timezone.utc)).astimezone(timezone.utc)
    when = when.replace(microsecond=0)
    return Provenance(
        version=socialpref.__version__,
        command=command,
        inputs=tuple(inputs),
        options=dict(options or {}),
        seed=seed,
        date=when.isoformat().replace("+00:00", "Z"),
        python=platform.python_version(),
    )


__all__ = ["DATE_LABEL", "InputFile", "Provenance", "collect_provenance", "sha256_file"]
