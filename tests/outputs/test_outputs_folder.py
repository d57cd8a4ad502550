"""Output folders and files (socialpref.outputs): markers, refusals, --force, atomic replacement,
recovery after a killed run, modes from the umask."""

from __future__ import annotations

import fcntl
import json
import os
import stat
from pathlib import Path

import pytest

from socialpref.errors import OutputError
from socialpref.outputs import (
    MARKER,
    NO_EXCHANGE_ENV,
    WRITING,
    check_file_target,
    check_target,
    foreign_files,
    is_report_folder,
    prepare_folder,
    read_marker,
    recover,
    write_folder_atomically,
    write_together,
)


def _fill(text: str, extra: tuple[str, ...] = ()):
    def fill(tmp: Path) -> str:
        (tmp / "report.md").write_text(text)
        for name in extra:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(name)
        return "done"

    return fill


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


@pytest.fixture(params=["exchange", "two-renames"])
def replace_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of replacing a folder: one exchange (Linux), or two renames."""
    if request.param == "two-renames":
        monkeypatch.setenv(NO_EXCHANGE_ENV, "1")
    return str(request.param)


def test_new_folder_gets_content_and_a_marker_that_lists_it(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert write_folder_atomically(out, _fill("one", ("figures/a.png",))) == "done"
    assert (out / "report.md").read_text() == "one"
    assert is_report_folder(out)
    info = read_marker(out)
    assert info == {
        "written_by": "socialpref",
        "kind": "report",
        "files": ["figures/a.png", "report.md"],
    }
    assert foreign_files(out) == []
    assert _leftovers(tmp_path, "rep") == []


def test_marked_folder_is_replaced(tmp_path: Path, replace_mode: str) -> None:
    out = tmp_path / "rep"
    write_folder_atomically(out, _fill("one", ("stale.png",)))
    write_folder_atomically(out, _fill("two"))
    assert (out / "report.md").read_text() == "two"
    assert not (out / "stale.png").exists()
    assert _leftovers(tmp_path, "rep") == []


@pytest.mark.parametrize("force", [False, True])
def test_a_file_socialpref_did_not_write_is_never_replaced(tmp_path: Path, force: bool) -> None:
    out = tmp_path / "rep"
    write_folder_atomically(out, _fill("one"))
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"did not write \(notes\.txt\).*even with --force"):
        write_folder_atomically(out, _fill("two"), force=force)
    assert (out / "notes.txt").read_text() == "mine" and (out / "report.md").read_text() == "one"
    assert _leftovers(tmp_path, "rep") == []


@pytest.mark.parametrize("force", [False, True])
def test_foreign_folder_is_refused_and_untouched(tmp_path: Path, force: bool) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError, match=r"thesis\.tex"):
        write_folder_atomically(out, _fill("x"), force=force)
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert _leftovers(tmp_path, "mine") == []


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    write_folder_atomically(out, _fill("x"))
    assert (out / "report.md").read_text() == "x"


def test_a_folder_of_another_command_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_folder_atomically(out, _fill("train"), kind="train-synthetic")
    with pytest.raises(FileExistsError, match=r"another socialpref command \(train-synthetic"):
        write_folder_atomically(out, _fill("report"))
    write_folder_atomically(out, _fill("report"), force=True)
    assert read_marker(out)["kind"] == "report"  # type: ignore[index]


def test_an_older_marker_without_a_list_is_trusted(tmp_path: Path) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / MARKER).write_text('{"version": "0.1.0", "written_by": "socialpref"}\n')
    (out / "report.md").write_text("old")
    write_folder_atomically(out, _fill("new"))
    assert (out / "report.md").read_text() == "new"


@pytest.mark.parametrize("where", ["inside", "deeper", "itself"])
def test_a_folder_that_holds_an_input_is_never_replaced(tmp_path: Path, where: str) -> None:
    out = tmp_path / "data"
    write_folder_atomically(out, _fill("x"))
    given = {"inside": out / "report.md", "deeper": out / "a" / "b.csv", "itself": out}[where]
    with pytest.raises(OutputError, match=r"an input of this run.*even with --force"):
        check_target(out, force=True, inputs=[given])
    with pytest.raises(OutputError, match="an input of this run"):
        write_folder_atomically(out, _fill("y"), force=True, inputs=[given])
    assert (out / "report.md").read_text() == "x"
    check_target(out, inputs=[tmp_path / "elsewhere.csv"])  # an input outside is fine


def test_failure_while_writing_keeps_the_old_report(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    write_folder_atomically(out, _fill("one"))

    def boom(tmp: Path) -> None:
        (tmp / "report.md").write_text("half")
        raise RuntimeError("figure failed")

    with pytest.raises(RuntimeError, match="figure failed"):
        write_folder_atomically(out, boom)
    assert (out / "report.md").read_text() == "one"
    assert _leftovers(tmp_path, "rep") == []


def test_dangerous_targets_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="working directory"):
        check_target(tmp_path, force=True)
    with pytest.raises(OutputError, match="must not be '/'"):
        check_target("/", force=True)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        check_target(tmp_path / "file.txt", force=True)
    with pytest.raises(OutputError, match=r"file\.txt' is a file, not a folder"):
        check_target(tmp_path / "file.txt" / "rep")


def test_file_targets_are_checked_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match=r"--json path '.*/d' is a folder"):
        check_file_target(tmp_path / "d", "--json")
    with pytest.raises(OutputError, match=r"'.*f' is a file, not a folder"):
        check_file_target(tmp_path / "f" / "x.png", "--plot")
    assert (
        check_file_target(tmp_path / "new" / "deeper" / "x.json")
        == tmp_path / "new" / "deeper" / "x.json"
    )


def test_write_together_writes_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OSError):
        write_together([(tmp_path / "a.json", b"{}"), (tmp_path / "f" / "b.csv", b"x")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
    written = write_together([(tmp_path / "a.json", b"{}"), (tmp_path / "sub" / "b.csv", b"x")])
    assert written == [tmp_path / "a.json", tmp_path / "sub" / "b.csv"]
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "f", "sub"]


def test_write_together_writes_through_a_link_and_into_a_device(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to(real)
    write_together([(tmp_path / "link.json", b"new"), ("/dev/null", b"gone")])
    assert (tmp_path / "link.json").is_symlink() and real.read_bytes() == b"new"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_modes_follow_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        write_together([(tmp_path / "a.json", b"{}")])
        write_folder_atomically(tmp_path / "rep", _fill("x", ("figures/a.png",)))
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "a.json") == 0o666 & ~mask
    assert mode(tmp_path / "rep") == 0o777 & ~mask
    assert mode(tmp_path / "rep" / "figures") == 0o777 & ~mask
    for name in ("report.md", MARKER, "figures/a.png"):
        assert mode(tmp_path / "rep" / name) == 0o666 & ~mask, name


# --------------------------------------------------------------------- what killed runs left


def _old_leftover(tmp_path: Path, text: str) -> Path:
    """The state of a run killed between the two renames: the old folder in .rep.XXXXXXXX.old/."""
    write_folder_atomically(tmp_path / "rep", _fill(text))
    old = tmp_path / ".rep.abcd1234.old"
    old.mkdir()
    os.replace(tmp_path / "rep", old / "rep")
    return old


def test_recover_puts_back_the_old_folder(tmp_path: Path) -> None:
    _old_leftover(tmp_path, "old")
    said: list[str] = []
    notes = recover(tmp_path / "rep", said.append)
    assert (tmp_path / "rep" / "report.md").read_text() == "old"
    assert len(notes) == 1 and "recovered" in notes[0] and ".rep.abcd1234.old" in notes[0]
    assert said == [f"R{notes[0][1:]}."]
    assert _leftovers(tmp_path, "rep") == []


def test_recover_removes_an_old_folder_when_the_new_one_is_in_place(tmp_path: Path) -> None:
    old = _old_leftover(tmp_path, "old")
    write_folder_atomically(tmp_path / "rep", _fill("new"), notify=lambda note: None)
    assert not old.exists()
    (tmp_path / ".rep.efgh5678.old" / "rep").mkdir(parents=True)
    notes: list[str] = []
    prepare_folder(tmp_path / "rep", notify=notes.append)
    assert (tmp_path / "rep" / "report.md").read_text() == "new"
    assert notes == [
        "Removed .rep.efgh5678.old, the old folder a killed run left beside rep."
    ]  # one line
    assert _leftovers(tmp_path, "rep") == []


def test_recover_removes_stale_temporary_folders_but_not_live_ones(tmp_path: Path) -> None:
    stale = tmp_path / ".rep.stale123.tmp"
    stale.mkdir()
    (stale / WRITING).write_text("1\n")
    (stale / "report.md").write_text("half")
    empty = tmp_path / ".rep.empty123.tmp"
    empty.mkdir()
    live = tmp_path / ".rep.live1234.tmp"
    live.mkdir()
    (live / WRITING).write_text("2\n")
    unknown = tmp_path / ".rep.other123.tmp"  # not marked by socialpref: left alone
    unknown.mkdir()
    (unknown / "x").write_text("x")
    other = tmp_path / ".rep.toolong123.tmp"  # not a name socialpref makes: left alone
    other.mkdir()
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer that is still running holds this lock
    try:
        said: list[str] = []
        notes = recover(tmp_path / "rep", said.append)
    finally:
        os.close(fd)
    assert sorted(_leftovers(tmp_path, "rep")) == sorted([live.name, unknown.name, other.name])
    assert sorted(notes) == sorted(
        f"removed {name}, a temporary folder a killed run left beside rep"
        for name in (stale.name, empty.name)
    )
    assert len(said) == 1 and said[0].count("; removed") == 1  # one line for both


def test_recover_warns_without_a_notify(tmp_path: Path) -> None:
    _old_leftover(tmp_path, "old")
    with pytest.warns(UserWarning, match="Recovered"):
        recover(tmp_path / "rep")


def test_the_marker_is_json_listing_the_files(tmp_path: Path) -> None:
    write_folder_atomically(tmp_path / "r", _fill("x"), marker_info={"version": "9"})
    info = json.loads((tmp_path / "r" / MARKER).read_text())
    assert info["version"] == "9" and info["files"] == ["report.md"]
