"""The survey report: markdown with tables and figures for one or more waves or crosstabs.

The numbers come from the libraries, never from this module: the survey analysis
(:func:`socialpref.surveys.analyze_survey`: shares, Luce-Shepard rewards, average reward,
NBC), the Section 7.1 sweep (:func:`socialpref.surveys.survey_sensitivity`: minimal TV,
flipping distribution, top flips, filters and summary) and the core's NBC (Eq. 13) under the flipping distribution
for the rank chart. This module lays them out (:func:`render_markdown`) and writes the folder
atomically (:func:`write_report`).

A report folder holds ``report.md``, ``report.json`` (every number of the tables, in the shapes
of ``socialpref surveys analyze --json`` and ``socialpref sensitivity --json``), ``figures/``
with the PNGs and socialpref's marker file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socialpref.report import figures as F
from socialpref.report.folder import write_folder_atomically
from socialpref.report.includes import IncludedResult, render_includes
from socialpref.report.markdown import anchor, escape, image, number, percent, slug, table
from socialpref.report.provenance import Provenance

#: File names inside a report folder.
REPORT_MD = "report.md"
REPORT_JSON = "report.json"
FIGURES = "figures"


@dataclass(frozen=True)
class SourceInfo:
    """One analysed source (a wave or a crosstab) as the report describes it."""

    name: str
    kind: str
    n_respondents: int
    file_label: str = ""
    #: Respondents excluded for a missing or zero weight (waves only).
    n_bad_weights: int = 0
    weight_column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "n_respondents": self.n_respondents,
            "file_label": self.file_label,
            "n_bad_weights": self.n_bad_weights,
            "weight_column": self.weight_column,
        }


@dataclass(frozen=True)
class QuestionEntry:
    """One analysed question with its sensitivity.

    Attributes
    ----------
    analysis : dict
        The question as ``socialpref surveys analyze --json`` writes it (``source``,
        ``question``, ``text``, ``options``, ``types``, ``type_weights``, ``shares``,
        ``rewards``, ``average_reward``, ``nbc``, ``average_top``, ``nbc_top``,
        ``n_respondents``, ...).
    sensitivity : dict or None
        As ``socialpref sensitivity --json`` writes a question (``source``, ``question``,
        ``min_tv``, ``pair`` as labels, ``distribution`` as ``{option: probability}``,
        ``top_flip``, ...; :meth:`socialpref.surveys.QuestionSensitivity.to_dict`), plus
        ``repair_feasible``; None when it was not computed.
    in_sweep : bool
        Whether the question passes the sweep's filters (counted in the sensitivity summary).
    nbc_flipped : list of float or None
        NBC (Eq. 13) under the flipping distribution, from the core.
    """

    analysis: Mapping[str, Any]
    sensitivity: Mapping[str, Any] | None = None
    in_sweep: bool = True
    nbc_flipped: Sequence[float] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return str(self.analysis["source"]), str(self.analysis["question"])

    def tops(self, which: str) -> list[str]:
        """Labels of the options tied for first by ``"average"`` or ``"nbc"``."""
        a = self.analysis
        tops = a.get(f"{which}_tops", a[f"{which}_top"])
        return [tops] if isinstance(tops, str) else [str(t) for t in tops]

    @property
    def tops_differ(self) -> bool:
        if "tops_differ" in self.analysis:
            return bool(self.analysis["tops_differ"])
        return sorted(self.tops("average")) != sorted(self.tops("nbc"))

    @property
    def rankings_differ(self) -> bool:
        if "same_order" in self.analysis:
            return not bool(self.analysis["same_order"])
        a, b = self.analysis.get("average_ranking"), self.analysis.get("nbc_ranking")
        if a is not None and b is not None:
            return list(a) != list(b)
        return self.tops_differ

    @property
    def top_flip(self) -> bool:
        return bool(self.sensitivity and self.sensitivity.get("top_flip"))


@dataclass(frozen=True)
class SurveyReport:
    """Everything a survey report shows; :func:`render_markdown` lays it out.

    Attributes
    ----------
    sources : tuple of SourceInfo
    questions : tuple of QuestionEntry
        Analysed questions, in source then file order.
    skipped : tuple of dict
        ``{"source", "question", "reason"}`` for questions that could not be analysed.
    sensitivity_summary : dict
        The sweep's summary (``questions``, ``kept``, ``flippable``, ``top_flips``,
        ``median_min_tv``, ...) over the questions kept by the filters.
    filters : dict
        The sweep's filters (e.g. ``{"min_options": 3, "min_per_option": 100}``).
    min_tvs : tuple of (float or None)
        Minimal TV of every question kept by the filters, None when it cannot be flipped
        (for the CDF, Fig. 2).
    provenance : Provenance
    focus : tuple of str
        Questions asked for with ``--question`` (they always get a section).
    includes : tuple of IncludedResult
        Result files of other commands to show.
    """

    sources: tuple[SourceInfo, ...]
    questions: tuple[QuestionEntry, ...]
    skipped: tuple[Mapping[str, Any], ...]
    sensitivity_summary: Mapping[str, Any]
    filters: Mapping[str, Any]
    min_tvs: tuple[float | None, ...]
    provenance: Provenance
    focus: tuple[str, ...] = ()
    includes: tuple[IncludedResult, ...] = field(default=())

    def detailed(self) -> list[QuestionEntry]:
        """Questions that get a section: rankings differ, the top flips, or asked for."""
        return [
            q
            for q in self.questions
            if q.rankings_differ or q.top_flip or q.analysis["question"] in self.focus
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "provenance": self.provenance.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "questions": [dict(q.analysis) for q in self.questions],
            "skipped": [dict(s) for s in self.skipped],
            "sensitivity": {
                "filters": dict(self.filters),
                "questions": [
                    dict(q.sensitivity) for q in self.questions if q.sensitivity and q.in_sweep
                ],
                "summary": dict(self.sensitivity_summary),
            },
            "includes": [{"kind": r.kind, "file": r.name} for r in self.includes],
        }


# --------------------------------------------------------------------------------------------
# markdown


def _labels(labels: Sequence[str], options: Sequence[str]) -> str:
    """``"C: Not too likely"`` for each label (letters as in the figures)."""
    return (
        ", ".join(f"{F.letter(options.index(t))}: {t}" if t in options else t for t in labels)
        or "-"
    )


def _title(entry: QuestionEntry) -> str:
    a = entry.analysis
    return F.wrap(f"{a['question']}: {a['text']}", 95)


def _summary(report: SurveyReport) -> list[str]:
    rows = []
    for s in report.sources:
        qs = [q for q in report.questions if q.analysis["source"] == s.name]
        sk = [k for k in report.skipped if k["source"] == s.name]
        rows.append(
            [
                f"`{s.name}`",
                s.kind,
                s.n_respondents if s.kind == "wave" else "-",
                len(qs),
                len(sk),
                sum(q.tops_differ for q in qs),
                sum(q.rankings_differ for q in qs),
            ]
        )
    if len(report.sources) > 1:
        rows.append(
            [
                "**all**",
                "",
                "",
                len(report.questions),
                len(report.skipped),
                sum(q.tops_differ for q in report.questions),
                sum(q.rankings_differ for q in report.questions),
            ]
        )
    lines = [
        "## Summary\n",
        table(
            [
                "Source",
                "Kind",
                "Respondents",
                "Questions analysed",
                "Skipped",
                "NBC top != average top",
                "Rankings differ",
            ],
            rows,
            align="llrrrrr",
        )
        + "\n",
    ]
    for s in report.sources:
        if s.n_bad_weights:
            lines.append(
                f"`{s.name}`: {s.n_bad_weights} respondents have a missing or zero weight in "
                f"`{s.weight_column}` and are excluded from every analysis.\n"
            )
    summ = report.sensitivity_summary
    f = report.filters
    filt = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in f.items()) or "none"
    kept = summ.get("kept", summ.get("questions"))
    flippable = summ.get("flippable")
    share = summ.get("flippable_share")
    if share is None and kept:
        share = (flippable or 0) / kept
    lines += [
        "**Sensitivity of NBC to the sampling distribution** (paper Section 7.1): the smallest "
        "total-variation (TV) change of the distribution of compared options, away from uniform, "
        f"that changes NBC's ranking. Filters of the sweep: {escape(filt)}.\n",
        table(
            [
                "Questions",
                "Kept by the filters",
                "Flippable",
                "Flippable share",
                "Top-choice changes",
                "Median minimal TV",
            ],
            [
                [
                    summ.get("questions", "-"),
                    kept if kept is not None else "-",
                    flippable if flippable is not None else "-",
                    percent(share),
                    summ.get("top_flips", "-"),
                    number(summ.get("median_min_tv")),
                ]
            ],
            align="rrrrrr",
        )
        + "\n",
    ]
    return lines


def _cdf(report: SurveyReport, fig_dir: Path) -> list[str]:
    from socialpref.report.figures_sensitivity import plot_min_tv_cdf

    if not any(t is not None for t in report.min_tvs):
        return ["No question kept by the filters can be flipped, so there is no CDF to draw.\n"]
    F.save_png(plot_min_tv_cdf(list(report.min_tvs)), fig_dir / "min-tv-cdf.png")
    return [
        image("CDF of the minimal TV that changes NBC's ranking", f"{FIGURES}/min-tv-cdf.png")
        + "\n",
        "*CDF of the minimal TV distances (from uniform) that change the NBC order, over the "
        "flippable questions kept by the filters (paper Fig. 2).*\n",
    ]


def _all_questions(report: SurveyReport, detailed: set[tuple[str, str]]) -> list[str]:
    rows = []
    for q in report.questions:
        a, s = q.analysis, q.sensitivity or {}
        opts = a["options"]
        name = f"[{a['question']}](#{anchor(_heading(q))})" if q.key in detailed else a["question"]
        pair = s.get("pair")
        rows.append(
            [
                f"`{a['source']}`" if len(report.sources) > 1 else None,
                name,
                len(opts),
                a["n_respondents"],
                _labels(q.tops("average"), opts),
                _labels(q.tops("nbc"), opts),
                number(a.get("kendall_tau"), 3),
                number(s.get("min_tv")),
                " over ".join(f"{p}" for p in reversed(pair)) if pair else "-",
                "yes" if s.get("top_flip") else "no" if s else "-",
                _repair(s),
                "yes" if q.in_sweep else "no",
            ]
        )
    headers = [
        "Source",
        "Question",
        "Options",
        "Respondents",
        "Average-reward top",
        "NBC top",
        "Kendall tau",
        "Minimal TV",
        "Flip (j over i)",
        "Top flips",
        "Repair TV",
        "In sweep",
    ]
    align = "llrrllrrlcrc"
    if len(report.sources) <= 1:
        headers, align = headers[1:], align[1:]
        rows = [r[1:] for r in rows]
    return [
        "## All questions\n",
        "Top choices are the options ranked first by the user-weighted average reward (Eq. 9) and "
        "by NBC under uniform sampling (Eq. 13). *Minimal TV*: the smallest TV change of the "
        "sampling distribution that puts option *j* above option *i* (the pair shown); *Top flips*: "
        "that pair involves NBC's top choice; *Repair TV*: the smallest TV change that makes the "
        "average-reward winner NBC's winner (0 when it already is). Questions in the sweep pass "
        "its filters. Linked questions have a section below.\n",
        table(headers, rows, align=align) + "\n",
    ]


def _repair(s: Mapping[str, Any]) -> str:
    if s.get("repair_tv") is not None:
        return number(s["repair_tv"])
    return "impossible" if s.get("repair_feasible") is False else "-"


def _skipped(report: SurveyReport) -> list[str]:
    if not report.skipped:
        return []
    return [
        "## Skipped questions\n",
        table(
            ["Source", "Question", "Reason"],
            [[f"`{s['source']}`", s["question"], s["reason"]] for s in report.skipped],
        )
        + "\n",
    ]


def _heading(q: QuestionEntry) -> str:
    return f"{q.analysis['question']} ({q.analysis['source']})"


def _question_section(q: QuestionEntry, fig_dir: Path, prefix: str) -> list[str]:
    a, s = q.analysis, q.sensitivity or {}
    options, types = list(a["options"]), list(a["types"])
    shares = np.asarray(a["shares"], dtype=np.float64)
    rewards = np.asarray(a["rewards"], dtype=np.float64)
    weights = np.asarray(a["type_weights"], dtype=np.float64)
    avg = np.asarray(a["average_reward"], dtype=np.float64)
    score = np.asarray(a["nbc"], dtype=np.float64)
    title = _title(q)
    lines = [f"### {escape(_heading(q))}\n", f"> {escape(a['text'])}\n"]
    types_text = ", ".join(f"{t} {percent(w)}" for t, w in zip(types, weights, strict=True))
    unchosen = a.get("unchosen_options") or []
    note = f" Not analysed (nobody chose them): {escape(', '.join(unchosen))}." if unchosen else ""
    lines.append(f"{a['n_respondents']} respondents; user types: {escape(types_text)}.{note}\n")
    verdict = []
    avg_top, nbc_top = _labels(q.tops("average"), options), _labels(q.tops("nbc"), options)
    if q.tops_differ:
        verdict.append(
            f"The average reward ranks **{escape(avg_top)}** first, NBC ranks **{escape(nbc_top)}** first."
        )
    else:
        verdict.append(
            f"Both rank **{escape(avg_top)}** first{'' if not q.rankings_differ else ', but order other options differently'}."
        )
    if s.get("min_tv") is not None and s.get("pair"):
        hi, lo = s["pair"]
        verdict.append(
            f"A sampling distribution at TV {number(s['min_tv'])} from uniform puts "
            f"{escape(lo)} above {escape(hi)}"
            + (" and changes NBC's top choice." if s.get("top_flip") else ".")
        )
    elif s:
        verdict.append("No sampling distribution with full support changes NBC's order.")
    lines.append(" ".join(verdict) + "\n")

    dist = s.get("distribution") or None
    flipped = q.nbc_flipped
    headers = ["Option"]
    headers += [f"Share {t}" for t in types] + [f"Reward {t}" for t in types]
    headers += ["Average reward", "NBC (uniform)"]
    if dist is not None and flipped is not None:
        headers += ["Flipping distribution", "NBC (flipping)"]
    rows = []
    for i, opt in enumerate(options):
        row = [f"{F.letter(i)}: {opt}"]
        row += [number(shares[u, i]) for u in range(len(types))]
        row += [number(rewards[u, i]) for u in range(len(types))]
        row += [number(avg[i]), number(score[i])]
        if dist is not None and flipped is not None:
            row += [number(dist[opt] if isinstance(dist, Mapping) else dist[i]), number(flipped[i])]
        rows.append(row)
    lines.append(table(headers, rows, align="l" + "r" * (len(headers) - 1)) + "\n")

    files = [
        (
            f"{prefix}-shares.png",
            "Choice shares and rewards by type",
            F.plot_shares_rewards(
                shares, rewards, options, types, type_weights=weights, title=title
            ),
        ),
        (
            f"{prefix}-aggregates.png",
            "Average reward vs NBC",
            F.plot_aggregates(avg, score, options, title=title),
        ),
    ]
    columns: dict[str, Any] = {"Average reward": avg, "NBC, uniform sampling": score}
    if flipped is not None and s.get("min_tv") is not None:
        columns[f"NBC, flipping distribution\n(TV {number(s['min_tv'], 3)} from uniform)"] = (
            np.asarray(flipped)
        )
    files.append(
        (
            f"{prefix}-ranks.png",
            "Rankings: average reward, NBC uniform, NBC flipping",
            F.plot_rank_chart(columns, options, title=title),
        )
    )
    for name, alt, fig in files:
        F.save_png(fig, fig_dir / name)
        lines.append(image(alt, f"{FIGURES}/{name}") + "\n")
    return lines


def render_markdown(report: SurveyReport, folder: Path) -> str:
    """Write the figures into ``folder/figures`` and return the markdown of ``report.md``.

    Image links are relative (``figures/NAME.png``), so the folder can be moved.
    """
    fig_dir = Path(folder) / FIGURES
    fig_dir.mkdir(parents=True, exist_ok=True)
    detailed = report.detailed()
    keys = {q.key for q in detailed}
    names = ", ".join(f"`{s.name}`" for s in report.sources)
    prov = report.provenance
    lines = [
        "# socialpref report\n",
        f"NBC (what DPO and RLHF optimise) against the user-weighted average reward for {names}. "
        f"Written by socialpref {prov.version}; see [Provenance](#provenance) for the command, "
        "inputs and options.\n",
    ]
    for s in report.sources:
        if s.file_label:
            lines.append(f"`{s.name}`: {escape(s.file_label)}\n")
    contents = ["- [Summary](#summary)", "- [All questions](#all-questions)"]
    if report.skipped:
        contents.append("- [Skipped questions](#skipped-questions)")
    contents.append(
        f"- [Questions where the rankings differ or the top flips](#{anchor(_DETAIL)}) ({len(detailed)})"
    )
    if report.includes:
        contents.append("- [Included results](#included-results)")
    contents.append("- [Provenance](#provenance)")
    lines.append("\n".join(contents) + "\n")
    lines += _summary(report)
    lines += _cdf(report, fig_dir)
    lines += _all_questions(report, keys)
    lines += _skipped(report)
    lines.append(f"## {_DETAIL}\n")
    if not detailed:
        lines.append(
            "None: NBC and the average reward rank every question alike, and no top choice flips.\n"
        )
    used: set[str] = set()
    for q in detailed:
        prefix = slug(f"{q.analysis['question']}", 40)
        if len(report.sources) > 1:
            prefix = slug(f"{q.analysis['source']}-{q.analysis['question']}", 60)
        base, k = prefix, 2
        while prefix in used:
            prefix, k = f"{base}-{k}", k + 1
        used.add(prefix)
        lines += _question_section(q, fig_dir, prefix)
    if report.includes:
        lines.append("## Included results\n")
        lines.append(render_includes(report.includes, fig_dir, FIGURES))
    lines += ["## Provenance\n", prov.to_markdown() + "\n"]
    return "\n".join(lines).rstrip() + "\n"


_DETAIL = "Questions where the rankings differ or the top flips"


def write_report(report: SurveyReport, out: str | Path, *, force: bool = False) -> Path:
    """Write ``report`` into the folder ``out`` atomically; return the path of ``report.md``.

    Raises
    ------
    FileExistsError
        ``out`` exists and socialpref did not write it (without ``force``).
    """

    def fill(tmp: Path) -> None:
        text = render_markdown(report, tmp)
        (tmp / REPORT_MD).write_text(text, encoding="utf-8")
        payload = json.dumps(_jsonable(report.to_dict()), indent=2, allow_nan=False)
        (tmp / REPORT_JSON).write_text(payload + "\n", encoding="utf-8")

    write_folder_atomically(
        out, fill, force=force, marker_info={"version": report.provenance.version}
    )
    return Path(out) / REPORT_MD


def _jsonable(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, NaN and inf to None."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = [
    "FIGURES",
    "REPORT_JSON",
    "REPORT_MD",
    "QuestionEntry",
    "SourceInfo",
    "SurveyReport",
    "render_markdown",
    "write_report",
]
