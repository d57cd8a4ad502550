"""The Section 7.1 sweep over an analysed run: one policy for ``sensitivity`` and the report.

:func:`sweep_sources` reads the base distribution (``--base``, else the ``--sampling`` file of
the analysis, else uniform), runs :func:`socialpref.surveys.survey_sensitivity` on every
analysed question (filters, min-TV, repair, the flip over every bootstrap replicate, NBC under
the flipping distribution) and notes the requested questions that the filters drop. The
summary comes pooled and per source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialpref.app.options import SweepOptions
from socialpref.app.sources import SourcesAnalysis
from socialpref.surveys import (
    SurveyAnalysis,
    SurveySensitivity,
    passes_filters,
    read_sampling,
    survey_sensitivity,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class SweepRun:
    """Result of :func:`sweep_sources`: the analysed run and its sweep.

    Attributes
    ----------
    analysis : SourcesAnalysis
    sensitivity : SurveySensitivity
        Every analysed question (kept by the filters or not), the pooled summary
        (:attr:`~socialpref.surveys.SurveySensitivity.summary`) and one per source
        (:attr:`~socialpref.surveys.SurveySensitivity.by_source`).
    options : SweepOptions
    base_label : str
        ``"uniform"`` or the name of the base file.
    notes : tuple of str
        The analysis's notes, then the requested questions that the filters drop.
    """

    analysis: SourcesAnalysis
    sensitivity: SurveySensitivity
    options: SweepOptions
    base_label: str = "uniform"
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per analysed question, indexed by ``(source, question)``: what the report's
        question table shows, as numbers and labels.

        The question's tops, verdicts and targets (:meth:`QuestionAnalysis.summary_row
        <socialpref.surveys.QuestionAnalysis.summary_row>`), then its sweep
        (:meth:`SurveySensitivity.to_frame <socialpref.surveys.SurveySensitivity.to_frame>`),
        side by side.

        >>> run = sweep_sources(analyze_sources(["data/demo/ATP W900.sav"]))  # doctest: +SKIP
        >>> run.to_frame().sort_values("min_tv").head()  # doctest: +SKIP
        """
        import pandas as pd

        left = SurveyAnalysis(
            [q.analysis for q in self.sensitivity.questions], []
        ).questions_frame()
        if left.empty:
            return left
        right = self.sensitivity.to_frame().drop(columns=["n_options", "n_respondents"])
        return pd.concat([left, right], axis=1)

    def to_dict(self) -> dict[str, Any]:
        """``socialpref sensitivity --json``: the sweep's questions and summaries, the skipped
        sources and the options."""
        return {
            **self.sensitivity.to_dict(),
            "skipped_sources": [s.to_dict() for s in self.analysis.skipped_sources],
            "options": {**self.analysis.options.to_dict(), **self.options.to_dict()},
        }


def sweep_sources(
    analysis: SourcesAnalysis,
    options: SweepOptions | None = None,
    *,
    solve_all: bool = False,
    progress: Callable[[int], object] | None = None,
) -> SweepRun:
    """The sweep of Section 7.1 over every analysed question of ``analysis``.

    Parameters
    ----------
    analysis : SourcesAnalysis
        From :func:`~socialpref.app.analyze_sources`.
    options : SweepOptions, optional
        Filters, base, solver, ``eps``, ``delta`` (default: the paper's).
    solve_all : bool
        Also solve the questions that the filters drop (the report shows them).
    progress : callable, optional
        Called with the number of questions just solved.

    Raises
    ------
    ParameterError
        A base distribution that does not fit a question to solve.
    SolverError
        An LP back-end failed.
    """
    opts = SweepOptions() if options is None else options
    base_path = opts.base if opts.base is not None else analysis.options.sampling
    base = None if base_path is None else read_sampling(base_path)
    sensitivity = survey_sensitivity(
        analysis.questions,
        skipped=analysis.unanalysable_by_source,
        min_options=opts.min_options,
        min_per_option=opts.min_per_option,
        base=base,
        solver=opts.solver,
        model=analysis.options.model,
        eps=opts.eps,
        delta=opts.delta,
        solve_all=solve_all,
        progress=progress,
    )
    notes = list(analysis.notes)
    for qa in analysis.questions:
        if qa.question in analysis.options.questions and not passes_filters(
            qa, opts.min_options, opts.min_per_option
        ):
            notes.append(
                f"{qa.question} has {len(qa.options)} options and {qa.n_respondents} "
                f"respondents: removed by --min-options {opts.min_options} / --min-per-option "
                f"{opts.min_per_option:g}."
            )
    label = "uniform" if base_path is None else Path(base_path).stem
    return SweepRun(analysis, sensitivity, opts, label, tuple(notes))


__all__ = ["SweepRun", "sweep_sources"]
