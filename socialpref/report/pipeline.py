"""The main job: analyse sources with the application layer, write the report folder.

:func:`build_survey_report` runs :func:`socialpref.app.analyze_sources` and
:func:`socialpref.app.sweep_sources` (the same steps and policy as ``socialpref surveys
analyze`` and ``socialpref sensitivity``), hashes the inputs and records every option in the
provenance; :func:`make_report` then writes the folder atomically. :func:`demo_wave_path`
finds the demo wave that ships as package data (``socialpref/data/ATP W900.sav``), which
``socialpref demo`` reports on into ``reports/demo/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from socialpref.app import AnalysisOptions, SweepOptions, SweepRun, analyze_sources, sweep_sources
from socialpref.errors import ParameterError
from socialpref.report.includes import IncludedResult, load_include
from socialpref.report.provenance import InputFile, collect_provenance
from socialpref.report.survey import SurveyReport, write_report

#: The demo wave: package data of ``socialpref``, named in reports by this path (relative to
#: the folder that holds the package, the same in a checkout and in an installed wheel).
DEMO_WAVE = Path("socialpref") / "data" / "ATP W900.sav"
#: Where ``socialpref demo`` writes, relative to the repository root.
DEMO_OUT = Path("reports") / "demo"


def repository_root() -> Path:
    """The folder that holds the ``socialpref`` package (a checkout's root after ``pip install -e .``)."""
    import socialpref

    return Path(socialpref.__file__).resolve().parent.parent


def demo_wave_path() -> Path:
    """The demo wave, read from the package's data with :mod:`importlib.resources`.

    Raises
    ------
    FileNotFoundError
        The package has no demo wave on disk (an install without its data, a zipped package).
    """
    from importlib.resources import files

    resource = files("socialpref").joinpath(*DEMO_WAVE.parts[1:])
    if not isinstance(resource, Path) or not resource.is_file():
        raise FileNotFoundError(
            f"The demo wave {str(DEMO_WAVE)!r} is not in this installation of socialpref "
            f"({resource}); reinstall it from a wheel or a checkout (pip install -e .), or "
            "regenerate the wave with python data/make_demo_wave.py."
        )
    return resource


def provenance_options(run: SweepRun) -> dict[str, Any]:
    """Every option of the run as the provenance shows it (defaults spelt out)."""
    a, s = run.analysis.options, run.options
    used = "; ".join(
        f"{info.name}: {info.weight_column or 'none'}" for info in run.analysis.sources
    )
    return {
        "types": a.type_columns,
        "questions": list(a.questions) or "all",
        "model": a.model if a.model is not None else "bt (Bradley-Terry, temperature 1)",
        "sampling": "uniform" if a.sampling is None else str(a.sampling),
        "filter min_options": s.min_options,
        "filter min_per_option": s.min_per_option,
        "weight": a.weight if a.weight is not None else "WEIGHT_W<n> of each wave (default)",
        "weight columns used": used or "none",
        "unweighted": a.unweighted,
        "keep_dk": a.keep_dk,
        "preprocessing": a.preprocessing,
        "include": ", ".join(a.include) or "none",
        "bins": "none" if a.bins is None else a.bins,
        "drop_no_lean": a.drop_no_lean,
        "bootstrap": a.bootstrap,
        "seed": a.seed,
        "beta": a.beta,
        "strict": a.strict,
        "check": a.check,
        "cache": a.cache,
        "base": run.base_label,
        "solver": s.solver,
        "eps": s.eps,
        "delta": s.delta,
    }


def build_survey_report(
    sources: Sequence[str | Path],
    options: AnalysisOptions | None = None,
    sweep: SweepOptions | None = None,
    *,
    includes: Sequence[str | Path] = (),
    command: str = "socialpref report",
    names: Sequence[str] | None = None,
    progress: Callable[[str], object] | None = None,
) -> SurveyReport:
    """Analyse ``sources`` with the application layer and gather what the report shows.

    Parameters
    ----------
    sources : sequence of path
        ATP waves (``.sav``, ``.dta``) and crosstabs (``.csv``, ``.parquet``).
    options, sweep : AnalysisOptions, SweepOptions, optional
        Every analysis and sweep option (default: the defaults of ``socialpref report``); the
        questions of ``options.questions`` always get a section.
    includes : sequence of path
        Result files of other commands (see :mod:`socialpref.report.includes`).
    command : str
        The command line, for the provenance.
    names : sequence of str, optional
        How the provenance names the inputs (default: the paths as given), sources then
        includes.
    progress : callable, optional
        Called with a short description before each step (see
        :func:`socialpref.app.analyze_sources`).

    Raises
    ------
    ParameterError, DataError, OSError
        As :func:`socialpref.app.analyze_sources`; unreadable includes; ``names`` of the wrong
        length.
    """
    all_paths = [*sources, *includes]
    shown = list(names) if names is not None else [str(p) for p in all_paths]
    if len(shown) != len(all_paths):
        raise ParameterError(
            f"The 'names' parameter must have {len(all_paths)} entries. Got {len(shown)}."
        )
    inputs = [InputFile.from_path(p, n) for p, n in zip(all_paths, shown, strict=True)]
    included: list[IncludedResult] = [
        load_include(p, n) for p, n in zip(includes, shown[len(sources) :], strict=True)
    ]
    analysis = analyze_sources(sources, options, progress=progress)
    if progress is not None:
        progress("sensitivity sweep")
    run = sweep_sources(analysis, sweep, solve_all=True)  # the table shows dropped ones too
    opts = analysis.options
    provenance = collect_provenance(
        inputs, command, provenance_options(run), seed=opts.seed if opts.bootstrap else None
    )
    return SurveyReport(run, provenance, tuple(included))


def make_report(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    force: bool = False,
    workers: int | None = None,
    **kwargs: Any,
) -> Path:
    """Build the report of ``sources`` and write it into ``out``; return the ``report.md`` path.

    The output folder is checked before any work (an existing folder that socialpref did not
    write stops the run unless ``force``). ``workers``: processes that draw the figures (see
    :func:`~socialpref.report.survey.write_report`); ``kwargs`` go to
    :func:`build_survey_report`.
    """
    from socialpref.report.folder import check_target

    check_target(out, force)
    report = build_survey_report(sources, **kwargs)
    return write_report(report, out, force=force, workers=workers)


def run_demo(
    out: str | Path | None = None,
    *,
    force: bool = False,
    command: str = "socialpref demo",
    progress: Callable[[str], object] | None = None,
    notify: Callable[[str], object] | None = None,
) -> Path:
    """The main job: the report of the demo wave into ``reports/demo/``.

    ``reports/demo/`` is that of the checkout when socialpref runs from one (``pip install
    -e .``), else of the working directory. The wave is named :data:`DEMO_WAVE` in the
    provenance, so the report does not depend on where socialpref is installed. What a killed
    run left beside the folder is put back or removed first, each action said to ``notify``
    (:func:`socialpref.outputs.prepare_folder`).
    """
    from socialpref.outputs import prepare_folder

    wave = demo_wave_path()
    root = repository_root()
    checkout = (root / "pyproject.toml").is_file()
    target = Path(out) if out is not None else (root / DEMO_OUT if checkout else DEMO_OUT)
    prepare_folder(target, force, inputs=[wave], kind="report", notify=notify)
    return make_report(
        [wave], target, force=force, command=command, names=[str(DEMO_WAVE)], progress=progress
    )


__all__ = [
    "DEMO_OUT",
    "DEMO_WAVE",
    "build_survey_report",
    "demo_wave_path",
    "make_report",
    "provenance_options",
    "repository_root",
    "run_demo",
]
