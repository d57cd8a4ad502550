"""Results of the survey analysis: one question, a whole run, and the questions it skipped.

Frozen dataclasses with ``to_dict()`` (JSON-ready, NaN -> None) and, for a run, ``to_rows()``
(the flat table behind ``--csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialpref._typing import FloatArray, IntArray
from socialpref.aggregate import AggregateComparison
from socialpref.luce import BootstrapIntervals
from socialpref.population import Population


def _jsonable(x: Any) -> Any:
    """NaN -> None, recursively through lists and dicts (JSON has no NaN)."""
    if isinstance(x, float):
        return None if math.isnan(x) else x
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    return x


@dataclass(frozen=True, eq=False)
class QuestionAnalysis:
    """Result of :func:`~socialpref.surveys.analysis.analyze_question`: one question, its types, rewards and both rankings.

    Attributes
    ----------
    source : str
        File name of the survey.
    question, text : str
        Question name and wording.
    options : tuple of str
        Labels of the options observed among kept respondents, in code order.
    types : tuple of str
        Labels of the user types present among kept respondents (combined types joined by " | ").
    type_weights : (n_types,) array
        ``p(u)``: each type's share of the kept (weighted) respondents.
    shares : (n_types, n_options) array
        Weighted choice shares per type (rows sum to one).
    rewards : (n_types, n_options) array
        Luce-Shepard rewards (Eq. 27), centred per type.
    n_respondents : int
        Kept respondents (a crosstab: its rounded total count).
    comparison : AggregateComparison
        Average reward (Eq. 9) and NBC (Eq. 13) with rankings, tops and Kendall tau.
    unchosen_options : tuple of str
        Labels of valid codes that no kept respondent chose (reported, not analysed).
    counts : (n_types, n_options) array
        Weighted counts behind ``shares``.
    n_per_option, n_per_type : int arrays
        Kept respondents (unweighted) per option and per type.
    sampling : (n_options,) array
        The distribution ``D`` of alternatives used for NBC.
    type_columns : tuple of str
        The columns that define the types (``("group",)`` for a crosstab).
    bootstrap : BootstrapIntervals or None
        Respondent-level weighted bootstrap intervals when requested.
    """

    source: str
    question: str
    text: str
    options: tuple[str, ...]
    types: tuple[str, ...]
    type_weights: FloatArray
    shares: FloatArray
    rewards: FloatArray
    n_respondents: int
    comparison: AggregateComparison
    unchosen_options: tuple[str, ...] = ()
    counts: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    n_per_option: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_per_type: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sampling: FloatArray = field(default_factory=lambda: np.zeros(0))
    type_columns: tuple[str, ...] = ()
    bootstrap: BootstrapIntervals | None = None

    @property
    def population(self) -> Population:
        """The question as a :class:`socialpref.Population` (rewards, ``p(u)``, labels)."""
        return Population(self.rewards, self.type_weights, self.options, self.types)

    @property
    def average_reward(self) -> FloatArray:
        return self.comparison.average_reward

    @property
    def nbc(self) -> FloatArray:
        return self.comparison.nbc

    @property
    def average_top(self) -> str:
        """Label of the option with the highest average reward (the first of tied ones)."""
        return self.options[self.comparison.average_top[0]]

    @property
    def nbc_top(self) -> str:
        """Label of the option with the highest NBC (the first of tied ones)."""
        return self.options[self.comparison.nbc_top[0]]

    @property
    def tops_differ(self) -> bool:
        return self.comparison.tops_differ

    @property
    def kendall_tau(self) -> float:
        return self.comparison.comparison.kendall_tau

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the issue's keys plus rankings, tau, counts (NaN -> None)."""
        c = self.comparison
        out: dict[str, Any] = {
            "source": self.source,
            "question": self.question,
            "text": self.text,
            "options": list(self.options),
            "types": list(self.types),
            "type_weights": self.type_weights.tolist(),
            "shares": self.shares.tolist(),
            "rewards": self.rewards.tolist(),
            "average_reward": c.average_reward.tolist(),
            "nbc": c.nbc.tolist(),
            "average_top": self.average_top,
            "nbc_top": self.nbc_top,
            "n_respondents": self.n_respondents,
            "average_tops": [self.options[i] for i in c.average_top],
            "nbc_tops": [self.options[i] for i in c.nbc_top],
            "average_ranking": c.average_ranking.tolist(),
            "nbc_ranking": c.nbc_ranking.tolist(),
            "tops_differ": self.tops_differ,
            "same_order": c.comparison.same_order,
            "kendall_tau": _jsonable(self.kendall_tau),
            "sampling": self.sampling.tolist(),
            "n_per_option": self.n_per_option.tolist(),
            "n_per_type": self.n_per_type.tolist(),
            "type_columns": list(self.type_columns),
            "unchosen_options": list(self.unchosen_options),
        }
        if self.bootstrap is not None:
            out["bootstrap"] = _jsonable(self.bootstrap.to_dict())
        return out


@dataclass(frozen=True)
class Skipped:
    """A question that could not be analysed, and why."""

    source: str
    question: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "question": self.question, "reason": self.reason}


@dataclass(frozen=True, eq=False)
class SurveyAnalysis:
    """Result of :func:`~socialpref.surveys.analysis.analyze_survey`: analysed questions and skipped ones (with reasons)."""

    questions: list[QuestionAnalysis]
    skipped: list[Skipped]

    def __add__(self, other: SurveyAnalysis) -> SurveyAnalysis:
        return SurveyAnalysis(self.questions + other.questions, self.skipped + other.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": [q.to_dict() for q in self.questions],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per (question, option): the flat table behind ``--csv``."""
        rows = []
        for q in self.questions:
            c = q.comparison
            for i, opt in enumerate(q.options):
                rows.append(
                    {
                        "source": q.source,
                        "question": q.question,
                        "option": opt,
                        "n_respondents": int(q.n_per_option[i]),
                        "average_reward": float(c.average_reward[i]),
                        "average_rank": int(c.average_ranking[i]),
                        "nbc": float(c.nbc[i]),
                        "nbc_rank": int(c.nbc_ranking[i]),
                        "sampling": float(q.sampling[i]),
                        "tops_differ": q.tops_differ,
                        "kendall_tau": _jsonable(q.kendall_tau),
                    }
                )
        return rows
