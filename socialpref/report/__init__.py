"""Reports: markdown with tables and figures, written atomically into a folder.

The report package renders typed results; the numbers come from the application layer
(:mod:`socialpref.app`) and the libraries it calls. Entry points: :func:`make_report` (``socialpref report``) and :func:`run_demo`
(``socialpref demo``, the main job).

>>> from socialpref.report import make_report  # doctest: +SKIP
>>> make_report(["data/demo/ATP W900.sav"], "reports/demo")  # doctest: +SKIP
PosixPath('reports/demo/report.md')
"""

from __future__ import annotations

from socialpref.report.folder import MARKER, check_target, is_report_folder, write_folder_atomically
from socialpref.report.includes import IncludedResult, detect_kind, load_include, render_includes
from socialpref.report.pipeline import (
    build_survey_report,
    demo_wave_path,
    make_report,
    provenance_options,
    run_demo,
)
from socialpref.report.provenance import InputFile, Provenance, collect_provenance, sha256_file
from socialpref.report.survey import SurveyReport, render_markdown, write_report

__all__ = [
    "MARKER",
    "IncludedResult",
    "InputFile",
    "Provenance",
    "SurveyReport",
    "build_survey_report",
    "check_target",
    "collect_provenance",
    "demo_wave_path",
    "detect_kind",
    "is_report_folder",
    "load_include",
    "make_report",
    "provenance_options",
    "render_includes",
    "render_markdown",
    "run_demo",
    "sha256_file",
    "write_folder_atomically",
    "write_report",
]
