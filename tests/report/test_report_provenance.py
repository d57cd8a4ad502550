"""Provenance: SHA-256 of inputs, version, command, options, one date line."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

import socialpref
from socialpref.report.provenance import DATE_LABEL, InputFile, collect_provenance, sha256_file


def test_sha256_matches_hashlib(tmp_path):
    path = tmp_path / "x.bin"
    data = bytes(range(256)) * 5000  # more than one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    f = InputFile.from_path(path, "x.bin")
    assert (f.name, f.size) == ("x.bin", len(data))


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.sav"):
        InputFile.from_path(tmp_path / "nope.sav")


def test_markdown_has_everything_and_one_date_line(tmp_path):
    path = tmp_path / "ATP W1.sav"
    path.write_bytes(b"abc")
    when = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)
    prov = collect_provenance(
        [InputFile.from_path(path, "ATP W1.sav")],
        "socialpref report 'ATP W1.sav'",
        {"types": "F_X"},
        date=when,
    )
    assert prov.date == "2026-01-02T03:04:05Z"
    text = prov.to_markdown()
    assert f"| socialpref | {socialpref.__version__} |" in text
    assert "`socialpref report 'ATP W1.sav'`" in text
    assert hashlib.sha256(b"abc").hexdigest() in text
    assert "types = F_X" in text
    assert sum(line.startswith(f"| {DATE_LABEL} |") for line in text.splitlines()) == 1
    later = collect_provenance(
        prov.inputs, prov.command, prov.options, date=datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    diff = [
        (a, b)
        for a, b in zip(text.splitlines(), later.to_markdown().splitlines(), strict=True)
        if a != b
    ]
    assert len(diff) == 1 and diff[0][0].startswith(f"| {DATE_LABEL} |")
    assert prov.to_dict()["inputs"][0]["sha256"] == hashlib.sha256(b"abc").hexdigest()


def test_source_date_epoch_fixes_the_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert collect_provenance([], "socialpref demo").date == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        collect_provenance([], "socialpref demo")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    date = datetime.fromisoformat(collect_provenance([], "x").date.replace("Z", "+00:00"))
    assert before <= date <= datetime.now(timezone.utc)
