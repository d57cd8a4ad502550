"""The survey-level sensitivity sweep of paper Section 7.1 (Fig. 2): filters, rows, summary.

One definition, shared by ``socialpref sensitivity`` and the report (``socialpref report`` /
``socialpref demo``), of

- the paper's question filters (:func:`passes_filters`: at least ``min_options`` options and
  ``n_respondents / n_options >= min_per_option``; defaults 3 and 100, the paper's Section 7.1
  filters);
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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpref._typing import FloatArray
from socialpref.aggregate import TIE_TOL, nbc
from socialpref.errors import ParameterError
from socialpref.preference import PreferenceModel
from socialpref.sensitivity import (
    DELTA,
    EPS,
    SensitivityResult,
    check_options,
    nbc_sensitivity,
    sensitivity_sweep,
)
from socialpref.surveys.bootstrap import SUPPORT_THRESHOLD
from socialpref.surveys.results import QuestionAnalysis, find_question

if TYPE_CHECKING:
    import pandas as pd

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
            raise ParameterError(
                f"The 'base' parameter must have the options of {where} as keys, "
                f"{list(options)!r}. Got {list(base)!r} instead."
            )
        return [base[o] for o in options]
    values = list(base)
    if len(values) != len(options):
        raise ParameterError(
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
        raise ParameterError(
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
    except ParameterError:
        return False
    return True


#: The flipped pair's NBC order is *within sampling noise* when fewer than this share of the
#: replicates order the two options as the data does (the pair's NBC difference has a 95%
#: bootstrap interval that reaches 0 or below).
ORDER_LEVEL = 0.975


def _tv_quantiles(values: FloatArray, level: float) -> tuple[float | None, float | None]:
    """Central ``level`` interval of minimal TVs, a replicate that cannot be flipped counting
    as ``+inf``; a bound in that region is None. Linear interpolation as ``np.percentile``."""
    s = np.sort(np.where(np.isnan(values), np.inf, values))
    out: list[float | None] = []
    for q in ((1 - level) / 2, (1 + level) / 2):
        pos = (s.size - 1) * q
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        a, b = s[lo], s[hi]
        if hi == lo:
            value = a
        else:  # pos strictly between lo and hi: an infinite neighbour makes it infinite
            value = a + (b - a) * (pos - lo) if np.isfinite(b) else np.inf
        out.append(float(value) if np.isfinite(value) else None)
    return out[0], out[1]


@dataclass(frozen=True, eq=False)
class FlipSupport:
    """The minimal flip of one question over its bootstrap replicates.

    Every replicate population of the question (respondents resampled, shares, ``p(u)`` and
    rewards recomputed; :attr:`socialpref.luce.BootstrapIntervals.replicate_rewards`) goes
    through the same sweep as the data, with the same base, ``eps``, ``delta`` and model (the
    closed form whatever the solver of the data; the LP back-ends agree with it).

    Attributes
    ----------
    n_boot : int
        Replicates.
    level : float
        Level of the interval.
    min_tv_low, min_tv_high : float or None
        Central ``level`` percentile interval of the minimal TV over the replicates; a
        replicate that cannot be flipped counts as an infinite TV, and a bound that falls among
        those is None (``min_tv_high`` None: in more than ``(1 - level) / 2`` of the replicates
        NBC's order cannot be changed).
    p_flippable : float
        Share of replicates in which NBC's order can be changed.
    p_top_flip : float
        Share of replicates in which the cheapest flip dethrones NBC's top choice.
    p_pair_order : float or None
        For the data's flipped pair ``(i, j)``: the share of replicates in which NBC (under the
        base) puts ``i`` above ``j`` as the data does; None when the data cannot be flipped.
    """

    n_boot: int
    level: float
    min_tv_low: float | None
    min_tv_high: float | None
    p_flippable: float
    p_top_flip: float
    p_pair_order: float | None

    def interval_text(self, digits: int = 3) -> str:
        """The interval as text, ``"[0.004, 0.474]"``; ``inf`` for an unflippable bound."""

        def show(x: float | None) -> str:
            return "inf" if x is None else f"{x:.{digits}f}"

        return f"[{show(self.min_tv_low)}, {show(self.min_tv_high)}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_boot": self.n_boot,
            "level": self.level,
            "min_tv_low": self.min_tv_low,
            "min_tv_high": self.min_tv_high,
            "p_flippable": self.p_flippable,
            "p_top_flip": self.p_top_flip,
            "p_pair_order": self.p_pair_order,
        }


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
    support : FlipSupport or None
        The flip over the bootstrap replicates (solved questions whose analysis has a
        bootstrap).
    nbc_flipped : (n_options,) array or None
        NBC (Eq. 13) under the flipping distribution (None when the question cannot be
        flipped or was not solved).
    """

    analysis: QuestionAnalysis
    result: SensitivityResult | None
    kept: bool
    support: FlipSupport | None = None
    nbc_flipped: FloatArray | None = None

    @property
    def flip_verdict(self) -> str | None:
        """Whether the bootstrap supports the flip: None (not flippable, not solved, or no
        bootstrap), ``"supported"``, ``"not supported"`` (fewer than half of the replicates
        can be flipped) or ``"within noise"`` (the flipped pair's NBC order holds in fewer than
        :data:`ORDER_LEVEL` of the replicates: the data do not tell the two options apart)."""
        res, sup = self.result, self.support
        if res is None or res.min_tv is None or sup is None:
            return None
        if sup.p_flippable < SUPPORT_THRESHOLD:
            return "not supported"
        if sup.p_pair_order is not None and sup.p_pair_order < ORDER_LEVEL:
            return "within noise"
        return "supported"

    @property
    def top_flip_supported(self) -> bool | None:
        """Whether at least half of the replicates' cheapest flips dethrone the top too (None
        when the data's cheapest flip does not, or without bootstrap)."""
        if self.result is None or not self.result.top_flip or self.support is None:
            return None
        return self.support.p_top_flip >= SUPPORT_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        """The question as ``socialpref sensitivity --json`` writes it (option labels, not indices).

        Keys: ``source, question, min_tv, pair, distribution, top_flip, flippable,
        top_flippable, top_min_tv, repair_tv, nbc_top, average_top, n_options,
        n_respondents``; with a bootstrap also ``bootstrap`` (:class:`FlipSupport`),
        ``flip_verdict`` and ``top_flip_supported``.

        Raises
        ------
        ValueError
            The question was not solved (``result`` is None).
        """
        res, qa = self.result, self.analysis
        if res is None:
            raise ParameterError(
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
            **(
                {}
                if self.support is None
                else {
                    "bootstrap": self.support.to_dict(),
                    "flip_verdict": self.flip_verdict,
                    "top_flip_supported": self.top_flip_supported,
                }
            ),
        }


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def _summary(
    kept: Sequence[QuestionSensitivity], n_questions: int, n_unanalysable: int
) -> dict[str, Any]:
    results = [q.result for q in kept if q.result is not None]
    tvs = [r.min_tv for r in results if r.min_tv is not None]
    boot = bool(kept) and all(q.support is not None for q in kept)
    return {
        "questions": n_questions,
        "kept": len(results),
        "flippable": len(tvs),
        "top_flips": sum(bool(r.top_flip) for r in results),
        "median_min_tv": _median(tvs),
        "flippable_share": len(tvs) / len(results) if results else None,
        "top_flippable": sum(bool(r.top_flippable) for r in results),
        "repairable": sum(r.repair_tv is not None for r in results),
        "unanalysable": n_unanalysable,
        "flips_supported": sum(q.flip_verdict == "supported" for q in kept) if boot else None,
        "top_flips_supported": sum(bool(q.top_flip_supported) for q in kept) if boot else None,
    }


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
    unanalysable_by_source : mapping {source: int}
        ``n_unanalysable`` per source (for :attr:`by_source`).
    """

    questions: tuple[QuestionSensitivity, ...]
    n_questions: int
    n_unanalysable: int
    min_options: int = MIN_OPTIONS
    min_per_option: float = MIN_PER_OPTION
    unanalysable_by_source: Mapping[str, int] = field(default_factory=dict)

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
        average-reward winner can be made NBC's winner), ``unanalysable``; with a bootstrap
        (None without), ``flips_supported`` (flippable questions whose flip the bootstrap
        supports: :attr:`QuestionSensitivity.flip_verdict`) and ``top_flips_supported``.
        """
        return _summary(self.kept, self.n_questions, self.n_unanalysable)

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources of the questions (and of the unanalysable ones), in first-seen order."""
        names = [q.analysis.source for q in self.questions] + list(self.unanalysable_by_source)
        return tuple(dict.fromkeys(names))

    @property
    def by_source(self) -> dict[str, dict[str, Any]]:
        """:attr:`summary` of each source on its own (one row per wave beside the pooled one)."""
        out = {}
        for source in self.sources:
            mine = [q for q in self.questions if q.analysis.source == source]
            bad = int(self.unanalysable_by_source.get(source, 0))
            out[source] = _summary([q for q in mine if q.kept], len(mine) + bad, bad)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per question (kept by the filters or not), indexed by ``(source, question)``.

        Columns: ``kept``, ``n_options``, ``n_respondents``, ``min_tv`` with its bootstrap
        interval ``min_tv_low`` / ``min_tv_high`` (NaN: infinite or no bootstrap), the
        flipped pair as labels ``pair_above`` (first under the base) and ``pair_below``,
        ``top_flip``, ``top_flippable``, ``top_min_tv``, ``repair_tv``, ``flip_verdict``,
        ``p_flippable``, ``p_pair_order``, ``top_flip_supported``; missing where a question
        was not solved or has no bootstrap.
        """
        import pandas as pd

        rows = []
        for q in self.questions:
            res, sup, qa = q.result, q.support, q.analysis
            pair = None if res is None else res.pair
            rows.append(
                {
                    "source": qa.source,
                    "question": qa.question,
                    "kept": q.kept,
                    "n_options": len(qa.options),
                    "n_respondents": qa.n_respondents,
                    "min_tv": None if res is None else res.min_tv,
                    "min_tv_low": None if sup is None else sup.min_tv_low,
                    "min_tv_high": None if sup is None else sup.min_tv_high,
                    "pair_above": None if pair is None else qa.options[pair[0]],
                    "pair_below": None if pair is None else qa.options[pair[1]],
                    "top_flip": None if res is None else res.top_flip,
                    "top_flippable": None if res is None else res.top_flippable,
                    "top_min_tv": None if res is None else res.top_min_tv,
                    "repair_tv": None if res is None else res.repair_tv,
                    "flip_verdict": q.flip_verdict,
                    "p_flippable": None if sup is None else sup.p_flippable,
                    "p_pair_order": None if sup is None else sup.p_pair_order,
                    "top_flip_supported": q.top_flip_supported,
                }
            )
        index = ["source", "question"]
        if not rows:
            return pd.DataFrame(columns=index).set_index(index)
        frame = pd.DataFrame(rows).set_index(index)
        floats = ["min_tv", "min_tv_low", "min_tv_high", "top_min_tv", "repair_tv",
                  "p_flippable", "p_pair_order"]  # fmt: skip
        flags = ["top_flip", "top_flippable", "top_flip_supported"]
        return frame.astype({**{c: "float64" for c in floats}, **{c: "boolean" for c in flags}})

    def __getitem__(self, key: str | tuple[str, str]) -> QuestionSensitivity:
        """The question ``key`` of the sweep: its name, or ``(source, question)`` when several
        sources have a question of that name.

        Raises
        ------
        KeyError
            No question of the sweep has that key, or the name alone is ambiguous (the
            message lists the sources).
        """
        k = find_question([q.analysis for q in self.questions], key, "sensitivity")
        if k is not None:
            return self.questions[k]
        source, question = key if isinstance(key, tuple) else (None, key)
        where = "" if source is None else f" in {source!r}"
        raise KeyError(f"No question {question!r}{where} in the sweep.")

    def to_dict(self) -> dict[str, Any]:
        """``{"questions": [row of each kept question], "summary": {...}, "by_source": [...]}``
        (``--json``); ``by_source`` holds one summary per source with its ``source``."""
        return {
            "questions": [q.to_dict() for q in self.kept],
            "summary": self.summary,
            "by_source": [{"source": k, **v} for k, v in self.by_source.items()],
        }


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParameterError(
            f"The '{name}' parameter must be an integer >= 0. Got {value!r} instead."
        )
    return int(value)


def survey_sensitivity(
    analyses: Sequence[QuestionAnalysis],
    *,
    seen: int | None = None,
    skipped: int | Mapping[str, int] = 0,
    min_options: int = MIN_OPTIONS,
    min_per_option: float = MIN_PER_OPTION,
    base: BaseArg = None,
    solver: str = "exact",
    model: PreferenceModel | str | None = None,
    eps: float = EPS,
    delta: float = DELTA,
    solve_all: bool = False,
    progress: Callable[[int], object] | None = None,
    bootstrap: bool = True,
) -> SurveySensitivity:
    """The Section 7.1 sweep over analysed questions: filters, min-TV analysis, summary.

    Parameters
    ----------
    analyses : sequence of QuestionAnalysis
        Analysed questions (``analyze_survey(...).questions``, of one or more sources).
    seen : int, optional
        Questions seen, for the summary's ``questions``; default ``len(analyses) + skipped``
        (what the CLI and the report use). Must be at least that.
    skipped : int or mapping {source: int}
        Questions of the sources that could not be analysed (``len(analysis.unanalysable)``
        of :func:`analyze_survey`; requested names that a source lacks do not count); a mapping
        gives them per source, for :attr:`SurveySensitivity.by_source`.
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
    bootstrap : bool
        For every solved question whose analysis has bootstrap replicates, solve the same
        programs on every replicate population (:class:`FlipSupport`): all replicates of all
        questions in one vectorised sweep (the closed form, without repair programs).

    Returns
    -------
    SurveySensitivity

    Raises
    ------
    ParameterError
        A bad count, filter, solver, model, ``eps``/``delta``, or a ``base`` that does not fit
        a question to solve.
    SolverError
        An LP solver failed (``solver`` other than ``"exact"``).
    """
    items = list(analyses)
    by_source: dict[str, int] = {}
    if isinstance(skipped, Mapping):
        by_source = {str(k): _check_count(v, "skipped") for k, v in skipped.items()}
        n_skipped = sum(by_source.values())
    else:
        n_skipped = _check_count(skipped, "skipped")
    n_seen = len(items) + n_skipped
    if seen is not None:
        n_seen = _check_count(seen, "seen")
        if n_seen < len(items) + n_skipped:
            raise ParameterError(
                f"The 'seen' parameter must be at least len(analyses) + skipped "
                f"({len(items) + n_skipped}). Got {seen!r} instead."
            )
    min_opts = _check_count(min_options, "min_options")
    try:
        min_per = float(min_per_option)
    except (TypeError, ValueError):
        min_per = math.nan
    if not math.isfinite(min_per) or min_per < 0:
        raise ParameterError(
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
    supports: dict[int, FlipSupport] = {}
    if bootstrap:
        with_boot = [(k, b) for k, b in zip(todo, bases, strict=True) if items[k].bootstrap]
        supports = _flip_supports(items, results, with_boot, eps, delta, model)
    flipped = {
        k: nbc(items[k].rewards, items[k].type_weights, res.distribution, model)
        for k, res in results.items()
        if res.distribution is not None
    }
    return SurveySensitivity(
        questions=tuple(
            QuestionSensitivity(qa, results.get(k), kept[k], supports.get(k), flipped.get(k))
            for k, qa in enumerate(items)
        ),
        n_questions=n_seen,
        n_unanalysable=n_skipped,
        min_options=min_opts,
        min_per_option=min_per,
        unanalysable_by_source=by_source,
    )


def _flip_supports(
    items: Sequence[QuestionAnalysis],
    results: Mapping[int, SensitivityResult],
    todo: Sequence[tuple[int, FloatArray | None]],
    eps: float,
    delta: float,
    model: PreferenceModel | str | None,
) -> dict[int, FlipSupport]:
    """:class:`FlipSupport` of questions ``todo`` (index, base): one sweep over every replicate."""
    pops: list[tuple[FloatArray, FloatArray]] = []
    bases: list[FloatArray | None] = []
    for k, base in todo:
        b = items[k].bootstrap
        assert b is not None
        pops += zip(b.replicate_rewards, b.replicate_type_weights, strict=True)
        bases += [base] * b.n_boot
    if not pops:
        return {}
    any_base = any(base is not None for _, base in todo)
    sweep = sensitivity_sweep(
        pops, bases=bases if any_base else None, eps=eps, delta=delta, model=model, repair=False
    )
    out: dict[int, FlipSupport] = {}
    start = 0
    for k, _ in todo:
        b = items[k].bootstrap
        assert b is not None
        rows = slice(start, start + b.n_boot)
        start += b.n_boot
        low, high = _tv_quantiles(sweep.min_tv[rows], b.level)
        pair = results[k].pair
        order = None
        if pair is not None:
            gap = sweep.nbc[rows, pair[0]] - sweep.nbc[rows, pair[1]]
            order = float(np.mean(gap > TIE_TOL))
        out[k] = FlipSupport(
            n_boot=b.n_boot,
            level=b.level,
            min_tv_low=low,
            min_tv_high=high,
            p_flippable=float(sweep.flippable[rows].mean()),
            p_top_flip=float(sweep.top_flip[rows].mean()),
            p_pair_order=order,
        )
    return out


__all__ = [
    "BLOCK",
    "MIN_OPTIONS",
    "MIN_PER_OPTION",
    "ORDER_LEVEL",
    "FlipSupport",
    "QuestionSensitivity",
    "SurveySensitivity",
    "base_fits",
    "fit_base",
    "passes_filters",
    "survey_sensitivity",
]
