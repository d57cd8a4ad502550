"""Per-question analysis: type shares, choice shares, Luce rewards, average reward and NBC.

For one question (paper Section 4.3 and Appendix D): keep respondents with an answer that is
neither missing nor "Refused" (unless ``keep_refused``) and a usable type; the options are the
codes observed among them; ``p(u)`` is each type's share of the kept weight; the choice shares
are weighted per type; the Luce-Shepard rewards are the centred log shares (Eq. 27); then the
user-weighted average reward (Eq. 9) and the NBC under ``D`` (Eq. 13, uniform by default).

The steps live in their own modules: :mod:`~socialpref.surveys.user_types` (type coding),
:mod:`~socialpref.surveys.shares` (cell counts, options, ``p(u)``, shares),
:mod:`~socialpref.surveys.sampling` (``D``), :mod:`~socialpref.surveys.bootstrap` and
:mod:`~socialpref.surveys.results` (the result dataclasses).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from socialpref._typing import FloatArray
from socialpref.aggregate import (
    AggregateComparison,
    compare_aggregates,
    compare_aggregates_batch,
)
from socialpref.luce import ZERO_POLICIES, BootstrapIntervals, ZeroPolicy, luce_rewards
from socialpref.preference import PreferenceModel, get_model
from socialpref.surveys.bootstrap import _bootstrap
from socialpref.surveys.results import QuestionAnalysis, Skipped, SurveyAnalysis
from socialpref.surveys.sampling import SamplingArg
from socialpref.surveys.shares import _all_cell_counts, _cell_counts, _prepare, _Prepared
from socialpref.surveys.survey import Survey, Variable
from socialpref.surveys.user_types import TypesArg, _code_types, _TypeCoding


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
