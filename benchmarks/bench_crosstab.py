"""Benchmark: read a long crosstab of many questions, grouped once against grouped per question.

Writes a SYNTHETIC crosstab CSV (``question, group, option, count, question_text``: three party
groups, 2-6 options per question and sometimes a "Refused" option, weighted counts, a question
wording repeated on every row, as published crosstabs are laid out) of about ``--mb`` megabytes
in a temporary folder, then reads it with

1. the previous reader (:func:`per_question_reader`, a faithful copy of socialpref's
   ``read_crosstab`` before it was vectorised: one pandas ``groupby`` iteration per question,
   a ``map`` and an ``np.add.at`` each), and
2. socialpref's :func:`socialpref.surveys.read_crosstab` (``pandas.factorize`` once, one
   ``np.bincount`` for every question),

in interleaved rounds in the same process; checks that both give the same questions, groups,
options, texts and counts; prints the median ratio and its range over rounds (target >= 50x on a
20 MB file).

    python benchmarks/bench_crosstab.py             # about 20 MB, 3 rounds (minutes: the old reader)
    python benchmarks/bench_crosstab.py --smoke     # tiny sizes, seconds
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks

from benchmarks.claims import Claim, add_argument, record, write
from socialpref.errors import DataError
from socialpref.surveys import Survey, Variable, read_crosstab
from socialpref.surveys.columns import Column
from socialpref.surveys.crosstab import CROSSTAB_COLUMNS, CROSSTAB_SUFFIXES
from socialpref.surveys.files import check_file
from socialpref.surveys.labels import answer_status

TARGET = 50.0
RTOL = 1e-12
GROUPS = ("Rep/Lean Rep", "Dem/Lean Dem", "DK/Refused/No lean")
#: Rows per question and bytes per row of :func:`write_crosstab`, measured; to size the file.
_BYTES_PER_QUESTION = 2_200


def write_crosstab(path: Path, n_questions: int, seed: int) -> Path:
    """A SYNTHETIC crosstab of ``n_questions`` questions (deterministic from ``seed``)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(2, 7, n_questions)
    refused = rng.random(n_questions) < 0.3
    per_q = (k + refused) * len(GROUPS)
    q = np.repeat(np.arange(n_questions), per_q)
    pos = np.arange(q.size) - np.repeat(np.cumsum(per_q) - per_q, per_q)
    n_opt = (k + refused)[q]
    group = pos // n_opt
    opt = pos % n_opt
    is_refused = refused[q] & (opt == k[q])
    names = np.char.add("Q", np.arange(1, n_questions + 1).astype(str))
    names = np.char.add(names, "_W128")
    option = np.where(is_refused, "Refused", np.char.add("Option ", (opt + 1).astype(str)))
    wording = np.char.add(
        "SYNTHETIC question: how much do you agree with the statement numbered ",
        np.arange(1, n_questions + 1).astype(str),
    )
    wording = np.char.add(wording, ", compared with what you thought a year ago?")
    counts = np.round(rng.gamma(2.0, 60.0, q.size), 2)
    frame = pd.DataFrame(
        {
            "question": names[q],
            "group": np.asarray(GROUPS)[group],
            "option": option,
            "count": counts,
            "question_text": wording[q],
        }
    )
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------
# The baseline: socialpref's read_crosstab before it was vectorised, copied as it was (reading,
# checks and the per-question loop). Only the message of a table without the crosstab columns is
# shortened (an error path, never timed).
# ---------------------------------------------------------------------------------------------


def _not_a_crosstab(p: Path, columns: list[str]) -> DataError:
    return DataError(f"'{p.name}' is not a crosstab (columns: {', '.join(columns)}).")


def per_question_reader(path: str | Path) -> Survey:
    """socialpref's previous ``read_crosstab``: one groupby iteration per question."""
    p = check_file(path, CROSSTAB_SUFFIXES, "crosstab (.csv or .parquet)")
    try:
        if p.suffix.lower() == ".csv":
            header = [str(c) for c in pd.read_csv(p, nrows=0).columns]
            if any(c not in header for c in CROSSTAB_COLUMNS):
                raise _not_a_crosstab(p, header)
            frame = pd.read_csv(p, dtype={"question": str, "group": str, "option": str})
        else:
            frame = pd.read_parquet(p)
    except ImportError as exc:
        raise DataError(f"Reading '{p.name}' needs pyarrow (pip install pyarrow): {exc}") from None
    except DataError:
        raise
    except (ValueError, OSError, UnicodeError, TypeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"'{p.name}' is not a readable crosstab ({detail}).") from None
    frame = frame.reset_index(drop=True)
    if any(c not in frame.columns for c in CROSSTAB_COLUMNS):
        raise _not_a_crosstab(p, [str(c) for c in frame.columns])
    if frame.empty:
        raise DataError(f"Crosstab '{p.name}' has no rows.")
    for c in ("question", "group", "option"):
        if frame[c].isna().any():
            row = int(np.flatnonzero(frame[c].isna().to_numpy())[0])
            raise DataError(f"Crosstab '{p.name}' has an empty {c!r} in data row {row + 1}.")
        frame[c] = frame[c].astype(str)
    counts = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(counts)):
        row = int(np.flatnonzero(~np.isfinite(counts))[0])
        raise DataError(
            f"Crosstab '{p.name}' has a non-numeric count in data row {row + 1}: {frame['count'].iloc[row]!r}."
        )
    if np.any(counts < 0):
        row = int(np.flatnonzero(counts < 0)[0])
        raise DataError(
            f"Crosstab '{p.name}' has a negative count in data row {row + 1}: {counts[row]:g}."
        )
    groups = tuple(dict.fromkeys(frame["group"]))
    gindex = {g: i for i, g in enumerate(groups)}
    texts = frame["question_text"] if "question_text" in frame.columns else None
    variables: dict[str, Variable] = {}
    columns: list[Column] = []
    for q, sub in frame.groupby("question", sort=False):
        opts = tuple(dict.fromkeys(sub["option"]))
        oindex = {o: i for i, o in enumerate(opts)}
        mat = np.zeros((len(groups), len(opts)))
        np.add.at(
            mat,
            (sub["group"].map(gindex).to_numpy(), sub["option"].map(oindex).to_numpy()),
            counts[sub.index.to_numpy()],
        )
        text = ""
        if texts is not None:
            vals = [t for t in texts.loc[sub.index] if isinstance(t, str) and t.strip()]
            text = vals[0] if vals else ""
        name = str(q)
        columns.append(Column(name, text or name, "question", "", len(opts), len(opts)))
        variables[name] = Variable(
            name=name,
            text=text or name,
            codes=tuple(float(k + 1) for k in range(len(opts))),
            labels=opts,
            status=tuple(answer_status(o) for o in opts),
            declared=tuple(False for _ in opts),
            counts=mat,
        )
    return Survey(
        source=p.name,
        path=p,
        kind="crosstab",
        questions=tuple(variables),
        groups=groups,
        columns=tuple(columns),
        variables=variables,
    )


# ---------------------------------------------------------------------------------------------


def differences(a: Survey, b: Survey) -> tuple[bool, float]:
    """Whether two crosstab surveys hold the same structure, and the largest count difference."""
    same = a.questions == b.questions and a.groups == b.groups and a.columns == b.columns
    worst = 0.0
    for name in a.questions:
        va, vb = a.variables[name], b.variables[name]
        same &= (va.labels, va.status, va.codes, va.text) == (
            vb.labels,
            vb.status,
            vb.codes,
            vb.text,
        )
        ca, cb = va.counts, vb.counts
        assert ca is not None and cb is not None
        if ca.shape != cb.shape:
            return False, float("inf")
        scale = max(1.0, float(np.abs(ca).max()))
        worst = max(worst, float(np.abs(ca - cb).max()) / scale)
    return same, worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a check that it runs)")
    parser.add_argument("--mb", type=float, default=20.0, help="size of the crosstab, megabytes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--seed", type=int, default=0)
    add_argument(parser)
    args = parser.parse_args(argv)
    mb = 0.2 if args.smoke else args.mb
    rounds = 2 if args.smoke else args.rounds
    n_questions = max(2, round(mb * 1e6 / _BYTES_PER_QUESTION))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_crosstab(Path(tmp) / "crosstab.csv", n_questions, args.seed)
        size = path.stat().st_size
        n_rows = sum(1 for _ in path.open()) - 1
        print(
            f"SYNTHETIC crosstab: {size / 1e6:.1f} MB, {n_rows:,} rows, {n_questions:,} questions"
        )
        old_t, new_t, ratios = [], [], []
        ok, worst = True, 0.0
        results: dict[str, Any] = {}
        for r in range(rounds):
            # alternate which reader goes first, so that neither always meets a warm page cache
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            times = {}
            for which in order:
                fn = per_question_reader if which == "old" else read_crosstab
                t0 = time.perf_counter()
                results[which] = fn(path)
                times[which] = time.perf_counter() - t0
            same, diff = differences(results["old"], results["new"])
            ok &= same
            worst = max(worst, diff)
            old_t.append(times["old"])
            new_t.append(times["new"])
            ratios.append(times["old"] / times["new"])
            print(
                f"round {r + 1}: per-question reader {times['old']:.2f} s, "
                f"read_crosstab {times['new']:.3f} s, ratio {ratios[-1]:.1f}x"
            )
    same = ok and worst <= RTOL
    print(
        f"identical questions, groups, options, texts and counts: {same} "
        f"(max relative count difference {worst:.1e})"
    )
    med = statistics.median(ratios)
    verdict = "meets" if med >= TARGET else "BELOW"
    print(
        f"per-question reader {statistics.median(old_t):.2f} s "
        f"({statistics.median(old_t) / n_questions * 1e3:.2f} ms/question), read_crosstab "
        f"{statistics.median(new_t):.3f} s (medians of {rounds} interleaved rounds)"
    )
    print(
        f"ratio {med:.1f}x (median; range {min(ratios):.1f}-{max(ratios):.1f}x; "
        f"{verdict} the {TARGET:.0f}x target)"
    )
    record(
        Claim.from_times(
            f"reading a {size / 1e6:.3g} MB crosstab ({n_questions:,} questions)",
            "read_crosstab",
            new_t,
            "the previous per-question reader",
            old_t,
            target=TARGET,
        )
    )
    write(args.claims)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
