"""Faults of writing outputs, replayed with the real CLI in processes of its own: a SIGKILL at
each stage of a folder write, concurrent writers to one folder, a folder that cannot be written.

The folder writer's test hook (``SOCIALPREF_TEST_PAUSE=STAGE``, see
:mod:`socialpref.outputs`) makes ``socialpref report`` stop at a stage and say so in a file;
the test then kills it (SIGKILL) and checks that the output folder holds the complete old
report or the complete new one (its marker lists exactly the files it holds; the input hash
in ``report.json`` tells old from new), that a file beside it is unchanged, and that the next
run puts back or removes what the killed run left, says so in one line, and leaves no hidden
folder behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from socialpref.outputs import (
    MARKER,
    NO_EXCHANGE_ENV,
    PAUSE_ENV,
    PAUSE_FILE_ENV,
    PAUSE_SECONDS_ENV,
    RESUME_FILE_ENV,
)
from tests.faults.conftest import Outcome, command, process_env, run_subprocess

Fingerprint = Callable[[Path], dict[str, str]]

OLD = "question,group,option,count\nQ,Rep,A,10\nQ,Rep,B,5\nQ,Dem,A,3\nQ,Dem,B,9\n"
NEW = "question,group,option,count\nQ,Rep,A,2\nQ,Rep,B,7\nQ,Dem,A,8\nQ,Dem,B,1\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _work(tmp_path: Path) -> Path:
    work = tmp_path / "case"
    (work / "foreign").mkdir(parents=True)
    (work / "foreign" / "keep.txt").write_text("a file socialpref did not write\n")
    return work


def _report(work: Path, text: str) -> list[str]:
    (work / "x.csv").write_text(text)
    return ["--quiet", "report", str(work / "x.csv"), "--out", str(work / "rep")]


def complete_report(folder: Path) -> str:
    """The SHA-256 of the input of the complete report in ``folder`` (asserted complete: its
    marker lists exactly the files it holds, and they include the report)."""
    marker = json.loads((folder / MARKER).read_text())
    held = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MARKER
    )
    assert held == marker["files"], (held, marker["files"])
    assert {"report.md", "report.json"} <= set(held)
    payload = json.loads((folder / "report.json").read_text())
    return str(payload["provenance"]["inputs"][0]["sha256"])


def hidden(work: Path) -> list[str]:
    return sorted(p.name for p in work.iterdir() if p.name.startswith(".rep."))


def _paused(argv: list[str], work: Path, stage: str, **env: str) -> subprocess.Popen[str]:
    """Start ``socialpref ARGV`` that stops at ``stage``; return once it has reached it. It
    goes on when the file ``work/../resume`` exists (or after 120 s)."""
    reached = work.parent / "reached"
    reached.unlink(missing_ok=True)
    extra = {
        PAUSE_ENV: stage,
        PAUSE_FILE_ENV: str(reached),
        RESUME_FILE_ENV: str(work.parent / "resume"),
        PAUSE_SECONDS_ENV: "120",
        **env,
    }
    proc = subprocess.Popen(
        command(argv),
        cwd=work,
        env=process_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not reached.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before {stage!r}: {err}{out}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the run did not reach {stage!r} within 120 s")
        time.sleep(0.05)
    assert reached.read_text() == stage
    return proc


def _one_line(outcome: Outcome, pattern: str) -> None:
    assert not outcome.traceback, outcome.traceback
    lines = outcome.stderr_lines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Warning: ") and pattern in lines[0], lines[0]


#: Stage -> (what --out holds after the kill, the note of the next run). ``moved-aside`` is a
#: stage of the two-rename replacement only (where the exchange is not available).
KILLS = {
    "created": ("old", "a temporary folder a killed run left beside rep"),
    "filled": ("old", "a temporary folder a killed run left beside rep"),
    "swapped": ("new", "a temporary folder a killed run left beside rep"),
    "moved-aside": (None, "Recovered"),  # and removes the new folder's temporary one
    "replaced": ("new", "the old folder a killed run left beside rep"),
}


@pytest.mark.parametrize(
    "stage",
    [pytest.param(s, marks=() if s == "moved-aside" else pytest.mark.slow) for s in KILLS],
)
def test_kill_while_replacing_a_report(
    stage: str, tmp_path: Path, fingerprint: Fingerprint
) -> None:
    work = _work(tmp_path)
    first = run_subprocess(_report(work, OLD), cwd=work)
    assert first.exit_code == 0, first.stderr
    assert complete_report(work / "rep") == _sha(OLD)
    foreign = fingerprint(work / "foreign")
    no_exchange = "1" if stage == "moved-aside" else "0"
    proc = _paused(_report(work, NEW), work, stage, **{NO_EXCHANGE_ENV: no_exchange})
    proc.kill()
    proc.communicate()
    holds, note = KILLS[stage]
    if holds is None:  # between the two renames: the old report only in .rep.XXXXXXXX.old/
        assert not (work / "rep").exists()
        (old,) = [work / name for name in hidden(work) if name.endswith(".old")]
        assert complete_report(old / "rep") == _sha(OLD)
    else:
        assert complete_report(work / "rep") == _sha(OLD if holds == "old" else NEW)
        assert hidden(work), "the killed run left nothing to clean"
    again = run_subprocess(_report(work, NEW), cwd=work)
    assert again.exit_code == 0, again.stderr
    _one_line(again, note)
    assert complete_report(work / "rep") == _sha(NEW)
    assert hidden(work) == []
    assert fingerprint(work / "foreign") == foreign


@pytest.mark.slow
def test_a_kill_while_writing_a_new_report_leaves_nothing_at_out(tmp_path: Path) -> None:
    work = _work(tmp_path)
    proc = _paused(_report(work, NEW), work, "filled")
    proc.kill()
    proc.communicate()
    assert not (work / "rep").exists() and len(hidden(work)) == 1
    again = run_subprocess(_report(work, NEW), cwd=work)
    assert again.exit_code == 0, again.stderr
    _one_line(again, "Removed .rep.")
    assert complete_report(work / "rep") == _sha(NEW) and hidden(work) == []


def test_concurrent_writers_to_one_folder(tmp_path: Path, fingerprint: Fingerprint) -> None:
    """A writer that is still filling its folder keeps it while another run writes and cleans;
    each replaces the folder whole, so the last one's complete report is at --out."""
    work = _work(tmp_path)
    foreign = fingerprint(work / "foreign")
    (work / "a").mkdir()
    slow = ["--quiet", "report", str(work / "a" / "x.csv"), "--out", str(work / "rep")]
    (work / "a" / "x.csv").write_text(OLD)
    proc = _paused(slow, work, "filled")
    live = hidden(work)
    assert len(live) == 1 and live[0].endswith(".tmp")
    fast = run_subprocess(_report(work, NEW), cwd=work)
    assert fast.exit_code == 0 and fast.stderr_lines() == [], fast.stderr  # nothing "removed"
    assert complete_report(work / "rep") == _sha(NEW)
    assert hidden(work) == live  # the live writer's folder was kept
    (tmp_path / "resume").touch()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err.strip() == ""
    assert complete_report(work / "rep") == _sha(OLD)  # the last to finish
    assert hidden(work) == []
    assert fingerprint(work / "foreign") == foreign


def _read_only(folder: Path) -> list[str]:
    """A prefix that runs a command with ``folder`` mounted read-only (a private mount
    namespace: root cannot write there either); skips the test where that is not allowed."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    prefix = ["unshare", "-m", "sh", "-c", script, str(folder)]
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to mount a folder read-only")
    probe = subprocess.run([*prefix, "sh", "-c", f"! touch '{folder}/probe'"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"a read-only bind mount is not allowed here: {probe.stderr.decode()[:200]}")
    return prefix


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{x}", "--out", "{ro}/rep"],
        ["sensitivity", "{x}", "--json", "{out}/sens.json", "--plot", "{ro}/cdf.png"],
        ["surveys", "analyze", "{x}", "--csv", "{ro}/rows.csv"],
        ["train", "synthetic", "--steps", "2", "--pairs", "64", "--out", "{ro}/run"],
    ],
    ids=["report", "sensitivity-plot", "analyze-csv", "train-synthetic"],
)
def test_an_unwritable_folder_stops_the_command_before_the_work(
    argv: list[str], tmp_path: Path, fingerprint: Fingerprint
) -> None:
    work = _work(tmp_path)
    ro = work / "ro"
    ro.mkdir()
    (work / "x.csv").write_text(OLD)
    prefix = _read_only(ro)
    args = [a.format(x=work / "x.csv", ro=ro, out=work) for a in argv]
    before = fingerprint(work)
    outcome = run_subprocess(args, cwd=work, prefix=prefix)
    assert outcome.exit_code == 1, outcome.stderr
    assert not outcome.traceback, outcome.traceback
    (line,) = outcome.stderr_lines()
    assert line.startswith("Error: ") and f"may not write in '{ro}'" in line, line
    assert "read-only file system" in line
    assert fingerprint(work) == before
