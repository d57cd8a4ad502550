"""A cache of decoded waves: read a ``.sav``/``.dta`` once, load its decoded survey back after.

Decoding a wave (pyreadstat's parse, then a class per column and a code index per answer) takes
most of a run on the same wave; loading the decoded :class:`~socialpref.surveys.Survey` back
from an uncompressed ``.npz`` is two orders of magnitude faster
(``benchmarks/bench_surveys.py`` prints the ratio).

An entry is keyed by

* the SHA-256 of the file's bytes (hashed on every read: an entry is never stale, whatever the
  file's name, place or modification time),
* the file's name (it names the survey and may give its wave number, hence its weight column),
* the reading options (``weight``, ``unweighted``, ``check``),
* a fingerprint of the decoding code (the source of the modules that decode a wave, and
  pyreadstat's version): a new rule for column classes or answer statuses never meets an entry
  written by the old one.

Entries live in :func:`cache_dir`: ``$SOCIALPREF_CACHE_DIR`` when set, else the user cache
folder (``$XDG_CACHE_HOME/socialpref/surveys`` or ``~/.cache/socialpref/surveys`` on Linux,
``~/Library/Caches/socialpref/surveys`` on macOS, ``%LOCALAPPDATA%\\socialpref\\Cache\\surveys`` on
Windows). They are written to a temporary file and renamed into place, so that a reader never
sees half an entry and concurrent writers of the same entry leave one whole entry. An entry
that cannot be loaded (truncated, corrupt, another format) is ignored and replaced. Entries are
plain arrays and JSON (never pickles). The folder is kept under :data:`MAX_CACHE_BYTES`,
least recently used entries first out.

The cache is on unless ``$SOCIALPREF_NO_CACHE`` is set (to anything but ``""``, ``0``,
``false`` or ``no``), :func:`set_cache_enabled` turned it off for the process, or the reader is
called with ``cache=False``. A cache that cannot be written (a read-only folder, a full disk)
is skipped: it is never a reason for a read to fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.surveys.columns import Column
from socialpref.surveys.survey import ANSWER_DTYPE, Survey, Variable

#: Environment variable naming the cache folder.
CACHE_DIR_ENV = "SOCIALPREF_CACHE_DIR"
#: Environment variable that turns the cache off.
NO_CACHE_ENV = "SOCIALPREF_NO_CACHE"
#: The cache folder is trimmed to this size (least recently used entries first).
MAX_CACHE_BYTES = 2 * 1024**3
#: One entry loaded at a time in a process. numpy parses each ``.npy`` header with
#: ``ast.literal_eval``, and CPython 3.11 keeps the AST converter's recursion depth per
#: interpreter, not per thread: two threads parsing at once can raise
#: ``SystemError: AST constructor recursion depth mismatch``.
_LOAD_LOCK = threading.Lock()
#: Version of the entry layout below.
_FORMAT = 1
#: Temporary files older than this (seconds) are left by killed writers and removed.
_STALE_TMP_S = 3600.0
_SUFFIX = ".npz"
_TMP_PREFIX = ".tmp-"
#: Index dtypes an entry stores answers in (the smallest that holds a column's codes).
_BLOCK_DTYPES = (np.int8, np.int16, np.int32)
_BLOCK_MAX = (127, 32_767, 2_147_483_647)
_HASH_CHUNK = 1 << 20

_enabled = True
_fingerprint: str | None = None


class _BadEntry(Exception):
    """An entry that does not hold what its key promises."""


def set_cache_enabled(enabled: bool) -> None:
    """Turn the cache on or off for this process (the library switch; on by default)."""
    global _enabled
    _enabled = bool(enabled)


def cache_enabled() -> bool:
    """Whether readers use the cache: the library switch is on and ``$SOCIALPREF_NO_CACHE`` unset."""
    flag = os.environ.get(NO_CACHE_ENV, "").strip().lower()
    return _enabled and flag in ("", "0", "false", "no")


def cache_dir() -> Path:
    """The folder of the cache's entries (created when the first entry is written).

    Raises ``RuntimeError`` when ``$SOCIALPREF_CACHE_DIR`` is unset and there is no home folder
    (the readers then read without the cache).
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        root = Path(local) if local else Path.home() / "AppData" / "Local"
        return root / "socialpref" / "Cache" / "surveys"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "socialpref" / "surveys"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return root / "socialpref" / "surveys"


def _entries(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from (
            p
            for p in folder.iterdir()
            if p.suffix == _SUFFIX and not p.name.startswith(_TMP_PREFIX)
        )


def clear_cache() -> int:
    """Remove every entry of :func:`cache_dir`; return how many were removed."""
    removed = 0
    for entry in list(_entries(cache_dir())):
        try:
            entry.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _code_fingerprint() -> str:
    """Hash of the decoding modules' source and pyreadstat's version (once per process)."""
    global _fingerprint
    if _fingerprint is None:
        from socialpref.surveys import checks, columns, labels, readers, survey

        h = hashlib.sha256(str(_FORMAT).encode())
        for module in (checks, columns, labels, readers, survey, sys.modules[__name__]):
            h.update(Path(str(module.__file__)).read_bytes())
        try:
            h.update(metadata.version("pyreadstat").encode())
        except metadata.PackageNotFoundError:
            h.update(b"no pyreadstat")
        _fingerprint = h.hexdigest()
    return _fingerprint


def cache_key(path: Path, options: Mapping[str, Any]) -> str:
    """The key of ``path`` read with ``options`` (content hash, name, options, code)."""
    parts = {
        "sha256": file_digest(path),
        "name": path.name,
        "options": {k: options[k] for k in sorted(options)},
        "code": _code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _block_of(n_codes: int) -> int:
    for k, top in enumerate(_BLOCK_MAX):
        if n_codes <= top:
            return k
    raise AssertionError(f"{n_codes} codes do not fit an int32 index")  # a bug, not bad input


def _encode(survey: Survey, key: str) -> dict[str, np.ndarray]:
    """The arrays of an entry: answers by index width, codes, weights, and the metadata as JSON."""
    names = list(survey.variables)
    blocks: list[list[int]] = [[] for _ in _BLOCK_DTYPES]
    where = []
    for k, name in enumerate(names):
        b = _block_of(survey.variables[name].n_codes)
        where.append((b, len(blocks[b])))
        blocks[b].append(k)
    arrays: dict[str, np.ndarray] = {}
    for b, members in enumerate(blocks):
        mat = np.empty((len(members), survey.n_rows), dtype=_BLOCK_DTYPES[b])
        for row, k in enumerate(members):
            answers = survey.variables[names[k]].answers
            assert answers is not None
            mat[row] = answers
        arrays[f"answers{b}"] = mat
    variables = []
    for name, (b, row) in zip(names, where, strict=True):
        v = survey.variables[name]
        variables.append(
            {
                "name": v.name,
                "text": v.text,
                "labels": list(v.labels),
                "status": list(v.status),
                "declared": list(v.declared),
                "kind": v.kind,
                "n_codes": v.n_codes,
                "block": b,
                "row": row,
            }
        )
    arrays["codes"] = np.asarray(
        [c for name in names for c in survey.variables[name].codes], dtype=np.float64
    )
    if survey.weights is not None:
        arrays["weights"] = np.asarray(survey.weights, dtype=np.float64)
    meta = {
        "format": _FORMAT,
        "key": key,
        "questions": list(survey.questions),
        "demographics": list(survey.demographics),
        "weight_column": survey.weight_column,
        "n_bad_weights": survey.n_bad_weights,
        "file_label": survey.file_label,
        "n_rows": survey.n_rows,
        "columns": [c.to_dict() for c in survey.columns],
        "variables": variables,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return arrays


def _decode(data: Mapping[str, np.ndarray], key: str, path: Path) -> Survey:
    """The survey of an entry; raises :class:`_BadEntry` when the entry does not fit its key."""
    meta = json.loads(bytes(data["meta"]).decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT or meta.get("key") != key:
        raise _BadEntry("another format or key")
    n_rows = int(meta["n_rows"])
    blocks = [np.asarray(data[f"answers{b}"]) for b in range(len(_BLOCK_DTYPES))]
    if any(m.ndim != 2 or m.shape[1] != n_rows for m in blocks):
        raise _BadEntry("answer blocks of the wrong shape")
    wide = [m.astype(ANSWER_DTYPE) for m in blocks]
    codes = np.asarray(data["codes"], dtype=np.float64)
    variables: dict[str, Variable] = {}
    start = 0
    for v in meta["variables"]:
        n = int(v["n_codes"])
        stop = start + n
        if stop > codes.size or len(v["labels"]) != n or len(v["status"]) != n:
            raise _BadEntry(f"codes of {v['name']!r} do not fit")
        variables[v["name"]] = Variable(
            name=v["name"],
            text=v["text"],
            codes=tuple(codes[start:stop].tolist()),
            labels=tuple(v["labels"]),
            status=tuple(v["status"]),
            declared=tuple(bool(d) for d in v["declared"]),
            kind=v["kind"],
            answers=wide[int(v["block"])][int(v["row"])],
        )
        start = stop
    if start != codes.size:
        raise _BadEntry("codes left over")
    weights = np.asarray(data["weights"], dtype=np.float64) if "weights" in data else None
    if weights is not None and weights.shape != (n_rows,):
        raise _BadEntry("weights of the wrong shape")
    demographics = tuple(meta["demographics"])
    return Survey(
        source=path.name,
        path=path,
        kind="wave",
        questions=tuple(meta["questions"]),
        demographics=demographics,
        weights=weights,
        weight_column=meta["weight_column"],
        n_bad_weights=int(meta["n_bad_weights"]),
        file_label=meta["file_label"],
        n_rows=n_rows,
        columns=tuple(Column(**c) for c in meta["columns"]),
        variables=variables,
        demographic_variables={d: variables[d] for d in demographics},
    )


def load(key: str, path: Path) -> Survey | None:
    """The cached survey of ``key`` (read from ``path``), or None when there is no usable entry."""
    try:
        entry = cache_dir() / f"{key}{_SUFFIX}"
        with _LOAD_LOCK, np.load(entry, allow_pickle=False) as data:
            survey = _decode(data, key, path)
    except FileNotFoundError:
        return None
    except RuntimeError:  # no home folder to hold a cache
        return None
    except (
        _BadEntry,
        OSError,
        ValueError,  # also json's JSONDecodeError, a pickle refused, a bad .npy header
        KeyError,
        TypeError,
        IndexError,
        EOFError,
        UnicodeDecodeError,
        zipfile.BadZipFile,
    ):
        return None  # a damaged or foreign entry: the reader decodes the file and replaces it
    try:
        os.utime(entry)  # recently used
    except OSError:
        pass
    return survey


def store(key: str, survey: Survey) -> Path | None:
    """Write the entry of ``key`` atomically; None when the cache folder cannot be written."""
    tmp: Path | None = None
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_SUFFIX, dir=folder)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as fh:
            entry: dict[str, Any] = _encode(survey, key)
            np.savez(fh, **entry)
        target = folder / f"{key}{_SUFFIX}"
        os.replace(tmp, target)
        tmp = None
        _trim(folder)
        return target
    except (OSError, RuntimeError):  # RuntimeError: no home folder to hold a cache
        return None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _trim(folder: Path) -> None:
    """Keep the folder under :data:`MAX_CACHE_BYTES` and remove temporary files of dead writers."""
    now = time.time()
    sized = []
    for p in list(folder.iterdir()):
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if p.name.startswith(_TMP_PREFIX):
            if now - st.st_mtime > _STALE_TMP_S:
                p.unlink(missing_ok=True)
        elif p.suffix == _SUFFIX:
            sized.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in sized)
    for _, size, p in sorted(sized, key=lambda t: t[0]):
        if total <= MAX_CACHE_BYTES:
            break
        p.unlink(missing_ok=True)
        total -= size


__all__ = [
    "CACHE_DIR_ENV",
    "MAX_CACHE_BYTES",
    "NO_CACHE_ENV",
    "cache_dir",
    "cache_enabled",
    "cache_key",
    "clear_cache",
    "file_digest",
    "load",
    "set_cache_enabled",
    "store",
]
