"""Results of the survey analysis: one question, a whole run, and the questions it skipped.

Frozen dataclasses with ``to_dict()`` (JSON-ready, NaN -> None), for a run ``to_rows()`` (the
flat table behind ``--csv``), and ``to_frame()``: pandas DataFrames labelled by source, question
and option (one row per option of a question, or per question x option of a run).

>>> from socialpref.surveys import analyze_survey, read_source  # doctest: +SKIP
>>> frame = analyze_survey(read_source("data/demo/ATP W900.sav")).to_frame()  # doctest: +SKIP
>>> frame.loc[("ATP W900.sav", "EVCAR2_W900", "Not too likely"), "nbc"]  # doctest: +SKIP
0.6099...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref._typing import FloatArray, IntArray
from socialpref.aggregate import AggregateComparison
from socialpref.luce import BootstrapIntervals
from socialpref.population import Population
from socialpref.serialize import to_jsonable
from socialpref.surveys.bootstrap import SUPPORT_THRESHOLD
from socialpref.surveys.columns import ColumnKind
from socialpref.surveys.design import DesignEffect, design_effect
from socialpref.surveys.objectives import TargetSupport
from socialpref.targets import TARGET_NAMES, TargetComparison

if TYPE_CHECKING:
    import pandas as pd


#: Columns that hold True, False or None (no bootstrap, no targets): pandas' nullable boolean.
_MAYBE_BOOL = ("tops_differ_supported", "targets_agree", "targets_disagreement_supported")
#: Columns that hold a number or None: floats with NaN.
_MAYBE_FLOAT = ("p_tops_differ", "kendall_tau", "margin_of_error")


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of :data:`_MAYBE_BOOL` as nullable booleans, :data:`_MAYBE_FLOAT` as floats."""
    kinds = {c: "boolean" for c in _MAYBE_BOOL if c in frame.columns}
    kinds.update({c: "float64" for c in _MAYBE_FLOAT if c in frame.columns})
    return frame.astype(kinds)


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
        Respondent-level weighted bootstrap intervals (and the replicates) when requested.
    design : DesignEffect
        Kish's effective sample size, design effect and 95% margin of error of the question
        and of each type (NaN for a crosstab).
    kind : ColumnKind
        The class of the column (``"question"`` unless another class was included).
    targets : TargetComparison or None
        What every aggregation target chooses (maximal lottery, Condorcet winner, Copeland,
        NLHF Nash policy besides the average reward and NBC), when requested.
    target_support : TargetSupport or None
        How often the bootstrap replicates agree with each target's top (with ``targets`` and
        a bootstrap).
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
    design: DesignEffect = field(
        default_factory=lambda: design_effect(np.zeros(0, dtype=np.int64), np.zeros(0), None)
    )
    kind: ColumnKind = "question"
    targets: TargetComparison | None = None
    target_support: TargetSupport | None = None

    def index_of(self, option: str) -> int:
        """The position of the option labelled ``option`` (arrays are in option order).

        Raises
        ------
        KeyError
            No option has that label; the message lists the labels.
        """
        try:
            return self.options.index(option)
        except ValueError:
            raise KeyError(
                f"{self.question} has no option {option!r}; its options: {list(self.options)}"
            ) from None

    def option_rows(self) -> list[dict[str, Any]]:
        """One row per option: the flat rows of :meth:`SurveyAnalysis.to_rows`.

        With targets, each option's maximal-lottery probability, whether it is the Condorcet
        winner, its Copeland score and its Nash-policy probability; with a bootstrap, the
        interval bounds of the average reward and NBC and ``p_tops_differ``; the question's
        margin of error on every row.
        """
        c, b, t = self.comparison, self.bootstrap, self.targets
        rows = []
        for i, opt in enumerate(self.options):
            row: dict[str, Any] = {
                "source": self.source,
                "question": self.question,
                "option": opt,
                "n_respondents": int(self.n_per_option[i]),
                "average_reward": float(c.average_reward[i]),
                "average_rank": int(c.average_ranking[i]),
                "nbc": float(c.nbc[i]),
                "nbc_rank": int(c.nbc_ranking[i]),
                "sampling": float(self.sampling[i]),
                "tops_differ": self.tops_differ,
                "kendall_tau": to_jsonable(self.kendall_tau),
                "margin_of_error": to_jsonable(self.design.margin_of_error),
            }
            if t is not None:
                row.update(
                    {
                        "maximal_lottery": float(t.maximal_lottery.probabilities[i]),
                        "condorcet_winner": t.condorcet_winner == i,
                        "copeland_score": float(t.copeland_scores[i]),
                        "nash_policy": float(t.nash_policy[i]),
                    }
                )
            if b is not None:
                row.update(
                    {
                        "average_reward_low": float(b.average_reward_low[i]),
                        "average_reward_high": float(b.average_reward_high[i]),
                        "nbc_low": float(b.nbc_low[i]),
                        "nbc_high": float(b.nbc_high[i]),
                        "p_tops_differ": b.p_tops_differ,
                        "tops_differ_supported": self.tops_differ_supported,
                    }
                )
            rows.append(row)
        return rows

    def to_frame(self) -> pd.DataFrame:
        """The question as a DataFrame: one row per option, indexed by the option labels.

        The columns of :meth:`option_rows` (without ``source`` and ``question``), then each
        type's choice share and reward, as ``share: TYPE`` and ``reward: TYPE``.

        >>> frame = question.to_frame()  # doctest: +SKIP
        >>> frame.loc["Not too likely", ["average_reward", "nbc"]]  # doctest: +SKIP
        """
        import pandas as pd

        frame = _nullable(pd.DataFrame(self.option_rows()).drop(columns=["source", "question"]))
        frame = frame.set_index("option")
        for u, name in enumerate(self.types):
            frame[f"share: {name}"] = self.shares[u]
        for u, name in enumerate(self.types):
            frame[f"reward: {name}"] = self.rewards[u]
        return frame

    def summary_row(self) -> dict[str, Any]:
        """The question in one row: respondents, tops (labels joined by ``"; "``) and whether
        they differ, with the bootstrap's support, Kendall tau, each target's top choice."""
        row: dict[str, Any] = {
            "source": self.source,
            "question": self.question,
            "n_options": len(self.options),
            "n_respondents": self.n_respondents,
            "average_top": "; ".join(self.options[i] for i in self.comparison.average_top),
            "nbc_top": "; ".join(self.options[i] for i in self.comparison.nbc_top),
            "tops_differ": self.tops_differ,
            "p_tops_differ": self.p_tops_differ,
            "tops_differ_supported": self.tops_differ_supported,
            "kendall_tau": to_jsonable(self.kendall_tau),
            "targets_agree": self.targets_agree,
            "targets_disagreement_supported": self.targets_disagreement_supported,
        }
        tops = self.target_tops
        for name in TARGET_NAMES:
            if name not in ("average_reward", "nbc"):
                row[f"{name}_top"] = None if tops is None else "; ".join(tops[name])
        return row

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

    @property
    def p_tops_differ(self) -> float | None:
        """Share of bootstrap replicates whose NBC top differs from the average reward's."""
        return None if self.bootstrap is None else self.bootstrap.p_tops_differ

    @property
    def tops_differ_supported(self) -> bool | None:
        """Whether the bootstrap supports the disagreement of the two top choices.

        None when the tops agree or there is no bootstrap; otherwise whether at least
        :data:`~socialpref.surveys.bootstrap.SUPPORT_THRESHOLD` (half) of the replicates show a
        disagreement too. An unsupported disagreement is not a finding: more resamples of the
        same respondents agree than disagree (e.g. two NBC scores a few thousandths apart).
        """
        if not self.tops_differ or self.bootstrap is None:
            return None
        return self.bootstrap.p_tops_differ >= SUPPORT_THRESHOLD

    @property
    def verdict(self) -> str:
        """``"agree"``, ``"differ"`` or ``"differ (not supported)"`` (by the bootstrap)."""
        if not self.tops_differ:
            return "agree"
        return "differ (not supported)" if self.tops_differ_supported is False else "differ"

    @property
    def target_tops(self) -> dict[str, tuple[str, ...]] | None:
        """Labels of each target's top choice(s) (``condorcet``: the winner, or none), by name.

        None when the targets were not computed.
        """
        if self.targets is None:
            return None
        return {
            name: tuple(self.options[i] for i in tops) for name, tops in self.targets.tops.items()
        }

    @property
    def targets_agree(self) -> bool | None:
        """Whether every target with a choice chooses the same option(s); None when not computed."""
        return None if self.targets is None else self.targets.targets_agree

    @property
    def targets_disagreement_supported(self) -> bool | None:
        """Whether the bootstrap supports a disagreement among the targets.

        None when they agree or without bootstrap; otherwise whether at least
        :data:`~socialpref.surveys.bootstrap.SUPPORT_THRESHOLD` of the replicates disagree too.
        """
        if self.targets is None or self.targets.targets_agree or self.target_support is None:
            return None
        return self.target_support.p_disagree >= SUPPORT_THRESHOLD

    def targets_dict(self) -> dict[str, Any] | None:
        """The targets with option labels (JSON-ready), or None when not computed."""
        t, tops = self.targets, self.target_tops
        if t is None or tops is None:
            return None
        label = self.options
        lottery = t.maximal_lottery
        out: dict[str, Any] = {
            "tops": {name: list(tops[name]) for name in TARGET_NAMES},
            "agree": t.targets_agree,
            "maximal_lottery": {
                o: float(p) for o, p in zip(label, lottery.probabilities, strict=True)
            },
            "maximal_lottery_unique": lottery.unique,
            "condorcet_winner": None if t.condorcet_winner is None else label[t.condorcet_winner],
            "condorcet_loser": None if t.condorcet_loser is None else label[t.condorcet_loser],
            "copeland_scores": {o: float(x) for o, x in zip(label, t.copeland_scores, strict=True)},
            "nash_policy": {o: float(p) for o, p in zip(label, t.nash_policy, strict=True)},
            "beta": t.beta,
            "disagreement_supported": self.targets_disagreement_supported,
        }
        if self.target_support is not None:
            out["support"] = self.target_support.to_dict()
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the analysis, rankings, tau, counts, design effects, bootstrap,
        targets (NaN -> None)."""
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
            "kendall_tau": to_jsonable(self.kendall_tau),
            "sampling": self.sampling.tolist(),
            "n_per_option": self.n_per_option.tolist(),
            "n_per_type": self.n_per_type.tolist(),
            "type_columns": list(self.type_columns),
            "unchosen_options": list(self.unchosen_options),
            "kind": self.kind,
            "design": self.design.to_dict(),
            "p_tops_differ": self.p_tops_differ,
            "tops_differ_supported": self.tops_differ_supported,
        }
        if self.bootstrap is not None:
            out["bootstrap"] = to_jsonable(self.bootstrap.to_dict())
        targets = self.targets_dict()
        if targets is not None:
            out["targets"] = targets
        return out


def find_question(
    analyses: Sequence[QuestionAnalysis], key: str | tuple[str, str], container: str
) -> int | None:
    """The position in ``analyses`` of the question ``key`` (a name, or ``(source, name)``);
    None when none matches.

    Raises
    ------
    KeyError
        The name alone matches questions of several sources (the message lists them and shows
        ``container[source, name]``).
    """
    source, question = key if isinstance(key, tuple) else (None, key)
    found = [
        k
        for k, q in enumerate(analyses)
        if q.question == question and (source is None or q.source == source)
    ]
    if len(found) > 1:
        sources = ", ".join(repr(analyses[k].source) for k in found)
        first = analyses[found[0]].source
        raise KeyError(
            f"Question {question!r} is in several sources ({sources}); index with "
            f"(source, question), e.g. {container}[{first!r}, {question!r}]."
        )
    return found[0] if found else None


@dataclass(frozen=True)
class Skipped:
    """A column that was not analysed, and why.

    Attributes
    ----------
    source, question, reason : str
        The file, the column and why it was not analysed.
    kind : str
        The column's class (:data:`~socialpref.surveys.columns.ColumnKind`), or ``"absent"`` for
        a requested name that the source lacks.
    excluded : bool
        True when the column was left out for its class (a numeric, open-ended, administrative
        or derived column...), False when it was analysed and could not be (e.g. fewer than two
        options).
    """

    source: str
    question: str
    reason: str
    kind: str = "question"
    excluded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "question": self.question,
            "reason": self.reason,
            "kind": self.kind,
            "excluded": self.excluded,
        }


@dataclass(frozen=True, eq=False)
class SurveyAnalysis:
    """Result of :func:`~socialpref.surveys.analysis.analyze_survey`: analysed questions and skipped ones (with reasons)."""

    questions: list[QuestionAnalysis]
    skipped: list[Skipped]

    def __add__(self, other: SurveyAnalysis) -> SurveyAnalysis:
        return SurveyAnalysis(self.questions + other.questions, self.skipped + other.skipped)

    def __getitem__(self, key: str | tuple[str, str]) -> QuestionAnalysis:
        """The analysed question ``key``: its name, or ``(source, question)`` when several
        sources have a question of that name.

        Raises
        ------
        KeyError
            No analysed question has that key (a skipped one says why it was skipped), or the
            name alone is ambiguous (several sources have it: the message lists them).
        """
        k = find_question(self.questions, key, "analysis")
        if k is not None:
            return self.questions[k]
        source, question = key if isinstance(key, tuple) else (None, key)
        why = next(
            (
                f": skipped, {s.reason}"
                for s in self.skipped
                if s.question == question and (source is None or s.source == source)
            ),
            "",
        )
        where = "" if source is None else f" in {source!r}"
        raise KeyError(f"No analysed question {question!r}{where}{why}.")

    @property
    def unanalysable(self) -> list[Skipped]:
        """Skipped columns that were analysed and could not be (not the excluded, not absent)."""
        return [s for s in self.skipped if not s.excluded and s.kind != "absent"]

    @property
    def excluded(self) -> list[Skipped]:
        """Columns left out for their class."""
        return [s for s in self.skipped if s.excluded]

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": [q.to_dict() for q in self.questions],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per (question, option): the flat table behind ``--csv``
        (:meth:`QuestionAnalysis.option_rows` of every question)."""
        return [row for q in self.questions for row in q.option_rows()]

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_rows` as a DataFrame indexed by ``(source, question, option)``.

        >>> frame = analysis.to_frame()  # doctest: +SKIP
        >>> frame.xs("EVCAR2_W900", level="question")[["average_reward", "nbc"]]  # doctest: +SKIP
        """
        import pandas as pd

        index = ["source", "question", "option"]
        rows = self.to_rows()
        if not rows:
            return pd.DataFrame(columns=index).set_index(index)
        return _nullable(pd.DataFrame(rows).set_index(index))

    def questions_frame(self) -> pd.DataFrame:
        """One row per question (:meth:`QuestionAnalysis.summary_row`), indexed by
        ``(source, question)``."""
        import pandas as pd

        index = ["source", "question"]
        rows = [q.summary_row() for q in self.questions]
        if not rows:
            return pd.DataFrame(columns=index).set_index(index)
        return _nullable(pd.DataFrame(rows).set_index(index))
