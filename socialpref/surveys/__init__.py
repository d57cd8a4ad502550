"""Surveys: Pew ATP waves (``.sav``) and crosstabs in; per-type rewards, average reward, NBC out.

:func:`survey_sensitivity` runs the paper's Section 7.1 sweep (filters, min-TV analysis,
summary) over analysed questions; the CLI and the report both call it.

>>> from socialpref.surveys import read_source, analyze_survey  # doctest: +SKIP
>>> result = analyze_survey(read_source("data/demo/ATP W900.sav"))  # doctest: +SKIP
"""

from __future__ import annotations

from socialpref.surveys.analysis import analyze_question, analyze_survey
from socialpref.surveys.readers import (
    is_admin_column,
    read_crosstab,
    read_sampling,
    read_source,
    read_wave,
)
from socialpref.surveys.results import QuestionAnalysis, Skipped, SurveyAnalysis
from socialpref.surveys.sensitivity import (
    MIN_OPTIONS,
    MIN_PER_OPTION,
    QuestionSensitivity,
    SurveySensitivity,
    base_fits,
    fit_base,
    passes_filters,
    survey_sensitivity,
)
from socialpref.surveys.survey import (
    QuestionSummary,
    Survey,
    Variable,
    is_no_lean_label,
    is_refused_label,
)
from socialpref.surveys.user_types import DEFAULT_TYPES

__all__ = [
    "DEFAULT_TYPES",
    "MIN_OPTIONS",
    "MIN_PER_OPTION",
    "QuestionAnalysis",
    "QuestionSensitivity",
    "QuestionSummary",
    "Skipped",
    "Survey",
    "SurveyAnalysis",
    "SurveySensitivity",
    "Variable",
    "analyze_question",
    "analyze_survey",
    "base_fits",
    "fit_base",
    "is_admin_column",
    "is_no_lean_label",
    "is_refused_label",
    "passes_filters",
    "read_crosstab",
    "read_sampling",
    "read_source",
    "read_wave",
    "survey_sensitivity",
]
