"""Per-question analysis: type shares, choice shares, Luce rewards, average reward and NBC.

For one question (paper Section 4.3 and Appendix D): keep respondents with an answer that is
neither missing nor "Refused" (unless ``keep_refused``) and a usable type; the options are the
codes observed among them; ``p(u)`` is each type's share of the kept weight; the choice shares
are weighted per type; the Luce-Shepard rewards are the centred log shares (Eq. 27); then the
user-weighted average reward (Eq. 9) and the NBC under ``D`` (Eq. 13, uniform by default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from socialpref._typing import ArrayLike, FloatArray, IntArray
from socialpref.aggregate import (
    AggregateComparison,
    compare_aggregates,
    compare_aggregates_batch,
)
from socialpref.luce import (
    ZERO_POLICIES,
    BootstrapIntervals,
    ZeroPolicy,
    bootstrap_intervals,
    luce_rewards,
)
from socialpref.population import Population, as_sampling
from socialpref.preference import PreferenceModel, get_model
from socialpref.surveys.survey import Survey, Variable, is_no_lean_label, is_refused_label

#: The paper's user types: Pew's party summary (1 Rep/Lean Rep, 2 Dem/Lean Dem, 9 no lean).
DEFAULT_TYPES = "F_PARTYSUM_FINAL"
#: Separator of the labels of combined types.
TYPE_JOIN = " | "

TypesArg = str | Sequence[str] | None
SamplingArg = ArrayLike | Mapping[str, float] | None


@dataclass(frozen=True, eq=False)
class _TypeCoding:
    """Each respondent's type cell (``-1`` = dropped) and the label of every cell."""

    columns: tuple[str, ...]
    index: IntArray | None  # waves: (n_respondents,)
    labels: tuple[str, ...]
    kept: tuple[bool, ...] = ()  # crosstabs: which groups are kept


def _type_columns(types: TypesArg) -> tuple[str, ...]:
    if types is None:
        return (DEFAULT_TYPES,)
    if isinstance(types, str):
        cols = tuple(t.strip() for t in types.split(",") if t.strip())
    else:
        cols = tuple(str(t).strip() for t in types)
    if not cols:
        raise ValueError(
            f"The 'types' parameter must name at least one column. Got {types!r} instead."
        )
    if len(set(cols)) != len(cols):
        raise ValueError(f"The 'types' parameter names a column twice: {list(cols)!r}.")
    return cols


def _type_mask(var: Variable, drop_no_lean: bool) -> np.ndarray:
    # A respondent whose type is "Refused" has no type: --keep-refused keeps Refused as an
    # answer option only, never as a user type.
    ok = var.allowed(False).copy()
    if drop_no_lean:
        ok[:-1] &= ~np.array([is_no_lean_label(lab) for lab in var.labels], dtype=bool)
    return ok


def _code_types(survey: Survey, types: TypesArg, drop_no_lean: bool) -> _TypeCoding:
    if survey.kind == "crosstab":
        if types is not None and _type_columns(types) != ("group",):
            raise ValueError(
                f"The 'types' parameter cannot apply to crosstab {survey.source!r}: its types are its "
                f"'group' column ({', '.join(survey.groups)}). Got {types!r} instead."
            )
        kept = tuple(
            not ((drop_no_lean and is_no_lean_label(g)) or is_refused_label(g))
            for g in survey.groups
        )
        return _TypeCoding(("group",), None, survey.groups, kept)
    cols = _type_columns(types)
    known = {**survey.demographic_variables, **survey.variables}
    absent = [c for c in cols if c not in known]
    if absent:
        demo = ", ".join(survey.demographics) if survey.demographics else "none"
        raise ValueError(
            f"The 'types' parameter names column(s) that {survey.source!r} does not have: "
            f"{', '.join(absent)}. Its demographic columns: {demo}."
        )
    variables = [known[c] for c in cols]
    index = np.zeros(survey.n_rows, dtype=np.int64)
    dropped = np.zeros(survey.n_rows, dtype=bool)
    for var in variables:
        assert var.answers is not None
        ok = _type_mask(var, drop_no_lean)
        a = var.answers.astype(np.int64)
        dropped |= ~ok[a]
        index = index * var.n_codes + np.maximum(a, 0)
    if survey.weights is not None:
        dropped |= survey.weights <= 0
    if len(variables) == 1:
        index[dropped] = -1
        return _TypeCoding(cols, index, variables[0].labels)
    # several columns: number only the combinations that occur (lexicographic code order)
    combos, inverse = np.unique(index[~dropped], return_inverse=True)
    labels = []
    for combo in combos.tolist():
        parts = []
        for var in reversed(variables):
            combo, code = divmod(combo, var.n_codes)
            parts.append(var.labels[code])
        labels.append(TYPE_JOIN.join(reversed(parts)))
    index = np.full(survey.n_rows, -1, dtype=np.int64)
    index[~dropped] = inverse.reshape(-1)
    return _TypeCoding(cols, index, tuple(labels))


def _distinct(labels: list[str], codes: list[str]) -> tuple[str, ...]:
    if len(set(labels)) == len(labels):
        return tuple(labels)
    return tuple(
        f"{lab} [{c}]" if labels.count(lab) > 1 else lab
        for lab, c in zip(labels, codes, strict=True)
    )


def _sampling_vector(sampling: SamplingArg, options: tuple[str, ...]) -> FloatArray:
    if sampling is None:
        return as_sampling(None, len(options))
    if isinstance(sampling, Mapping):
        keys = {str(k) for k in sampling}
        unknown = sorted(keys - set(options))
        absent = [o for o in options if o not in keys]
        if unknown or absent:
            parts = []
            if absent:
                parts.append(f"no probability for {absent!r}")
            if unknown:
                parts.append(f"labels that are not options: {unknown!r}")
            raise ValueError(
                f"The 'sampling' parameter must give one probability per option {list(options)!r}: "
                f"{'; '.join(parts)}."
            )
        values = {str(k): v for k, v in sampling.items()}
        return as_sampling([float(values[o]) for o in options], len(options))
    return as_sampling(sampling, len(options))


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
    """Result of :func:`analyze_question`: one question, its types, rewards and both rankings.

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
    """Result of :func:`analyze_survey`: analysed questions and skipped ones (with reasons)."""

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


def _check_options(zero_policy: str, bootstrap: int, model: PreferenceModel | str | None) -> None:
    if zero_policy not in ZERO_POLICIES:
        raise ValueError(
            f"The 'zero_policy' parameter must be one of {ZERO_POLICIES}. Got {zero_policy!r} instead."
        )
    if (
        isinstance(bootstrap, bool)
        or not isinstance(bootstrap, (int, np.integer))
        or bootstrap < 0
        or bootstrap == 1
    ):
        raise ValueError(
            f"The 'bootstrap' parameter must be 0 (off) or an integer >= 2. Got {bootstrap!r} instead."
        )
    get_model(model)


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Everything about one question except its rewards and aggregates."""

    var: Variable
    options: tuple[str, ...]
    types: tuple[str, ...]
    opt_idx: IntArray
    type_idx: IntArray
    counts: FloatArray
    type_weights: FloatArray
    shares: FloatArray
    n_kept: int
    n_per_option: IntArray
    n_per_type: IntArray
    sampling: FloatArray
    unchosen: tuple[str, ...]


def _cell_counts(
    survey: Survey, var: Variable, coding: _TypeCoding, keep_refused: bool
) -> tuple[FloatArray, IntArray]:
    """Weighted and unweighted counts per (type cell, code) of the kept respondents."""
    n_codes = var.n_codes
    allowed = var.allowed(keep_refused)
    n_cells = len(coding.labels)
    if var.answers is None:
        assert var.counts is not None
        mask = np.outer(np.asarray(coding.kept, dtype=bool), allowed[:-1])
        wcounts = np.where(mask, var.counts, 0.0)
        return wcounts, np.rint(wcounts).astype(np.int64)
    assert coding.index is not None
    a = var.answers.astype(np.intp)
    keep = allowed[a] & (coding.index >= 0)
    cell = np.where(keep, coding.index * n_codes + a, n_cells * n_codes)
    size = n_cells * n_codes + 1
    ncounts = np.asarray(
        np.bincount(cell, minlength=size)[:-1].reshape(n_cells, n_codes), dtype=np.int64
    )
    if survey.weights is None:
        return ncounts.astype(np.float64), ncounts
    wcounts = np.asarray(
        np.bincount(cell, weights=survey.weights, minlength=size)[:-1], dtype=np.float64
    ).reshape(n_cells, n_codes)
    return wcounts, ncounts


def _answer_matrix(survey: Survey, variables: list[Variable]) -> tuple[IntArray, int]:
    """Answers of ``variables`` stacked ``(n_questions, n)``, missing mapped to ``width - 1``."""
    key = ("answer_matrix", tuple(v.name for v in variables))
    hit = survey.cache.get(key)
    if hit is not None:
        return cast("tuple[IntArray, int]", hit)
    width = max(v.n_codes for v in variables) + 1
    mat = np.empty((len(variables), survey.n_rows), dtype=np.int64)
    for k, v in enumerate(variables):
        assert v.answers is not None
        mat[k] = v.answers
    mat[mat < 0] = width - 1
    survey.cache.clear()
    survey.cache[key] = (mat, width)
    return mat, width


def _all_cell_counts(
    survey: Survey, variables: list[Variable], coding: _TypeCoding, keep_refused: bool
) -> list[tuple[FloatArray, IntArray]]:
    """:func:`_cell_counts` for many wave questions, a block of questions per ``np.bincount``.

    Every answer is counted (type cell x code, with one extra row for dropped respondents and
    one extra column for missing answers); codes that are not kept are zeroed afterwards.
    """
    assert coding.index is not None
    n_cells = len(coding.labels)
    n = survey.n_rows
    out: list[tuple[FloatArray, IntArray]] = []
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    rows = np.where(coding.index >= 0, coding.index, n_cells)
    for start in range(0, len(variables), block):
        chunk = variables[start : start + block]
        answers, width = _answer_matrix(survey, chunk)
        size = (n_cells + 1) * width
        cell = answers + (rows * width)[None, :]
        cell += (np.arange(len(chunk), dtype=np.int64) * size)[:, None]
        flat = cell.ravel()
        ncounts = np.asarray(
            np.bincount(flat, minlength=len(chunk) * size), dtype=np.int64
        ).reshape(len(chunk), n_cells + 1, width)
        wcounts: FloatArray
        if survey.weights is None:
            wcounts = ncounts.astype(np.float64)
        else:
            wflat = np.broadcast_to(survey.weights, (len(chunk), n)).ravel()
            wcounts = np.asarray(
                np.bincount(flat, weights=wflat, minlength=len(chunk) * size), dtype=np.float64
            ).reshape(len(chunk), n_cells + 1, width)
        for k, v in enumerate(chunk):
            dropped = ~v.allowed(keep_refused)[:-1]
            nc = ncounts[k, :n_cells, : v.n_codes].copy()
            wc = wcounts[k, :n_cells, : v.n_codes].copy()
            nc[:, dropped] = 0
            wc[:, dropped] = 0.0
            out.append((wc, nc))
    return out


#: Elements (respondents x questions) counted per ``np.bincount`` call in :func:`analyze_survey`.
_BLOCK_ELEMENTS = 2_000_000


def _prepare(
    survey: Survey,
    var: Variable,
    coding: _TypeCoding,
    wcounts: FloatArray,
    ncounts: IntArray,
    keep_refused: bool,
    sampling: SamplingArg,
) -> _Prepared:
    allowed = var.allowed(keep_refused)
    observed = (ncounts.sum(axis=0) > 0) if var.answers is not None else (wcounts.sum(axis=0) > 0)
    opt_idx = np.flatnonzero(observed)
    type_idx = np.flatnonzero(wcounts[:, opt_idx].sum(axis=1) > 0)
    unchosen = tuple(var.labels[i] for i in range(var.n_codes) if allowed[i] and not observed[i])
    options = _distinct([var.labels[i] for i in opt_idx], [f"{var.codes[i]:g}" for i in opt_idx])
    n_kept = int(ncounts.sum())
    if len(opt_idx) < 2:
        got = f"only {options[0]!r}" if options else "none"
        raise ValueError(
            f"Question {var.name!r} of {survey.source!r} has fewer than two options after filtering "
            f"({got}; {n_kept} respondents kept)."
        )
    types = _distinct([coding.labels[i] for i in type_idx], [str(i) for i in type_idx])
    counts = wcounts[type_idx][:, opt_idx]
    row = counts.sum(axis=1)  # p(u) and shares as socialpref.shares_from_counts
    sub_n = ncounts[type_idx][:, opt_idx]
    return _Prepared(
        var=var,
        options=options,
        types=types,
        opt_idx=opt_idx,
        type_idx=type_idx,
        counts=counts,
        type_weights=row / row.sum(),
        shares=counts / row[:, None],
        n_kept=n_kept,
        n_per_option=sub_n.sum(axis=0).astype(np.int64),
        n_per_type=sub_n.sum(axis=1).astype(np.int64),
        sampling=_sampling_vector(sampling, options),
        unchosen=unchosen,
    )


def _bootstrap(
    survey: Survey,
    prep: _Prepared,
    coding: _TypeCoding,
    keep_refused: bool,
    n_boot: int,
    seed: int | None,
    model: PreferenceModel | str | None,
    zero_policy: ZeroPolicy,
) -> BootstrapIntervals:
    var = prep.var
    if var.answers is None or coding.index is None:
        raise ValueError(
            f"The 'bootstrap' parameter needs respondent-level data; {survey.source!r} is a crosstab."
        )
    keep = var.allowed(keep_refused)[var.answers.astype(np.intp)] & (coding.index >= 0)
    remap_o = np.full(var.n_codes, -1, dtype=np.int64)
    remap_o[prep.opt_idx] = np.arange(prep.opt_idx.size)
    remap_t = np.full(len(coding.labels), -1, dtype=np.int64)
    remap_t[prep.type_idx] = np.arange(prep.type_idx.size)
    rows = np.flatnonzero(keep)
    return bootstrap_intervals(
        remap_o[var.answers[rows].astype(np.int64)],
        remap_t[coding.index[rows]],
        prep.type_idx.size,
        prep.opt_idx.size,
        None if survey.weights is None else survey.weights[rows],
        n_boot=int(n_boot),
        rng=seed,
        sampling=prep.sampling,
        model=model,
        zero_policy=zero_policy,
    )


def _result(
    survey: Survey,
    prep: _Prepared,
    coding: _TypeCoding,
    rewards: FloatArray,
    comparison: AggregateComparison,
    intervals: BootstrapIntervals | None = None,
) -> QuestionAnalysis:
    return QuestionAnalysis(
        source=survey.source,
        question=prep.var.name,
        text=prep.var.text,
        options=prep.options,
        types=prep.types,
        type_weights=prep.type_weights,
        shares=prep.shares,
        rewards=rewards,
        n_respondents=prep.n_kept,
        comparison=comparison,
        unchosen_options=prep.unchosen,
        counts=prep.counts,
        n_per_option=prep.n_per_option,
        n_per_type=prep.n_per_type,
        sampling=prep.sampling,
        type_columns=coding.columns,
        bootstrap=intervals,
    )


def _analyze(
    survey: Survey,
    var: Variable,
    coding: _TypeCoding,
    *,
    keep_refused: bool,
    sampling: SamplingArg,
    model: PreferenceModel | str | None,
    zero_policy: ZeroPolicy,
    bootstrap: int,
    seed: int | None,
) -> QuestionAnalysis:
    wcounts, ncounts = _cell_counts(survey, var, coding, keep_refused)
    prep = _prepare(survey, var, coding, wcounts, ncounts, keep_refused, sampling)
    rewards = luce_rewards(prep.shares, zero_policy, options=prep.options, types=prep.types)
    comparison = compare_aggregates(rewards, prep.type_weights, prep.sampling, model)
    intervals = None
    if bootstrap:
        intervals = _bootstrap(
            survey, prep, coding, keep_refused, bootstrap, seed, model, zero_policy
        )
    return _result(survey, prep, coding, rewards, comparison, intervals)


def analyze_question(
    survey: Survey,
    question: str,
    *,
    types: TypesArg = None,
    keep_refused: bool = False,
    drop_no_lean: bool = False,
    sampling: SamplingArg = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    bootstrap: int = 0,
    seed: int | None = None,
) -> QuestionAnalysis:
    """Analyse one question: type shares, choice shares, Luce rewards, average reward, NBC.

    Parameters
    ----------
    survey : Survey
        From :func:`read_wave`, :func:`read_crosstab` or :func:`read_source`.
    question : str
        Question name; an unknown name raises ``ValueError`` suggesting the closest names.
    types : str or sequence of str, optional
        Type column(s), e.g. ``"F_PARTYSUM_FINAL,F_EDUCCAT"`` (a type is the tuple of codes);
        default ``F_PARTYSUM_FINAL``. A crosstab's types are its ``group`` column.
    keep_refused : bool
        Keep "Refused" (code 99) as an answer option instead of dropping it. A respondent whose
        *type* is "Refused" is always dropped (they have no user type).
    drop_no_lean : bool
        Drop types labelled as no lean / DK / refused (``F_PARTYSUM_FINAL`` code 9). The paper
        keeps them as a type ("Neither/refused"), as does the default.
    sampling : vector or dict {option label: probability}, optional
        The distribution ``D`` of alternatives for NBC (Eq. 13); uniform by default.
    model : PreferenceModel or str, optional
        The annotators' preference model for NBC (default Bradley-Terry, ``"bt"``).
    zero_policy : {"mix", "error", "reference"}
        How Luce rewards treat a zero share (see :func:`socialpref.luce_rewards`).
    bootstrap : int
        Number of respondent-level weighted bootstrap replicates (0 = none).
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    QuestionAnalysis

    Raises
    ------
    ValueError
        Unknown question or type column (the message lists the demographic columns), fewer than
        two options after filtering, a bad ``sampling``, bootstrap on a crosstab.

    Examples
    --------
    >>> from socialpref.surveys import read_wave, analyze_question  # doctest: +SKIP
    >>> qa = analyze_question(read_wave("data/demo/ATP W900.sav"), "EVCAR2_W900")  # doctest: +SKIP
    >>> qa.nbc_top, qa.average_top  # doctest: +SKIP
    ('Not too likely', 'Not at all likely')
    """
    _check_options(zero_policy, bootstrap, model)
    var = survey.question(question)
    coding = _code_types(survey, types, drop_no_lean)
    return _analyze(
        survey,
        var,
        coding,
        keep_refused=keep_refused,
        sampling=sampling,
        model=model,
        zero_policy=zero_policy,
        bootstrap=bootstrap,
        seed=seed,
    )


def analyze_survey(
    survey: Survey,
    questions: Sequence[str] | None = None,
    *,
    types: TypesArg = None,
    keep_refused: bool = False,
    drop_no_lean: bool = False,
    sampling: SamplingArg = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    bootstrap: int = 0,
    seed: int | None = None,
    on_unknown: str = "error",
) -> SurveyAnalysis:
    """Analyse every question (or ``questions``) of a survey; unanalysable ones are skipped.

    Options are those of :func:`analyze_question`; the types are coded once for all questions.
    A question that cannot be analysed (e.g. fewer than two options after filtering, a
    ``sampling`` that does not fit its options) goes to ``skipped`` with its reason and the
    run goes on. Errors that concern the whole run (unknown type column, bad option values)
    raise ``ValueError``. ``on_unknown="skip"`` skips requested questions the survey lacks
    instead of raising (useful across several sources).
    """
    _check_options(zero_policy, bootstrap, model)
    if on_unknown not in ("error", "skip"):
        raise ValueError(
            f"The 'on_unknown' parameter must be 'error' or 'skip'. Got {on_unknown!r} instead."
        )
    if bootstrap and survey.kind == "crosstab":
        raise ValueError(
            f"The 'bootstrap' parameter needs respondent-level data; {survey.source!r} is a crosstab."
        )
    names = list(dict.fromkeys(survey.questions if questions is None else questions))
    coding = _code_types(survey, types, drop_no_lean)
    for name in names:
        if name not in survey.variables and on_unknown == "error":
            survey.question(name)  # raises with suggestions
    known = [survey.variables[n] for n in dict.fromkeys(names) if n in survey.variables]
    if survey.kind == "wave":
        counted = _all_cell_counts(survey, known, coding, keep_refused)
    else:
        counted = [_cell_counts(survey, v, coding, keep_refused) for v in known]
    reasons: dict[str, str] = {}
    prepared: dict[str, _Prepared] = {}
    for var, (wcounts, ncounts) in zip(known, counted, strict=True):
        try:
            prepared[var.name] = _prepare(
                survey, var, coding, wcounts, ncounts, keep_refused, sampling
            )
        except ValueError as exc:
            reasons[var.name] = str(exc)
    results: dict[str, QuestionAnalysis] = {}
    groups: dict[tuple[int, int], list[_Prepared]] = {}
    for prep in prepared.values():
        groups.setdefault(prep.shares.shape, []).append(prep)  # type: ignore[arg-type]
    for group in groups.values():
        stacked = np.concatenate([p.shares for p in group])
        try:
            flat = luce_rewards(stacked, zero_policy)
        except ValueError:  # e.g. zero_policy="error": find out which questions, one by one
            flat = None
        if flat is None:
            pending = []
            for prep in group:
                try:
                    luce_rewards(prep.shares, zero_policy, options=prep.options, types=prep.types)
                    pending.append(prep)
                except ValueError as exc:
                    reasons[prep.var.name] = str(exc)
            group = pending
            if not group:
                continue
            flat = luce_rewards(np.concatenate([p.shares for p in group]), zero_policy)
        n_types, n_options = group[0].shares.shape
        rewards = flat.reshape(len(group), n_types, n_options)
        comparisons = compare_aggregates_batch(
            rewards,
            np.stack([p.type_weights for p in group]),
            np.stack([p.sampling for p in group]),
            model,
        )
        for k, (prep, comparison) in enumerate(zip(group, comparisons, strict=True)):
            try:
                intervals = None
                if bootstrap:
                    intervals = _bootstrap(
                        survey, prep, coding, keep_refused, bootstrap, seed, model, zero_policy
                    )
                results[prep.var.name] = _result(
                    survey, prep, coding, rewards[k], comparison, intervals
                )
            except ValueError as exc:
                reasons[prep.var.name] = str(exc)
    done: list[QuestionAnalysis] = []
    skipped: list[Skipped] = []
    for name in names:
        if name in results:
            done.append(results[name])
        elif name in reasons:
            skipped.append(Skipped(survey.source, name, reasons[name]))
        elif name not in survey.variables:
            skipped.append(Skipped(survey.source, name, f"not a question of {survey.source!r}"))
    return SurveyAnalysis(done, skipped)
