"""Per-question analysis: type shares, choice shares, Luce rewards, average reward and NBC.

For one question (paper Section 4.3 and Appendix D): keep respondents whose answer is an option
(a substantive answer under the default rule; see :class:`~socialpref.surveys.survey.AnswerRule`)
and who have a user type; the options are the codes observed among them; ``p(u)`` is each
type's share of the kept weight; the choice shares are weighted per type; the Luce-Shepard
rewards are the centred log shares (Eq. 27); then the user-weighted average reward (Eq. 9) and
the NBC under ``D`` (Eq. 13, uniform by default). Kish's design effect and margin of error come
with every question, and a respondent-level bootstrap on request.

Which columns are analysed: the single-choice questions (:mod:`~socialpref.surveys.columns`);
``include`` brings other classes back; ``preprocessing="paper"`` analyses the columns that the
paper's reference code did. Every column left out is in ``skipped`` with its class and reason.

The steps live in their own modules: :mod:`~socialpref.surveys.user_types` (type coding),
:mod:`~socialpref.surveys.shares` (cell counts, options, ``p(u)``, shares),
:mod:`~socialpref.surveys.sampling` (``D``), :mod:`~socialpref.surveys.design` (design
effects), :mod:`~socialpref.surveys.bootstrap` and :mod:`~socialpref.surveys.results` (the
result dataclasses).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from socialpref._typing import FloatArray
from socialpref._validation import check_scalar
from socialpref.aggregate import AggregateComparison, compare_aggregates_batch
from socialpref.errors import DataError, ParameterError, SocialPrefError
from socialpref.luce import ZERO_POLICIES, ZeroPolicy, luce_rewards
from socialpref.preference import PreferenceModel, get_model
from socialpref.surveys.binning import bin_variable
from socialpref.surveys.bootstrap import bootstrap_questions
from socialpref.surveys.columns import INCLUDABLE_KINDS, Column, is_paper_question
from socialpref.surveys.objectives import DEFAULT_BETA, target_support
from socialpref.surveys.results import QuestionAnalysis, Skipped, SurveyAnalysis
from socialpref.surveys.sampling import SamplingArg
from socialpref.surveys.shares import (
    PreparedGroup,
    PreparedQuestion,
    count_cells,
    prepare_questions,
)
from socialpref.surveys.survey import AnswerRule, Preprocessing, Survey, Variable
from socialpref.surveys.user_types import TypesArg, _code_types, _TypeCoding
from socialpref.targets import TargetComparison, compare_targets_batch

#: Column classes never listed in ``skipped``: they have a role of their own (the respondent
#: id, the weights, the demographics that define types), which ``surveys list`` shows.
_ROLE_KINDS = frozenset({"id", "weight", "demographic"})

IncludeArg = str | Sequence[str] | None


def _include_kinds(include: IncludeArg) -> tuple[str, ...]:
    if include is None:
        return ()
    kinds = (
        [k.strip() for k in include.split(",") if k.strip()]
        if isinstance(include, str)
        else [str(k).strip() for k in include]
    )
    unknown = [k for k in kinds if k not in INCLUDABLE_KINDS]
    if unknown:
        raise ParameterError(
            f"The 'include' parameter must name column classes among {INCLUDABLE_KINDS}. "
            f"Got {unknown!r} instead."
        )
    return tuple(dict.fromkeys(kinds))


def _check_options(
    zero_policy: str,
    bootstrap: int,
    model: PreferenceModel | str | None,
    level: float,
    bins: int | None,
    kinds: tuple[str, ...],
    beta: float,
) -> None:
    if zero_policy not in ZERO_POLICIES:
        raise ParameterError(
            f"The 'zero_policy' parameter must be one of {ZERO_POLICIES}. Got {zero_policy!r} instead."
        )
    if (
        isinstance(bootstrap, bool)
        or not isinstance(bootstrap, (int, np.integer))
        or bootstrap < 0
        or bootstrap == 1
    ):
        raise ParameterError(
            f"The 'bootstrap' parameter must be 0 (off) or an integer >= 2. Got {bootstrap!r} instead."
        )
    check_scalar(level, "level", float, 0, 1, include_boundaries="neither")
    check_scalar(beta, "beta", float, min_val=0, include_boundaries="neither")
    if bins is not None:
        check_scalar(bins, "bins", int, min_val=2)
        if "numeric" not in kinds:
            raise ParameterError(
                "The 'bins' parameter applies to numeric columns: include them with "
                "include=['numeric'] (--include-kind numeric)."
            )
    get_model(model)


def _selected(column: Column, kinds: tuple[str, ...], rule: AnswerRule) -> bool:
    if rule.preprocessing == "paper":
        return is_paper_question(column)
    return column.kind == "question" or column.kind in kinds


def _exclusion(column: Column, rule: AnswerRule, coded: bool) -> str:
    """Why ``column`` is not analysed (``coded``: it has numeric codes an analysis could take)."""
    if rule.preprocessing == "paper":
        why = column.reason or "no value labels"
        return f"{column.kind}: not a question under preprocessing='paper' ({why})"
    if column.kind in INCLUDABLE_KINDS and coded:
        return (
            f"{column.kind}: {column.reason}; include=['{column.kind}'] "
            f"(--include-kind {column.kind}) analyses it"
        )
    return f"{column.kind}: {column.reason}"


def _result(
    survey: Survey,
    prep: PreparedQuestion,
    coding: _TypeCoding,
    rewards: FloatArray,
    comparison: AggregateComparison,
    targets: TargetComparison | None,
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
        design=prep.design,
        kind=prep.var.kind,
        targets=targets,
    )


def _group_rewards(
    group: PreparedGroup, zero_policy: ZeroPolicy, errors: dict[str, SocialPrefError]
) -> tuple[PreparedGroup, FloatArray] | None:
    """The Luce rewards ``(G, n_types, n_options)`` of a group, in one call.

    When that call fails (e.g. ``zero_policy="error"``), the questions are tried one by one to
    find out which fail: their errors go into ``errors`` and the group is returned without them
    (None when none is left).
    """
    g_count, n_types, n_options = group.shares.shape
    try:
        flat = luce_rewards(group.shares.reshape(-1, n_options), zero_policy)
        return group, flat.reshape(g_count, n_types, n_options)
    except SocialPrefError:
        pass
    keep = []
    for k, prep in enumerate(group.questions):
        try:
            luce_rewards(prep.shares, zero_policy, options=prep.options, types=prep.types)
            keep.append(k)
        except SocialPrefError as exc:
            errors[prep.var.name] = exc
    if not keep:
        return None
    kept = PreparedGroup(
        questions=tuple(group.questions[k] for k in keep),
        shares=group.shares[keep],
        type_weights=group.type_weights[keep],
        sampling=group.sampling[keep],
    )
    flat = luce_rewards(kept.shares.reshape(-1, n_options), zero_policy)
    return kept, flat.reshape(len(keep), n_types, n_options)


def _analyze_all(
    survey: Survey,
    variables: list[Variable],
    coding: _TypeCoding,
    rule: AnswerRule,
    sampling: SamplingArg,
    model: PreferenceModel | str | None,
    zero_policy: ZeroPolicy,
    beta: float | None,
) -> tuple[dict[str, tuple[QuestionAnalysis, PreparedQuestion]], dict[str, SocialPrefError]]:
    """Analyse ``variables``: results by name, and the error of each that cannot be analysed.

    Every step runs on the stack of questions of one shape (types x options) at once.
    ``beta``: compute every target (:func:`socialpref.targets.compare_targets_batch`, with the
    Nash policy at ``beta``), else (None) the average reward and NBC only.
    """
    counted = count_cells(survey, variables, coding, rule)
    groups, errors = prepare_questions(survey, variables, coding, counted, rule, sampling)
    results: dict[str, tuple[QuestionAnalysis, PreparedQuestion]] = {}
    for whole in groups:
        done = _group_rewards(whole, zero_policy, errors)
        if done is None:
            continue
        group, rewards = done
        targets: list[TargetComparison | None] = [None] * len(group.questions)
        if beta is None:
            comparisons = compare_aggregates_batch(
                rewards, group.type_weights, group.sampling, model
            )
        else:
            targets = list(
                compare_targets_batch(rewards, group.type_weights, group.sampling, model, beta=beta)
            )
            comparisons = [t.aggregates for t in targets if t is not None]
        for k, (prep, comparison) in enumerate(zip(group.questions, comparisons, strict=True)):
            results[prep.var.name] = (
                _result(survey, prep, coding, rewards[k], comparison, targets[k]),
                prep,
            )
    return results, errors


def _with_bootstrap(
    survey: Survey,
    analysed: list[tuple[QuestionAnalysis, PreparedQuestion]],
    coding: _TypeCoding,
    bootstrap: int,
    seed: int | np.random.Generator | None,
    model: PreferenceModel | str | None,
    zero_policy: ZeroPolicy,
    level: float,
    beta: float | None,
) -> list[QuestionAnalysis]:
    if not bootstrap:
        return [qa for qa, _ in analysed]
    intervals = bootstrap_questions(
        survey, [p for _, p in analysed], coding, bootstrap, seed, model, zero_policy, level
    )
    supports: list[object] = [None] * len(intervals)
    if beta is not None:
        tops = [qa.targets.tops for qa, _ in analysed if qa.targets is not None]
        supports = list(target_support(intervals, tops, model, beta))
    return [
        dataclasses.replace(qa, bootstrap=b, target_support=t)  # type: ignore[arg-type]
        for (qa, _), b, t in zip(analysed, intervals, supports, strict=True)
    ]


def _variable(survey: Survey, name: str, bins: int | None, rule: AnswerRule) -> Variable:
    var = survey.variables[name]
    if bins is not None and var.kind == "numeric" and var.answers is not None:
        return bin_variable(var, bins, rule)
    return var


def _run(
    survey: Survey,
    questions: Sequence[str] | None = None,
    *,
    types: TypesArg = None,
    keep_dk: bool = False,
    preprocessing: Preprocessing = "default",
    include: IncludeArg = None,
    bins: int | None = None,
    drop_no_lean: bool = False,
    sampling: SamplingArg = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    on_unknown: str = "error",
    targets: bool = False,
    beta: float = DEFAULT_BETA,
) -> tuple[SurveyAnalysis, dict[str, SocialPrefError]]:
    """:func:`analyze_survey`, and the exception of each column that could not be analysed."""
    kinds = _include_kinds(include)
    _check_options(zero_policy, bootstrap, model, level, bins, kinds, beta)
    if not isinstance(targets, (bool, np.bool_)):
        raise ParameterError(
            f"The 'targets' parameter must be True or False. Got {targets!r} instead."
        )
    target_beta = float(beta) if targets else None
    rule = AnswerRule(keep_dk, preprocessing)
    if on_unknown not in ("error", "skip"):
        raise ParameterError(
            f"The 'on_unknown' parameter must be 'error' or 'skip'. Got {on_unknown!r} instead."
        )
    if survey.kind == "crosstab":
        if bootstrap:
            raise ParameterError(
                f"The 'bootstrap' parameter needs respondent-level data; {survey.source!r} is a crosstab."
            )
        if preprocessing == "paper":
            raise DataError(
                f"preprocessing='paper' drops code 99 and the declared missing codes, which needs "
                f"a wave's codes; {survey.source!r} is a crosstab with option labels only."
            )
    if rule.preprocessing == "paper" and kinds:
        raise ParameterError(
            "The 'include' parameter cannot apply with preprocessing='paper', which analyses the "
            "columns the paper's code did."
        )
    coding = _code_types(survey, types, drop_no_lean, rule)
    by_name = {c.name: c for c in survey.columns}
    skipped: dict[str, Skipped] = {}
    if questions is None:
        names = [
            c.name
            for c in survey.columns
            if _selected(c, kinds, rule) and c.name in survey.variables
        ]
        for c in survey.columns:
            if c.name not in names and c.kind not in _ROLE_KINDS:
                skipped[c.name] = Skipped(
                    survey.source,
                    c.name,
                    _exclusion(c, rule, c.name in survey.variables),
                    c.kind,
                    True,
                )
    else:
        names = []
        for name in dict.fromkeys(questions):
            col = by_name.get(name)
            if name not in survey.variables:
                if on_unknown == "error":
                    survey.question(name)  # raises with suggestions or the column's class
                why = (
                    _exclusion(col, rule, name in survey.variables)
                    if col is not None
                    else f"not a question of {survey.source!r}"
                )
                skipped[name] = Skipped(
                    survey.source, name, why, "absent" if col is None else col.kind, col is not None
                )
            elif col is not None and not _selected(col, kinds, rule):
                skipped[name] = Skipped(
                    survey.source,
                    name,
                    _exclusion(col, rule, name in survey.variables),
                    col.kind,
                    True,
                )
            else:
                names.append(name)
    variables = [_variable(survey, n, bins, rule) for n in names]
    results, errors = _analyze_all(
        survey, variables, coding, rule, sampling, model, zero_policy, target_beta
    )
    analysed = [results[n] for n in names if n in results]
    done = _with_bootstrap(
        survey, analysed, coding, bootstrap, seed, model, zero_policy, level, target_beta
    )
    for name, exc in errors.items():
        skipped[name] = Skipped(survey.source, name, str(exc), survey.variables[name].kind)
    order = {c.name: k for k, c in enumerate(survey.columns)}
    ordered = sorted(skipped.values(), key=lambda s: order.get(s.question, len(order)))
    return SurveyAnalysis(done, ordered), errors


def analyze_survey(
    survey: Survey,
    questions: Sequence[str] | None = None,
    *,
    types: TypesArg = None,
    keep_dk: bool = False,
    preprocessing: Preprocessing = "default",
    include: IncludeArg = None,
    bins: int | None = None,
    drop_no_lean: bool = False,
    sampling: SamplingArg = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    on_unknown: str = "error",
    targets: bool = False,
    beta: float = DEFAULT_BETA,
) -> SurveyAnalysis:
    """Analyse every question (or ``questions``) of a survey; the others are skipped with reasons.

    Parameters
    ----------
    survey : Survey
        From :func:`read_wave`, :func:`read_crosstab` or :func:`read_source`.
    questions : sequence of str, optional
        Only these columns (default: every column the rules select). An unknown name raises
        ``ParameterError`` suggesting the closest names (``on_unknown="skip"``: skipped).
    types : str or sequence of str, optional
        Type column(s), e.g. ``"F_PARTYSUM_FINAL,F_EDUCCAT"`` (a type is the tuple of codes);
        default ``F_PARTYSUM_FINAL``. A crosstab's types are its ``group`` column.
    keep_dk : bool
        Keep pure "don't know" answers as an option. Refusals, "not asked" and errors never are,
        and a respondent whose *type* is a non-answer is always dropped.
    preprocessing : {"default", "paper"}
        ``"default"``: non-answers are never options and only single-choice questions are
        analysed. ``"paper"``: the paper's reference code: drop code 99 and the codes the file
        declares user-missing (pyreadstat's default read them as NaN), keep every other code,
        of answers and of types, and analyse every labelled column that is not the id,
        a weight, ``F_*`` or one of its ten administrative names (see
        :data:`~socialpref.surveys.columns.PAPER_ADMIN`); waves only.
    include : str or sequence of str, optional
        Other column classes to analyse besides questions: ``"numeric"``, ``"open-ended"``,
        ``"derived"``, ``"admin"``, ``"demographic"`` (``"numeric,open-ended"`` works too).
    bins : int, optional
        Analyse included numeric columns as at most ``bins`` equal-count ranges of values
        (:func:`~socialpref.surveys.binning.bin_variable`) instead of one option per value.
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
        Respondent-level weighted bootstrap replicates (0 = none; waves only): intervals for
        shares, type weights, rewards, average reward and NBC, and ``P(tops differ)``.
    seed : int or Generator, optional
        Seed of the bootstrap.
    level : float
        Level of the bootstrap's percentile intervals.
    on_unknown : {"error", "skip"}
        What to do with requested names the survey lacks.
    targets : bool
        Also compute what every other aggregation target chooses
        (:attr:`QuestionAnalysis.targets`: maximal lottery, Condorcet winner, Copeland, NLHF
        Nash policy), batched per shape; with a bootstrap, how often the replicates agree
        (:attr:`QuestionAnalysis.target_support`).
    beta : float
        Regularisation of the Nash policy (uniform reference), > 0.

    Returns
    -------
    SurveyAnalysis
        ``questions``: the analysed columns; ``skipped``: every other column of the source but
        the id, weights and demographics (``excluded=True``, with its class and reason), and the
        columns that could not be analysed (e.g. fewer than two options after filtering, a
        ``sampling`` that does not fit their options), with the reason.

    Raises
    ------
    ParameterError
        Bad option values, an unknown question (``on_unknown="error"``), a bootstrap on a
        crosstab.
    DataError
        ``preprocessing="paper"`` on a crosstab (it has no codes).
    MissingTypeColumnError
        A type column the source lacks (a :class:`~socialpref.errors.DataError` naming the
        nearest columns present); raised before any counting.

    Examples
    --------
    >>> from socialpref.surveys import read_wave, analyze_survey  # doctest: +SKIP
    >>> r = analyze_survey(read_wave("data/demo/ATP W900.sav"), bootstrap=200, seed=0)  # doctest: +SKIP
    >>> [q.question for q in r.questions if q.tops_differ_supported]  # doctest: +SKIP
    """
    return _run(
        survey,
        questions,
        types=types,
        keep_dk=keep_dk,
        preprocessing=preprocessing,
        include=include,
        bins=bins,
        drop_no_lean=drop_no_lean,
        sampling=sampling,
        model=model,
        zero_policy=zero_policy,
        bootstrap=bootstrap,
        seed=seed,
        level=level,
        on_unknown=on_unknown,
        targets=targets,
        beta=beta,
    )[0]


def analyze_question(
    survey: Survey,
    question: str,
    *,
    types: TypesArg = None,
    keep_dk: bool = False,
    preprocessing: Preprocessing = "default",
    include: IncludeArg = None,
    bins: int | None = None,
    drop_no_lean: bool = False,
    sampling: SamplingArg = None,
    model: PreferenceModel | str | None = None,
    zero_policy: ZeroPolicy = "mix",
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    targets: bool = False,
    beta: float = DEFAULT_BETA,
) -> QuestionAnalysis:
    """Analyse one question: :func:`analyze_survey` with one name, raising instead of skipping.

    Options as :func:`analyze_survey`. With the same ``seed`` and types, its bootstrap draws the
    same replicates as a whole-survey run.

    Raises
    ------
    ParameterError
        Unknown question (suggesting the closest names), a column of a class that is not
        included (the message says which option brings it), bad options.
    DataError
        A missing type column, fewer than two options after filtering.

    Examples
    --------
    >>> from socialpref.surveys import read_wave, analyze_question  # doctest: +SKIP
    >>> qa = analyze_question(read_wave("data/demo/ATP W900.sav"), "EVCAR2_W900")  # doctest: +SKIP
    >>> qa.nbc_top, qa.average_top  # doctest: +SKIP
    ('Not too likely', 'Not at all likely')
    """
    survey.question(question)  # an unknown name raises here, with suggestions
    result, errors = _run(
        survey,
        [question],
        types=types,
        keep_dk=keep_dk,
        preprocessing=preprocessing,
        include=include,
        bins=bins,
        drop_no_lean=drop_no_lean,
        sampling=sampling,
        model=model,
        zero_policy=zero_policy,
        bootstrap=bootstrap,
        seed=seed,
        level=level,
        targets=targets,
        beta=beta,
    )
    if result.questions:
        return result.questions[0]
    if question in errors:
        raise errors[question]  # e.g. fewer than two options, with its own type
    raise ParameterError(
        f"{question!r} of {survey.source!r} is not analysed: {result.skipped[0].reason}."
    )


__all__ = ["analyze_question", "analyze_survey"]
