"""Surveys: Pew ATP waves (``.sav``, ``.dta``) and crosstabs in; per-type rewards, average reward, NBC out.

Every column of a wave gets a class (:mod:`~socialpref.surveys.columns`) and every code an
answer status (:mod:`~socialpref.surveys.labels`); the analysis takes the single-choice
questions and their substantive answers by default, with Kish's design effect per question and
type and, on request, a vectorised respondent-level bootstrap
(:mod:`~socialpref.surveys.bootstrap`). :func:`survey_sensitivity` runs the paper's Section 7.1
sweep (filters, min-TV analysis, summary) over analysed questions; the CLI and the report both
call it.

>>> from socialpref.surveys import read_source, analyze_survey  # doctest: +SKIP
>>> result = analyze_survey(read_source("data/demo/ATP W900.sav"), bootstrap=200, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from socialpref.surveys.analysis import analyze_question, analyze_survey
from socialpref.surveys.binning import bin_variable
from socialpref.surveys.bootstrap import DEFAULT_REPLICATES, SUPPORT_THRESHOLD
from socialpref.surveys.columns import (
    COLUMN_KINDS,
    INCLUDABLE_KINDS,
    PAPER_ADMIN,
    Column,
    ColumnKind,
    classify_column,
)
from socialpref.surveys.design import DesignEffect, design_effect
from socialpref.surveys.labels import AnswerStatus, answer_status, is_no_lean_label
from socialpref.surveys.readers import read_crosstab, read_sampling, read_source, read_wave
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
    PREPROCESSINGS,
    AnswerRule,
    Preprocessing,
    QuestionSummary,
    Survey,
    Variable,
)
from socialpref.surveys.user_types import DEFAULT_TYPES, MissingTypeColumnError

__all__ = [
    "COLUMN_KINDS",
    "DEFAULT_REPLICATES",
    "DEFAULT_TYPES",
    "INCLUDABLE_KINDS",
    "MIN_OPTIONS",
    "MIN_PER_OPTION",
    "PAPER_ADMIN",
    "PREPROCESSINGS",
    "SUPPORT_THRESHOLD",
    "AnswerRule",
    "AnswerStatus",
    "Column",
    "ColumnKind",
    "DesignEffect",
    "MissingTypeColumnError",
    "Preprocessing",
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
    "answer_status",
    "base_fits",
    "bin_variable",
    "classify_column",
    "design_effect",
    "fit_base",
    "is_no_lean_label",
    "passes_filters",
    "read_crosstab",
    "read_sampling",
    "read_source",
    "read_wave",
    "survey_sensitivity",
]
