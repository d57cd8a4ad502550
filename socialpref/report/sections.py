"""The sections of the survey report, each built from typed results (no number computed here).

Every function takes the results of the application layer (:class:`socialpref.app.SweepRun`,
:class:`socialpref.surveys.QuestionSensitivity`) and returns blocks of
:mod:`socialpref.report.document`, which the markdown and the HTML renderers lay out; figures
are :class:`~socialpref.report.document.Image` blocks that say how to draw them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref.app import SweepRun
from socialpref.report import figures as F
from socialpref.report.document import (
    Block,
    Bullets,
    Column,
    FigureSpec,
    Heading,
    Image,
    Paragraph,
    Quote,
    Table,
    cell,
    code,
    em,
    link,
    make_table,
    strong,
)
from socialpref.report.markdown import anchor, number, percent
from socialpref.surveys import SUPPORT_THRESHOLD, QuestionAnalysis, QuestionSensitivity
from socialpref.surveys.objectives import TARGET_PAIRS, ObjectiveCounts
from socialpref.surveys.sensitivity import ORDER_LEVEL
from socialpref.targets import TARGET_NAMES

if TYPE_CHECKING:
    from socialpref.report.survey import SurveyReport

#: Folder of the figures inside a report folder.
FIGURES = "figures"
#: Section titles.
DETAIL = "Questions where the rankings or the targets differ, or the top flips"
OBJECTIVES = "Which objective chooses what"
#: Short names of the targets in tables.
TARGET_TITLES = {
    "average_reward": "Average reward",
    "nbc": "NBC",
    "maximal_lottery": "Maximal lottery",
    "condorcet": "Condorcet winner",
    "copeland": "Copeland",
    "nash": "Nash policy",
}
_SHORT = {
    "average_reward": "average",
    "nbc": "NBC",
    "maximal_lottery": "max. lottery",
    "condorcet": "Condorcet",
    "copeland": "Copeland",
    "nash": "Nash",
}


def _labels(indices: Sequence[int], options: Sequence[str]) -> str:
    """``"C: Not too likely"`` for each option (letters as in the figures)."""
    return ", ".join(f"{F.letter(i)}: {options[i]}" for i in indices) or "-"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _tops_verdict(qa: QuestionAnalysis) -> str:
    if not qa.tops_differ:
        return "agree"
    return "differ, not supported" if qa.tops_differ_supported is False else "differ"


def _targets_verdict(qa: QuestionAnalysis) -> str:
    if qa.targets_agree is None:
        return "-"
    if qa.targets_agree:
        return "agree"
    return "disagree, not supported" if qa.targets_disagreement_supported is False else "disagree"


def _sampling_label(run: SweepRun) -> str:
    sampling = run.analysis.options.sampling
    return "uniform" if sampling is None else f"D = {Path(sampling).stem}"


def _source(name: str) -> Any:
    return code(name)


#: How the row of every source together is named in the tables (bold in both renderers).
POOLED = "all (pooled)"


def _pooled() -> Any:
    return strong(POOLED)


def question_text(question: str, text: str) -> str:
    """A question's wording without a leading repeat of its name.

    ATP files often label a column ``"BIDENADM_W83. Do you approve ..."``; the report shows the
    name once.

    >>> question_text("BIDENADM_W83", "BIDENADM_W83. Do you approve?")
    'Do you approve?'
    >>> question_text("EVCAR2_W128", "EVCAR2: How likely?")
    'How likely?'
    >>> question_text("Q1", "Q1")
    ''
    """
    t = " ".join(str(text).split())
    stem = re.sub(r"_W\d+$", "", question)
    for name in dict.fromkeys((question, stem)):
        m = re.match(rf"{re.escape(name)}(?![A-Za-z0-9_])\s*[.:)\-–—]?\s*", t, flags=re.IGNORECASE)
        if m:
            return t[m.end() :]
    return t


def figure_title(qa: QuestionAnalysis) -> str:
    """``"NAME: wording"`` (the name once), wrapped for a figure."""
    text = question_text(qa.question, qa.text)
    return F.wrap(f"{qa.question}: {text}" if text else qa.question, 95)


# --------------------------------------------------------------------------------------------
# summary


def summary(run: SweepRun) -> list[Block]:
    """Sources with their counts (one row per source beside the pooled one), the sweep's."""
    analysis, sens = run.analysis, run.sensitivity
    multi = len(analysis.sources) > 1
    boot = any(q.bootstrap is not None for q in analysis.questions)

    def counts(qs: Sequence[QuestionAnalysis], n_skipped: int) -> list[Any]:
        return [
            len(qs),
            n_skipped,
            sum(q.tops_differ for q in qs),
            sum(q.tops_differ_supported is True for q in qs) if boot else "-",
            sum(not q.comparison.comparison.same_order for q in qs),
            sum(q.targets_agree is False for q in qs),
        ]

    rows: list[list[Any]] = []
    for s, r in zip(analysis.sources, analysis.results, strict=True):
        n = s.n_respondents if s.kind == "wave" else "-"
        rows.append([_source(s.name), s.kind, n, *counts(r.questions, len(r.skipped))])
    if multi:
        rows.append([_pooled(), "", "", *counts(analysis.questions, len(analysis.skipped))])
    headers = ["Source", "Kind", "Respondents", "Questions analysed", "Skipped",
               "NBC top != average top", "Supported by the bootstrap", "Rankings differ",
               "Targets disagree"]  # fmt: skip
    out: list[Block] = [
        Heading(2, "Summary"),
        make_table(headers, rows, align="llrrrrrrr", id="summary-sources"),
    ]
    for s in analysis.sources:
        if s.n_bad_weights:
            out.append(
                Paragraph(
                    _source(s.name),
                    f": {s.n_bad_weights} respondents have a missing or zero weight in ",
                    code(s.weight_column or ""),
                    " and are excluded from every analysis.",
                )
            )
    for note in run.notes:
        out.append(Paragraph(f"Note: {note}"))
    f = sens
    out.append(
        Paragraph(
            strong("Sensitivity of NBC to the sampling distribution"),
            " (paper Section 7.1): the smallest total-variation (TV) change of the distribution "
            f"of compared options, away from {run.base_label}, that changes NBC's ranking. "
            f"Filters of the sweep: min options {f.min_options}, min per option "
            f"{f.min_per_option:g}. ",
            em("Flips supported"),
            ": flippable questions whose flip the bootstrap supports (see ",
            link("Uncertainty", "uncertainty"),
            ").",
        )
    )
    srows = []
    entries: list[tuple[Any, dict[str, Any]]] = (
        [(_source(k), v) for k, v in sens.by_source.items()] if multi else []
    )
    entries.append((_pooled() if multi else _source(analysis.sources[0].name), sens.summary))
    for name, summ in entries:
        srows.append(
            [
                name,
                summ["questions"],
                summ["kept"],
                summ["flippable"],
                percent(summ["flippable_share"]),
                summ["top_flips"],
                number(summ["median_min_tv"]),
                "-" if summ["flips_supported"] is None else summ["flips_supported"],
                "-" if summ["top_flips_supported"] is None else summ["top_flips_supported"],
            ]
        )
    sheaders = ["Source", "Questions", "Kept by the filters", "Flippable", "Flippable share",
                "Top-choice changes", "Median minimal TV", "Flips supported",
                "Top flips supported"]  # fmt: skip
    out.append(make_table(sheaders, srows, align="lrrrrrrrr", id="summary-sweep"))
    if analysis.skipped_sources:
        out += [
            Heading(3, "Sources not analysed"),
            Paragraph(
                "These sources cannot be analysed with the options of this report; the others "
                "are (a run with ",
                code("--strict"),
                " stops instead).",
            ),
            make_table(
                ["Source", "Reason"],
                [[_source(s.source.name), s.reason] for s in analysis.skipped_sources],
            ),
        ]
    return out


def cdf(run: SweepRun) -> list[Block]:
    """The CDF of the minimal TVs (paper Fig. 2)."""
    min_tvs = list(run.sensitivity.min_tvs)
    if not any(t is not None for t in min_tvs):
        return [
            Paragraph("No question kept by the filters can be flipped, so there is no CDF to draw.")
        ]
    spec = FigureSpec(
        "socialpref.report.figures_sensitivity:plot_min_tv_cdf",
        (min_tvs,),
        {"base_label": run.base_label},
    )
    return [
        Image("min-tv-cdf.png", "CDF of the minimal TV that changes NBC's ranking", spec),
        Paragraph(
            em(
                f"CDF of the minimal TV distances (from {run.base_label}) that change the NBC "
                "order, over the flippable questions kept by the filters (paper Fig. 2)."
            )
        ),
    ]


# --------------------------------------------------------------------------------------------
# uncertainty


def uncertainty(run: SweepRun) -> list[Block]:
    """The rules of the bootstrap verdicts and Kish's design effects per question and type."""
    opts = run.analysis.options
    questions = run.analysis.questions
    boot = next((q.bootstrap for q in questions if q.bootstrap is not None), None)
    out: list[Block] = [Heading(2, "Uncertainty")]
    if boot is None:
        out.append(
            Paragraph(
                "No bootstrap (turned off with ",
                code("--bootstrap 0"),
                ", or the sources are crosstabs, which have no respondents): the disagreements "
                "and flips below carry no support verdict.",
            )
        )
    else:
        out.append(
            Paragraph(
                f"Respondent-level bootstrap: {boot.n_boot} replicates (seed {opts.seed}); in "
                "each, the respondents of a wave are drawn with replacement (keeping their "
                "weights) and every number is recomputed: shares, type weights, rewards, every "
                "target and the sweep. Intervals are central "
                f"{100 * boot.level:g}% percentile intervals."
            )
        )
        out.append(
            Bullets(
                [
                    (
                        "A disagreement of two top choices (NBC against the average reward, or "
                        "among the targets) is ",
                        em("supported"),
                        f" when at least {SUPPORT_THRESHOLD:.0%} of the replicates show a "
                        "disagreement too; otherwise it is marked ",
                        em("not supported"),
                        " and is not a finding (e.g. NBC scores that differ in the fifth decimal).",
                    ),
                    (
                        "A flip is ",
                        em("supported"),
                        f" when at least {SUPPORT_THRESHOLD:.0%} of the replicates can be "
                        "flipped and the flipped pair's NBC order holds in at least "
                        f"{ORDER_LEVEL:.1%} of them; ",
                        em("within noise"),
                        " when the replicates do not tell the two options apart (the flip "
                        "moves NBC by less than its sampling error); ",
                        em("not supported"),
                        " when most replicates cannot be flipped. The top-flip claim is "
                        f"supported when at least {SUPPORT_THRESHOLD:.0%} of the replicates' "
                        "cheapest flips dethrone NBC's top too.",
                    ),
                    (
                        "The minimal-TV interval counts a replicate that cannot be flipped as an "
                        "infinite TV: an upper bound ",
                        code("inf"),
                        " means that more than the interval's tail of the replicates cannot be "
                        "flipped.",
                    ),
                ]
            )
        )
    out.append(
        Paragraph(
            "Design effect and margin of sampling error from the weights (Kish), as Pew reports "
            "them: effective sample size ",
            code("n_eff = (sum w)^2 / sum w^2"),
            ", design effect ",
            code("n / n_eff"),
            ", 95% margin of error of a share at ",
            code("p = 1/2"),
            ", ",
            code("1.96 / (2 sqrt(n_eff))"),
            ", in percentage points, for each question's kept respondents and within each type.",
        )
    )
    multi = len(run.analysis.sources) > 1
    rows = []
    for q in questions:
        d = q.design
        by_type = "; ".join(
            f"{t}: n {n}, ±{100 * m:.1f}"
            for t, n, m in zip(q.types, d.type_n, d.type_margin_of_error, strict=True)
            if not np.isnan(m)
        )
        row = [
            _source(q.source),
            q.question,
            q.n_respondents,
            number(d.effective_n, 0) if not np.isnan(d.effective_n) else "n/a",
            number(d.design_effect, 2) if not np.isnan(d.design_effect) else "n/a",
            f"±{100 * d.margin_of_error:.1f}" if not np.isnan(d.margin_of_error) else "n/a",
            by_type or "n/a",
        ]
        rows.append(row if multi else row[1:])
    headers = ["Source", "Question", "Respondents", "Effective n", "Design effect",
               "Margin of error (points)", "By type: respondents, margin of error"]  # fmt: skip
    align = "llrrrrl"
    if not multi:
        headers, align = headers[1:], align[1:]
    out.append(make_table(headers, rows, align=align, id="design"))
    return out


# --------------------------------------------------------------------------------------------
# which objective chooses what


def _counts_row(name: Any, c: ObjectiveCounts) -> list[Any]:
    return [
        name,
        c.questions,
        c.disagree,
        "-" if c.supported is None else c.supported,
        c.pairs[("average_reward", "nbc")],
        c.pairs[("nbc", "maximal_lottery")],
        c.pairs[("average_reward", "maximal_lottery")],
        c.no_condorcet,
        c.lottery_mixes,
        c.flippable,
        c.disappear,
        c.appear,
    ]


def _pairs(pairs: frozenset[tuple[str, str]]) -> str:
    return (
        "; ".join(f"{_SHORT[a]} vs {_SHORT[b]}" for a, b in TARGET_PAIRS if (a, b) in pairs) or "-"
    )


def objectives(report: SurveyReport) -> list[Block]:
    """What each target chooses: counts per wave, the questions where they disagree."""
    run = report.run
    beta = run.analysis.options.beta
    out: list[Block] = [
        Heading(2, OBJECTIVES),
        Paragraph(
            "Each alignment objective converges, with infinite data, to a social-choice rule on "
            "the same population: RLHF's ideal to the ",
            strong("average reward"),
            " (Eq. 9), DPO and reward-model fitting to ",
            strong("NBC"),
            " under the sampling distribution D (Eq. 13), Nash learning from human feedback "
            "without regularisation and self-play preference optimisation to the ",
            strong("maximal lottery"),
            " (von Neumann winner), pairwise-majority reasoning to the ",
            strong("Condorcet winner"),
            " (when there is one) and ",
            strong("Copeland"),
            "; NLHF with regularisation to the ",
            strong("Nash policy"),
            f" (uniform reference, beta = {beta:g}, ",
            code("--beta"),
            "). Every one comes from the pairwise matrix P (Eq. 8); see ",
            code("docs/targets.md"),
            ".",
        ),
        Paragraph(
            "Only NBC depends on D. Under the flipping distribution of a question (the smallest "
            "TV change of D that changes NBC's order), NBC's top may move while the maximal "
            "lottery, the Condorcet winner, Copeland, the Nash policy and the average reward "
            "stay: a disagreement with NBC can ",
            em("disappear"),
            " (NBC moves to the others' choice) or ",
            em("appear"),
            " (NBC moves away from it).",
        ),
    ]
    rows = []
    if len(report.sources) > 1:
        rows += [
            _counts_row(_source(s.name), report.objective_counts(s.name)) for s in report.sources
        ]
        rows.append(_counts_row(_pooled(), report.objective_counts()))
    else:
        rows.append(_counts_row(_source(report.sources[0].name), report.objective_counts()))
    headers = ["Source", "Questions", "Targets disagree", "Supported by the bootstrap",
               "NBC != average", "NBC != maximal lottery", "Average != maximal lottery",
               "No Condorcet winner", "Maximal lottery mixes", "Flippable",
               "A disagreement disappears under the flip", "A disagreement appears under the flip"]  # fmt: skip
    out.append(make_table(headers, rows, align="l" + "r" * 11, id="objectives-counts"))
    shown = [
        (q, s)
        for q, s in zip(report.questions, report.shifts, strict=True)
        if s.disagreements or s.appear or s.disappear
    ]
    if not shown:
        out.append(Paragraph("Every target chooses the same option(s) on every question."))
        return out
    multi = len(report.sources) > 1
    qrows = []
    for q, s in shown:
        qa, opts = q.analysis, q.analysis.options
        row = [
            _source(qa.source),
            qa.question,
            *(_labels(s.tops[name], opts) if s.tops[name] else "none" for name in TARGET_NAMES),
            _targets_verdict(qa),
            _p(None if qa.target_support is None else qa.target_support.p_disagree),
            "-" if s.flipped_nbc_top is None else _labels(s.flipped_nbc_top, opts),
            _pairs(s.disappear),
            _pairs(s.appear),
        ]
        qrows.append(row if multi else row[1:])
    qheaders = ["Source", "Question", *(TARGET_TITLES[n] for n in TARGET_NAMES), "Targets",
                "P(disagree)", "NBC top under the flip", "Disappear under the flip",
                "Appear under the flip"]  # fmt: skip
    align = "ll" + "l" * len(TARGET_NAMES) + "lrlll"
    if not multi:
        qheaders, align = qheaders[1:], align[1:]
    out.append(
        Paragraph(
            "Questions where the targets disagree, or where a disagreement appears or disappears "
            "under the flipping distribution (",
            em("P(disagree)"),
            ": share of bootstrap replicates in which the targets disagree):",
        )
    )
    out.append(make_table(qheaders, qrows, align=align, id="objectives-questions"))
    return out


# --------------------------------------------------------------------------------------------
# all questions, skipped


def heading(q: QuestionSensitivity) -> str:
    """The heading of a question's section: ``"NAME (source)"``."""
    return f"{q.analysis.question} ({q.analysis.source})"


def _repair(q: QuestionSensitivity) -> str:
    res = q.result
    if res is None:
        return "-"
    if res.repair_tv is not None:
        return number(res.repair_tv)
    return "impossible" if res.repair_feasible is False else "-"


#: Targets whose top choice the HTML question table shows besides the average reward and NBC.
_OTHER_TARGETS = tuple(n for n in TARGET_NAMES if n not in ("average_reward", "nbc"))


def all_questions(run: SweepRun, detailed: set[tuple[str, str]]) -> list[Block]:
    """One row per analysed question: tops, tau, the sweep, the bootstrap verdicts.

    The table is interactive in the HTML page (sorted and filtered in the browser), where it
    also shows the top choice of every other target.
    """
    multi = len(run.analysis.sources) > 1
    rows = []
    anchors = []
    for q in run.sensitivity.questions:
        qa, res, sup = q.analysis, q.result, q.support
        opts = qa.options
        key = (qa.source, qa.question)
        target = anchor(heading(q)) if key in detailed else ""
        anchors.append(target)
        name = cell(link(qa.question, target), qa.question) if target else qa.question
        pair = "-"
        if res is not None and res.pair is not None:
            pair = f"{opts[res.pair[1]]} over {opts[res.pair[0]]}"
        tops = qa.targets.tops if qa.targets is not None else {}
        row = [
            _source(qa.source),
            name,
            len(opts),
            qa.n_respondents,
            _labels(qa.comparison.average_top, opts),
            _labels(qa.comparison.nbc_top, opts),
            _tops_verdict(qa),
            _p(qa.p_tops_differ),
            _targets_verdict(qa),
            number(qa.kendall_tau, 3),
            number(None if res is None else res.min_tv),
            "-" if sup is None else cell(sup.interval_text(), sup.min_tv_low),
            pair,
            "yes" if res is not None and res.top_flip else "no" if res is not None else "-",
            q.flip_verdict or "-",
            _repair(q),
            "yes" if q.kept else "no",
            *(
                (_labels(tops[n], opts) if tops.get(n) else "none") if tops else "-"
                for n in _OTHER_TARGETS
            ),
        ]
        rows.append(row if multi else row[1:])
    columns = [Column("Source"), Column("Question"), Column("Options", "r"),
               Column("Respondents", "r"), Column("Average-reward top"), Column("NBC top"),
               Column("Tops"), Column("P(differ)", "r"), Column("Targets"),
               Column("Kendall tau", "r"), Column("Minimal TV", "r"),
               Column("Minimal TV 95% interval", "r"), Column("Flip (j over i)"),
               Column("Top flips", "c"), Column("Flip support"), Column("Repair TV", "r"),
               Column("In sweep", "c"),
               *(Column(f"{TARGET_TITLES[n]} top", markdown=False) for n in _OTHER_TARGETS)]  # fmt: skip
    if not multi:
        columns = columns[1:]
    table = Table(
        tuple(columns),
        tuple(tuple(cell(v) for v in row) for row in rows),
        id="questions",
        interactive=True,
        row_anchors=tuple(anchors),
    )
    return [
        Heading(2, "All questions"),
        Paragraph(
            "Top choices are the options ranked first by the user-weighted average reward "
            f"(Eq. 9) and by NBC under {_sampling_label(run)} sampling (Eq. 13); ",
            em("Tops"),
            ": whether they differ, and whether the bootstrap supports it (",
            em("P(differ)"),
            ": share of replicates in which they differ); ",
            em("Targets"),
            ": whether every target of ",
            link(OBJECTIVES, anchor(OBJECTIVES)),
            " chooses the same. ",
            em("Minimal TV"),
            ": the smallest TV change of the sampling distribution that puts option ",
            em("j"),
            " above option ",
            em("i"),
            " (the pair shown), with its bootstrap interval and ",
            em("Flip support"),
            " (see ",
            link("Uncertainty", "uncertainty"),
            "); ",
            em("Top flips"),
            ": that pair involves NBC's top choice; ",
            em("Repair TV"),
            ": the smallest TV change that makes the average-reward winner NBC's winner (0 when "
            "it already is). Questions in the sweep pass its filters. Linked questions have a "
            "section below.",
        ),
        table,
    ]


def skipped(run: SweepRun) -> list[Block]:
    """Columns of the analysed sources that were not analysed, with the reason."""
    rows = [[_source(s.source), s.question, s.reason] for s in run.analysis.skipped]
    if not rows:
        return []
    return [
        Heading(2, "Skipped questions"),
        make_table(["Source", "Question", "Reason"], rows, id="skipped"),
    ]


# --------------------------------------------------------------------------------------------
# one question


def _verdict_text(q: QuestionSensitivity) -> list[Any]:
    qa, res, sup = q.analysis, q.result, q.support
    opts = qa.options
    avg_top = _labels(qa.comparison.average_top, opts)
    nbc_top = _labels(qa.comparison.nbc_top, opts)
    parts: list[Any] = []
    if qa.tops_differ:
        parts += ["The average reward ranks ", strong(avg_top), " first, NBC ranks ",
                  strong(nbc_top), " first"]  # fmt: skip
        if qa.bootstrap is not None:
            p = qa.bootstrap.p_tops_differ
            parts.append(f"; they differ in {p:.0%} of the bootstrap replicates")
            parts += (
                ["."]
                if qa.tops_differ_supported
                else [": ", strong("not supported"), ", not a finding."]
            )
        else:
            parts.append(".")
    else:
        rest = (
            "" if qa.comparison.comparison.same_order else ", but order other options differently"
        )
        parts += ["Both rank ", strong(avg_top), f" first{rest}."]
    if res is not None and res.min_tv is not None and res.pair is not None:
        hi, lo = opts[res.pair[0]], opts[res.pair[1]]
        parts.append(
            f" A sampling distribution at TV {number(res.min_tv)} puts {lo} above {hi}"
            + (" and changes NBC's top choice" if res.top_flip else "")
        )
        if sup is not None:
            parts += [
                f" (bootstrap: {sup.interval_text()}, flippable in {sup.p_flippable:.0%} of the "
                f"replicates, the pair's order held in {_pct(sup.p_pair_order)} of them: ",
                strong(str(q.flip_verdict)),
                ")",
            ]
        parts.append(".")
    elif res is not None:
        parts.append(" No sampling distribution with full support changes NBC's order.")
    return parts


def _targets_text(qa: QuestionAnalysis) -> str:
    t = qa.targets
    if t is None:
        return ""
    opts = qa.options
    lot = t.maximal_lottery
    mix = ", ".join(f"{F.letter(i)} {lot.probabilities[i]:.2f}" for i in lot.support)
    cw = (
        "none (a majority cycle)"
        if t.condorcet_winner is None
        else _labels([t.condorcet_winner], opts)
    )
    tops = qa.target_tops or {}
    verdict = _targets_verdict(qa)
    return (
        f"Targets ({verdict}): maximal lottery {mix}"
        f"{'' if lot.unique else ' (one of several; maximum entropy)'}; Condorcet winner "
        f"{cw}; Copeland {', '.join(tops.get('copeland', ())) or '-'}; Nash policy "
        f"(beta {t.beta:g}) top {', '.join(tops.get('nash', ())) or '-'}."
    )


def _spec(name: str, *args: Any, **kwargs: Any) -> FigureSpec:
    return FigureSpec(f"socialpref.report.figures:{name}", args, kwargs)


def question_section(q: QuestionSensitivity, prefix: str, run: SweepRun) -> list[Block]:
    """A question's section: text, the option table (first), figures with bootstrap marks."""
    qa, res, sup = q.analysis, q.result, q.support
    base_label, sampling = run.base_label, _sampling_label(run)
    options, types = list(qa.options), list(qa.types)
    title = figure_title(qa)
    wording = question_text(qa.question, qa.text)
    out: list[Block] = [Heading(3, heading(q))]
    if wording:
        out.append(Quote(wording))
    types_text = ", ".join(f"{t} {percent(w)}" for t, w in zip(types, qa.type_weights, strict=True))
    unchosen = qa.unchosen_options
    note = f" Not analysed (nobody chose them): {', '.join(unchosen)}." if unchosen else ""
    d = qa.design
    design = (
        ""
        if np.isnan(d.margin_of_error)
        else f" Effective n {d.effective_n:.0f}, design effect {d.design_effect:.2f}, margin of "
        f"error ±{100 * d.margin_of_error:.1f} points."
    )
    out.append(
        Paragraph(f"{qa.n_respondents} respondents; user types: {types_text}.{design}{note}")
    )
    out.append(Paragraph(*_verdict_text(q)))
    targets = _targets_text(qa)
    if targets:
        out.append(Paragraph(targets))

    b, t = qa.bootstrap, qa.targets
    flipped = q.nbc_flipped
    dist = None if res is None else res.distribution
    nbc_name = f"NBC ({sampling})"
    headers = ["Option"]
    headers += [f"Share {u}" for u in types] + [f"Reward {u}" for u in types]
    headers += ["Average reward", nbc_name]
    if b is not None:
        headers += ["Average reward 95% interval", "NBC 95% interval"]
    if dist is not None and flipped is not None:
        headers += ["Flipping distribution", "NBC (flipping)"]
    if t is not None:
        headers += ["Maximal lottery", "Copeland", "Nash policy"]
    rows = []
    for i, opt in enumerate(options):
        row = [f"{F.letter(i)}: {opt}"]
        row += [number(qa.shares[u, i]) for u in range(len(types))]
        row += [number(qa.rewards[u, i]) for u in range(len(types))]
        row += [number(qa.average_reward[i]), number(qa.nbc[i])]
        if b is not None:
            row += [
                f"[{number(b.average_reward_low[i])}, {number(b.average_reward_high[i])}]",
                f"[{number(b.nbc_low[i])}, {number(b.nbc_high[i])}]",
            ]
        if dist is not None and flipped is not None:
            row += [number(dist[i]), number(flipped[i])]
        if t is not None:
            row += [
                number(t.maximal_lottery.probabilities[i]),
                number(t.copeland_scores[i], 0),
                number(t.nash_policy[i]),
            ]
        rows.append(row)
    out.append(make_table(headers, rows, align="l" + "r" * (len(headers) - 1)))

    agg_note = ""
    if b is not None:
        agg_note = f"Error bars: {100 * b.level:g}% bootstrap intervals ({b.n_boot} replicates)."
        if qa.tops_differ:
            agg_note += f" The tops differ in {b.p_tops_differ:.0%} of the replicates: " + (
                "supported." if qa.tops_differ_supported else "NOT SUPPORTED, not a finding."
            )
    rank_note = ""
    if sup is not None and res is not None and res.min_tv is not None:
        rank_note = (
            f"Bootstrap: flippable in {sup.p_flippable:.0%} of {sup.n_boot} replicates, minimal "
            f"TV {sup.interval_text()}, the flipped pair's order held in "
            f"{_pct(sup.p_pair_order)} of them: flip {q.flip_verdict}."
        )
    columns: dict[str, Any] = {
        "Average reward": qa.average_reward,
        f"NBC, {sampling} sampling": qa.nbc,
    }
    if flipped is not None and res is not None and res.min_tv is not None:
        columns[f"NBC, flipping distribution\n(TV {number(res.min_tv, 3)} from {base_label})"] = (
            flipped
        )
    top_note = "The top option of each aggregate in colour."
    out += [
        Image(
            f"{prefix}-question.png",
            "Choice shares and rewards by type; average reward and NBC",
            _spec(
                "plot_question",
                qa.shares,
                qa.rewards,
                qa.average_reward,
                qa.nbc,
                options,
                types,
                type_weights=qa.type_weights,
                nbc_label=f"NBC ({sampling} sampling)",
                average_interval=None
                if b is None
                else (b.average_reward_low, b.average_reward_high),
                nbc_interval=None if b is None else (b.nbc_low, b.nbc_high),
                title=title,
                note=f"{top_note} {agg_note}".strip(),
            ),
        ),
        Image(
            f"{prefix}-ranks.png",
            "Rankings: average reward, NBC, NBC under the flipping distribution",
            _spec("plot_rank_chart", columns, options, title=title, note=rank_note),
        ),
    ]
    return out


__all__ = [
    "DETAIL",
    "FIGURES",
    "OBJECTIVES",
    "POOLED",
    "all_questions",
    "cdf",
    "figure_title",
    "heading",
    "objectives",
    "question_section",
    "question_text",
    "skipped",
    "summary",
    "uncertainty",
]
