"""The survey report: markdown with tables and figures for one or more waves or crosstabs.

The numbers come from the libraries, never from this module: the application layer
(:func:`socialpref.app.analyze_sources` and :func:`socialpref.app.sweep_sources`: shares,
Luce-Shepard rewards, average reward, NBC, every other target, the bootstrap, the Section 7.1
sweep with the flip over the replicates, NBC under the flipping distribution) and
:func:`socialpref.surveys.objective_shifts` (which disagreements between targets appear or
disappear when the sampling distribution moves). A :class:`SurveyReport` holds those typed
results; :func:`build_document` lays them out as blocks (:mod:`socialpref.report.sections`),
which :func:`socialpref.report.markdown.render_blocks` and
:func:`socialpref.report.html.render_html` render, and :func:`write_report` writes the folder
atomically, serialising with the one JSON helper
(:func:`socialpref.serialize.dumps`).

A report folder holds ``report.md``, ``report.html`` (the same document as one self-contained
page: figures embedded, the question table sortable and filterable), ``report.json`` (every number of the tables, in the shapes
of ``socialpref surveys analyze --json`` and ``socialpref sensitivity --json``), ``figures/``
with the PNGs and socialpref's marker file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialpref.app import SourceInfo, SweepRun
from socialpref.report import sections as S
from socialpref.report.document import Block, Bullets, Heading, Paragraph, code, images, link
from socialpref.report.folder import write_folder_atomically
from socialpref.report.html import render_html
from socialpref.report.includes import IncludedResult, include_blocks
from socialpref.report.markdown import anchor, render_blocks, slug
from socialpref.report.provenance import Provenance
from socialpref.report.render import render_figures
from socialpref.serialize import dumps
from socialpref.surveys import QuestionSensitivity
from socialpref.surveys.objectives import (
    ObjectiveCounts,
    ObjectiveShift,
    objective_counts,
    objective_shifts,
)

#: File names inside a report folder.
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
FIGURES = S.FIGURES


@dataclass(frozen=True, eq=False)
class SurveyReport:
    """Everything a survey report shows, as typed results; :func:`render_markdown` lays it out.

    Attributes
    ----------
    run : SweepRun
        The analysed sources (:class:`~socialpref.app.SourcesAnalysis`, options included) and
        the sweep over every analysed question (solved even where the filters drop it).
    provenance : Provenance
    includes : tuple of IncludedResult
        Result files of other commands to show.
    """

    run: SweepRun
    provenance: Provenance
    includes: tuple[IncludedResult, ...] = field(default=())

    @property
    def sources(self) -> tuple[SourceInfo, ...]:
        return self.run.analysis.sources

    @property
    def questions(self) -> tuple[QuestionSensitivity, ...]:
        """Every analysed question with its sweep, in source then file order."""
        return self.run.sensitivity.questions

    @property
    def focus(self) -> tuple[str, ...]:
        """Questions asked for with ``--question`` (they always get a section)."""
        return self.run.analysis.options.questions

    @functools.cached_property
    def shifts(self) -> tuple[ObjectiveShift, ...]:
        """What the targets choose on every question, under ``D`` and the flipping one."""
        return tuple(objective_shifts(self.questions))

    def objective_counts(self, source: str | None = None) -> ObjectiveCounts:
        """:class:`ObjectiveCounts` of one source, or of all (``None``)."""
        pairs = [
            (q, s)
            for q, s in zip(self.questions, self.shifts, strict=True)
            if source is None or q.analysis.source == source
        ]
        return objective_counts([q for q, _ in pairs], [s for _, s in pairs])

    def detailed(self) -> list[QuestionSensitivity]:
        """Questions that get a section: rankings or targets differ, the top flips, asked for."""
        return [
            q
            for q in self.questions
            if not q.analysis.comparison.comparison.same_order
            or q.analysis.targets_agree is False
            or (q.result is not None and q.result.top_flip)
            or q.analysis.question in self.focus
        ]

    def to_dict(self) -> dict[str, Any]:
        """``report.json``: provenance, sources, questions (as ``surveys analyze --json``),
        skipped columns and sources, the sweep (as ``sensitivity --json``, with
        ``repair_feasible`` and ``filters``), what the targets choose, notes, includes."""
        analysis, sens = self.run.analysis, self.run.sensitivity
        rows = [
            {
                **q.to_dict(),
                "repair_feasible": None if q.result is None else q.result.repair_feasible,
            }
            for q in sens.kept
        ]
        return {
            "provenance": self.provenance.to_dict(),
            "sources": [
                {k: v for k, v in s.to_dict().items() if k != "path"} for s in self.sources
            ],
            "skipped_sources": [s.to_dict() for s in analysis.skipped_sources],
            "questions": [q.analysis.to_dict() for q in self.questions],
            "skipped": [s.to_dict() for s in analysis.skipped],
            "sensitivity": {
                "filters": {"min_options": sens.min_options, "min_per_option": sens.min_per_option},
                "questions": rows,
                "summary": sens.summary,
                "by_source": [{"source": k, **v} for k, v in sens.by_source.items()],
            },
            "objectives": {
                "beta": analysis.options.beta,
                "summary": self.objective_counts(),
                "by_source": [
                    {"source": s.name, **self.objective_counts(s.name).to_dict()}
                    for s in self.sources
                ],
                "questions": list(self.shifts),
            },
            "notes": list(self.run.notes),
            "includes": [{"kind": r.kind, "file": r.name} for r in self.includes],
        }


def build_document(report: SurveyReport) -> list[Block]:
    """The report's blocks, from its typed results (what both ``report.md`` and
    ``report.html`` show); the figures are described, not drawn."""
    detailed = report.detailed()
    keys = {(q.analysis.source, q.analysis.question) for q in detailed}
    prov = report.provenance
    intro: list[Any] = [
        "NBC (what DPO and RLHF optimise) against the user-weighted average reward and the "
        "targets of other alignment objectives, for "
    ]
    for k, s in enumerate(report.sources):
        intro += [", " if k else "", code(s.name)]
    intro += [
        f". Written by socialpref {prov.version}; see ",
        link("Provenance", "provenance"),
        " for the command, inputs and options.",
    ]
    blocks: list[Block] = [Heading(1, "socialpref report"), Paragraph(*intro)]
    blocks += [Paragraph(code(s.name), f": {s.file_label}") for s in report.sources if s.file_label]
    contents: list[Any] = [
        link("Summary", "summary"),
        link("Uncertainty", "uncertainty"),
        link(S.OBJECTIVES, anchor(S.OBJECTIVES)),
        link("All questions", "all-questions"),
    ]
    if report.run.analysis.skipped:
        contents.append(link("Skipped questions", "skipped-questions"))
    contents.append((link(S.DETAIL, anchor(S.DETAIL)), f" ({len(detailed)})"))
    if report.includes:
        contents.append(link("Included results", "included-results"))
    contents.append(link("Provenance", "provenance"))
    blocks.append(Bullets(contents))
    blocks += S.summary(report.run)
    blocks += S.cdf(report.run)
    blocks += S.uncertainty(report.run)
    blocks += S.objectives(report)
    blocks += S.all_questions(report.run, keys)
    blocks += S.skipped(report.run)
    blocks.append(Heading(2, S.DETAIL))
    if not detailed:
        blocks.append(
            Paragraph("None: every target ranks every question alike, and no top choice flips.")
        )
    used: set[str] = set()
    for q in detailed:
        prefix = slug(q.analysis.question, 40)
        if len(report.sources) > 1:
            prefix = slug(f"{q.analysis.source}-{q.analysis.question}", 60)
        base, k = prefix, 2
        while prefix in used:
            prefix, k = f"{base}-{k}", k + 1
        used.add(prefix)
        blocks += S.question_section(q, prefix, report.run)
    if report.includes:
        blocks.append(Heading(2, "Included results"))
        blocks += include_blocks(report.includes)
    blocks += [Heading(2, "Provenance"), *prov.to_blocks()]
    return blocks


def render_markdown(report: SurveyReport, folder: Path, *, workers: int | None = None) -> str:
    """Draw the figures into ``folder/figures`` and return the markdown of ``report.md``.

    Image links are relative (``figures/NAME.png``), so the folder can be moved.
    """
    blocks = build_document(report)
    render_figures(list(images(blocks)), Path(folder) / FIGURES, workers=workers)
    return render_blocks(blocks, FIGURES)


def write_report(
    report: SurveyReport, out: str | Path, *, force: bool = False, workers: int | None = None
) -> Path:
    """Write ``report`` into the folder ``out`` atomically; return the path of ``report.md``.

    The folder holds ``report.md``, ``report.html`` (the same document, with the figures
    embedded), ``report.json`` and ``figures/``. ``workers``: processes that draw the figures
    (default: as many as pay off, see :func:`~socialpref.report.render.render_figures`).

    Raises
    ------
    FileExistsError
        ``out`` exists and socialpref did not write it (without ``force``).
    """

    def fill(tmp: Path) -> None:
        blocks = build_document(report)

        def text_files() -> None:  # while the figures are drawn: they need none of them
            (tmp / REPORT_MD).write_text(render_blocks(blocks, FIGURES), encoding="utf-8")
            (tmp / REPORT_JSON).write_text(dumps(report) + "\n", encoding="utf-8")

        pngs = render_figures(
            list(images(blocks)), tmp / FIGURES, workers=workers, meanwhile=text_files
        )
        title = "socialpref report: " + ", ".join(s.name for s in report.sources)
        (tmp / REPORT_HTML).write_text(render_html(blocks, pngs, title=title), encoding="utf-8")

    write_folder_atomically(
        out, fill, force=force, marker_info={"version": report.provenance.version}
    )
    return Path(out) / REPORT_MD


__all__ = [
    "FIGURES",
    "REPORT_HTML",
    "REPORT_JSON",
    "REPORT_MD",
    "SurveyReport",
    "build_document",
    "render_markdown",
    "write_report",
]
