"""Writing outputs safely: whole files, several files together, whole folders.

Every file and folder that socialpref writes goes through this module:

* :func:`write_together` writes several files (a ``--json`` and a ``--plot``, say) or none:
  each into a temporary file beside its target, moved into place only when all succeeded.
* :func:`write_folder_atomically` builds an output folder (a report, a training run, a data
  set) in a hidden temporary folder beside the target and swaps it into place in one step.
* :func:`check_file_target` and :func:`check_target` check, before any work starts, that the
  outputs can be written: a command fails at once, not after minutes of work.

Files and folders are created with the modes that the process's umask gives (``0o666`` and
``0o777`` less the umask), as ``open()`` and ``mkdir`` would; :mod:`tempfile` alone would make
them private (``0o600``, ``0o700``).

The rules of an output folder:

* a folder that socialpref writes holds :data:`MARKER`, a JSON file that names the command
  (``kind``) and lists every file written (``files``);
* an existing folder is replaced when it holds only files socialpref wrote, of the same kind
  of command; a folder written by another socialpref command needs ``force``;
* a folder that holds files socialpref did not write, or an input of the same run, is never
  replaced, even with ``force``; neither are the file-system root, the home folder and a
  folder that holds the working directory.

A folder is replaced by exchanging the new folder with the old one in one rename (Linux's
``renameat2(RENAME_EXCHANGE)``), so that a process killed at any moment leaves at the target
either the complete old folder or the complete new one. Where the exchange is not available,
the old folder is first moved into a hidden ``.NAME.XXXXXXXX.old/`` folder; a run killed
between the two renames leaves no folder at the target, and the next run for that target puts
the old folder back. Every run for a target also removes the hidden temporary folders that
killed runs left beside it (never those of a run still writing: each writer holds a lock on
its temporary folder until it is done).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from socialpref.errors import OutputError

#: The file that marks a folder written by socialpref (JSON: ``written_by``, ``kind``,
#: ``files`` and what the command adds).
MARKER = ".socialpref-report"
#: The file that marks a temporary folder while socialpref fills it.
WRITING = ".socialpref-writing"

#: Test hook: ``SOCIALPREF_TEST_PAUSE=STAGE`` makes a folder write stop at ``STAGE`` (one of
#: :data:`PAUSE_STAGES`), write the stage's name into the file ``SOCIALPREF_TEST_PAUSE_FILE``
#: (when set) and wait until the file ``SOCIALPREF_TEST_RESUME_FILE`` exists, at most
#: ``SOCIALPREF_TEST_PAUSE_SECONDS`` (default 60), so that a test can kill the process there
#: or let it go on when it chooses.
PAUSE_ENV = "SOCIALPREF_TEST_PAUSE"
PAUSE_FILE_ENV = "SOCIALPREF_TEST_PAUSE_FILE"
RESUME_FILE_ENV = "SOCIALPREF_TEST_RESUME_FILE"
PAUSE_SECONDS_ENV = "SOCIALPREF_TEST_PAUSE_SECONDS"
#: Test hook: set to ``1``, folders are replaced by two renames instead of one exchange.
NO_EXCHANGE_ENV = "SOCIALPREF_TEST_NO_EXCHANGE"
#: The stages of a folder write, in order: ``created`` (the temporary folder exists, empty),
#: ``filled`` (complete, with its marker), ``swapped`` (the new folder is in place, the old one
#: is at the temporary path), ``moved-aside`` (no exchange: the old folder is in ``.old/``,
#: the new one not yet in place), ``replaced`` (the new folder is in place, the old one in
#: ``.old/``, about to be deleted).
PAUSE_STAGES = ("created", "filled", "swapped", "moved-aside", "replaced")

T = TypeVar("T")
Notify = Callable[[str], object]


# ----------------------------------------------------------------------------- modes


def umask() -> int:
    """The process's umask (read without changing it for longer than a call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """The mode ``open()`` (``0o666``) or ``mkdir`` (``0o777``) gives under the umask."""
    return (0o777 if directory else 0o666) & ~umask()


def _pause(stage: str) -> None:
    """The test hook of :data:`PAUSE_ENV`."""
    if os.environ.get(PAUSE_ENV) != stage:
        return
    reached = os.environ.get(PAUSE_FILE_ENV)
    if reached:
        Path(reached).write_text(stage, encoding="utf-8")
    resume = os.environ.get(RESUME_FILE_ENV)
    deadline = time.monotonic() + float(os.environ.get(PAUSE_SECONDS_ENV, "60"))
    while time.monotonic() < deadline and not (resume and Path(resume).exists()):
        time.sleep(0.05)


# ----------------------------------------------------------------------------- files


def check_file_target(
    target: str | Path, what: str = "output", *, inputs: Sequence[str | Path] = ()
) -> Path:
    """Check, before any work, that the file ``target`` can be written; return it absolute.

    ``inputs``: the files the run reads; an output that is one of them (by any name: a link,
    a relative path) is refused, so that a run never replaces what it reads.

    Raises
    ------
    OutputError
        ``target`` is a folder or an input of the run, its parent is a file, or the nearest
        existing folder above it cannot be written.
    """
    path = Path(target).expanduser().absolute()
    if path.is_dir():
        raise OutputError(f"The {what} path {str(target)!r} is a folder; give a file name.")
    existing = [Path(source) for source in inputs if Path(source).exists()]
    for source in existing if path.exists() else []:
        if os.path.samefile(path, source):
            raise OutputError(
                f"The {what} path {str(target)!r} is an input of this run ({str(source)!r}); "
                "write the output to another file."
            )
    _check_parent(path, target, what)
    if path.exists() and path.is_file() and not os.access(path, os.W_OK):
        raise OutputError(f"The {what} file {str(target)!r} exists and cannot be written.")
    return path


def _check_parent(path: Path, given: str | Path, what: str) -> None:
    """The nearest existing folder above ``path`` is a folder that can be written."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"The {what} path {str(given)!r} cannot be created: {str(ancestor)!r} is a file, "
            "not a folder."
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(
            f"The {what} path {str(given)!r} cannot be written: socialpref may not write in "
            f"{str(ancestor)!r} (no permission, or a read-only file system)."
        )


def _real_file(target: Path) -> Path:
    """The file a write to ``target`` should replace: a symbolic link's target."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def write_together(outputs: Sequence[tuple[str | Path, bytes]]) -> list[Path]:
    """Write every ``(target, content)`` or none; return the paths written.

    Each content goes into a temporary file beside its target (the parent folders are
    created), created with the umask's mode; only when every write succeeded are they all
    moved into place. A failing write (a folder that cannot be created, a full disk) leaves
    no output and no temporary file. A target that exists and is not a regular file (a
    device such as ``/dev/null``, a pipe) is written directly, after the others.
    """
    done: list[tuple[Path, Path]] = []
    direct: list[tuple[Path, bytes]] = []
    mode = default_mode()
    try:
        for given, content in outputs:
            target = _real_file(Path(given))
            if target.exists() and not target.is_file() and not target.is_dir():
                direct.append((target, content))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            done.append((Path(name), target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.chmod(name, mode)
        for tmp, target in done:
            os.replace(tmp, target)
    finally:
        for tmp, _ in done:
            if tmp.exists():
                tmp.unlink()
    for target, content in direct:
        with target.open("wb") as fh:
            fh.write(content)
    return [t for _, t in done] + [t for t, _ in direct]


# ----------------------------------------------------------------------------- folders


def read_marker(path: str | Path) -> dict[str, Any] | None:
    """The marker of a folder socialpref wrote (:data:`MARKER`), or None when it has none.

    A marker that is not a JSON object (an older or damaged one) reads as ``{}``.
    """
    marker = Path(path) / MARKER
    if not marker.is_file():
        return None
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


def is_report_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder that socialpref wrote (it holds :data:`MARKER`)."""
    return (Path(path) / MARKER).is_file()


def _files(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative, POSIX), the marker excepted."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.name != MARKER
    )


def foreign_files(path: str | Path) -> list[str]:
    """The files under the folder ``path`` that socialpref did not write.

    Without a marker, every entry of the folder; with a marker that lists its files, those it
    does not list; with a marker that lists none (an older report, a training run), none.
    """
    folder = Path(path)
    info = read_marker(folder)
    if info is None:
        return sorted(p.name for p in folder.iterdir())
    listed = info.get("files")
    if not isinstance(listed, list):
        return []
    return sorted(set(_files(folder)) - {str(f) for f in listed})


def _holds(folder: Path, inputs: Sequence[str | Path]) -> str | None:
    """The first of ``inputs`` that lies inside ``folder`` (or is it), if any."""
    for given in inputs:
        p = Path(given).expanduser().absolute().resolve()
        if p == folder or folder in p.parents:
            return str(given)
    return None


def check_target(
    target: str | Path,
    force: bool = False,
    *,
    inputs: Sequence[str | Path] = (),
    kind: str | None = None,
) -> Path:
    """Check that the folder ``target`` may be written or replaced; return it absolute.

    Parameters
    ----------
    target : path
        The output folder.
    force : bool
        Replace a folder written by another socialpref command (another ``kind``).
    inputs : sequence of path
        The inputs of the run: a folder that holds one of them is never replaced.
    kind : str, optional
        The command that writes the folder (as its marker records it); None accepts any.

    Raises
    ------
    FileExistsError
        ``target`` is a file; a folder with files socialpref did not write; a folder that
        another socialpref command wrote (without ``force``).
    OutputError
        ``target`` is the file-system root, the home folder, holds the working directory or
        an input of the run; the folder above it is a file or cannot be written.
    """
    path = Path(target).expanduser().absolute()
    resolved = path.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise OutputError(
            f"The output folder must not be {str(resolved)!r}; choose a dedicated folder."
        )
    cwd = Path.cwd().resolve()
    if path.exists() and (resolved == cwd or resolved in cwd.parents):
        raise OutputError(
            f"The output folder {str(path)!r} holds the working directory; choose a dedicated "
            "folder."
        )
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise FileExistsError(f"The output path {str(path)!r} exists and is not a folder.")
    _check_parent(path, target, "output folder")
    held = _holds(resolved, inputs) if path.exists() else None
    if held is not None:
        raise OutputError(
            f"The output folder {str(path)!r} holds {held!r}, an input of this run; it is never "
            "replaced, even with --force: choose another output folder."
        )
    if not path.is_dir():
        return path
    foreign = foreign_files(path)
    if foreign:
        listed = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise FileExistsError(
            f"The output folder {str(path)!r} holds files socialpref did not write ({listed}); "
            "it is never replaced, even with --force: choose another output folder or move "
            "them away."
        )
    info = read_marker(path)
    written = None if info is None else info.get("kind")
    if not force and kind is not None and isinstance(written, str) and written != kind:
        raise FileExistsError(
            f"The output folder {str(path)!r} was written by another socialpref command "
            f"({written}, not {kind}); pass --force to replace it."
        )
    return path


# --- locks: a writer holds one on its temporary folder, and one on the parent while it renames


def _lock(path: Path, blocking: bool = True) -> int | None:
    """An open descriptor of ``path`` holding an exclusive ``flock``; None where locks are not
    available, or (``blocking=False``) when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN) and not blocking:
            return None
        return None
    return fd


@contextlib.contextmanager
def _parent_locked(parent: Path) -> Iterator[None]:
    fd = _lock(parent)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _is_live(folder: Path) -> bool:
    """Whether a running process holds the lock of the temporary folder ``folder``."""
    fd = _lock(folder, blocking=False)
    if fd is None:
        return True
    os.close(fd)
    return False


def _leftovers(path: Path, suffix: str) -> list[Path]:
    """Hidden ``.NAME.XXXXXXXX{suffix}`` folders beside ``path`` (as :func:`tempfile.mkdtemp`
    names them)."""
    prefix = f".{path.name}."
    return sorted(
        p
        for p in path.parent.glob(f".{path.name}.*{suffix}")
        if p.is_dir()
        and not p.is_symlink()
        and len(p.name) == len(prefix) + 8 + len(suffix)
        and p.name.startswith(prefix)
    )


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def recover(target: str | Path, notify: Notify | None = None) -> list[str]:
    """Put back or remove what killed runs left beside the folder ``target``; return the notes.

    * A ``.NAME.XXXXXXXX.old/NAME`` folder (a run killed while it replaced ``target``): when
      ``target`` is missing, it is moved back into place; otherwise deleted.
    * A ``.NAME.XXXXXXXX.tmp`` folder that no running process holds and that socialpref
      marked (an unfinished new folder, or an old one being deleted): deleted.

    Each action is described in a note; the notes are returned, and passed to ``notify``
    (default :func:`warnings.warn`) as one line.
    """
    path = Path(target).expanduser().absolute()
    notes: list[str] = []
    if not path.parent.is_dir():
        return notes
    with _parent_locked(path.parent):
        notes += _recover_locked(path)
    _tell(notes, notify)
    return notes


def _tell(notes: list[str], notify: Notify | None) -> None:
    """Say ``notes`` in one line: to ``notify``, or as a warning."""
    if not notes:
        return
    line = "; ".join(note.rstrip(".") for note in notes) + "."
    line = line[0].upper() + line[1:]
    if notify is None:
        warnings.warn(line, stacklevel=3)
    else:
        notify(line)


def _recover_locked(path: Path) -> list[str]:
    """:func:`recover` under the parent's lock: no writer is renaming meanwhile."""
    notes: list[str] = []
    olds = sorted(_leftovers(path, ".old"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in olds:
        kept = old / path.name
        if not path.exists() and kept.is_dir():
            os.replace(kept, path)
            notes.append(
                f"recovered {str(path)!r} from {old.name} (a run was killed while it replaced "
                "the folder)"
            )
        else:
            notes.append(f"removed {old.name}, the old folder a killed run left beside {path.name}")
        _remove(old)
    for tmp in _leftovers(path, ".tmp"):
        ours = (tmp / WRITING).is_file() or (tmp / MARKER).is_file() or not any(tmp.iterdir())
        if ours and not _is_live(tmp):
            _remove(tmp)
            notes.append(
                f"removed {tmp.name}, a temporary folder a killed run left beside {path.name}"
            )
    return notes


def prepare_folder(
    target: str | Path,
    force: bool = False,
    *,
    inputs: Sequence[str | Path] = (),
    kind: str | None = None,
    notify: Notify | None = None,
) -> Path:
    """Before the work: put back or remove what killed runs left (:func:`recover`), then
    :func:`check_target`. Returns the absolute target."""
    recover(target, notify)
    return check_target(target, force, inputs=inputs, kind=kind)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``);
    False where the system or the file system cannot."""
    if os.environ.get(NO_EXCHANGE_ENV) == "1" or not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace(tmp: Path, path: Path) -> None:
    """Move the complete folder ``tmp`` to ``path`` (under the parent's lock)."""
    if not path.exists():
        os.replace(tmp, path)
        return
    if _exchange(tmp, path):
        _pause("swapped")
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(tmp, old / path.name)
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, old / path.name)
        _pause("moved-aside")
        try:
            os.replace(tmp, path)
        except BaseException:
            os.replace(old / path.name, path)  # put the previous folder back
            _remove(old)
            raise
    _pause("replaced")
    _remove(old)


def write_folder_atomically(
    target: str | Path,
    fill: Callable[[Path], T],
    *,
    force: bool = False,
    marker_info: dict[str, Any] | None = None,
    kind: str = "report",
    inputs: Sequence[str | Path] = (),
    notify: Notify | None = None,
) -> T:
    """Build a folder with ``fill(tmp_dir)`` and put it at ``target`` in one step.

    ``fill`` writes the folder's content into the temporary folder it receives; its return
    value is passed through. The marker (:data:`MARKER`: ``written_by``, ``kind``, the list of
    files and ``marker_info``) is added, then the folder replaces ``target`` (checked by
    :func:`check_target` before and again after ``fill``). If ``fill`` raises, the temporary
    folder is removed and ``target`` is left untouched. What killed runs left beside
    ``target`` is put back or removed first (:func:`recover`, with ``notify``).
    """
    path = check_target(target, force, inputs=inputs, kind=kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    with _parent_locked(path.parent):
        notes += _recover_locked(path)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        (tmp / WRITING).write_text(f"{os.getpid()}\n", encoding="utf-8")
        held = _lock(tmp)
    _tell(notes, notify)
    try:
        _pause("created")
        result = fill(tmp)
        (tmp / WRITING).unlink()
        info = {"written_by": "socialpref", "kind": kind, **(marker_info or {})}
        info["files"] = _files(tmp)
        (tmp / MARKER).write_text(json.dumps(info, sort_keys=True) + "\n", encoding="utf-8")
        os.chmod(tmp, default_mode(directory=True))
        _pause("filled")
        with _parent_locked(path.parent):
            check_target(path, force, kind=kind)  # again: something may have appeared meanwhile
            _replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        if held is not None:
            os.close(held)
    return result


__all__ = [
    "MARKER",
    "PAUSE_STAGES",
    "check_file_target",
    "check_target",
    "default_mode",
    "foreign_files",
    "is_report_folder",
    "prepare_folder",
    "read_marker",
    "recover",
    "umask",
    "write_folder_atomically",
    "write_together",
]
