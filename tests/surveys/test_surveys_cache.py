"""The cache of decoded waves: hits, misses after a change, damaged entries, concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from socialpref.surveys import Survey, read_source, read_wave
from socialpref.surveys import cache as wave_cache

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(wave_cache.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(wave_cache.NO_CACHE_ENV, raising=False)
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("[!.]*.npz")) if folder.is_dir() else []


def assert_same_survey(a: Survey, b: Survey) -> None:
    assert (a.source, a.path, a.kind, a.questions, a.demographics) == (
        b.source,
        b.path,
        b.kind,
        b.questions,
        b.demographics,
    )
    assert (a.weight_column, a.n_bad_weights, a.file_label, a.n_rows, a.columns) == (
        b.weight_column,
        b.n_bad_weights,
        b.file_label,
        b.n_rows,
        b.columns,
    )
    assert (a.weights is None) == (b.weights is None)
    if a.weights is not None:
        np.testing.assert_array_equal(a.weights, b.weights)
    assert list(a.variables) == list(b.variables)
    assert list(a.demographic_variables) == list(b.demographic_variables)
    for name, va in a.variables.items():
        vb = b.variables[name]
        assert (va.name, va.text, va.codes, va.labels, va.status, va.declared, va.kind) == (
            vb.name,
            vb.text,
            vb.codes,
            vb.labels,
            vb.status,
            vb.declared,
            vb.kind,
        )
        assert va.answers is not None and vb.answers is not None
        assert va.answers.dtype == vb.answers.dtype == np.int32
        np.testing.assert_array_equal(va.answers, vb.answers)


def test_hit_returns_the_decoded_wave(cache_dir: Path, varied_paths: dict[str, Path]) -> None:
    for suffix, path in varied_paths.items():
        fresh = read_wave(path, cache=False)
        key = wave_cache.cache_key(path, {"weight": None, "unweighted": False, "check": True})
        entry = cache_dir / f"{key}.npz"
        assert not entry.exists()
        first = read_wave(path)  # a miss: decoded, then stored
        os.utime(entry, (1_000_000, 1_000_000))  # an old entry: a hit marks it recently used
        second = read_wave(path)
        assert entry.stat().st_mtime > 1_000_000, suffix
        assert_same_survey(fresh, first)
        assert_same_survey(fresh, second)
    assert len(entries(cache_dir)) == len(varied_paths)


def test_the_demo_wave_round_trips(cache_dir: Path, demo_path: Path) -> None:
    fresh = read_wave(demo_path, cache=False)
    read_wave(demo_path)
    assert_same_survey(fresh, read_wave(demo_path))


def test_a_changed_file_is_a_miss(cache_dir: Path, tiny_wave: Path, sav, tmp_path: Path) -> None:
    before = read_wave(tiny_wave)
    assert len(entries(cache_dir)) == 1
    cols = {"Q1_W5": [1, 2, 2], "F_PARTYSUM_FINAL": [1, 2, 1], "WEIGHT_W5": [1.0, 1.0, 1.0]}
    labels = {"Q1_W5": {1.0: "Yes", 2.0: "No"}, "F_PARTYSUM_FINAL": {1.0: "R", 2.0: "D"}}
    stat = tiny_wave.stat()
    sav(tiny_wave, cols, labels)  # same name, new content
    os.utime(tiny_wave, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    after = read_wave(tiny_wave)
    assert before.n_rows == 10 and after.n_rows == 3
    assert_same_survey(after, read_wave(tiny_wave, cache=False))
    assert len(entries(cache_dir)) == 2


def test_options_and_names_are_part_of_the_key(cache_dir: Path, tiny_wave: Path) -> None:
    weighted = read_wave(tiny_wave)
    unweighted = read_wave(tiny_wave, unweighted=True)
    other = read_wave(tiny_wave, weight="WEIGHT_W5_XS")
    assert weighted.weight_column == "WEIGHT_W5" and unweighted.weights is None
    assert other.weight_column == "WEIGHT_W5_XS"
    copy = tiny_wave.with_name("ATP W5 copy.sav")
    copy.write_bytes(tiny_wave.read_bytes())
    assert read_wave(copy).source == "ATP W5 copy.sav"
    assert len(entries(cache_dir)) == 4
    assert read_source(tiny_wave).weight_column == "WEIGHT_W5"  # read_source uses the cache too
    assert len(entries(cache_dir)) == 4


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b"not a zip file at all",
        lambda b: b"",
        lambda b: bytes(x ^ 0x55 for x in b),
    ],
    ids=["truncated", "garbage", "empty", "flipped"],
)
def test_a_damaged_entry_is_ignored_and_replaced(cache_dir: Path, tiny_wave: Path, damage) -> None:
    fresh = read_wave(tiny_wave, cache=False)
    read_wave(tiny_wave)
    (entry,) = entries(cache_dir)
    entry.write_bytes(damage(entry.read_bytes()))
    assert_same_survey(fresh, read_wave(tiny_wave))
    (replaced,) = entries(cache_dir)
    key = replaced.name.removesuffix(".npz")
    assert_same_survey(fresh, wave_cache.load(key, tiny_wave))  # type: ignore[arg-type]


def test_an_entry_of_another_key_is_ignored(
    cache_dir: Path, tiny_wave: Path, sav, tmp_path
) -> None:
    """An entry renamed to another key (or a hash collision) never answers for that key."""
    read_wave(tiny_wave)
    (entry,) = entries(cache_dir)
    other = sav(
        tmp_path / "ATP W6.sav",
        {"Q_W6": [1, 2], "WEIGHT_W6": [1, 1]},
        {"Q_W6": {1.0: "A", 2.0: "B"}},
    )
    key = wave_cache.cache_key(other, {"weight": None, "unweighted": False, "check": True})
    entry.rename(cache_dir / f"{key}.npz")
    assert read_wave(other).questions == ("Q_W6",)


def test_switches_turn_the_cache_off(
    cache_dir: Path, tiny_wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_wave(tiny_wave, cache=False)
    assert entries(cache_dir) == []
    monkeypatch.setenv(wave_cache.NO_CACHE_ENV, "1")
    assert not wave_cache.cache_enabled()
    read_wave(tiny_wave)
    assert entries(cache_dir) == []
    monkeypatch.setenv(wave_cache.NO_CACHE_ENV, "0")
    assert wave_cache.cache_enabled()
    wave_cache.set_cache_enabled(False)
    try:
        read_wave(tiny_wave)
        assert entries(cache_dir) == []
    finally:
        wave_cache.set_cache_enabled(True)
    read_wave(tiny_wave)
    assert len(entries(cache_dir)) == 1
    assert wave_cache.clear_cache() == 1 and entries(cache_dir) == []


def test_an_unwritable_cache_is_skipped(tmp_path: Path, tiny_wave: Path, monkeypatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(wave_cache.CACHE_DIR_ENV, str(blocker / "cache"))
    monkeypatch.delenv(wave_cache.NO_CACHE_ENV, raising=False)
    assert read_wave(tiny_wave).n_rows == 10  # the read never fails for the cache's sake
    assert blocker.read_text() == "not a folder"


def test_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(wave_cache.CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert wave_cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(wave_cache.CACHE_DIR_ENV)
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert wave_cache.cache_dir() == tmp_path / "xdg" / "socialpref" / "surveys"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
        assert wave_cache.cache_dir() == Path.home() / ".cache" / "socialpref" / "surveys"


def test_trimmed_oldest_first_and_stale_temporaries_removed(
    cache_dir: Path, tiny_wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_wave(tiny_wave)
    (old,) = entries(cache_dir)
    os.utime(old, (1_000_000, 1_000_000))
    stale = cache_dir / ".tmp-dead-writer.npz"
    stale.write_bytes(b"half an entry")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh_tmp = cache_dir / ".tmp-live-writer.npz"
    fresh_tmp.write_bytes(b"being written")
    monkeypatch.setattr(wave_cache, "MAX_CACHE_BYTES", old.stat().st_size + 10)
    read_wave(tiny_wave, unweighted=True)  # a second entry: the folder is over the limit
    assert not old.exists() and len(entries(cache_dir)) == 1
    assert not stale.exists() and fresh_tmp.exists()


def test_concurrent_writers_in_threads(cache_dir: Path, tiny_wave: Path) -> None:
    fresh = read_wave(tiny_wave, cache=False)
    results: list[Survey] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(read_wave(tiny_wave))
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for s in results:
        assert_same_survey(fresh, s)
    assert len(entries(cache_dir)) == 1
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]


WRITER = """
import sys
from socialpref.surveys import read_wave
s = read_wave(sys.argv[1])
print(s.n_rows, len(s.questions))
"""


@pytest.mark.slow
def test_concurrent_writers_in_processes(cache_dir: Path, varied_paths: dict[str, Path]) -> None:
    path = varied_paths[".sav"]
    env = {**os.environ, wave_cache.CACHE_DIR_ENV: str(cache_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    fresh = read_wave(path, cache=False)
    assert {out.strip() for out, _ in outs} == {f"{fresh.n_rows} {len(fresh.questions)}"}
    assert len(entries(cache_dir)) == 1
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]
    assert_same_survey(fresh, read_wave(path))


def test_no_home_folder_means_no_cache(tiny_wave: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv(wave_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv(wave_cache.NO_CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    with pytest.raises(RuntimeError):
        wave_cache.cache_dir()
    assert read_wave(tiny_wave).n_rows == 10  # read without the cache
