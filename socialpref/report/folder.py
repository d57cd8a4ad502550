"""Atomic writing of a report folder.

A report is written into a temporary sibling folder and moved into place only once complete,
so a failed run never leaves a half-written report. An existing output folder is replaced only
if socialpref wrote it (it holds :data:`MARKER`), or with ``force=True``; the folder that holds
the current working directory, the home folder and the file-system root are never replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from socialpref.errors import OutputError

#: Marker file that identifies a folder written by socialpref.
MARKER = ".socialpref-report"

T = TypeVar("T")


def is_report_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder that socialpref wrote (holds the marker file)."""
    return (Path(path) / MARKER).is_file()


def check_target(target: str | Path, force: bool = False) -> Path:
    """Check that ``target`` may be (over)written; return it as an absolute path.

    Raises
    ------
    FileExistsError
        ``target`` exists and is a file, or a folder that socialpref did not write and
        ``force`` is False.
    OutputError
        ``target`` is the file-system root, the home folder, or holds the working directory.
    """
    path = Path(target).expanduser().absolute()
    resolved = path.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise OutputError(
            f"The 'out' folder must not be {str(resolved)!r}; choose a dedicated folder."
        )
    cwd = Path.cwd().resolve()
    if path.exists() and (resolved == cwd or resolved in cwd.parents):
        raise OutputError(
            f"The 'out' folder {str(path)!r} holds the working directory; choose a dedicated folder."
        )
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise FileExistsError(f"The output path {str(path)!r} exists and is not a folder.")
    if path.is_dir() and not force and not is_report_folder(path):
        raise FileExistsError(
            f"The output folder {str(path)!r} exists and was not written by socialpref "
            f"(no {MARKER} file); choose another --out or pass --force to replace it."
        )
    return path


def write_folder_atomically(
    target: str | Path,
    fill: Callable[[Path], T],
    *,
    force: bool = False,
    marker_info: dict[str, str] | None = None,
) -> T:
    """Build a folder with ``fill(tmp_dir)`` and move it to ``target`` in one step.

    ``fill`` writes the folder's content into the temporary folder it receives; its return
    value is passed through. The marker file is added, then an existing ``target`` (checked
    by :func:`check_target`) is moved aside, the new folder renamed into place, and the old
    one deleted. If ``fill`` raises, the temporary folder is removed and ``target`` is left
    untouched.
    """
    path = check_target(target, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old: Path | None = None
    try:
        result = fill(tmp)
        info = {"written_by": "socialpref", **(marker_info or {})}
        (tmp / MARKER).write_text(json.dumps(info, sort_keys=True) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes 0o700; a report folder is for reading
        path = check_target(path, force)  # again: something may have appeared meanwhile
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
    except BaseException:
        if old is not None and (old / path.name).exists() and not path.exists():
            os.replace(old / path.name, path)  # put the previous report back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return result


__all__ = ["MARKER", "check_target", "is_report_folder", "write_folder_atomically"]
