"""The sections of the survey report, each rendered from typed results (no number computed here).

Every function takes the results of the application layer (:class:`socialpref.app.SweepRun`,
:class:`socialpref.surveys.QuestionSensitivity`) and returns markdown lines; the question
sections and the CDF also write their figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref.app import SweepRun
from socialpref.report import figures as F
from socialpref.report.markdown import anchor, escape, image, number, percent, table
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


# --------------------------------------------------------------------------------------------
# summary


def summary(run: SweepRun) -> list[str]:
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

    rows = []
    for s, r in zip(analysis.sources, analysis.results, strict=True):
        n = s.n_respondents if s.kind == "wave" else "-"
        rows.append([f"`{s.name}`", s.kind, n, *counts(r.questions, len(r.skipped))])
    if multi:
        rows.append(["all (pooled)", "", "", *counts(analysis.questions, len(analysis.skipped))])
    headers = ["Source", "Kind", "Respondents", "Questions analysed", "Skipped",
               "NBC top != average top", "Supported by the bootstrap", "Rankings differ",
               "Targets disagree"]  # fmt: skip
    lines = ["## Summary\n", table(headers, rows, align="llrrrrrrr") + "\n"]
    for s in analysis.sources:
        if s.n_bad_weights:
            lines.append(
                f"`{s.name}`: {s.n_bad_weights} respondents have a missing or zero weight in "
                f"`{s.weight_column}` and are excluded from every analysis.\n"
            )
    for note in run.notes:
        lines.append(f"Note: {escape(note)}\n")
    f = sens
    lines.append(
        "**Sensitivity of NBC to the sampling distribution** (paper Section 7.1): the smallest "
        "total-variation (TV) change of the distribution of compared options, away from "
        f"{run.base_label}, that changes NBC's ranking. Filters of the sweep: min options "
        f"{f.min_options}, min per option {f.min_per_option:g}. *Flips supported*: flippable "
        "questions whose flip the bootstrap supports (see [Uncertainty](#uncertainty)).\n"
    )
    srows = []
    by_source = sens.by_source
    entries = [(f"`{k}`", v) for k, v in by_source.items()] if multi else []
    entries.append(("all (pooled)" if multi else f"`{analysis.sources[0].name}`", sens.summary))
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
    lines.append(table(sheaders, srows, align="lrrrrrrrr") + "\n")
    if analysis.skipped_sources:
        lines.append("### Sources not analysed\n")
        lines.append(
            "These sources cannot be analysed with the options of this report; the others "
            "are (a run with `--strict` stops instead).\n"
        )
        lines.append(
            table(
                ["Source", "Reason"],
                [[f"`{s.source.name}`", s.reason] for s in analysis.skipped_sources],
            )
            + "\n"
        )
    return lines


def cdf(run: SweepRun, fig_dir: Path) -> list[str]:
    """The CDF of the minimal TVs (paper Fig. 2)."""
    from socialpref.report.figures_sensitivity import plot_min_tv_cdf

    min_tvs = list(run.sensitivity.min_tvs)
    if not any(t is not None for t in min_tvs):
        return ["No question kept by the filters can be flipped, so there is no CDF to draw.\n"]
    F.save_png(plot_min_tv_cdf(min_tvs, base_label=run.base_label), fig_dir / "min-tv-cdf.png")
    return [
        image("CDF of the minimal TV that changes NBC's ranking", f"{FIGURES}/min-tv-cdf.png")
        + "\n",
        f"*CDF of the minimal TV distances (from {run.base_label}) that change the NBC order, "
        "over the flippable questions kept by the filters (paper Fig. 2).*\n",
    ]


# --------------------------------------------------------------------------------------------
# uncertainty


def uncertainty(run: SweepRun) -> list[str]:
    """The rules of the bootstrap verdicts and Kish's design effects per question and type."""
    opts = run.analysis.options
    questions = run.analysis.questions
    boot = next((q.bootstrap for q in questions if q.bootstrap is not None), None)
    lines = ["## Uncertainty\n"]
    if boot is None:
        lines.append(
            "No bootstrap (turned off with `--bootstrap 0`, or the sources are crosstabs, which "
            "have no respondents): the disagreements and flips below carry no support verdict.\n"
        )
    else:
        lines.append(
            f"Respondent-level bootstrap: {boot.n_boot} replicates (seed {opts.seed}); in each, "
            "the respondents of a wave are drawn with replacement (keeping their weights) and "
            "every number is recomputed: shares, type weights, rewards, every target and the "
            f"sweep. Intervals are central {100 * boot.level:g}% percentile intervals.\n"
        )
        lines.append(
            "- A disagreement of two top choices (NBC against the average reward, or among "
            f"the targets) is *supported* when at least {SUPPORT_THRESHOLD:.0%} of the "
            "replicates show a disagreement too; otherwise it is marked *not supported* and is "
            "not a finding (e.g. NBC scores that differ in the fifth decimal).\n"
            f"- A flip is *supported* when at least {SUPPORT_THRESHOLD:.0%} of the replicates "
            "can be flipped and the flipped pair's NBC order holds in at least "
            f"{ORDER_LEVEL:.1%} of them; *within noise* when the replicates do not tell the two "
            "options apart (the flip moves NBC by less than its sampling error); *not "
            "supported* when most replicates cannot be flipped. The top-flip claim is "
            f"supported when at least {SUPPORT_THRESHOLD:.0%} of the replicates' cheapest flips "
            "dethrone NBC's top too.\n"
            "- The minimal-TV interval counts a replicate that cannot be flipped as an infinite "
            "TV: an upper bound `inf` means that more than the interval's tail of the "
            "replicates cannot be flipped.\n"
        )
    lines.append(
        "Design effect and margin of sampling error from the weights (Kish), as Pew reports "
        "them: effective sample size `n_eff = (sum w)^2 / sum w^2`, design effect `n / n_eff`, "
        "95% margin of error of a share at `p = 1/2`, `1.96 / (2 sqrt(n_eff))`, in percentage "
        "points, for each question's kept respondents and within each type.\n"
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
            f"`{q.source}`" if multi else None,
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
    lines.append(table(headers, rows, align=align) + "\n")
    return lines


# --------------------------------------------------------------------------------------------
# which objective chooses what


def _counts_row(name: str, c: ObjectiveCounts) -> list[Any]:
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


def objectives(report: SurveyReport) -> list[str]:
    """What each target chooses: counts per wave, the questions where they disagree."""
    run = report.run
    beta = run.analysis.options.beta
    lines = [
        f"## {OBJECTIVES}\n",
        "Each alignment objective converges, with infinite data, to a social-choice rule on "
        "the same population: RLHF's ideal to the **average reward** (Eq. 9), DPO and "
        "reward-model fitting to **NBC** under the sampling distribution D (Eq. 13), Nash "
        "learning from human feedback without regularisation and self-play preference "
        "optimisation to the **maximal lottery** (von Neumann winner), pairwise-majority "
        "reasoning to the **Condorcet winner** (when there is one) and **Copeland**; NLHF "
        f"with regularisation to the **Nash policy** (uniform reference, beta = {beta:g}, "
        "`--beta`). Every one comes from the pairwise matrix P (Eq. 8); see `docs/targets.md`.\n",
        "Only NBC depends on D. Under the flipping distribution of a question (the smallest "
        "TV change of D that changes NBC's order), NBC's top may move while the maximal "
        "lottery, the Condorcet winner, Copeland, the Nash policy and the average reward stay: "
        "a disagreement with NBC can *disappear* (NBC moves to the others' choice) or "
        "*appear* (NBC moves away from it).\n",
    ]
    rows = []
    if len(report.sources) > 1:
        rows += [
            _counts_row(f"`{s.name}`", report.objective_counts(s.name)) for s in report.sources
        ]
        rows.append(_counts_row("all (pooled)", report.objective_counts()))
    else:
        rows.append(_counts_row(f"`{report.sources[0].name}`", report.objective_counts()))
    headers = ["Source", "Questions", "Targets disagree", "Supported by the bootstrap",
               "NBC != average", "NBC != maximal lottery", "Average != maximal lottery",
               "No Condorcet winner", "Maximal lottery mixes", "Flippable",
               "A disagreement disappears under the flip", "A disagreement appears under the flip"]  # fmt: skip
    lines.append(table(headers, rows, align="l" + "r" * 11) + "\n")
    shown = [
        (q, s)
        for q, s in zip(report.questions, report.shifts, strict=True)
        if s.disagreements or s.appear or s.disappear
    ]
    if not shown:
        lines.append("Every target chooses the same option(s) on every question.\n")
        return lines
    multi = len(report.sources) > 1
    qrows = []
    for q, s in shown:
        qa, opts = q.analysis, q.analysis.options
        row = [
            f"`{qa.source}`" if multi else None,
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
    lines.append(
        "Questions where the targets disagree, or where a disagreement appears or disappears "
        "under the flipping distribution (*P(disagree)*: share of bootstrap replicates in "
        "which the targets disagree):\n"
    )
    lines.append(table(qheaders, qrows, align=align) + "\n")
    return lines


# --------------------------------------------------------------------------------------------
# all questions, skipped


def _heading(q: QuestionSensitivity) -> str:
    return f"{q.analysis.question} ({q.analysis.source})"


def _repair(q: QuestionSensitivity) -> str:
    res = q.result
    if res is None:
        return "-"
    if res.repair_tv is not None:
        return number(res.repair_tv)
    return "impossible" if res.repair_feasible is False else "-"


def all_questions(run: SweepRun, detailed: set[tuple[str, str]]) -> list[str]:
    """One row per analysed question: tops, tau, the sweep, the bootstrap verdicts."""
    multi = len(run.analysis.sources) > 1
    rows = []
    for q in run.sensitivity.questions:
        qa, res, sup = q.analysis, q.result, q.support
        opts = qa.options
        key = (qa.source, qa.question)
        name = f"[{qa.question}](#{anchor(_heading(q))})" if key in detailed else qa.question
        pair = "-"
        if res is not None and res.pair is not None:
            pair = f"{opts[res.pair[1]]} over {opts[res.pair[0]]}"
        row = [
            f"`{qa.source}`" if multi else None,
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
            "-" if sup is None else sup.interval_text(),
            pair,
            "yes" if res is not None and res.top_flip else "no" if res is not None else "-",
            q.flip_verdict or "-",
            _repair(q),
            "yes" if q.kept else "no",
        ]
        rows.append(row if multi else row[1:])
    headers = ["Source", "Question", "Options", "Respondents", "Average-reward top", "NBC top",
               "Tops", "P(differ)", "Targets", "Kendall tau", "Minimal TV",
               "Minimal TV 95% interval", "Flip (j over i)", "Top flips", "Flip support",
               "Repair TV", "In sweep"]  # fmt: skip
    align = "llrrlllrlrrrlclrc"
    if not multi:
        headers, align = headers[1:], align[1:]
    return [
        "## All questions\n",
        "Top choices are the options ranked first by the user-weighted average reward (Eq. 9) "
        f"and by NBC under {_sampling_label(run)} sampling (Eq. 13); *Tops*: whether they "
        "differ, and whether the bootstrap supports it (*P(differ)*: share of replicates in "
        "which they differ); *Targets*: whether every target of "
        f"[{OBJECTIVES}](#{anchor(OBJECTIVES)}) chooses the same. *Minimal TV*: the smallest "
        "TV change of the sampling distribution that puts option *j* above option *i* (the "
        "pair shown), with its bootstrap interval and *Flip support* (see "
        "[Uncertainty](#uncertainty)); *Top flips*: that pair involves NBC's top choice; "
        "*Repair TV*: the smallest TV change that makes the average-reward winner NBC's winner "
        "(0 when it already is). Questions in the sweep pass its filters. Linked questions "
        "have a section below.\n",
        table(headers, rows, align=align) + "\n",
    ]


def skipped(run: SweepRun) -> list[str]:
    """Columns of the analysed sources that were not analysed, with the reason."""
    rows = [[f"`{s.source}`", s.question, s.reason] for s in run.analysis.skipped]
    if not rows:
        return []
    return ["## Skipped questions\n", table(["Source", "Question", "Reason"], rows) + "\n"]


# --------------------------------------------------------------------------------------------
# one question


def _verdict_text(q: QuestionSensitivity) -> str:
    qa, res, sup = q.analysis, q.result, q.support
    opts = qa.options
    avg_top = _labels(qa.comparison.average_top, opts)
    nbc_top = _labels(qa.comparison.nbc_top, opts)
    parts = []
    if qa.tops_differ:
        text = f"The average reward ranks **{escape(avg_top)}** first, NBC ranks **{escape(nbc_top)}** first"
        if qa.bootstrap is not None:
            p = qa.bootstrap.p_tops_differ
            text += f"; they differ in {p:.0%} of the bootstrap replicates" + (
                "." if qa.tops_differ_supported else ": **not supported**, not a finding."
            )
        else:
            text += "."
        parts.append(text)
    else:
        rest = (
            "" if qa.comparison.comparison.same_order else ", but order other options differently"
        )
        parts.append(f"Both rank **{escape(avg_top)}** first{rest}.")
    if res is not None and res.min_tv is not None and res.pair is not None:
        hi, lo = opts[res.pair[0]], opts[res.pair[1]]
        text = (
            f"A sampling distribution at TV {number(res.min_tv)} puts {escape(lo)} above "
            f"{escape(hi)}" + (" and changes NBC's top choice" if res.top_flip else "")
        )
        if sup is not None:
            text += (
                f" (bootstrap: {sup.interval_text()}, flippable in "
                f"{sup.p_flippable:.0%} of the replicates, the pair's order held in "
                f"{_pct(sup.p_pair_order)} of them: **{q.flip_verdict}**)"
            )
        parts.append(text + ".")
    elif res is not None:
        parts.append("No sampling distribution with full support changes NBC's order.")
    return " ".join(parts)


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
        f"Targets ({verdict}): maximal lottery {escape(mix)}"
        f"{'' if lot.unique else ' (one of several; maximum entropy)'}; Condorcet winner "
        f"{escape(cw)}; Copeland {escape(', '.join(tops.get('copeland', ())) or '-')}; Nash policy "
        f"(beta {t.beta:g}) top {escape(', '.join(tops.get('nash', ())) or '-')}."
    )


def question_section(
    q: QuestionSensitivity, fig_dir: Path, prefix: str, run: SweepRun
) -> list[str]:
    """A question's section: text, the option table (first), figures with bootstrap marks."""
    qa, res, sup = q.analysis, q.result, q.support
    base_label, sampling = run.base_label, _sampling_label(run)
    options, types = list(qa.options), list(qa.types)
    title = F.wrap(f"{qa.question}: {qa.text}", 95)
    lines = [f"### {escape(_heading(q))}\n", f"> {escape(qa.text)}\n"]
    types_text = ", ".join(f"{t} {percent(w)}" for t, w in zip(types, qa.type_weights, strict=True))
    unchosen = qa.unchosen_options
    note = f" Not analysed (nobody chose them): {escape(', '.join(unchosen))}." if unchosen else ""
    d = qa.design
    design = (
        ""
        if np.isnan(d.margin_of_error)
        else f" Effective n {d.effective_n:.0f}, design effect {d.design_effect:.2f}, margin of "
        f"error ±{100 * d.margin_of_error:.1f} points."
    )
    lines.append(
        f"{qa.n_respondents} respondents; user types: {escape(types_text)}.{design}{note}\n"
    )
    lines.append(_verdict_text(q) + "\n")
    targets = _targets_text(qa)
    if targets:
        lines.append(targets + "\n")

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
    lines.append(table(headers, rows, align="l" + "r" * (len(headers) - 1)) + "\n")

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
    files: list[tuple[str, str, Any]] = [
        (
            f"{prefix}-shares.png",
            "Choice shares and rewards by type",
            F.plot_shares_rewards(
                qa.shares, qa.rewards, options, types, type_weights=qa.type_weights, title=title
            ),
        ),
        (
            f"{prefix}-aggregates.png",
            "Average reward vs NBC",
            F.plot_aggregates(
                qa.average_reward,
                qa.nbc,
                options,
                title=title,
                average_interval=None
                if b is None
                else (b.average_reward_low, b.average_reward_high),
                nbc_interval=None if b is None else (b.nbc_low, b.nbc_high),
                note=agg_note,
            ),
        ),
    ]
    columns: dict[str, Any] = {
        "Average reward": qa.average_reward,
        f"NBC, {sampling} sampling": qa.nbc,
    }
    if flipped is not None and res is not None and res.min_tv is not None:
        columns[f"NBC, flipping distribution\n(TV {number(res.min_tv, 3)} from {base_label})"] = (
            flipped
        )
    files.append(
        (
            f"{prefix}-ranks.png",
            "Rankings: average reward, NBC, NBC under the flipping distribution",
            F.plot_rank_chart(columns, options, title=title, note=rank_note),
        )
    )
    for name, alt, fig in files:
        F.save_png(fig, fig_dir / name)
        lines.append(image(alt, f"{FIGURES}/{name}") + "\n")
    return lines


__all__ = [
    "DETAIL",
    "FIGURES",
    "OBJECTIVES",
    "all_questions",
    "cdf",
    "objectives",
    "question_section",
    "skipped",
    "summary",
    "uncertainty",
]
