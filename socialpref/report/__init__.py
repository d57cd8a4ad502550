"""Reports: markdown and a self-contained HTML page with tables and figures, written atomically.

The report package renders typed results; the numbers come from the application layer
(:mod:`socialpref.app`) and the libraries it calls. Entry points: :func:`make_report`
(``socialpref report``) and :func:`run_demo` (``socialpref demo``, the main job).

The names below are imported on first use (module ``__getattr__``), so that a figure module
elsewhere (training, LLM runs) can import :mod:`socialpref.report.palette` without loading the
survey tools.

>>> from socialpref.report import make_report  # doctest: +SKIP
>>> make_report(["data/demo/ATP W900.sav"], "reports/demo")  # doctest: +SKIP
PosixPath('reports/demo/report.md')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialpref.report.folder import (
        MARKER,
        check_target,
        is_report_folder,
        write_folder_atomically,
    )
    from socialpref.report.includes import (
        IncludedResult,
        detect_kind,
        load_include,
        render_includes,
    )
    from socialpref.report.pipeline import (
        build_survey_report,
        demo_wave_path,
        make_report,
        provenance_options,
        run_demo,
    )
    from socialpref.report.provenance import (
        InputFile,
        Provenance,
        collect_provenance,
        sha256_file,
    )
    from socialpref.report.survey import (
        SurveyReport,
        build_document,
        render_markdown,
        write_report,
    )

_LAZY: dict[str, str] = {
    "MARKER": "folder",
    "check_target": "folder",
    "is_report_folder": "folder",
    "write_folder_atomically": "folder",
    "IncludedResult": "includes",
    "detect_kind": "includes",
    "load_include": "includes",
    "render_includes": "includes",
    "build_survey_report": "pipeline",
    "demo_wave_path": "pipeline",
    "make_report": "pipeline",
    "provenance_options": "pipeline",
    "run_demo": "pipeline",
    "InputFile": "provenance",
    "Provenance": "provenance",
    "collect_provenance": "provenance",
    "sha256_file": "provenance",
    "SurveyReport": "survey",
    "build_document": "survey",
    "render_markdown": "survey",
    "write_report": "survey",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"socialpref.report.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'socialpref.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "MARKER",
    "IncludedResult",
    "InputFile",
    "Provenance",
    "SurveyReport",
    "build_document",
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
