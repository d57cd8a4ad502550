"""Atomic folder writing: marker file, refusal, --force, failures leave the old folder."""

from __future__ import annotations

import pytest

from socialpref.report.folder import MARKER, check_target, is_report_folder, write_folder_atomically


def _fill(text):
    def fill(tmp):
        (tmp / "report.md").write_text(text)
        return "done"

    return fill


def _leftovers(parent, name):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_new_folder_gets_content_and_marker(tmp_path):
    out = tmp_path / "rep"
    assert write_folder_atomically(out, _fill("one")) == "done"
    assert (out / "report.md").read_text() == "one"
    assert is_report_folder(out)
    assert _leftovers(tmp_path, "rep") == []


def test_marked_folder_is_replaced(tmp_path):
    out = tmp_path / "rep"
    write_folder_atomically(out, _fill("one"))
    (out / "stale.png").write_text("old")
    write_folder_atomically(out, _fill("two"))
    assert (out / "report.md").read_text() == "two"
    assert not (out / "stale.png").exists()
    assert _leftovers(tmp_path, "rep") == []


def test_foreign_folder_is_refused_and_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError, match="--force"):
        write_folder_atomically(out, _fill("x"))
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "precious"
    assert _leftovers(tmp_path, "mine") == []


def test_force_replaces_a_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    write_folder_atomically(out, _fill("x"), force=True)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "report.md"]


def test_failure_while_writing_keeps_the_old_report(tmp_path):
    out = tmp_path / "rep"
    write_folder_atomically(out, _fill("one"))

    def boom(tmp):
        (tmp / "report.md").write_text("half")
        raise RuntimeError("figure failed")

    with pytest.raises(RuntimeError, match="figure failed"):
        write_folder_atomically(out, boom)
    assert (out / "report.md").read_text() == "one"
    assert _leftovers(tmp_path, "rep") == []


def test_dangerous_targets_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="working directory"):
        check_target(tmp_path, force=True)
    with pytest.raises(ValueError, match="'out'"):
        check_target("/", force=True)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        check_target(tmp_path / "file.txt", force=True)
