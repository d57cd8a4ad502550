"""The checks every reader makes on a path before opening it."""

from __future__ import annotations

from pathlib import Path

from socialpref.errors import DataError


def check_file(path: str | Path, suffixes: tuple[str, ...], what: str) -> Path:
    """``path`` as a :class:`Path` when it is a non-empty file named with one of ``suffixes``.

    Raises ``FileNotFoundError`` for a missing path and a
    :class:`~socialpref.errors.DataError` for a directory, another suffix or an empty file;
    ``what`` names the expected kind of file in the message.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"No such file: '{p}'.")
    if p.is_dir():
        raise DataError(f"'{p}' is a directory, not a {what} file.")
    if p.suffix.lower() not in suffixes:
        raise DataError(
            f"'{p.name}' is not a {what} file: expected a name ending in {' or '.join(suffixes)}."
        )
    if p.stat().st_size == 0:
        raise DataError(f"'{p.name}' is an empty file (0 bytes).")
    return p


__all__ = ["check_file"]
