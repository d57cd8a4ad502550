"""Surveys: Pew ATP waves (``.sav``) and crosstabs in; per-type rewards, average reward, NBC out.

>>> from socialpref.surveys import read_source, analyze_survey  # doctest: +SKIP
>>> result = analyze_survey(read_source("data/demo/ATP W900.sav"))  # doctest: +SKIP
"""

from __future__ import annotations

from socialpref.surveys.analysis import (
    DEFAULT_TYPES,
    QuestionAnalysis,
    Skipped,
    SurveyAnalysis,
    analyze_question,
    analyze_survey,
)
from socialpref.surveys.readers import (
    is_admin_column,
    read_crosstab,
    read_sampling,
    read_source,
    read_wave,
)
from socialpref.surveys.survey import (
    QuestionSummary,
    Survey,
    Variable,
    is_no_lean_label,
    is_refused_label,
)

__all__ = [
    "DEFAULT_TYPES",
    "QuestionAnalysis",
    "QuestionSummary",
    "Skipped",
    "Survey",
    "SurveyAnalysis",
    "Variable",
    "analyze_question",
    "analyze_survey",
    "is_admin_column",
    "is_no_lean_label",
    "is_refused_label",
    "read_crosstab",
    "read_sampling",
    "read_source",
    "read_wave",
]
