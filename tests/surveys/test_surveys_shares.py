"""Cell counts and the vectorised preparation of many questions, against brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socialpref.errors import DataError
from socialpref.surveys import Survey, design_effect, read_crosstab, read_wave
from socialpref.surveys.shares import count_cells, prepare_questions
from socialpref.surveys.survey import AnswerRule
from socialpref.surveys.user_types import _code_types

ATOL = 1e-12
RULES = (AnswerRule(), AnswerRule(keep_dk=True), AnswerRule(preprocessing="paper"))


@pytest.fixture(scope="module")
def waves(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Survey]:
    """The SYNTHETIC varied wave (every kind of column and non-answer), weighted and unweighted."""
    from data.wavegen import varied_wave, write_wave

    path = write_wave(varied_wave(400, 3), tmp_path_factory.mktemp("shares") / "ATP W3.sav")
    return {
        "weighted": read_wave(path, cache=False),
        "unweighted": read_wave(path, unweighted=True, cache=False),
    }


def brute_counts(
    survey: Survey, name: str, types: object, rule: AnswerRule
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, respondents and squared weights per (type cell, code), one respondent at a time."""
    coding = _code_types(survey, types, False, rule)  # type: ignore[arg-type]
    var = survey.variables[name]
    assert var.answers is not None and coding.index is not None
    allowed = var.allowed(rule)
    shape = (len(coding.labels), var.n_codes)
    w, n, w2 = np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    for r in range(survey.n_rows):
        t, a = int(coding.index[r]), int(var.answers[r])
        if t < 0 or a < 0 or not allowed[a]:
            continue
        weight = 1.0 if survey.weights is None else float(survey.weights[r])
        w[t, a] += weight
        n[t, a] += 1
        w2[t, a] += weight * weight
    return w, n, w2


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("kind", ["weighted", "unweighted"])
@pytest.mark.parametrize("types", [None, "F_PARTYSUM_FINAL,F_AGECAT"])
def test_count_cells_against_brute_force(
    waves: dict[str, Survey], kind: str, rule: AnswerRule, types: str | None
) -> None:
    survey = waves[kind]
    names = list(survey.variables)
    variables = [survey.variables[n] for n in names]
    coding = _code_types(survey, types, False, rule)
    counted = count_cells(survey, variables, coding, rule)
    assert len({v.n_codes for v in variables}) == len(counted) > 1  # several numbers of codes
    seen = []
    for cc in counted:
        for q, k in enumerate(cc.members.tolist()):
            seen.append(k)
            w, n, w2 = brute_counts(survey, names[k], types, rule)
            np.testing.assert_allclose(cc.weighted[q], w, rtol=ATOL, atol=ATOL)
            assert cc.respondents[q].tolist() == n.tolist()
            assert cc.squared is not None
            np.testing.assert_allclose(cc.squared[q], w2, rtol=ATOL, atol=ATOL)
    assert sorted(seen) == list(range(len(names)))


@pytest.mark.parametrize("rule", RULES[:2])
def test_prepare_questions_against_single_question_formulas(
    waves: dict[str, Survey], rule: AnswerRule
) -> None:
    survey = waves["weighted"]
    names = list(survey.variables)
    variables = [survey.variables[n] for n in names]
    coding = _code_types(survey, None, False, rule)
    counted = count_cells(survey, variables, coding, rule)
    groups, errors = prepare_questions(survey, variables, coding, counted, rule, None)
    done: list[str] = []
    for group in groups:
        shapes = {p.shares.shape for p in group.questions}
        assert shapes == {group.shares.shape[1:]}  # one shape per group
        order = [names.index(p.var.name) for p in group.questions]
        assert order == sorted(order)  # input order within a group
        for g, prep in enumerate(group.questions):
            done.append(prep.var.name)
            w, n, w2 = brute_counts(survey, prep.var.name, None, rule)
            opt = np.flatnonzero(n.sum(axis=0) > 0)
            typ = np.flatnonzero(w[:, opt].sum(axis=1) > 0)
            assert prep.opt_idx.tolist() == opt.tolist()
            assert prep.type_idx.tolist() == typ.tolist()
            assert prep.options == tuple(prep.var.labels[i] for i in opt)
            assert prep.types == tuple(coding.labels[i] for i in typ)
            counts = w[np.ix_(typ, opt)]
            row = counts.sum(axis=1)
            np.testing.assert_allclose(prep.counts, counts, rtol=ATOL, atol=ATOL)
            np.testing.assert_allclose(prep.shares, counts / row[:, None], atol=ATOL)
            np.testing.assert_allclose(prep.type_weights, row / row.sum(), atol=ATOL)
            np.testing.assert_allclose(group.shares[g], prep.shares, atol=0)
            np.testing.assert_allclose(group.type_weights[g], prep.type_weights, atol=0)
            np.testing.assert_allclose(group.sampling[g], np.full(opt.size, 1 / opt.size))
            assert prep.n_kept == int(n.sum())
            assert prep.n_per_option.tolist() == n[np.ix_(typ, opt)].sum(axis=0).tolist()
            assert prep.n_per_type.tolist() == n[np.ix_(typ, opt)].sum(axis=1).tolist()
            one = design_effect(prep.n_per_type, row, w2[np.ix_(typ, opt)].sum(axis=1))
            assert prep.design.n == one.n
            np.testing.assert_allclose(prep.design.effective_n, one.effective_n, rtol=ATOL)
            np.testing.assert_allclose(prep.design.type_design_effect, one.type_design_effect)
            unchosen = [
                prep.var.labels[i]
                for i in range(prep.var.n_codes)
                if prep.var.allowed(rule)[i] and i not in opt
            ]
            assert prep.unchosen == tuple(unchosen)
    # every column is either prepared or has its reason (e.g. fewer than two options)
    assert sorted(done + list(errors)) == sorted(names)
    assert all(isinstance(e, DataError) for e in errors.values())
    assert any("fewer than two options" in str(e) for e in errors.values())


def test_sampling_errors_are_per_question(waves: dict[str, Survey]) -> None:
    survey, rule = waves["weighted"], AnswerRule()
    variables = [survey.variables[n] for n in survey.questions]
    coding = _code_types(survey, None, False, rule)
    counted = count_cells(survey, variables, coding, rule)
    groups, _ = prepare_questions(survey, variables, coding, counted, rule, None)
    n_options = groups[0].shares.shape[2]
    vector = np.arange(1, n_options + 1) / (n_options * (n_options + 1) / 2)
    groups, errors = prepare_questions(survey, variables, coding, counted, rule, vector)
    for group in groups:  # only questions with as many options as the vector are kept
        assert group.shares.shape[2] == n_options
        np.testing.assert_allclose(group.sampling, np.broadcast_to(vector, group.sampling.shape))
    assert errors and all("sampling" in str(e) for e in errors.values())


def test_crosstab_counts(tmp_path: Path) -> None:
    rows = [
        ("Q1", "Rep", "A", 3.0),
        ("Q1", "Rep", "B", 1.0),
        ("Q1", "Dem", "A", 1.0),
        ("Q1", "Dem", "Refused", 2.0),
        ("Q1", "Refused", "A", 5.0),
        ("Q2", "Rep", "X", 2.4),
        ("Q2", "Dem", "Y", 0.0),
        ("Q2", "Dem", "Z", 1.6),
    ]
    path = tmp_path / "c.csv"
    pd.DataFrame(rows, columns=["question", "group", "option", "count"]).to_csv(path, index=False)
    survey = read_crosstab(path)
    rule = AnswerRule()
    variables = [survey.variables[n] for n in ("Q1", "Q2")]
    coding = _code_types(survey, None, False, rule)
    counted = count_cells(survey, variables, coding, rule)
    by_name = {variables[k].name: (cc, q) for cc in counted for q, k in enumerate(cc.members)}
    groups_ = list(coding.labels)
    for name, expected in (
        ("Q1", {("Rep", "A"): 3.0, ("Rep", "B"): 1.0, ("Dem", "A"): 1.0}),
        ("Q2", {("Rep", "X"): 2.4, ("Dem", "Z"): 1.6}),
    ):
        cc, q = by_name[name]
        assert cc.squared is None  # no weights: the design effects are unknown
        labels = list(survey.variables[name].labels)
        want = np.zeros((len(groups_), len(labels)))
        for (g, o), c in expected.items():
            want[groups_.index(g), labels.index(o)] = c
        np.testing.assert_allclose(cc.weighted[q], want, atol=0)
        assert cc.respondents[q].tolist() == np.rint(want).astype(int).tolist()
    groups, errors = prepare_questions(survey, variables, coding, counted, rule, None)
    assert not errors
    preps = {p.var.name: p for g in groups for p in g.questions}
    assert preps["Q1"].options == ("A", "B") and preps["Q1"].types == ("Rep", "Dem")
    assert preps["Q2"].unchosen == ("Y",) and np.isnan(preps["Q2"].design.design_effect)
