"""Respondent-level weighted bootstrap of every analysed question of a wave at once.

One set of replicates for the whole wave: :func:`socialpref.luce.bootstrap_multiplicities` draws
how many times each typed respondent (a respondent with a user type and a positive weight) is
drawn in each of ``B`` replicates; :func:`socialpref.luce.replicate_counts` gives the weighted
counts of every replicate of every question by one matrix product per type;
:func:`socialpref.luce.replicate_aggregates` recomputes shares, ``p(u)``, rewards, average
reward and NBC of all replicates of all questions with one shape in one pass. A question
analysed alone gets the same replicates as in a whole-wave run with the same seed and types.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from socialpref.errors import ParameterError
from socialpref.luce import (
    BootstrapIntervals,
    ZeroPolicy,
    bootstrap_multiplicities,
    bootstrap_summaries,
    replicate_aggregates,
    replicate_counts,
)
from socialpref.preference import PreferenceModel
from socialpref.surveys.shares import PreparedQuestion
from socialpref.surveys.survey import Survey
from socialpref.surveys.user_types import _TypeCoding

#: Replicates of ``surveys analyze`` and ``surveys show`` unless told otherwise.
DEFAULT_REPLICATES = 100
#: A disagreement of the two top choices is supported when at least this share of the
#: replicates shows it (more replicates show it than not).
SUPPORT_THRESHOLD = 0.5


def bootstrap_questions(
    survey: Survey,
    prepared: Sequence[PreparedQuestion],
    coding: _TypeCoding,
    n_boot: int,
    seed: int | np.random.Generator | None,
    model: PreferenceModel | str | None,
    zero_policy: ZeroPolicy,
    level: float = 0.95,
) -> list[BootstrapIntervals]:
    """Bootstrap intervals of every prepared question of a wave, from one set of replicates."""
    if survey.kind != "wave" or coding.index is None:
        raise ParameterError(
            f"The 'bootstrap' parameter needs respondent-level data; {survey.source!r} is a crosstab."
        )
    if not prepared:
        return []
    typed = np.flatnonzero(coding.index >= 0)
    rows = typed[np.argsort(coding.index[typed], kind="stable")]  # by type: no sort later
    answers = np.full((len(prepared), rows.size), -1, dtype=np.int64)
    for q, prep in enumerate(prepared):
        var = prep.var
        assert var.answers is not None
        remap = np.full(var.n_codes + 1, -1, dtype=np.int64)  # last entry: empty answer
        remap[prep.opt_idx] = np.arange(prep.opt_idx.size)  # only observed options
        answers[q] = remap[var.answers[rows]]
    multiplicities = bootstrap_multiplicities(rows.size, n_boot, seed)
    counts = replicate_counts(
        multiplicities,
        coding.index[rows],
        answers,
        len(coding.labels),
        [p.opt_idx.size for p in prepared],
        None if survey.weights is None else survey.weights[rows],
    )
    by_shape: dict[tuple[int, int], list[int]] = {}
    for q, prep in enumerate(prepared):
        by_shape.setdefault(prep.shares.shape, []).append(q)  # type: ignore[arg-type]
    out: dict[int, BootstrapIntervals] = {}
    for members in by_shape.values():
        stacked = np.concatenate([counts[q][:, prepared[q].type_idx, :] for q in members])
        sampling = np.repeat(np.stack([prepared[q].sampling for q in members]), n_boot, axis=0)
        agg = replicate_aggregates(stacked, sampling, model, zero_policy)
        out.update(zip(members, bootstrap_summaries(agg, n_boot, level), strict=True))
    return [out[q] for q in range(len(prepared))]


__all__ = ["DEFAULT_REPLICATES", "SUPPORT_THRESHOLD", "bootstrap_questions"]
