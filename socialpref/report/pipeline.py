"""The main job: read sources, analyse them with the libraries, write the report folder.

:func:`build_survey_report` calls the survey reader and analysis
(:mod:`socialpref.surveys`), the Section 7.1 sweep with its filters and summary
(:func:`socialpref.surveys.survey_sensitivity`, as ``socialpref sensitivity``) and the core's
NBC (Eq. 13) under each flipping distribution; :func:`make_report` then writes the
folder atomically. :func:`demo_wave_path` finds the embedded demo wave of a repository checkout
(``data/demo/ATP W900.sav``), which ``socialpref demo`` reports on into ``reports/demo/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from socialpref.aggregate import nbc
from socialpref.preference import PreferenceModel
from socialpref.report.includes import IncludedResult, load_include
from socialpref.report.provenance import InputFile, collect_provenance
from socialpref.report.survey import QuestionEntry, SourceInfo, SurveyReport, write_report
from socialpref.surveys import (
    MIN_OPTIONS,
    MIN_PER_OPTION,
    QuestionAnalysis,
    analyze_survey,
    read_source,
    survey_sensitivity,
)

#: The demo wave, relative to the repository root.
DEMO_WAVE = Path("data") / "demo" / "ATP W900.sav"
#: Where ``socialpref demo`` writes, relative to the repository root.
DEMO_OUT = Path("reports") / "demo"
#: The paper's filters of the Section 7.1 sweep (reference-facts section 1), as the report's
#: ``filters`` mapping (the values are :mod:`socialpref.surveys.sensitivity`'s defaults).
DEFAULT_FILTERS: dict[str, int] = {"min_options": MIN_OPTIONS, "min_per_option": MIN_PER_OPTION}


def repository_root() -> Path:
    """The folder that holds the ``socialpref`` package (a checkout's root after ``pip install -e .``)."""
    import socialpref

    return Path(socialpref.__file__).resolve().parent.parent


def demo_wave_path() -> Path:
    """The demo wave: ``data/demo/ATP W900.sav`` of the checkout, else of the working directory.

    Raises
    ------
    FileNotFoundError
        Neither place has it (socialpref installed from a wheel, outside a checkout).
    """
    candidates = [repository_root() / DEMO_WAVE, Path.cwd() / DEMO_WAVE]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"The demo wave {str(DEMO_WAVE)!r} was not found (looked in {', '.join(str(c.parent) for c in candidates)}); "
        "run socialpref demo from a checkout of the repository (pip install -e .), "
        "or regenerate it with python data/make_demo_wave.py."
    )


def build_survey_report(
    sources: Sequence[str | Path],
    *,
    questions: Sequence[str] | None = None,
    types: str | Sequence[str] | None = None,
    includes: Sequence[str | Path] = (),
    command: str = "socialpref report",
    names: Sequence[str] | None = None,
    filters: Mapping[str, int] | None = None,
    model: PreferenceModel | str | None = None,
) -> SurveyReport:
    """Analyse ``sources`` with the libraries and gather what the report shows.

    Parameters
    ----------
    sources : sequence of path
        ATP waves (``.sav``) and crosstabs (``.csv``, ``.parquet``).
    questions : sequence of str, optional
        Analyse only these questions (each must exist in at least one source); they always
        get a section of their own.
    types : str or sequence of str, optional
        Type column(s) (default ``F_PARTYSUM_FINAL``; a crosstab's types are its groups).
    includes : sequence of path
        Result files of other commands (see :mod:`socialpref.report.includes`).
    command : str
        The command line, for the provenance.
    names : sequence of str, optional
        How the provenance names the inputs (default: the paths as given), sources then
        includes.
    filters : mapping, optional
        The sweep's filters (default :data:`DEFAULT_FILTERS`).
    model : PreferenceModel or str, optional
        Preference model for NBC (default Bradley-Terry).

    Raises
    ------
    ValueError, FileNotFoundError
        Unreadable sources or includes, an unknown type column, a question that no source has.
    """
    if not sources:
        raise ValueError(
            "The 'sources' parameter must name at least one wave or crosstab. Got none."
        )
    filt = dict(DEFAULT_FILTERS if filters is None else filters)
    all_paths = [*sources, *includes]
    shown = list(names) if names is not None else [str(p) for p in all_paths]
    if len(shown) != len(all_paths):
        raise ValueError(
            f"The 'names' parameter must have {len(all_paths)} entries. Got {len(shown)}."
        )
    inputs = [InputFile.from_path(p, n) for p, n in zip(all_paths, shown, strict=True)]
    included: list[IncludedResult] = [
        load_include(p, n) for p, n in zip(includes, shown[len(sources) :], strict=True)
    ]

    infos: list[SourceInfo] = []
    analyses: list[QuestionAnalysis] = []
    skipped: list[dict[str, Any]] = []
    n_unanalysable = 0
    wanted = list(dict.fromkeys(questions)) if questions else None
    found: set[str] = set()
    for path in sources:
        survey = read_source(path)
        infos.append(
            SourceInfo(
                survey.source,
                survey.kind,
                survey.n_respondents,
                survey.file_label,
                survey.n_bad_weights,
                survey.weight_column,
            )
        )
        names_here = None
        if wanted is not None:
            names_here = [q for q in wanted if q in survey.variables]
            found.update(names_here)
        result = analyze_survey(survey, names_here, types=types, model=model)
        analyses += result.questions
        skipped += [s.to_dict() for s in result.skipped]
        n_unanalysable += len(result.unanalysable)
    if wanted is not None:
        missing = [q for q in wanted if q not in found]
        if missing:
            raise ValueError(
                f"The 'questions' parameter names {', '.join(map(repr, missing))}, which no source has; "
                "run 'socialpref surveys list SOURCE' for the names."
            )
    if len({i.name for i in infos}) != len(infos):
        raise ValueError(f"The sources have the same file name twice: {[i.name for i in infos]}.")

    sweep = survey_sensitivity(
        analyses,
        skipped=n_unanalysable,
        min_options=int(filt.get("min_options", 0)),
        min_per_option=float(filt.get("min_per_option", 0)),
        model=model,
        solve_all=True,  # the table of all questions shows the dropped ones too
    )
    entries: list[QuestionEntry] = []
    for qs in sweep.questions:
        res, qa = qs.result, qs.analysis
        assert res is not None  # solve_all
        flipped = None
        if res.distribution is not None:
            flipped = nbc(qa.rewards, qa.type_weights, res.distribution, model).tolist()
        record = {**qs.to_dict(), "repair_feasible": res.repair_feasible}
        entries.append(QuestionEntry(qa.to_dict(), record, qs.kept, flipped))

    options = {
        "types": types if types is not None else "F_PARTYSUM_FINAL (default)",
        "questions": list(wanted) if wanted else "all",
        "model": model if model is not None else "bt (Bradley-Terry, temperature 1)",
        "sampling": "uniform",
        **{f"filter {k}": v for k, v in filt.items()},
    }
    return SurveyReport(
        sources=tuple(infos),
        questions=tuple(entries),
        skipped=tuple(skipped),
        sensitivity_summary=sweep.summary,
        filters=filt,
        min_tvs=sweep.min_tvs,
        provenance=collect_provenance(inputs, command, options),
        focus=tuple(wanted or ()),
        includes=tuple(included),
    )


def make_report(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    force: bool = False,
    **kwargs: Any,
) -> Path:
    """Build the report of ``sources`` and write it into ``out``; return the ``report.md`` path.

    The output folder is checked before any work (an existing folder that socialpref did not
    write stops the run unless ``force``). ``kwargs`` go to :func:`build_survey_report`.
    """
    from socialpref.report.folder import check_target

    check_target(out, force)
    report = build_survey_report(sources, **kwargs)
    return write_report(report, out, force=force)


def run_demo(
    out: str | Path | None = None, *, force: bool = False, command: str = "socialpref demo"
) -> Path:
    """The main job: the report of the demo wave into ``reports/demo/`` of the checkout.

    The wave is named by its path relative to the checkout in the provenance, so the report
    does not depend on where the checkout lies.
    """
    wave = demo_wave_path()
    root = repository_root()
    target = (
        Path(out)
        if out is not None
        else (root / DEMO_OUT if (root / DEMO_WAVE).is_file() else DEMO_OUT)
    )
    try:
        shown = str(wave.relative_to(root))
    except ValueError:
        shown = str(wave)
    return make_report([wave], target, force=force, command=command, names=[shown])


__all__ = [
    "DEFAULT_FILTERS",
    "DEMO_OUT",
    "DEMO_WAVE",
    "build_survey_report",
    "demo_wave_path",
    "make_report",
    "repository_root",
    "run_demo",
]
