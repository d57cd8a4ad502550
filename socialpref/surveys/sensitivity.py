"""The survey-level sensitivity sweep of paper Section 7.1 (Fig. 2): filters, rows, summary.

One definition, shared by ``socialpref sensitivity`` and the report (``socialpref report`` /
``socialpref demo``), of

- the paper's question filters (:func:`passes_filters`: at least ``min_options`` options and
  ``n_respondents / n_options >= min_per_option``; defaults 3 and 100, reference-facts
  section 1);
- the per-question result (:class:`QuestionSensitivity`, whose ``to_dict()`` is a question of
  ``socialpref sensitivity --json``);
- the summary over the kept questions (:attr:`SurveySensitivity.summary`).

:func:`survey_sensitivity` takes analysed questions (:class:`QuestionAnalysis`, from
:func:`socialpref.surveys.analyze_survey`) and runs the core's min-TV analysis on them: the
vectorised :func:`socialpref.sensitivity.sensitivity_sweep` in blocks for
``solver="exact"``, :func:`socialpref.sensitivity.nbc_sensitivity` question by question otherwise.
It never prints; a caller that wants a progress bar passes ``progress``.

>>> from socialpref.surveys import analyze_survey, read_source  # doctest: +SKIP
>>> survey = read_source("data/demo/ATP W900.sav")  # doctest: +SKIP
>>> analysis = analyze_survey(survey)  # doctest: +SKIP
>>> sweep = survey_sensitivity(analysis.questions, skipped=len(analysis.skipped))  # doctest: +SKIP
>>> sweep.summary["kept"], sweep.summary["flippable"], sweep.summary["top_flips"]  # doctest: +SKIP
(16, 8, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.preference import PreferenceModel
from socialpref.sensitivity import (
    DELTA,
    EPS,
    SensitivityResult,
    check_options,
    nbc_sensitivity,
    sensitivity_sweep,
)
from socialpref.surveys.results import QuestionAnalysis

#: The paper's filters of the Section 7.1 sweep: at least this many options ...
MIN_OPTIONS = 3
#: ... and at least this many kept respondents per option (respondents / options).
MIN_PER_OPTION = 100
#: Questions per call of the vectorised exact sweep (and per ``progress`` step).
BLOCK = 64

#: A base distribution for every question: a vector in option order or ``{option: p}``.
BaseArg = Sequence[float] | Mapping[str, float] | None


def passes_filters(
    analysis: QuestionAnalysis,
    min_options: int = MIN_OPTIONS,
    min_per_option: float = MIN_PER_OPTION,
) -> bool:
    """The Section 7.1 filters: at least ``min_options`` options and, on average, at least
    ``min_per_option`` kept respondents per option (``n_respondents / n_options``, as the
    authors' code computes it).

    Both bounds are inclusive: a question with exactly ``min_options`` options and exactly
    ``min_per_option`` respondents per option passes.
    """
    n_options = len(analysis.options)
    if n_options < min_options:
        return False
    return analysis.n_respondents / n_options >= min_per_option


def _base_entries(
    base: Sequence[float] | Mapping[str, float], analysis: QuestionAnalysis
) -> list[Any]:
    """The entries of ``base`` in option order; raises when its keys or length do not fit."""
    options = analysis.options
    where = f"question {analysis.question!r} of {analysis.source!r}"
    if isinstance(base, Mapping):
        if set(base) != set(options):
            raise ValueError(
                f"The 'base' parameter must have the options of {where} as keys, "
                f"{list(options)!r}. Got {list(base)!r} instead."
            )
        return [base[o] for o in options]
    values = list(base)
    if len(values) != len(options):
        raise ValueError(
            f"The 'base' parameter must have one entry per option of {where} ({len(options)}). "
            f"Got {len(values)} entries instead."
        )
    return values


def fit_base(base: BaseArg, analysis: QuestionAnalysis) -> FloatArray | None:
    """``base`` as a vector over ``analysis``'s options.

    Returns None for ``base=None`` (uniform). A mapping must have exactly the question's option
    labels as keys; a sequence must have one entry per option (in option order). Whether the
    entries form a distribution is checked by the solver.

    Raises
    ------
    ValueError
        ``base`` does not fit the question's options, or holds something other than numbers.
    """
    if base is None:
        return None
    entries = _base_entries(base, analysis)
    try:
        return np.asarray(entries, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'base' parameter must hold numbers. Got {entries!r} instead."
        ) from None


def base_fits(base: BaseArg, analysis: QuestionAnalysis) -> bool:
    """Whether ``base`` has the keys (mapping) or length (sequence) of ``analysis``'s options.

    Always true for None (uniform). The values are checked by :func:`fit_base` and the solver.
    """
    if base is None:
        return True
    try:
        _base_entries(base, analysis)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class QuestionSensitivity:
    """One question of a sweep.

    Attributes
    ----------
    analysis : QuestionAnalysis
        The analysed question (options, rewards, type weights, respondents).
    result : SensitivityResult or None
        Its min-TV analysis; None for a question that the filters drop and that was not
        solved (see ``solve_all`` of :func:`survey_sensitivity`).
    kept : bool
        Whether it passes the filters (only kept questions count in the summary).
    """

    analysis: QuestionAnalysis
    result: SensitivityResult | None
    kept: bool

    def to_dict(self) -> dict[str, Any]:
        """The question as ``socialpref sensitivity --json`` writes it (option labels, not indices).

        Keys: ``source, question, min_tv, pair, distribution, top_flip, flippable,
        top_flippable, top_min_tv, repair_tv, nbc_top, average_top, n_options,
        n_respondents``.

        Raises
        ------
        ValueError
            The question was not solved (``result`` is None).
        """
        res, qa = self.result, self.analysis
        if res is None:
            raise ValueError(
                f"Question {qa.question!r} of {qa.source!r} was not solved (the filters drop it); "
                "pass solve_all=True to survey_sensitivity."
            )
        label = qa.options
        return {
            "source": qa.source,
            "question": qa.question,
            "min_tv": res.min_tv,
            "pair": None if res.pair is None else [label[res.pair[0]], label[res.pair[1]]],
            "distribution": None
            if res.distribution is None
            else {o: float(p) for o, p in zip(label, res.distribution, strict=True)},
            "top_flip": res.top_flip,
            "flippable": res.flippable,
            "top_flippable": res.top_flippable,
            "top_min_tv": res.top_min_tv,
            "repair_tv": res.repair_tv,
            "nbc_top": [label[i] for i in res.nbc_top],
            "average_top": [label[i] for i in res.average_top],
            "n_options": len(label),
            "n_respondents": qa.n_respondents,
        }


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


@dataclass(frozen=True, eq=False)
class SurveySensitivity:
    """Result of :func:`survey_sensitivity`: every question given, and the counts of the sweep.

    Attributes
    ----------
    questions : tuple of QuestionSensitivity
        Every analysed question, in input order, kept by the filters or not.
    n_questions : int
        Questions seen: analysed + unanalysable (those of the sources that could not be
        analysed; requested names that a source lacks are not counted).
    n_unanalysable : int
        Questions of the sources that could not be analysed.
    min_options, min_per_option
        The filters.
    """

    questions: tuple[QuestionSensitivity, ...]
    n_questions: int
    n_unanalysable: int
    min_options: int = MIN_OPTIONS
    min_per_option: float = MIN_PER_OPTION

    @property
    def kept(self) -> tuple[QuestionSensitivity, ...]:
        """The questions that pass the filters (each has a ``result``)."""
        return tuple(q for q in self.questions if q.kept)

    @property
    def min_tvs(self) -> tuple[float | None, ...]:
        """Minimal TV of every kept question, None where it cannot be flipped (Fig. 2's CDF)."""
        return tuple(q.result.min_tv if q.result is not None else None for q in self.kept)

    @property
    def summary(self) -> dict[str, Any]:
        """Counts of Section 7.1 over the kept questions.

        ``questions`` (seen: analysed + unanalysable), ``kept`` (pass the filters),
        ``flippable`` (kept questions whose NBC order some distribution changes),
        ``top_flips`` (the cheapest flip dethrones NBC's top), ``median_min_tv`` (over the
        flippable ones; None if none), ``flippable_share`` (flippable / kept; None if none
        kept), ``top_flippable`` (some flip dethrones the top), ``repairable`` (the
        average-reward winner can be made NBC's winner), ``unanalysable``.
        """
        results = [q.result for q in self.kept if q.result is not None]
        tvs = [r.min_tv for r in results if r.min_tv is not None]
        return {
            "questions": self.n_questions,
            "kept": len(results),
            "flippable": len(tvs),
            "top_flips": sum(bool(r.top_flip) for r in results),
            "median_min_tv": _median(tvs),
            "flippable_share": len(tvs) / len(results) if results else None,
            "top_flippable": sum(bool(r.top_flippable) for r in results),
            "repairable": sum(r.repair_tv is not None for r in results),
            "unanalysable": self.n_unanalysable,
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"questions": [row of each kept question], "summary": {...}}`` (``--json``)."""
        return {"questions": [q.to_dict() for q in self.kept], "summary": self.summary}


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"The '{name}' parameter must be an integer >= 0. Got {value!r} instead.")
    return int(value)


def survey_sensitivity(
    analyses: Sequence[QuestionAnalysis],
    *,
    seen: int | None = None,
    skipped: int = 0,
    min_options: int = MIN_OPTIONS,
    min_per_option: float = MIN_PER_OPTION,
    base: BaseArg = None,
    solver: str = "exact",
    model: PreferenceModel | str | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    solve_all: bool = False,
    progress: Callable[[int], object] | None = None,
) -> SurveySensitivity:
    """The Section 7.1 sweep over analysed questions: filters, min-TV analysis, summary.

    Parameters
    ----------
    analyses : sequence of QuestionAnalysis
        Analysed questions (``analyze_survey(...).questions``, of one or more sources).
    seen : int, optional
        Questions seen, for the summary's ``questions``; default ``len(analyses) + skipped``
        (what the CLI and the report use). Must be at least that.
    skipped : int
        Questions of the sources that could not be analysed (``len(analysis.skipped)`` of
        :func:`analyze_survey` run on names the source has; do not count requested names that
        a source lacks).
    min_options, min_per_option
        The filters (:func:`passes_filters`).
    base : sequence or mapping, optional
        Base distribution of every solved question: a vector in option order or
        ``{option: probability}`` (see :func:`fit_base`); uniform when None.
    solver : str
        ``"exact"`` (vectorised, blocks of :data:`BLOCK` questions), ``"linprog"``, ``"cvxpy"``
        or ``"cvxpy:NAME"`` (question by question), as in
        :func:`socialpref.sensitivity.nbc_sensitivity`.
    model, eps, delta
        As in :func:`socialpref.sensitivity.nbc_sensitivity`.
    solve_all : bool
        Also solve the questions that the filters drop (the report shows them); they never
        count in the summary. Default: solve the kept questions only.
    progress : callable, optional
        Called with the number of questions just solved after every block (``BLOCK`` for
        the exact solver, 1 otherwise); e.g. ``lambda n: bar.advance(task, n)``.

    Returns
    -------
    SurveySensitivity

    Raises
    ------
    ValueError
        A bad count, filter, solver, model, ``eps``/``delta``, or a ``base`` that does not fit
        a question to solve.
    RuntimeError
        An LP solver failed (``solver`` other than ``"exact"``).
    """
    items = list(analyses)
    n_skipped = _check_count(skipped, "skipped")
    n_seen = len(items) + n_skipped
    if seen is not None:
        n_seen = _check_count(seen, "seen")
        if n_seen < len(items) + n_skipped:
            raise ValueError(
                f"The 'seen' parameter must be at least len(analyses) + skipped "
                f"({len(items) + n_skipped}). Got {seen!r} instead."
            )
    min_opts = _check_count(min_options, "min_options")
    try:
        min_per = float(min_per_option)
    except (TypeError, ValueError):
        min_per = math.nan
    if not math.isfinite(min_per) or min_per < 0:
        raise ValueError(
            f"The 'min_per_option' parameter must be a finite number >= 0. Got {min_per_option!r} instead."
        )
    kept = [passes_filters(qa, min_opts, min_per) for qa in items]
    todo = [k for k, keep in enumerate(kept) if keep or solve_all]
    # validates solver, model, eps and delta once, before any work (and on empty input)
    n_max = max((len(items[k].options) for k in todo), default=2)
    check_options(solver=solver, eps=eps, delta=delta, model=model, n_options=n_max)
    bases = [fit_base(base, items[k]) for k in todo]
    results: dict[int, SensitivityResult] = {}
    step = BLOCK if solver == "exact" else 1
    for start in range(0, len(todo), step):
        block = todo[start : start + step]
        if solver == "exact":
            sweep = sensitivity_sweep(
                [(items[k].rewards, items[k].type_weights) for k in block],
                bases=None if base is None else bases[start : start + step],
                eps=eps,
                delta=delta,
                model=model,
            )
            results.update(zip(block, sweep.results, strict=True))
        else:
            k = block[0]
            results[k] = nbc_sensitivity(
                items[k].rewards,
                items[k].type_weights,
                base=bases[start],
                eps=eps,
                delta=delta,
                solver=solver,
                model=model,
            )
        if progress is not None:
            progress(len(block))
    return SurveySensitivity(
        questions=tuple(
            QuestionSensitivity(qa, results.get(k), kept[k]) for k, qa in enumerate(items)
        ),
        n_questions=n_seen,
        n_unanalysable=n_skipped,
        min_options=min_opts,
        min_per_option=min_per,
    )


__all__ = [
    "BLOCK",
    "MIN_OPTIONS",
    "MIN_PER_OPTION",
    "QuestionSensitivity",
    "SurveySensitivity",
    "base_fits",
    "fit_base",
    "passes_filters",
    "survey_sensitivity",
]
