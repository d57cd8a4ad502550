"""Respondent-level weighted bootstrap of one analysed question (wave data only)."""

from __future__ import annotations

import numpy as np

from socialpref.luce import BootstrapIntervals, ZeroPolicy, bootstrap_intervals
from socialpref.preference import PreferenceModel
from socialpref.surveys.shares import _Prepared
from socialpref.surveys.survey import Survey
from socialpref.surveys.user_types import _TypeCoding


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
