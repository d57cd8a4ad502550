"""Read every source, analyse it, merge: the one policy of the survey commands and the report.

:func:`analyze_sources` is what ``socialpref surveys analyze``, ``socialpref sensitivity`` and
``socialpref report`` run before anything else:

1. the same source given twice (same file, or two files of the same name: results are labelled
   by file name) is refused, before anything is read;
2. every source is read (:func:`socialpref.surveys.read_source`, with the weight options) and a
   requested question that no source has is refused, with the closest names;
3. every source is analysed (:func:`socialpref.surveys.analyze_survey`: every target, and the
   respondent-level bootstrap of waves); a source that cannot be analysed with the chosen
   options (a :class:`~socialpref.errors.DataError`: no type column, as ATP waves 3, 4 and 59
   lack ``F_PARTYSUM_FINAL``; ``preprocessing="paper"`` on a crosstab) is skipped with its
   reason and the others go on, unless ``strict``;
4. a requested question that a source lacks is listed as absent from it; a run that analyses
   no question at all is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialpref.app.options import AnalysisOptions
from socialpref.errors import DataError, ParameterError
from socialpref.surveys import (
    QuestionAnalysis,
    Skipped,
    Survey,
    SurveyAnalysis,
    analyze_survey,
    read_sampling,
    read_source,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SourceInfo:
    """One source as it was read.

    Attributes
    ----------
    name : str
        The file name (results are labelled by it).
    path : str
        The path as given.
    kind : {"wave", "crosstab"}
    n_respondents : int
        Rows of a wave (0 for a crosstab).
    file_label : str
        The file label of a ``.sav`` (the demo wave's says "SYNTHETIC").
    n_bad_weights : int
        Respondents excluded for a missing or zero weight (waves only).
    weight_column : str or None
        The weight column used (None: unweighted, or a crosstab).
    """

    name: str
    path: str
    kind: str
    n_respondents: int
    file_label: str = ""
    n_bad_weights: int = 0
    weight_column: str | None = None

    @classmethod
    def of(cls, survey: Survey, path: str | Path) -> SourceInfo:
        return cls(
            name=survey.source,
            path=str(path),
            kind=survey.kind,
            n_respondents=survey.n_respondents,
            file_label=survey.file_label,
            n_bad_weights=survey.n_bad_weights,
            weight_column=survey.weight_column,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "kind": self.kind,
            "n_respondents": self.n_respondents,
            "file_label": self.file_label,
            "n_bad_weights": self.n_bad_weights,
            "weight_column": self.weight_column,
        }


@dataclass(frozen=True)
class SkippedSource:
    """A source that could not be analysed with the chosen options, and why.

    Attributes
    ----------
    source : SourceInfo
    reason : str
        The error's message (e.g. it names ``--types`` and the nearest columns present).
    error : str
        The error's class name (e.g. ``"MissingTypeColumnError"``).
    """

    source: SourceInfo
    reason: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.name, "reason": self.reason, "error": self.error}


@dataclass(frozen=True, eq=False)
class SourcesAnalysis:
    """Result of :func:`analyze_sources`.

    Attributes
    ----------
    options : AnalysisOptions
    sources : tuple of SourceInfo
        The sources analysed, in the order given.
    results : tuple of SurveyAnalysis
        One per analysed source.
    skipped_sources : tuple of SkippedSource
        Sources that could not be analysed with the options.
    notes : tuple of str
        What a reader should know besides (e.g. that a crosstab has no bootstrap); excluded
        respondents are in each :class:`SourceInfo`.
    """

    options: AnalysisOptions
    sources: tuple[SourceInfo, ...]
    results: tuple[SurveyAnalysis, ...]
    skipped_sources: tuple[SkippedSource, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def questions(self) -> list[QuestionAnalysis]:
        """Every analysed question, in source then file order."""
        return [q for r in self.results for q in r.questions]

    @property
    def skipped(self) -> list[Skipped]:
        """Every column not analysed, of every analysed source."""
        return [s for r in self.results for s in r.skipped]

    @property
    def merged(self) -> SurveyAnalysis:
        """The analysed sources as one :class:`SurveyAnalysis`."""
        return SurveyAnalysis(self.questions, self.skipped)

    @property
    def unanalysable_by_source(self) -> dict[str, int]:
        """Per analysed source, the questions that were analysed and could not be."""
        return {
            info.name: len(r.unanalysable)
            for info, r in zip(self.sources, self.results, strict=True)
        }

    @property
    def complete(self) -> bool:
        """Whether every source given was analysed (none skipped)."""
        return not self.skipped_sources

    def to_frame(self) -> pd.DataFrame:
        """One row per question x option of every analysed source, indexed by
        ``(source, question, option)`` (:meth:`SurveyAnalysis.to_frame
        <socialpref.surveys.SurveyAnalysis.to_frame>`).

        >>> analyze_sources(["data/demo/ATP W900.sav"]).to_frame()  # doctest: +SKIP
        """
        return self.merged.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """``{"questions", "skipped", "sources", "skipped_sources", "options"}`` (JSON-ready)."""
        return {
            **self.merged.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "skipped_sources": [s.to_dict() for s in self.skipped_sources],
            "options": self.options.to_dict(),
        }


def _refuse_duplicates(paths: Sequence[Path]) -> None:
    seen: dict[Path, Path] = {}
    names: dict[str, Path] = {}
    for p in paths:
        key = p.resolve()
        if key in seen:
            raise ParameterError(
                f"The source {str(p)!r} is given twice (as {str(seen[key])!r} too): each source "
                "counts once."
            )
        if p.name in names:
            raise ParameterError(
                f"Two sources are named {p.name!r} ({str(names[p.name])!r} and {str(p)!r}); "
                "results are labelled by file name, so rename one."
            )
        seen[key], names[p.name] = p, p


def _check_questions(surveys: Sequence[Survey], wanted: Sequence[str]) -> None:
    absent = [q for q in wanted if not any(q in s.variables for s in surveys)]
    if absent:
        more = (
            f" ({len(absent) - 1} more requested names are absent too)" if len(absent) > 1 else ""
        )
        raise ParameterError(surveys[0].unknown_question(absent[0]) + more)


def analyze_sources(
    sources: Sequence[str | Path],
    options: AnalysisOptions | None = None,
    *,
    progress: Callable[[str], object] | None = None,
) -> SourcesAnalysis:
    """Read, analyse and merge ``sources`` with one set of options.

    Parameters
    ----------
    sources : sequence of path
        ATP waves (``.sav``, ``.dta``) and crosstabs (``.csv``, ``.parquet``).
    options : AnalysisOptions, optional
        Default: ``AnalysisOptions()`` (the default types, weights and rules, every target,
        the default bootstrap of waves).
    progress : callable, optional
        Called with a short description before each step (reading, analysing a source).

    Returns
    -------
    SourcesAnalysis

    Raises
    ------
    ParameterError
        No source, a source given twice, a requested question that no source has, bad options.
    DataError
        An unreadable source; with ``strict``, a source that cannot be analysed; no question
        could be analysed at all (every source skipped, or every question unanalysable).
    OSError
        A source that does not exist or cannot be read.

    Examples
    --------
    >>> from socialpref.app import AnalysisOptions, analyze_sources  # doctest: +SKIP
    >>> run = analyze_sources(["data/demo/ATP W900.sav"], AnalysisOptions(bootstrap=200))  # doctest: +SKIP
    >>> [q.question for q in run.questions if q.tops_differ_supported]  # doctest: +SKIP
    """
    opts = AnalysisOptions() if options is None else options
    paths = [Path(s) for s in sources]
    if not paths:
        raise ParameterError("The 'sources' parameter must name at least one wave or crosstab.")
    _refuse_duplicates(paths)
    sampling = None if opts.sampling is None else read_sampling(opts.sampling)
    surveys = []
    for p in paths:
        if progress is not None:
            progress(f"reading {p.name}")
        surveys.append(
            read_source(
                p,
                weight=opts.weight,
                unweighted=opts.unweighted,
                check=opts.check,
                cache=opts.cache,
            )
        )
    wanted = list(dict.fromkeys(opts.questions)) or None
    if wanted is not None:
        _check_questions(surveys, wanted)
    infos, results, skipped, notes = [], [], [], []
    for survey, path in zip(surveys, paths, strict=True):
        info = SourceInfo.of(survey, path)
        if opts.bootstrap and survey.kind == "crosstab":
            notes.append(f"{survey.source}: no bootstrap for a crosstab (it has no respondents).")
        if progress is not None:
            progress(f"analysing {survey.source}")
        try:
            result = analyze_survey(
                survey,
                wanted,
                types=opts.types,
                keep_dk=opts.keep_dk,
                preprocessing=opts.preprocessing,  # type: ignore[arg-type]
                include=opts.include,
                bins=opts.bins,
                drop_no_lean=opts.drop_no_lean,
                sampling=sampling,
                model=opts.model,
                bootstrap=opts.bootstrap if survey.kind == "wave" else 0,
                seed=opts.seed,
                on_unknown="skip",
                targets=True,
                beta=opts.beta,
            )
        except DataError as exc:
            if opts.strict:
                raise
            skipped.append(SkippedSource(info, str(exc), type(exc).__name__))
            continue
        infos.append(info)
        results.append(result)
    run = SourcesAnalysis(opts, tuple(infos), tuple(results), tuple(skipped), tuple(notes))
    if not run.questions:
        raise DataError(_nothing_analysed(run))
    return run


def _nothing_analysed(run: SourcesAnalysis) -> str:
    if not run.results:
        first = run.skipped_sources[0]
        more = f" (and {len(run.skipped_sources) - 1} more)" if len(run.skipped_sources) > 1 else ""
        return f"No source could be analysed: {first.source.name}: {first.reason}{more}"
    bad = run.merged.unanalysable or run.skipped
    if not bad:
        return "No question could be analysed: the sources have no single-choice question."
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return f"No question could be analysed: {bad[0].question}: {bad[0].reason}{more}"


__all__ = ["SkippedSource", "SourceInfo", "SourcesAnalysis", "analyze_sources"]
