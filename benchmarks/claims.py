"""The claims the benchmarks measure, in one format: what ran, its times, the ratio, the target.

Every ``benchmarks/bench_*.py`` times socialpref and its baselines in the same process over
interleaved rounds (:func:`interleaved`), records each claim it measures with :func:`record`
(the ratio is taken per round), and with ``--claims PATH`` writes them there as JSON
(:func:`write`). ``benchmarks/run_all.py`` (``make bench``) runs every script and prints one
table of all claims (:func:`table`).

A ratio reads one of two ways:

* ``better="higher"``: how many times faster socialpref is than the baseline (baseline time /
  socialpref time), e.g. the analysis against a pandas pipeline; the target is a minimum;
* ``better="lower"``: a cost as a multiple of a reference, e.g. the time the bootstrap adds to
  the analysis, or a one-question call against the sweep's time per question; the target is a
  maximum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Claim:
    """One measured claim: socialpref's time, the baseline's and their ratio, per round.

    Attributes
    ----------
    claim : str
        What is claimed, e.g. "survey analysis, 12,000 x 150 wave".
    socialpref, baseline : str
        What ran on each side, e.g. "analyze_survey" and "pandas melt + groupby".
    socialpref_s, baseline_s : tuple of float
        Seconds per round (the same rounds, interleaved).
    ratios : tuple of float
        The ratio of each round (see ``better``).
    target : float or None
        The ratio the claim must reach (a minimum when ``better="higher"``, a maximum when
        ``"lower"``); None: no target, the figure is reported.
    better : {"higher", "lower"}
    note : str
        What the reader must know, e.g. that a baseline's time is extrapolated.
    script : str
        The benchmark script that measured it (set by ``benchmarks/run_all.py``).
    """

    claim: str
    socialpref: str
    socialpref_s: tuple[float, ...]
    baseline: str
    baseline_s: tuple[float, ...]
    ratios: tuple[float, ...]
    target: float | None = None
    better: Better = "higher"
    note: str = ""
    script: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def met(self) -> bool | None:
        """Whether the median ratio reaches the target (None without a target)."""
        if self.target is None:
            return None
        return self.median >= self.target if self.better == "higher" else self.median <= self.target

    @classmethod
    def from_times(
        cls,
        claim: str,
        socialpref: str,
        socialpref_s: Sequence[float],
        baseline: str,
        baseline_s: Sequence[float],
        *,
        target: float | None = None,
        note: str = "",
    ) -> Claim:
        """A "times faster" claim: the ratio of each round is baseline / socialpref."""
        ratios = tuple(b / s for s, b in zip(socialpref_s, baseline_s, strict=True))
        return cls(
            claim, socialpref, tuple(socialpref_s), baseline, tuple(baseline_s), ratios, target,
            "higher", note,
        )  # fmt: skip

    @classmethod
    def cost(
        cls,
        claim: str,
        socialpref: str,
        socialpref_s: Sequence[float],
        reference: str,
        reference_s: Sequence[float],
        *,
        added: bool = False,
        target: float | None = None,
        note: str = "",
    ) -> Claim:
        """A cost claim: socialpref / reference per round (``added``: minus 1, the time added)."""
        ratios = tuple(
            s / r - (1.0 if added else 0.0) for s, r in zip(socialpref_s, reference_s, strict=True)
        )
        return cls(
            claim, socialpref, tuple(socialpref_s), reference, tuple(reference_s), ratios, target,
            "lower", note,
        )  # fmt: skip


def interleaved(
    fns: dict[str, Callable[[], Any]], rounds: int, *, warm_up: bool = False
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Run every function once per round, in an order that rotates; their times and results.

    ``warm_up``: run each once untimed first (imports, first-call caches). The results are
    those of the last round.
    """
    names = list(fns)
    if warm_up:
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, Any] = {}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            results[name] = fns[name]()
            times[name].append(time.perf_counter() - t0)
    return times, results


_RECORDED: list[Claim] = []


def record(claim: Claim) -> Claim:
    """Keep ``claim`` for :func:`write`, and return it."""
    _RECORDED.append(claim)
    return claim


def add_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--claims PATH`` option of every benchmark script."""
    parser.add_argument(
        "--claims", type=Path, default=None, help="write the measured claims here (JSON)"
    )


def write(path: Path | None) -> None:
    """Write the claims recorded so far to ``path`` (nothing when None)."""
    if path is not None:
        path.write_text(json.dumps([asdict(c) for c in _RECORDED], indent=1), encoding="utf-8")


def read(path: Path) -> list[Claim]:
    """The claims a benchmark script wrote with ``--claims``."""
    out = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        fields: dict[str, Any] = dict(item)
        for key in ("socialpref_s", "baseline_s", "ratios"):
            fields[key] = tuple(fields[key])
        out.append(Claim(**fields))
    return out


def seconds(value: float) -> str:
    """A time with a readable unit: ``0.35 ms``, ``22.1 ms``, ``2.47 s``."""
    if value >= 10:
        return f"{value:,.0f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-2:
        return f"{value * 1e3:.1f} ms"
    if value >= 1e-4:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def ratio(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def table(claims: Sequence[Claim]) -> str:
    """A markdown table of ``claims``: times (medians over rounds), ratio median (range), target."""
    lines = [
        "| claim | socialpref | baseline | ratio: median (range) | target | met? | script |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        target = (
            "-" if c.target is None else f"{'>=' if c.better == 'higher' else '<='} {c.target:g}x"
        )
        met = {None: "-", True: "yes", False: "**NO**"}[c.met]
        what = c.claim + (f" ({c.note})" if c.note else "")
        lines.append(
            f"| {what} | {c.socialpref}: {seconds(statistics.median(c.socialpref_s))} "
            f"| {c.baseline}: {seconds(statistics.median(c.baseline_s))} "
            f"| **{ratio(c.median)}** ({ratio(min(c.ratios))}-{ratio(max(c.ratios))}) "
            f"| {target} | {met} | {c.script or '-'} |"
        )
    return "\n".join(lines)


__all__ = ["Claim", "add_argument", "interleaved", "read", "record", "seconds", "table", "write"]
