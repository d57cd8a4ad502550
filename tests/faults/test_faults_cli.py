"""The fault corpus: bad inputs and options, generated at test time, replayed through the real CLI.

Every :class:`Fault` builds its inputs in a fresh folder (corrupt, truncated and empty ``.sav``
files, flipped bytes, absurd codes, crosstabs of every bad kind, bad options, missing model
folders), runs ``socialpref`` there, and :func:`test_fault` checks what a user must get:

* the expected exit code (1 for a bad input, 2 for a bad option or argument);
* exactly one line on stderr, ``Error: ...``, matching the case's pattern (no warning lines,
  no typer panel);
* no traceback;
* no partial output and no file changed: every file under the folder (the inputs, a foreign
  file beside them, the outputs the command was asked for) hashes the same before and after.

A case whose command must succeed (labels such as ``None`` and ``NA``) gives ``exit_code=0``,
the files it must create and a check of their content.

To add a fault (for example an output-writing fault: a kill mid-write, concurrent writers, an
unwritable folder), append a :class:`Fault` to :data:`FAULTS`: a function that builds the inputs
in the folder and returns the command line, and the outcome expected. A case that needs a process
of its own (signals, concurrency) runs through the ``cli_process`` fixture (``conftest.py``), as
:func:`test_fault_in_a_process` does for a few faults.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data.wavegen import WaveData, write_wave

Runner = Callable[[list[str]], Any]
Fingerprint = Callable[[Path], dict[str, str]]

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo" / "ATP W900.sav"
PARTY = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Refused/No lean"}
N = 300


# ------------------------------------------------------------------------------ inputs


def sav(
    work: Path,
    name: str = "ATP W5.sav",
    columns: dict[str, object] | None = None,
    labels: dict[str, dict[float, str]] | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    """A valid little wave (``N`` respondents, two questions, party types, weights), with
    ``columns`` and ``labels`` replacing or adding columns and ``drop`` removing some."""
    rng = np.random.default_rng(5)
    cols: dict[str, object] = {
        "QKEY": np.arange(1.0, N + 1),
        "Q1_W5": rng.choice([1.0, 2.0, 3.0, 99.0], N),
        "Q2_W5": rng.choice([1.0, 2.0], N),
        "F_PARTYSUM_FINAL": rng.choice([1.0, 2.0, 9.0], N),
        "WEIGHT_W5": rng.uniform(0.5, 2.0, N),
        **(columns or {}),
    }
    value_labels = {
        "Q1_W5": {1.0: "Yes", 2.0: "No", 3.0: "Maybe", 99.0: "Refused"},
        "Q2_W5": {1.0: "Agree", 2.0: "Disagree"},
        "F_PARTYSUM_FINAL": PARTY,
        **(labels or {}),
    }
    frame = pd.DataFrame({k: v for k, v in cols.items() if k not in drop})
    value_labels = {k: v for k, v in value_labels.items() if k in frame.columns}
    data = WaveData(frame, {}, value_labels, "fault corpus wave")
    return write_wave(data, work / name)


def crosstab(work: Path, text: str, name: str = "x.csv") -> Path:
    p = work / name
    p.write_text(text, encoding="utf-8")
    return p


CT_OK = "question,group,option,count\nQ,Rep,A,10\nQ,Rep,B,5\nQ,Dem,A,3\nQ,Dem,B,9\n"


def _data_start(data: bytes) -> int:
    """Offset of a .sav's data: after the dictionary termination record (999, 0)."""
    return data.index(struct.pack("<ii", 999, 0)) + 8


def _flip(data: bytes, seed: int, n: int = 200) -> bytes:
    out = bytearray(data)
    rng = np.random.default_rng(seed)
    start = _data_start(data)
    for i in rng.choice(np.arange(start, len(out)), n, replace=False):
        out[i] ^= 0xFF
    return bytes(out)


@functools.cache
def _flip_seed(outcome: str) -> int:
    """The first seed whose 200 flipped data bytes in the demo wave pyreadstat reads as
    ``outcome``: ``"read"`` (no complaint), ``"OverflowError"`` or ``"ReadstatError"``."""
    import pyreadstat

    data = DEMO.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.sav"
        for seed in range(200):
            probe.write_bytes(_flip(data, seed))
            try:
                pyreadstat.read_sav(str(probe), user_missing=True)
                got = "read"
            except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OverflowError) as exc:
                got = type(exc).__name__
            if got == outcome:
                return seed
    raise AssertionError(f"no seed in 0-199 makes pyreadstat end with {outcome}")


def flipped(work: Path, outcome: str) -> Path:
    p = work / "ATP W900.sav"
    p.write_bytes(_flip(DEMO.read_bytes(), _flip_seed(outcome)))
    return p


def hh_data(work: Path, content: bytes) -> Path:
    """An HH-RLHF-style folder whose helpful-base split files hold ``content``."""
    folder = work / "hh" / "helpful-base"
    folder.mkdir(parents=True)
    for split in ("train", "test"):
        (folder / f"{split}.jsonl.gz").write_bytes(content)
    return work / "hh"


# ------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Fault:
    """One fault: build the inputs in ``work`` and return the command line; the outcome expected.

    Attributes
    ----------
    id : str
        The test id.
    argv : callable
        ``argv(work) -> list[str]``: writes the inputs under ``work`` and returns the arguments of
        ``socialpref``.
    message : str
        Regular expression the one stderr line must match: the error (``exit_code`` > 0), or
        the one warning of a succeeding command (none when empty).
    exit_code : int
        1 for a bad input, 2 for a bad option or argument, 0 for a command that must succeed.
    creates : tuple of str
        Files (relative to ``work``) a succeeding command must create; nothing else may change.
    verify : callable, optional
        ``verify(work)`` checks the created files of a succeeding command.
    needs : tuple of str
        Modules the command needs (skipped without them).
    slow : bool
        Marked slow (the LLM commands import transformers).
    model : bool
        A tiny local Llama (random weights and a tokenizer) is copied to ``work/model`` first.
    marks : tuple
        More pytest marks (``pytest.mark.xfail(strict=True)`` for a defect another part owns).
    """

    id: str
    argv: Callable[[Path], list[str]]
    message: str = ""
    exit_code: int | tuple[int, ...] = 1
    creates: tuple[str, ...] = ()
    verify: Callable[[Path], None] | None = None
    needs: tuple[str, ...] = ()
    slow: bool = False
    model: bool = False
    marks: tuple[pytest.MarkDecorator, ...] = field(default=())


def _analyze(src: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    """``surveys analyze SRC --bootstrap 0 --json out.json`` on the input ``src`` builds."""
    return lambda w: ["surveys", "analyze", str(src(w)), "--bootstrap", "0", "--json", str(w / "out.json"), *extra]  # fmt: skip


def _sensitivity(src: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    return lambda w: ["sensitivity", str(src(w)), "--json", str(w / "out.json"), *extra]


def _train(*extra: str) -> Callable[[Path], list[str]]:
    return lambda w: ["train", "synthetic", "--pairs", "64", "--steps", "2", "--batch-size", "8", "--no-figures", "--out", str(w / "run"), *extra]  # fmt: skip


def _analyze_into(flag: str, name: str) -> Callable[[Path], list[str]]:
    """``surveys analyze`` of a little wave with ``flag`` naming ``name`` in the case's folder."""
    return lambda w: ["surveys", "analyze", str(sav(w)), "--bootstrap", "0", flag, str(w / name)]


def _folder(name: str) -> Callable[[Path], Path]:
    """A folder ``name`` in the case's folder, with a file in it."""

    def make(w: Path) -> Path:
        (w / name).mkdir()
        (w / name / "notes.txt").write_text("x")
        return w / name

    return make


def _link(link: Path, target: Path) -> Path:
    """A symbolic link ``link`` to ``target``."""
    link.symlink_to(target)
    return link


def _write_bytes(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(w: Path) -> Path:
        (w / name).write_bytes(content)
        return w / name

    return make


def _truncated(fraction: float) -> Callable[[Path], Path]:
    def make(w: Path) -> Path:
        data = sav(w).read_bytes()
        (w / "ATP W5.sav").write_bytes(data[: int(len(data) * fraction)])
        return w / "ATP W5.sav"

    return make


def _dir_named_sav(w: Path) -> Path:
    (w / "ATP W5.sav").mkdir()
    return w / "ATP W5.sav"


def _big_question(w: Path) -> Path:
    codes = np.tile(np.arange(1.0, 40_001.0), 2)
    n = codes.size
    return sav(
        w,
        columns={
            "QKEY": np.arange(1.0, n + 1),
            "Q1_W5": np.tile([1.0, 2.0], n // 2),
            "Q2_W5": codes,
            "F_PARTYSUM_FINAL": np.tile([1.0, 2.0, 9.0, 1.0], n // 4),
            "WEIGHT_W5": np.ones(n),
        },
        labels={"Q2_W5": {float(c): f"Option {int(c)}" for c in range(1, 40_001)}},
    )


def _absurd_codes(w: Path) -> Path:
    q = np.tile([1.0, 2.0, 1.0, 2.0, 2.0], N // 5)
    q[7], q[8] = 8.6e-05, 1.4e10
    return sav(w, columns={"Q2_W5": q})


def _weights(values: list[float]) -> Callable[[Path], Path]:
    return lambda w: sav(w, columns={"WEIGHT_W5": np.resize(np.asarray(values), N)})


def _none_na(w: Path) -> Path:
    return crosstab(
        w,
        "question,group,option,count\n"
        "Q,NA,None,4\nQ,NA,Some,6\nQ,Rep,None,10\nQ,Rep,Some,5\nQ,Dem,None,3\nQ,Dem,Some,9\n",
    )


def _check_none_na(w: Path) -> None:
    payload = json.loads((w / "out.json").read_text())
    (qa,) = payload["questions"]
    assert qa["options"] == ["None", "Some"]
    assert qa["types"] == ["Rep", "Dem"]  # "NA" is a label, and a non-answer: never a type


def _age_wave(w: Path) -> Path:
    age = np.resize(np.arange(18.0, 98.0), N)
    return sav(w, columns={"F_AGE": age}, labels={"F_AGE": {97.0: "97 or older", 99.0: "Refused"}})


def _numeric_wave(w: Path) -> Path:
    """80,000 respondents with an unlabelled numeric column of 40,000 distinct values."""
    n = 80_000
    return sav(
        w,
        columns={
            "QKEY": np.arange(1.0, n + 1),
            "Q1_W5": np.tile([1.0, 2.0], n // 2),
            "Q2_W5": np.tile([1.0, 2.0, 2.0, 1.0], n // 4),
            "NUM_W5": np.arange(n, dtype=np.float64) % 40_000,
            "F_PARTYSUM_FINAL": np.tile([1.0, 2.0, 9.0, 1.0], n // 4),
            "WEIGHT_W5": np.ones(n),
        },
    )


def _check_numeric_skipped(w: Path) -> None:
    payload = json.loads((w / "out.json").read_text())
    assert [q["question"] for q in payload["questions"]] == ["Q1_W5", "Q2_W5"]
    (skip,) = [s for s in payload["skipped"] if s["question"] == "NUM_W5"]
    assert "40,000 options, more than the 1,000" in skip["reason"], skip


def _demo_copy(w: Path) -> Path:
    return Path(shutil.copy(DEMO, w / "ATP W900.sav"))


def _base_json(text: str) -> Callable[[Path], list[str]]:
    def make(w: Path) -> list[str]:
        (w / "base.json").write_text(text)
        return ["sensitivity", str(_demo_copy(w)), "--base", str(w / "base.json"), "--json", str(w / "out.json")]  # fmt: skip

    return make


def _gz_pairs() -> bytes:
    pair = {"chosen": "Human: hi Assistant: hello", "rejected": "Human: hi Assistant: no"}
    return gzip.compress((json.dumps(pair) + "\n").encode() * 4)


def _relabel(
    data: Callable[[Path], Path], tokenizer: str = "model", dataset: str = "anonymous"
) -> Callable[[Path], list[str]]:
    """``llm relabel`` of the data ``data`` builds, with the tokenizer folder ``work/tokenizer``."""
    return lambda w: ["llm", "relabel", "--data", str(data(w)), "--tokenizer", str(w / tokenizer), "--dataset", dataset, "--out", str(w / "rl"), "--subsets", "helpful-base"]  # fmt: skip


def _ct(w: Path, where: str = "x.csv") -> Path:
    """The little valid crosstab at ``work/where`` (folders created)."""
    p = w / where
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(CT_OK, encoding="utf-8")
    return p


def _file(w: Path, name: str = "f") -> Path:
    (w / name).write_text("a file, not a folder\n")
    return w / name


def _marked(w: Path, name: str, kind: str) -> Path:
    """A folder that ``socialpref KIND`` wrote (marker listing its one file)."""
    folder = w / name
    folder.mkdir()
    (folder / "results.json").write_text("{}\n")
    marker = {"files": ["results.json"], "kind": kind, "written_by": "socialpref"}
    (folder / ".socialpref-report").write_text(json.dumps(marker) + "\n")
    return folder


def _include(payload: dict[str, Any]) -> Callable[[Path], list[str]]:
    def make(w: Path) -> list[str]:
        (w / "inc.json").write_text(json.dumps(payload))
        return ["report", str(_ct(w)), "--out", str(w / "rep"), "--include", str(w / "inc.json")]

    return make


def _train_out(out: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    return lambda w: ["train", "synthetic", "--pairs", "64", "--steps", "2", "--batch-size", "8", "--out", str(out(w)), *extra]  # fmt: skip


FAULTS: list[Fault] = [
    # --- .sav files that cannot be read
    Fault("sav-missing", _analyze(lambda w: w / "ATP W5.sav"), r"No such file: '.*ATP W5\.sav'"),
    Fault(
        "sav-empty", _analyze(_write_bytes("ATP W5.sav", b"")), r"'ATP W5\.sav' is an empty file"
    ),
    Fault(
        "sav-not-spss",
        _analyze(_write_bytes("ATP W5.sav", b"hello, not spss\n" * 20)),
        r"'ATP W5\.sav' is not an SPSS \.sav file",
    ),
    Fault(
        "sav-header-only",
        _analyze(_write_bytes("ATP W5.sav", b"$FL2@(#) IBM SPSS STATISTICS" + b"\0" * 40)),
        r"'ATP W5\.sav' is a corrupt or truncated \.sav file",
    ),
    Fault(
        "sav-truncated-half",
        _analyze(_truncated(0.5)),
        r"'ATP W5\.sav' is (a corrupt or truncated|truncated)",
    ),
    Fault(
        "sav-truncated-tail",
        _analyze(_truncated(0.98)),
        r"'ATP W5\.sav' is (a corrupt or truncated|truncated)",
    ),
    Fault(
        "sav-directory",
        _analyze(_dir_named_sav),
        r"is a directory, not a SPSS \.sav or Stata \.dta file",
    ),
    Fault(
        "source-plain-folder",
        _analyze(_folder("waves")),
        r"'.*waves' is a folder: give the file of a wave",
    ),
    Fault(
        "sav-wrong-suffix",
        _analyze(_write_bytes("wave.txt", b"x")),
        r"Unknown kind of source 'wave\.txt'",
    ),
    Fault(
        "sav-zero-rows",
        _analyze(
            lambda w: sav(
                w,
                columns={
                    k: [] for k in ("QKEY", "Q1_W5", "Q2_W5", "F_PARTYSUM_FINAL", "WEIGHT_W5")
                },
            )
        ),
        r"has no respondents",
    ),
    # --- flipped bytes: pyreadstat fails, or reads values no healthy wave has
    Fault(
        "sav-flipped-unreadable",
        _analyze(lambda w: flipped(w, "ReadstatError")),
        r"'ATP W900\.sav' is a corrupt or truncated \.sav file",
    ),
    Fault(
        "sav-flipped-date-overflow",
        _analyze(lambda w: flipped(w, "OverflowError")),
        r"'ATP W900\.sav' is a corrupt or truncated \.sav file \(a date or time out of range",
    ),
    Fault(
        "sav-flipped-read",
        _analyze(lambda w: flipped(w, "read")),
        r"'ATP W900\.sav' looks damaged .*categorical columns? holds? values no healthy wave has \(F_",
    ),
    Fault(
        "sav-flipped-read-unweighted",
        _analyze(lambda w: flipped(w, "read"), "--unweighted"),
        r"'ATP W900\.sav' looks damaged",
    ),
    Fault(
        "sav-flipped-read-sensitivity",
        _sensitivity(lambda w: flipped(w, "read")),
        r"'ATP W900\.sav' looks damaged",
    ),
    Fault(
        "sav-flipped-read-report",
        lambda w: ["report", str(flipped(w, "read")), "--out", str(w / "rep")],
        r"'ATP W900\.sav' looks damaged",
    ),
    # --- absurd codes and counts
    Fault(
        "sav-absurd-codes",
        _analyze(_absurd_codes),
        r"Q2_W5: 2 unlabelled codes that are not small integers \(8\.6e-05, 1\.4e\+10; 2 answers\)",
    ),
    Fault(
        "sav-40000-codes",
        _analyze(_big_question),
        r"Q2_W5: 40,000 distinct codes, more than the 1,000",
    ),
    Fault(
        "sav-40000-codes-show",
        lambda w: ["surveys", "show", str(_big_question(w)), "Q2_W5", "--bootstrap", "0"],
        r"40,000 distinct codes",
    ),
    # --- weights
    Fault(
        "sav-weights-1e308",
        _analyze(_weights([1e308, 1e308, 1.0])),
        r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' has weights too large to add up \(largest 1e\+308\)",
    ),
    Fault(
        "sav-weights-negative",
        _analyze(_weights([1.0, -2.0])),
        r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' has 150 negative weights",
    ),
    Fault(
        "sav-weights-infinite",
        _analyze(_weights([1.0, np.inf])),
        r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' has infinite values",
    ),
    Fault(
        "sav-weights-all-zero",
        _analyze(_weights([0.0, np.nan])),
        r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' has no positive weight",
    ),
    Fault(
        "sav-weight-text",
        _analyze(lambda w: sav(w, columns={"WEIGHT_W5": ["high"] * N})),
        r"Weight column 'WEIGHT_W5' of 'ATP W5\.sav' is not numeric",
    ),
    Fault(
        "sav-weight-unknown",
        _analyze(lambda w: sav(w), "--weight", "WEIGHT_W6"),
        r"'weight'.*'WEIGHT_W6'.*Its weight columns: WEIGHT_W5",
    ),
    Fault(
        "sav-no-main-weight",
        _analyze(lambda w: sav(w, drop=("WEIGHT_W5",))),
        r"has no main weight column WEIGHT_W5",
    ),
    Fault(
        "sav-no-type-column",
        _analyze(lambda w: sav(w, drop=("F_PARTYSUM_FINAL",))),
        r"'ATP W5\.sav' has no type column F_PARTYSUM_FINAL",
    ),
    Fault(
        "sav-unknown-question",
        lambda w: ["surveys", "show", str(sav(w)), "Q3_W5", "--bootstrap", "0"],
        r"Unknown question 'Q3_W5' in 'ATP W5\.sav'",
    ),
    # --- crosstabs
    Fault("ct-empty-file", _analyze(lambda w: crosstab(w, "")), r"'x\.csv' is an empty file"),
    Fault(
        "ct-header-only",
        _analyze(lambda w: crosstab(w, "question,group,option,count\n")),
        r"Crosstab 'x\.csv' has no rows",
    ),
    Fault(
        "ct-missing-column",
        _analyze(lambda w: crosstab(w, "question,group,option\nQ,R,A\n")),
        r"Crosstab 'x\.csv' lacks the column\(s\) count",
    ),
    Fault(
        "ct-respondent-level",
        _analyze(lambda w: crosstab(w, "QKEY,Q1_W5,WEIGHT_W5\n1,2,1.0\n")),
        r"'x\.csv' looks like respondent-level data",
    ),
    Fault(
        "ct-count-text",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,high\n")),
        r"Crosstab 'x\.csv' has a non-numeric count in data row 5: 'high'",
    ),
    Fault(
        "ct-count-empty",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,\n")),
        r"Crosstab 'x\.csv' has a non-numeric count in data row 5: ''",
    ),
    Fault(
        "ct-count-inf",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,inf\n")),
        r"Crosstab 'x\.csv' has a missing or infinite count in data row 5: inf",
    ),
    Fault(
        "ct-count-negative",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,-1\n")),
        r"Crosstab 'x\.csv' has a negative count in data row 5: -1",
    ),
    Fault(
        "ct-count-1e308",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,1e308\nQ,Rep,C,1e308\n")),
        r"Crosstab 'x\.csv' has counts too large to add up \(largest 1e\+308, in data row 5\)",
    ),
    Fault(
        "ct-empty-group",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,,C,1\n")),
        r"Crosstab 'x\.csv' has an empty 'group' in data row 5",
    ),
    Fault(
        "ct-blank-option",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,  ,1\n")),
        r"Crosstab 'x\.csv' has an empty 'option' in data row 5",
    ),
    Fault(
        "ct-short-row",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem\n")),
        r"Crosstab 'x\.csv' has an empty 'option' in data row 5",
    ),
    Fault(
        "ct-ragged-row",
        _analyze(lambda w: crosstab(w, CT_OK + "Q,Dem,C,1,extra\n")),
        r"'x\.csv' is not a readable crosstab \(.*line 6",
    ),
    Fault(
        "ct-latin1",
        _analyze(_write_bytes("x.csv", CT_OK.encode() + "Q,Dem,Caf\xe9,1\n".encode("latin-1"))),
        r"'x\.csv' is not UTF-8 text: byte 0xe9 on line 6",
    ),
    Fault(
        "ct-binary",
        _analyze(_write_bytes("x.csv", bytes(range(256)) * 8)),
        r"'x\.csv' is not a readable crosstab \(its first line is not text\)",
    ),
    Fault(
        "ct-bad-parquet",
        _analyze(_write_bytes("x.parquet", b"PAR1 not really parquet PAR1")),
        r"'x\.parquet' is not a readable crosstab",
    ),
    Fault(
        "ct-too-many-options",
        _analyze(
            lambda w: crosstab(
                w, "question,group,option,count\n" + "".join(f"Q,R,O{k},1\n" for k in range(1001))
            )
        ),
        r"Question 'Q' of crosstab 'x\.csv' has 1,001 options, more than the 1,000",
    ),
    Fault(
        "ct-one-option-show",
        lambda w: [
            "surveys",
            "show",
            str(crosstab(w, "question,group,option,count\nQ,R,A,3\nQ,D,A,4\n")),
            "Q",
        ],
        r"Question 'Q' of 'x\.csv' has fewer than two options",
    ),
    Fault(
        "ct-weighted",
        _analyze(lambda w: crosstab(w, CT_OK), "--weight", "W"),
        r"'x\.csv' is a crosstab: its counts are already aggregated",
    ),
    Fault(
        "ct-none-na-labels",
        _analyze(_none_na),
        exit_code=0,
        creates=("out.json",),
        verify=_check_none_na,
    ),
    # --- options of the survey commands
    Fault(
        "opt-preprocessing",
        _analyze(lambda w: sav(w), "--preprocessing", "nope"),
        r"The 'preprocessing' option must be one of default, paper\. Got 'nope'",
    ),
    Fault(
        "opt-include-kind",
        _analyze(lambda w: sav(w), "--include-kind", "nope"),
        r"nope",
    ),
    Fault(
        "opt-bootstrap-negative",
        lambda w: [
            "surveys",
            "analyze",
            str(sav(w)),
            "--bootstrap",
            "-1",
            "--json",
            str(w / "out.json"),
        ],
        r"bootstrap",
    ),
    Fault(
        "opt-bins-one",
        _analyze(lambda w: sav(w), "--include-kind", "numeric", "--bins", "1"),
        r"'bins' parameter must be >= 2",
    ),
    Fault("opt-model", _analyze(lambda w: sav(w), "--model", "nope"), r"nope"),
    Fault(
        "opt-types-measurement",
        _analyze(_age_wave, "--types", "F_AGE"),
        r"Column 'F_AGE' of 'ATP W5\.sav' cannot define user types: most of its values have no label",
    ),
    Fault(
        "opt-types-40000-values",
        _analyze(_numeric_wave, "--types", "NUM_W5"),
        r"Column 'NUM_W5' of 'ATP W5\.sav' cannot define user types: 40,000 distinct values",
    ),
    Fault(
        "opt-include-40000-options",
        _analyze(_numeric_wave, "--include-kind", "numeric"),
        r"Skipped ATP W5\.sav NUM_W5: Column 'NUM_W5' of 'ATP W5\.sav' has 40,000 options",
        exit_code=0,
        creates=("out.json",),
        verify=_check_numeric_skipped,
    ),
    Fault(
        "opt-show-40000-options",
        lambda w: [
            "surveys",
            "show",
            str(_numeric_wave(w)),
            "NUM_W5",
            "--include-kind",
            "numeric",
            "--bootstrap",
            "0",
        ],
        r"'NUM_W5' of 'ATP W5\.sav' has 40,000 options, more than the 1,000 an analysis can take",
    ),
    Fault(
        "same-source-twice",
        lambda w: [
            "surveys",
            "analyze",
            str(sav(w)),
            str(w / "ATP W5.sav"),
            "--bootstrap",
            "0",
            "--json",
            str(w / "out.json"),
        ],
        r"ATP W5\.sav.* twice",
    ),
    Fault(
        "same-source-twice-sensitivity",
        lambda w: [
            "sensitivity",
            str(_demo_copy(w)),
            str(w / "ATP W900.sav"),
            "--json",
            str(w / "out.json"),
        ],
        r"ATP W900\.sav.* twice",
    ),
    Fault(
        "opt-types-unknown",
        _analyze(lambda w: sav(w), "--types", "F_NOPE"),
        r"has no type column F_NOPE",
    ),
    Fault(
        "opt-sampling-missing",
        _analyze(lambda w: sav(w), "--sampling", "nothere.json"),
        r"nothere\.json",
    ),
    Fault(
        "opt-unknown-option",
        _analyze(lambda w: sav(w), "--frobnicate"),
        r"No such option: --frobnicate",
        exit_code=2,
    ),
    # --- sensitivity: --solver, --base and option values
    Fault(
        "sens-solver",
        _sensitivity(_demo_copy, "--solver", "nope"),
        r"The 'solver' parameter must be one of",
    ),
    Fault("sens-solver-cvxpy", _sensitivity(_demo_copy, "--solver", "cvxpy:NOPE"), r"NOPE"),
    Fault(
        "sens-base-missing",
        _sensitivity(_demo_copy, "--base", "nothere.json"),
        r"No such file: 'nothere\.json'",
    ),
    Fault(
        "sens-base-not-json",
        _base_json("{not json"),
        r"Sampling file 'base\.json' is not valid JSON",
    ),
    Fault(
        "sens-base-wrong-kind",
        _base_json('{"a": "high"}'),
        r"Sampling file 'base\.json' must hold a JSON list",
    ),
    Fault("sens-eps", _sensitivity(_demo_copy, "--eps", "-1"), r"'eps'"),
    Fault("sens-delta", _sensitivity(_demo_copy, "--delta", "nan"), r"'delta'"),
    Fault(
        "sens-min-options",
        _sensitivity(_demo_copy, "--min-options", "many"),
        r"Invalid value for '--min-options'",
        exit_code=2,
    ),
    # --- --seeds (parsed before any training)
    Fault(
        "seeds-descending",
        _train("--seeds", "5-1"),
        r"Invalid value for --seeds: The range '5-1' descends",
        exit_code=2,
    ),
    Fault(
        "seeds-descending-in-list",
        _train("--seeds", "5-1,0"),
        r"The range '5-1' descends",
        exit_code=2,
    ),
    Fault(
        "seeds-descending-after",
        _train("--seeds", "0,3-2"),
        r"The range '3-2' descends",
        exit_code=2,
    ),
    Fault("seeds-twice", _train("--seeds", "0-3,2"), r"Seed 2 is given twice", exit_code=2),
    Fault(
        "seeds-negative",
        _train("--seeds", "-1"),
        r"'-1' is neither a non-negative integer nor a range",
        exit_code=2,
    ),
    Fault("seeds-text", _train("--seeds", "a-b"), r"'a-b' is neither", exit_code=2),
    Fault("seeds-empty", _train("--seeds", ""), r"An empty seed", exit_code=2),
    Fault("seeds-empty-part", _train("--seeds", "0,,1"), r"An empty seed", exit_code=2),
    Fault("seeds-too-many", _train("--seeds", "0-99999999"), r"More than 1000 seeds", exit_code=2),
    Fault(
        "seeds-too-large",
        _train("--seeds", "4294967296"),
        r"Seed 4294967296 is above 4294967295",
        exit_code=2,
    ),
    # --- train synthetic: option values
    Fault("train-method", _train("--method", "nope"), r"nope", needs=("torch",)),
    Fault("train-policy", _train("--policy", "nope"), r"nope", needs=("torch",)),
    Fault("train-device", _train("--device", "nope"), r"nope", needs=("torch",)),
    Fault("train-beta", _train("--beta", "0"), r"beta", needs=("torch",)),
    Fault(
        "train-pairs",
        _train("--pairs", "0"),
        r"The 'n_pairs' parameter of TrainConfig must be >= 1",
    ),
    Fault(
        "train-reference-missing",
        _train("--reference", "nothere.npy"),
        r"nothere\.npy",
        needs=("torch",),
    ),
    # --- output folders: never replace an input or files socialpref did not write; checked
    #     before the work; --force only for a folder another socialpref command wrote
    Fault(
        "out-holds-input",
        lambda w: [
            "report",
            str(_ct(w, "IN/data/x.csv")),
            "--out",
            str(w / "IN" / "data"),
            "--force",
        ],
        r"The output folder '.*IN/data' holds '.*x\.csv', an input of this run; it is never replaced, even with --force",
    ),
    Fault(
        "out-foreign-force",
        lambda w: ["report", str(_ct(w)), "--out", str(w / "foreign"), "--force"],
        r"'.*foreign' holds files socialpref did not write \(keep\.txt\); it is never replaced, even with --force",
    ),
    Fault(
        "out-foreign-added-file",
        lambda w: [
            "report",
            str(_ct(w)),
            "--out",
            str(_file(_marked(w, "rep", "report"), "notes.txt").parent),
            "--force",
        ],
        r"holds files socialpref did not write \(notes\.txt\)",
    ),
    Fault(
        "out-other-command",
        lambda w: ["report", str(_ct(w)), "--out", str(_marked(w, "run", "train-synthetic"))],
        r"'.*run' was written by another socialpref command \(train-synthetic, not report\); pass --force",
    ),
    Fault(
        "out-is-a-file",
        lambda w: ["report", str(_ct(w)), "--out", str(_file(w))],
        r"The output path '.*/f' exists and is not a folder",
    ),
    Fault(
        "out-under-a-file",
        lambda w: ["report", str(_ct(w)), "--out", str(_file(w) / "rep")],
        r"The output folder path '.*f/rep' cannot be created: '.*/f' is a file, not a folder",
    ),
    Fault(
        "demo-out-foreign",
        lambda w: ["demo", "--out", str(w / "foreign")],
        r"holds files socialpref did not write \(keep\.txt\)",
    ),
    Fault(
        "train-out-file",
        _train_out(_file),
        r"The output path '.*/f' exists and is not a folder",
    ),
    Fault(
        "train-out-foreign",
        _train_out(lambda w: w / "foreign", "--force"),
        r"holds files socialpref did not write \(keep\.txt\)",
    ),
    Fault(
        "train-out-under-a-file",
        _train_out(lambda w: _file(w) / "run"),
        r"'.*/f' is a file, not a folder",
    ),
    Fault(
        "train-out-other-command",
        _train_out(lambda w: _marked(w, "rep", "report")),
        r"another socialpref command \(report, not train-synthetic\)",
    ),
    # --- output files: checked before the work, written together or not at all
    Fault(
        "analyze-json-is-input",
        _analyze_into("--json", "ATP W5.sav"),
        r"The --json path '.*ATP W5\.sav' is an input of this run",
    ),
    Fault(
        "analyze-csv-is-input-relative",
        _analyze_into("--csv", "./ATP W5.sav"),
        r"The --csv path .* is an input of this run",
    ),
    Fault(
        "list-json-is-input",
        lambda w: ["surveys", "list", str(sav(w)), "--json", str(w / "ATP W5.sav")],
        r"The --json path '.*ATP W5\.sav' is an input of this run",
    ),
    Fault(
        "sens-plot-is-input-through-a-link",
        lambda w: [
            "sensitivity",
            str(sav(w)),
            "--bootstrap",
            "0",
            "--plot",
            str(_link(w / "link.sav", w / "ATP W5.sav")),
        ],
        r"The --plot path '.*link\.sav' is an input of this run",
    ),
    Fault(
        "sens-plot-under-a-file",
        lambda w: [
            "sensitivity",
            str(_ct(w)),
            "--json",
            str(w / "out.json"),
            "--plot",
            str(_file(w) / "x.png"),
        ],
        r"The --plot path '.*f/x\.png' cannot be created: '.*/f' is a file",
    ),
    Fault(
        "sens-plot-is-a-folder",
        lambda w: [
            "sensitivity",
            str(_ct(w)),
            "--json",
            str(w / "out.json"),
            "--plot",
            str(w / "foreign"),
        ],
        r"Invalid value for '--plot'.*is a directory",
        exit_code=2,
    ),
    Fault(
        "analyze-csv-under-a-file",
        _analyze(lambda w: (_file(w), _ct(w))[1], "--csv", "f/x.csv"),
        r"The --csv path 'f/x\.csv' cannot be created: '.*/f' is a file",
    ),
    Fault(
        "analyze-same-file-twice",
        lambda w: [
            "surveys",
            "analyze",
            str(_ct(w)),
            "--json",
            str(w / "a.out"),
            "--csv",
            str(w / "a.out"),
        ],
        r"--json and --csv both write to '.*a\.out'",
    ),
    Fault(
        "analyze-two-dashes",
        lambda w: ["surveys", "analyze", str(_ct(w)), "--json", "-", "--csv", "-"],
        r"--json and --csv both write to standard output",
    ),
    Fault(
        "sens-format-and-dash",
        lambda w: ["sensitivity", str(_ct(w)), "--json", "-", "--format", "csv"],
        r"--format csv and --json - both write to standard output",
    ),
    Fault(
        "list-json-is-a-folder",
        lambda w: ["surveys", "list", str(_ct(w)), "--json", str(w / "foreign")],
        r"Invalid value for '--json'.*is a directory",
        exit_code=2,
    ),
    Fault(
        "counterexample-json-under-a-file",
        lambda w: ["counterexamples", "show", "mediocrity", "--json", str(_file(w) / "x.json")],
        r"The --json path '.*f/x\.json' cannot be created",
    ),
    # --- result files shown by report --include: the right shape, a field of the wrong type
    Fault(
        "include-llm-objective-number",
        _include({"objective": 5, "dataset": "d", "seeds": [{"seed": 0, "accuracy": 0.6}]}),
        r"The --include file '.*inc\.json': field 'objective' must be text\. Got 5 \(int\)",
    ),
    Fault(
        "include-synthetic-runs-not-objects",
        _include(
            {"delta": [0, 1], "optimal_profile": [0.5, 0.5], "nbc_profile": [1, 1], "runs": [1, 2]}
        ),
        r"field 'runs\[0\]' must be object\. Got 1",
    ),
    Fault(
        "include-counterexample-name-number",
        _include(
            {
                "name": 5,
                "claim": "c",
                "rewards": [[0, 1]],
                "type_weights": [1],
                "nbc": [0.5, 0.5],
                "average_reward": [0, 1],
            }
        ),
        r"field 'name' must be text",
    ),
    Fault(
        "include-llm-accuracy-text",
        _include({"objective": "dpo", "dataset": "d", "seeds": [{"accuracy": "high"}]}),
        r"field 'seeds\[0\]\.accuracy' must be number\. Got 'high'",
    ),
    # --- LLM commands: missing model folders, unreadable data (they import transformers: slow)
    Fault(
        "llm-train-model-missing",
        lambda w: [
            "llm",
            "train",
            "--model",
            str(w / "nomodel"),
            "--data",
            str(hh_data(w, b"")),
            "--output-dir",
            str(w / "runs"),
        ],
        r"Model folder not found: .*nomodel",
        needs=("transformers", "trl"),
        slow=True,
    ),
    Fault(
        "llm-train-seeds",
        lambda w: [
            "llm",
            "train",
            "--model",
            str(w / "nomodel"),
            "--data",
            str(w),
            "--seeds",
            "5-1,0",
            "--output-dir",
            str(w / "runs"),
        ],
        r"The range '5-1' descends",
        exit_code=2,
        needs=("transformers", "trl"),
        slow=True,
    ),
    Fault(
        "llm-eval-model-missing",
        lambda w: [
            "llm",
            "eval",
            "--model",
            str(w / "nomodel"),
            "--adapter",
            str(w / "noadapter"),
            "--data",
            str(hh_data(w, b"")),
        ],
        r"(not found|No LoRA adapter in):? .*no(model|adapter)",
        needs=("transformers", "peft"),
        slow=True,
    ),
    Fault(
        "llm-relabel-tokenizer-missing",
        _relabel(lambda w: hh_data(w, _gz_pairs()), "nomodel"),
        r"Model folder not found: .*nomodel",
        needs=("transformers",),
        slow=True,
    ),
    Fault(
        "llm-relabel-dataset",
        _relabel(lambda w: hh_data(w, _gz_pairs()), "model", "nope"),
        r"nope",
        needs=("transformers",),
        slow=True,
        model=True,
    ),
    Fault(
        "llm-relabel-not-gzip",
        _relabel(lambda w: hh_data(w, b"no")),
        r"helpful-base/train\.jsonl\.gz is not a valid gzip file",
        needs=("transformers",),
        slow=True,
        model=True,
    ),
    Fault(
        "llm-relabel-gzip-truncated",
        _relabel(lambda w: hh_data(w, gzip.compress(b"x" * 1000)[:20])),
        r"helpful-base/train\.jsonl\.gz is truncated",
        needs=("transformers",),
        slow=True,
        model=True,
    ),
    Fault(
        "llm-relabel-out-holds-data",
        lambda w: [
            "llm",
            "relabel",
            "--data",
            str(hh_data(w, _gz_pairs())),
            "--tokenizer",
            str(w / "model"),
            "--dataset",
            "anonymous",
            "--out",
            str(w / "hh"),
            "--force",
        ],
        r"The output folder '.*hh' holds '.*hh', an input of this run",
        needs=("transformers",),
        slow=True,
    ),
    Fault(
        "llm-relabel-out-foreign",
        lambda w: [
            "llm",
            "relabel",
            "--data",
            str(hh_data(w, _gz_pairs())),
            "--tokenizer",
            str(w / "model"),
            "--dataset",
            "anonymous",
            "--out",
            str(w / "foreign"),
        ],
        r"holds files socialpref did not write \(keep\.txt\)",
        needs=("transformers",),
        slow=True,
    ),
    Fault(
        "llm-train-out-foreign",
        lambda w: [
            "llm",
            "train",
            "--model",
            str(w / "model"),
            "--data",
            str(hh_data(w, _gz_pairs())),
            "--output-dir",
            str(w / "foreign"),
            "--force",
        ],
        r"holds files socialpref did not write \(keep\.txt\)",
        needs=("transformers", "trl"),
        slow=True,
        model=True,
    ),
]


def _params() -> list[object]:
    out = []
    for fault in FAULTS:
        marks = list(fault.marks)
        if fault.slow:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(fault, id=fault.id, marks=marks))
    return out


def test_fault_ids_are_unique() -> None:
    ids = [f.id for f in FAULTS]
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("fault", _params())
def test_fault(
    fault: Fault,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    cli: Runner,
    fingerprint: Fingerprint,
) -> None:
    for module in fault.needs:
        pytest.importorskip(module)
    work = tmp_path / "case"
    work.mkdir()
    (work / "foreign").mkdir()
    (work / "foreign" / "keep.txt").write_text("a file socialpref did not write\n")
    if fault.model:
        shutil.copytree(request.getfixturevalue("tiny_model"), work / "model")
    argv = fault.argv(work)
    monkeypatch.chdir(work)  # default outputs (reports/...) would land here too
    before = fingerprint(work)
    outcome = cli(argv)
    after = fingerprint(work)
    assert not outcome.traceback, outcome.traceback
    assert "Traceback" not in outcome.stderr + outcome.stdout, outcome.stderr
    lines = outcome.stderr_lines()
    if fault.exit_code == 0:
        assert outcome.exit_code == 0, outcome.stderr
        assert len(lines) == (1 if fault.message else 0), lines  # at most one warning line
        assert not fault.message or re.search(fault.message, lines[0]), lines
        created = {k for k in after if k not in before}
        assert created == set(fault.creates), created
        assert {k: after[k] for k in before} == before, "an existing file changed"
        if fault.verify is not None:
            fault.verify(work)
        return
    expected = fault.exit_code if isinstance(fault.exit_code, tuple) else (fault.exit_code,)
    assert outcome.exit_code in expected, (outcome.exit_code, outcome.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines[0]
    assert re.search(fault.message, lines[0]), lines[0]
    assert after == before, {
        k: (before.get(k), after.get(k))
        for k in set(before) | set(after)
        if before.get(k) != after.get(k)
    }


#: Faults replayed in a process of their own too: a real stderr, exit status and entry point.
IN_A_PROCESS = (
    "out-holds-input",
    "sens-plot-under-a-file",
    "sav-flipped-read",
    "ct-count-text",
    "seeds-descending-in-list",
    "opt-unknown-option",
)


@pytest.mark.slow
@pytest.mark.parametrize("fault", [f for f in FAULTS if f.id in IN_A_PROCESS], ids=lambda f: f.id)
def test_fault_in_a_process(
    fault: Fault, tmp_path: Path, fingerprint: Fingerprint, cli_process: Callable[..., Any]
) -> None:
    for module in fault.needs:
        pytest.importorskip(module)
    work = tmp_path / "case"
    work.mkdir()
    argv = fault.argv(work)
    before = fingerprint(work)
    outcome = cli_process(argv, cwd=work)
    assert fingerprint(work) == before
    assert outcome.exit_code == fault.exit_code, outcome.stderr
    assert not outcome.traceback, outcome.traceback
    (line,) = outcome.stderr_lines()
    assert line.startswith("Error: ") and re.search(fault.message, line), line
