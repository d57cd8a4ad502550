"""SYNTHETIC survey waves in the Pew ATP format (not Pew data), deterministic from a seed.

:func:`demo_wave` builds the respondents of ``socialpref/data/ATP W900.sav``: ``QKEY``, the weight
``WEIGHT_W900``, ``F_PARTYSUM_FINAL`` with Pew's labels (types Rep 45%, Dem 48%, no lean 7%, as
in the paper's EV example), ``F_EDUCCAT``, ``F_AGECAT``, ``F_GENDER``, administrative columns and
20 questions with realistic wording. Each party type answers from a fixed distribution (counts
allocated exactly, then shuffled), with about 1% "Refused" (code 99) and a few missing answers.
Most questions have NBC and the average reward agreeing; ``EVCAR2_W900`` reproduces the paper's
mediocrity example (Fig. 1) and ``POLREFORM_W900`` a lopsided minority. Six more columns, drawn
from a separate random stream so that the 20 questions keep their answers, are what real waves
hold besides questions (:data:`DEMO_EXTRAS`): a feeling thermometer, a coded open-ended
mention, a data-quality flag, a sample flag, an interview duration and a derived summary.

:func:`varied_wave` builds a wave with every kind of column and non-answer label seen in real
ATP waves (for the tests); :func:`random_wave` a large random wave (for the benchmark);
:func:`write_wave` writes any of them with pyreadstat (``.sav``, or ``.dta`` by the suffix).

Import it with the repository root on ``sys.path`` (``from data.wavegen import demo_wave``);
``python data/make_demo_wave.py`` writes the demo wave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RngLike = np.random.Generator | int | None


PARTY_LABELS = {1.0: "Rep/Lean Rep", 2.0: "Dem/Lean Dem", 9.0: "DK/Refused/No lean"}
#: Party type shares of the paper's EV example (Rep 45%, Dem 48%, neither 7%).
PARTY_SHARES = (0.45, 0.48, 0.07)
REFUSED = 99.0
DEMO_SEED = 900
DEMO_WAVE = 900
DEMO_RESPONDENTS = 4000
#: The SPSS file label (at most 64 characters, the format's limit).
SYNTHETIC_NOTE = "SYNTHETIC demo wave, not Pew data: socialpref, seed {seed}"


@dataclass(frozen=True)
class QuestionSpec:
    """A synthetic question: name stem, wording, options (codes 1..k) and per-party shares.

    ``shares`` has one row per party type (Rep, Dem, no lean); ``form`` restricts the question
    to one random half of the sample (like Pew's form splits); ``unchosen`` labels extra codes
    that nobody picks (e.g. a volunteered answer).
    """

    stem: str
    text: str
    options: tuple[str, ...]
    shares: tuple[tuple[float, ...], ...]
    form: int | None = None
    unchosen: tuple[str, ...] = ()


DEMO_QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec(
        "EVCAR2",
        "The next time you purchase a vehicle, how likely are you to seriously consider purchasing an electric vehicle?",
        (
            "Very likely",
            "Somewhat likely",
            "Not too likely",
            "Not at all likely",
            "I do not expect to purchase a vehicle",
        ),
        (
            (0.02, 0.04, 0.25, 0.63, 0.06),
            (0.21, 0.31, 0.23, 0.12, 0.13),
            (0.05, 0.12, 0.23, 0.28, 0.32),
        ),
    ),
    QuestionSpec(
        "POLREFORM",
        "Which of these would do the most to improve the way the political system works?",
        (
            "Limiting the influence of lobbyists",
            "Term limits for members of Congress",
            "Stricter voter identification requirements",
            "Making it easier for independent and third-party candidates to run",
        ),
        ((0.243, 0.161, 0.391, 0.205), (0.26, 0.225, 0.237, 0.278), (0.033, 0.114, 0.012, 0.841)),
    ),
    QuestionSpec(
        "BIDENJOB",
        "Do you approve or disapprove of the way Joe Biden is handling his job as president?",
        ("Approve", "Disapprove"),
        ((0.12, 0.88), (0.78, 0.22), (0.35, 0.65)),
    ),
    QuestionSpec(
        "ECON1",
        "Thinking about the nation's economy, how would you rate economic conditions in this country today?",
        ("Excellent", "Good", "Only fair", "Poor"),
        ((0.02, 0.12, 0.38, 0.48), (0.05, 0.30, 0.45, 0.20), (0.02, 0.15, 0.43, 0.40)),
    ),
    QuestionSpec(
        "ECON1B",
        "A year from now, do you expect that economic conditions in the country as a whole will be...",
        ("Better than they are now", "Worse than they are now", "About the same as now"),
        ((0.30, 0.40, 0.30), (0.35, 0.25, 0.40), (0.25, 0.35, 0.40)),
        form=2,
    ),
    QuestionSpec(
        "SATIS",
        "All in all, are you satisfied or dissatisfied with the way things are going in this country today?",
        ("Satisfied", "Dissatisfied"),
        ((0.12, 0.88), (0.35, 0.65), (0.20, 0.80)),
    ),
    QuestionSpec(
        "ENERGYPRIO",
        "Which should be the more important priority for addressing America's energy supply?",
        (
            "Developing alternative energy sources, such as wind, solar and hydrogen technology",
            "Expanding exploration and production of oil, coal and natural gas",
        ),
        ((0.42, 0.58), (0.90, 0.10), (0.68, 0.32)),
    ),
    QuestionSpec(
        "COVIDRESP",
        "How would you rate the job Joe Biden is doing responding to the coronavirus outbreak?",
        ("Excellent", "Good", "Only fair", "Poor"),
        ((0.02, 0.12, 0.30, 0.56), (0.25, 0.48, 0.20, 0.07), (0.06, 0.25, 0.35, 0.34)),
    ),
    QuestionSpec(
        "FAVPOL_HARRIS",
        "What is your overall opinion of Kamala Harris?",
        (
            "Very favorable",
            "Mostly favorable",
            "Mostly unfavorable",
            "Very unfavorable",
            "Never heard of this person",
        ),
        (
            (0.02, 0.06, 0.22, 0.68, 0.02),
            (0.35, 0.45, 0.12, 0.05, 0.03),
            (0.08, 0.22, 0.28, 0.30, 0.12),
        ),
    ),
    QuestionSpec(
        "TRUSTGOV",
        "How much of the time do you think you can trust the government in Washington to do what is right?",
        ("Just about always", "Most of the time", "Only some of the time", "Never"),
        ((0.02, 0.08, 0.62, 0.28), (0.03, 0.20, 0.64, 0.13), (0.02, 0.12, 0.58, 0.28)),
    ),
    QuestionSpec(
        "AICONCERN",
        "Overall, would you say the increased use of artificial intelligence in daily life makes you feel...",
        (
            "More excited than concerned",
            "More concerned than excited",
            "Equally excited and concerned",
        ),
        ((0.10, 0.55, 0.35), (0.11, 0.50, 0.39), (0.09, 0.58, 0.33)),
        unchosen=("Not sure (VOL.)",),
    ),
    QuestionSpec(
        "SMNEWS",
        "How often, if ever, do you get news from social media?",
        ("Often", "Sometimes", "Rarely", "Never"),
        ((0.18, 0.30, 0.27, 0.25), (0.20, 0.32, 0.28, 0.20), (0.25, 0.30, 0.25, 0.20)),
    ),
    QuestionSpec(
        "GUNLAWS",
        "In general, do you think gun laws in this country should be more strict, less strict, or kept as they are now?",
        ("More strict", "Less strict", "Kept as they are now"),
        ((0.30, 0.20, 0.50), (0.86, 0.02, 0.12), (0.55, 0.10, 0.35)),
    ),
    QuestionSpec(
        "IMMLEVEL",
        "Should legal immigration into the United States be kept at its present level, increased or decreased?",
        ("Kept at its present level", "Increased", "Decreased"),
        ((0.30, 0.12, 0.58), (0.38, 0.44, 0.18), (0.35, 0.20, 0.45)),
    ),
    QuestionSpec(
        "HCRESP",
        "Do you think it is the responsibility of the federal government to make sure all Americans have health care coverage?",
        ("Yes, it is the federal government's responsibility", "No, it is not"),
        ((0.32, 0.68), (0.88, 0.12), (0.55, 0.45)),
    ),
    QuestionSpec(
        "VOTECONF",
        "How confident are you that votes in the next presidential election will be counted accurately?",
        ("Very confident", "Somewhat confident", "Not too confident", "Not at all confident"),
        ((0.12, 0.35, 0.33, 0.20), (0.45, 0.40, 0.11, 0.04), (0.14, 0.38, 0.30, 0.18)),
        form=1,
    ),
    QuestionSpec(
        "LOCALNEWS",
        "How much, if at all, do you trust the information you get from local news organizations?",
        ("A lot", "Some", "Not too much", "Not at all"),
        ((0.15, 0.50, 0.25, 0.10), (0.30, 0.52, 0.14, 0.04), (0.12, 0.48, 0.28, 0.12)),
        form=1,
    ),
    QuestionSpec(
        "SCITRUST",
        "How much confidence, if any, do you have in scientists to act in the best interests of the public?",
        ("A great deal", "A fair amount", "Not too much", "No confidence at all"),
        ((0.13, 0.45, 0.29, 0.13), (0.37, 0.49, 0.11, 0.03), (0.18, 0.47, 0.25, 0.10)),
        form=1,
    ),
    QuestionSpec(
        "RELIMP",
        "How important is religion in your life?",
        ("Very important", "Somewhat important", "Not too important", "Not at all important"),
        ((0.55, 0.25, 0.10, 0.10), (0.33, 0.27, 0.18, 0.22), (0.40, 0.27, 0.15, 0.18)),
    ),
    QuestionSpec(
        "MINWAGE",
        "Would you favor or oppose raising the federal minimum wage to $15 an hour?",
        ("Strongly favor", "Somewhat favor", "Somewhat oppose", "Strongly oppose"),
        ((0.12, 0.22, 0.28, 0.38), (0.55, 0.32, 0.09, 0.04), (0.30, 0.30, 0.20, 0.20)),
    ),
)

DEMOGRAPHICS: dict[str, tuple[str, dict[float, str], tuple[float, ...]]] = {
    "F_EDUCCAT": (
        "Education category",
        {1.0: "College grad+", 2.0: "Some College", 3.0: "H.S. graduate or less", 99.0: "Refused"},
        (0.36, 0.29, 0.34, 0.01),
    ),
    "F_AGECAT": (
        "Age category",
        {1.0: "18-29", 2.0: "30-49", 3.0: "50-64", 4.0: "65+", 99.0: "Refused"},
        (0.18, 0.33, 0.26, 0.225, 0.005),
    ),
    "F_GENDER": (
        "Gender",
        {1.0: "A man", 2.0: "A woman", 3.0: "In some other way", 99.0: "Refused"},
        (0.48, 0.505, 0.01, 0.005),
    ),
}


@dataclass(frozen=True, eq=False)
class WaveData:
    """A wave ready for :func:`write_wave`: the frame and its SPSS metadata."""

    frame: pd.DataFrame
    column_labels: dict[str, str]
    value_labels: dict[str, dict[float, str]]
    file_label: str
    missing_ranges: dict[str, list[Any]] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)


def _exact_counts(shares: Sequence[float], n: int) -> np.ndarray:
    """Largest-remainder allocation of ``n`` items to ``shares`` (sums exactly to ``n``)."""
    p = np.asarray(shares, dtype=np.float64)
    p = p / p.sum()
    raw = p * n
    out = np.floor(raw).astype(np.int64)
    rest = n - int(out.sum())
    if rest > 0:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def _allocate(
    codes: Sequence[float], shares: Sequence[float], n: int, gen: np.random.Generator
) -> np.ndarray:
    vals = np.repeat(np.asarray(codes, dtype=np.float64), _exact_counts(shares, n))
    gen.shuffle(vals)
    return vals


def build_wave(
    specs: Sequence[QuestionSpec],
    n_respondents: int,
    rng: RngLike = None,
    *,
    wave: int = DEMO_WAVE,
    refused_rate: float = 0.01,
    missing_rate: float = 0.003,
    weight_sigma: float = 0.3,
    file_label: str = "",
) -> WaveData:
    """Respondents of a synthetic ATP-format wave answering ``specs`` by party type."""
    if n_respondents < 10:
        raise ValueError(
            f"The 'n_respondents' parameter must be >= 10. Got {n_respondents!r} instead."
        )
    gen = np.random.default_rng(rng)
    n = n_respondents
    suffix = f"_W{wave}"
    party = _allocate(list(PARTY_LABELS), PARTY_SHARES, n, gen)
    form = _allocate([1.0, 2.0], (0.5, 0.5), n, gen)
    weights = np.exp(gen.normal(0.0, weight_sigma, n))
    cols: dict[str, Any] = {"QKEY": np.arange(100001, 100001 + n, dtype=np.float64)}
    start = pd.Timestamp("2026-03-02 08:00:00") + pd.to_timedelta(
        gen.integers(0, 14 * 86400, n), unit="s"
    )
    cols[f"INTERVIEW_START{suffix}"] = start
    cols[f"INTERVIEW_END{suffix}"] = start + pd.to_timedelta(gen.integers(300, 2400, n), unit="s")
    cols[f"DEVICE_TYPE{suffix}"] = _allocate([1.0, 2.0, 3.0], (0.6, 0.33, 0.07), n, gen)
    cols[f"LANG{suffix}"] = _allocate([1.0, 2.0], (0.95, 0.05), n, gen)
    cols[f"FORM{suffix}"] = form
    labels = {
        "QKEY": "Unique respondent ID",
        f"INTERVIEW_START{suffix}": "Interview start time",
        f"INTERVIEW_END{suffix}": "Interview end time",
        f"DEVICE_TYPE{suffix}": "Device type used to fill out the survey",
        f"LANG{suffix}": "Language of the interview",
        f"FORM{suffix}": "Form assignment",
    }
    value_labels: dict[str, dict[float, str]] = {
        f"DEVICE_TYPE{suffix}": {1.0: "Mobile phone", 2.0: "Desktop or laptop", 3.0: "Tablet"},
        f"LANG{suffix}": {1.0: "English", 2.0: "Spanish"},
        f"FORM{suffix}": {1.0: "Form 1", 2.0: "Form 2"},
    }
    for spec in specs:
        name = f"{spec.stem}{suffix}"
        k = len(spec.options)
        if len(spec.shares) != len(PARTY_LABELS) or any(len(row) != k for row in spec.shares):
            raise ValueError(f"Question spec {spec.stem!r}: 'shares' must be 3 rows of {k} values.")
        answers = np.full(n, np.nan)
        asked = np.ones(n, dtype=bool) if spec.form is None else form == spec.form
        for row, code in zip(spec.shares, PARTY_LABELS, strict=True):
            who = np.flatnonzero(asked & (party == code))
            p = np.asarray(row, dtype=np.float64)
            p = np.concatenate(
                [p / p.sum() * (1 - refused_rate - missing_rate), [refused_rate, missing_rate]]
            )
            answers[who] = _allocate([*range(1, k + 1), REFUSED, np.nan], p.tolist(), who.size, gen)
        cols[name] = answers
        labels[name] = spec.text
        vl = {float(i + 1): opt for i, opt in enumerate(spec.options)}
        vl.update({float(k + 1 + j): lab for j, lab in enumerate(spec.unchosen)})
        vl[REFUSED] = "Refused"
        value_labels[name] = vl
    cols["F_PARTYSUM_FINAL"] = party
    labels["F_PARTYSUM_FINAL"] = "Party summary (Rep/Lean Rep, Dem/Lean Dem)"
    value_labels["F_PARTYSUM_FINAL"] = dict(PARTY_LABELS)
    for col, (label, vlab, probs) in DEMOGRAPHICS.items():
        cols[col] = _allocate(list(vlab), probs, n, gen)
        labels[col] = label
        value_labels[col] = dict(vlab)
    cols[f"WEIGHT{suffix}"] = weights / weights.mean()
    labels[f"WEIGHT{suffix}"] = f"Wave {wave} weight"
    frame = pd.DataFrame(cols)
    return WaveData(frame, labels, value_labels, file_label)


#: Coded reasons of the demo's open-ended mention (a code frame as Pew's, 25 codes).
OE_REASONS: tuple[str, ...] = (
    "Cost/too expensive",
    "Range too short",
    "Not enough charging stations",
    "Charging takes too long",
    "Prefer gas vehicles",
    "Batteries wear out",
    "Battery fires/safety",
    "Not reliable in cold weather",
    "Hard to repair",
    "Environmental cost of batteries",
    "Electricity comes from fossil fuels",
    "Do not trust the technology",
    "Government mandates",
    "Too few models",
    "Need a truck/towing",
    "Live in a rural area",
    "No place to charge at home",
    "Resale value",
    "Insurance costs",
    "Power grid cannot handle it",
    "Just bought a car",
    "Do not drive much",
    "Political reasons",
    "Other reasons",
    "Never thought about it",
)
#: The extra columns of the demo wave and their classes (what the skipped table shows).
DEMO_EXTRAS: dict[str, str] = {
    "THERM_HARRIS_W900": "numeric",
    "EVCAR2OE1_W900": "open-ended",
    "ECONSUM_W900": "derived",
    "FLAG_W900": "admin",
    "XPANEL_W900": "admin",
    "DURATION_W900": "admin",
}


def _demo_extras(data: WaveData, seed: int) -> WaveData:
    """Add :data:`DEMO_EXTRAS` from their own random stream (the questions keep their answers)."""
    gen = np.random.default_rng([seed, 1])
    f = data.frame
    n = len(f)
    party = f["F_PARTYSUM_FINAL"].to_numpy()
    centre = np.select([party == 1, party == 2], [22.0, 74.0], 42.0)
    therm = np.clip(np.rint(gen.normal(centre, 20.0)), 0, 100)
    therm[gen.random(n) < 0.01] = 999.0
    ev = f["EVCAR2_W900"].to_numpy()
    asked = np.isin(ev, [3.0, 4.0])
    mention = np.full(n, np.nan)
    first = gen.choice(len(OE_REASONS), size=n, p=gen.dirichlet(np.ones(len(OE_REASONS))))
    mention[asked] = first[asked] + 1.0
    mention[asked & (gen.random(n) < 0.04)] = 99.0
    e1, e2 = f["ECON1_W900"].to_numpy(), f["ECON1B_W900"].to_numpy()
    econsum = np.where(
        np.isin(e1, [1.0, 2.0, 3.0, 4.0]) & np.isin(e2, [1.0, 2.0, 3.0]),
        np.isin(e1, [1.0, 2.0]).astype(float) + (e2 == 1.0),
        np.nan,
    )
    flag = np.where(gen.random(n) < 0.005, 1.0, np.nan)
    cohort = _allocate([1.0, 2.0, 3.0], (0.3, 0.4, 0.3), n, gen)
    duration = np.round(np.exp(gen.normal(np.log(14.0), 0.45, n)), 2)
    extras = {
        "THERM_HARRIS_W900": therm,
        "EVCAR2OE1_W900": mention,
        "ECONSUM_W900": econsum,
        "FLAG_W900": flag,
        "XPANEL_W900": cohort,
        "DURATION_W900": duration,
    }
    frame = f.copy()
    at = list(frame.columns).index("F_PARTYSUM_FINAL")
    for k, (name, values) in enumerate(extras.items()):
        frame.insert(at + k, name, values)
    labels = {
        **data.column_labels,
        "THERM_HARRIS_W900": "Feeling thermometer: Kamala Harris (0 = coldest, 100 = warmest)",
        "EVCAR2OE1_W900": "Why are you unlikely to consider an electric vehicle? First mention (coded open-ended)",
        "ECONSUM_W900": "Summary: optimistic answers to ECON1 and ECON1B (0-2)",
        "FLAG_W900": "Data-quality flag",
        "XPANEL_W900": "Panel recruitment cohort (sample flag)",
        "DURATION_W900": "Interview duration (minutes)",
    }
    value_labels = {
        **data.value_labels,
        "THERM_HARRIS_W900": {
            0.0: "Coldest, most unfavorable",
            50.0: "No feeling either way",
            100.0: "Warmest, most favorable",
            999.0: "Refused",
        },
        "EVCAR2OE1_W900": {
            **{float(k + 1): r for k, r in enumerate(OE_REASONS)},
            99.0: "Don't know/No answer",
        },
        "FLAG_W900": {1.0: "Saw incorrect version"},
        "XPANEL_W900": {
            1.0: "Recruited 2014",
            2.0: "Recruited 2015-2019",
            3.0: "Recruited 2020 or later",
        },
    }
    return WaveData(frame, labels, value_labels, data.file_label, dict(data.missing_ranges))


def demo_wave(seed: int = DEMO_SEED, n_respondents: int = DEMO_RESPONDENTS) -> WaveData:
    """The SYNTHETIC demo wave ``ATP W900``: 20 questions and :data:`DEMO_EXTRAS`."""
    base = build_wave(
        DEMO_QUESTIONS,
        n_respondents,
        seed,
        wave=DEMO_WAVE,
        file_label=SYNTHETIC_NOTE.format(seed=seed),
    )
    return _demo_extras(base, seed)


def random_wave(
    n_respondents: int, n_questions: int, rng: RngLike = None, *, wave: int = 901
) -> WaveData:
    """A SYNTHETIC wave with ``n_questions`` random questions (2-6 options) for benchmarks."""
    gen = np.random.default_rng(rng)
    specs = []
    for q in range(n_questions):
        k = int(gen.integers(2, 7))
        base = gen.dirichlet(np.full(k, 2.0))
        rows = tuple(tuple(float(x) for x in gen.dirichlet(base * 30 + 0.5)) for _ in PARTY_LABELS)
        specs.append(
            QuestionSpec(
                f"Q{q + 1:03d}",
                f"Synthetic question {q + 1}",
                tuple(f"Option {chr(65 + i)}" for i in range(k)),
                rows,
                form=None if q % 5 else 1 + (q // 5) % 2,
            )
        )
    label = f"SYNTHETIC random wave ({n_respondents} x {n_questions}); not Pew data."
    return build_wave(specs, n_respondents, gen, wave=wave, file_label=label)


#: Non-answer labels seen at code 99 across real ATP waves.
LABELS_AT_99: tuple[str, ...] = (
    "Refused",
    "DK/Ref",
    "DK/REF",
    "Don't know/Refused",
    "Don't know/No answer",
    "(VOL) Don't know/Refused",
    "NA",
    "missing",
    "No idea/don't know",
    "Refused either question",
    "Refused all items in set",
    "DK, DK/No",
    "don't know/refused or a non-answer",
)
#: Non-answer labels seen at other codes, with their code.
LABELS_ELSEWHERE: tuple[tuple[float, str], ...] = (
    (3.0, "DK Ref"),
    (98.0, "Translation error - do not include in analysis"),
    (98.0, "Missing - was not asked due to programming error"),
    (0.0, "Not asked"),
    (96.0, "DK/Nothing"),
    (997.0, "DK/Nothing"),
    (999.0, "No answer to the previous question"),
    (6.0, "Don't know enough to say"),
)


def _choice(
    gen: np.random.Generator, codes: Sequence[float], probs: Sequence[float], n: int
) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    return gen.choice(np.asarray(codes, dtype=np.float64), size=n, p=p / p.sum())


def _mentions(gen: np.random.Generator, n_codes: int, n: int, asked: np.ndarray) -> np.ndarray:
    out = np.full(n, np.nan)
    out[asked] = gen.integers(1, n_codes + 1, size=int(asked.sum()))
    out[asked & (gen.random(n) < 0.05)] = 99.0
    return out


def varied_wave(n_respondents: int = 600, rng: RngLike = None, *, wave: int = 5) -> WaveData:
    """A SYNTHETIC wave with every kind of column and non-answer label seen in real ATP waves.

    Columns (``<n>`` is ``wave``): ``QKEY``; ``WEIGHT_W<n>`` and ``WEIGHT_W<n>_XS``;
    ``F_PARTYSUM_FINAL`` and ``F_AGECAT``; questions ``NA99_01_W<n>``.. (three options and one
    label of :data:`LABELS_AT_99` at 99), ``NAELSE_01_W<n>``.. (three options, or two when the
    non-answer is at 3, and one label of :data:`LABELS_ELSEWHERE` at its code), ``DKQ_W<n>`` (a
    "Don't know" at 9 and "Refused" at 99), ``UNLAB99_W<n>`` (an unlabelled 99), ``DECL_W<n>``
    (code 7 "Other" declared user-missing), ``CANOE_W<n>`` (a question whose name ends in OE);
    numeric ``THERM1_W<n>`` (0-100, labels at 0, 50, 100 and 999 "Refused"), ``SHOOTAGE_1_W<n>``
    (ages, 99 "Refused"), ``OWNAGE_1_W<n>``, ``WAITVOTEOE_MINUTES_W<n>`` (minutes),
    ``KNOSCT27_1_W<n>`` (counts, 0 "None"), ``RATE_W<n>`` (1-5 labelled at the ends only),
    ``SCORE_W<n>`` (measure ``scale``: 1-4 labelled and an unlabelled 5) and ``SCORE2_W<n>`` (the
    same values, measure ``nominal``, no 5); open-ended ``NATCHROE1_W<n>``, ``CHRNAT1OE1_W<n>``
    (43 codes), ``DEMNOMOE1_W<n>``, ``EXCITEOE_W<n>_OE1`` .. ``_OE3``; administrative
    ``LANGUAGE_W<n>``, ``FLAG_W<n>`` ("Saw incorrect version"), ``Device_Type_W<n>``,
    ``NEW_Device_Type_W<n>``, ``XCODE_W<n>``, ``XTABLET_W<n>``, ``FORM_W<n>``,
    ``INTERVIEW_START_W<n>``, ``INTERVIEW_END_W<n>`` (dates), ``DURATION_W<n>`` (minutes);
    derived ``ECON_RECODE_A_W<n>`` and ``POLSUM_W<n>`` (labelled categorical: questions),
    ``KNOW_RECODE_B_W<n>`` (unlabelled 0-5) and ``INDEXSUM_W<n>`` (a few labels, mostly
    unlabelled values); text ``OPENTEXT_W<n>``.
    """
    gen = np.random.default_rng(rng)
    n = n_respondents
    sfx = f"_W{wave}"
    cols: dict[str, Any] = {"QKEY": np.arange(1, n + 1, dtype=np.float64)}
    labels: dict[str, str] = {"QKEY": "Unique respondent ID"}
    vlabels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[Any]] = {}
    measures: dict[str, str] = {}
    party = _choice(gen, [1, 2, 9], PARTY_SHARES, n)
    abc = {1.0: "Agree", 2.0: "Disagree", 3.0: "Neither"}

    def add(name: str, values: np.ndarray, text: str, vl: dict[float, str] | None = None) -> None:
        cols[name] = values
        labels[name] = text
        if vl is not None:
            vlabels[name] = vl

    for k, lab in enumerate(LABELS_AT_99):
        add(
            f"NA99_{k + 1:02d}{sfx}",
            _choice(gen, [1, 2, 3, 99], [4, 3, 2, 1], n),
            f"Question with {lab!r} at 99",
            {**abc, 99.0: lab},
        )
    for k, (code, lab) in enumerate(LABELS_ELSEWHERE):
        opts = {1.0: "Agree", 2.0: "Disagree"} if code == 3.0 else abc
        values = _choice(gen, [*opts, code], [*[4, 3, 2, 1][: len(opts)], 1], n)
        add(
            f"NAELSE_{k + 1:02d}{sfx}",
            values,
            f"Question with {lab!r} at {code:g}",
            {**opts, code: lab},
        )
    add(
        f"DKQ{sfx}",
        _choice(gen, [1, 2, 9, 99], [5, 4, 2, 1], n),
        "Question with a Don't know",
        {1.0: "Yes", 2.0: "No", 9.0: "Don't know", 99.0: "Refused"},
    )
    add(
        f"UNLAB99{sfx}",
        _choice(gen, [1, 2, 99], [5, 4, 1], n),
        "Unlabelled 99",
        {1.0: "Yes", 2.0: "No"},
    )
    add(
        f"DECL{sfx}",
        _choice(gen, [1, 2, 7], [5, 4, 1], n),
        "Declared missing",
        {1.0: "Yes", 2.0: "No", 7.0: "Other"},
    )
    missing[f"DECL{sfx}"] = [7.0]
    add(
        f"CANOE{sfx}",
        _choice(gen, [1, 2, 3], [1, 1, 1], n),
        "Have you ever been canoeing?",
        {1.0: "Often", 2.0: "Once or twice", 3.0: "Never"},
    )
    therm = np.clip(np.rint(gen.normal(np.where(party == 1, 30, 65), 25)), 0, 100)
    therm[gen.random(n) < 0.02] = 999.0
    add(
        f"THERM1{sfx}",
        therm,
        "Feeling thermometer",
        {0.0: "Coldest", 50.0: "Neutral", 100.0: "Warmest", 999.0: "Refused"},
    )
    ages = np.rint(gen.uniform(5, 80, n))
    ages[gen.random(n) < 0.03] = 99.0
    add(f"SHOOTAGE_1{sfx}", ages, "Age when first shot a gun", {99.0: "Refused"})
    add(f"OWNAGE_1{sfx}", np.rint(gen.uniform(12, 70, n)), "Age when first owned a gun", {})
    add(
        f"WAITVOTEOE_MINUTES{sfx}",
        np.rint(gen.exponential(20, n)),
        "Minutes waited to vote",
        {999.0: "Don't know"},
    )
    add(
        f"KNOSCT27_1{sfx}",
        np.rint(gen.exponential(4, n)),
        "Number of people you know",
        {0.0: "None"},
    )
    add(
        f"RATE{sfx}",
        _choice(gen, [1, 2, 3, 4, 5], [1, 2, 3, 2, 1], n),
        "Rating 1-5",
        {1.0: "1 Very bad", 5.0: "5 Very good"},
    )
    four = {1.0: "Low", 2.0: "Fair", 3.0: "Good", 4.0: "High"}
    add(f"SCORE{sfx}", _choice(gen, [1, 2, 3, 4, 5], [3, 3, 3, 3, 1], n), "Score (scale)", four)
    measures[f"SCORE{sfx}"] = "scale"
    add(f"SCORE2{sfx}", _choice(gen, [1, 2, 3, 4], [1, 1, 1, 1], n), "Score (nominal)", four)
    measures[f"SCORE2{sfx}"] = "nominal"
    code_frame = {float(k + 1): f"Mention {k + 1}" for k in range(30)}
    every = np.ones(n, dtype=bool)
    add(
        f"NATCHROE1{sfx}",
        _mentions(gen, 30, n, every),
        "What makes a country great? First mention",
        {**code_frame, 99.0: "Don't know/No answer"},
    )
    add(
        f"CHRNAT1OE1{sfx}",
        _mentions(gen, 43, n, every),
        "Christian nation? First mention",
        {**{float(k + 1): f"Reason {k + 1}" for k in range(43)}, 99.0: "Don't know/No answer"},
    )
    add(
        f"DEMNOMOE1{sfx}",
        _mentions(gen, 25, n, every),
        "Who should be the nominee? First mention",
        {**{float(k + 1): f"Candidate {k + 1}" for k in range(25)}, 99.0: "Don't know/No answer"},
    )
    more = every.copy()
    for k in range(1, 4):
        add(
            f"EXCITEOE{sfx}_OE{k}",
            _mentions(gen, 30, n, more),
            f"What excites you? Mention {k}",
            {**code_frame, 99.0: "Don't know/No answer"},
        )
        more &= gen.random(n) < 0.5
    add(
        f"LANGUAGE{sfx}",
        _choice(gen, [1, 2], [9, 1], n),
        "Language of the interview",
        {1.0: "English", 2.0: "Spanish"},
    )
    add(
        f"FLAG{sfx}",
        np.where(gen.random(n) < 0.02, 1.0, np.nan),
        "Flag",
        {1.0: "Saw incorrect version"},
    )
    device = {1.0: "Mobile", 2.0: "Desktop", 3.0: "Tablet"}
    add(f"Device_Type{sfx}", _choice(gen, [1, 2, 3], [6, 3, 1], n), "Device type", device)
    add(f"NEW_Device_Type{sfx}", _choice(gen, [1, 2, 3], [6, 3, 1], n), "Device type (new)", device)
    add(
        f"XCODE{sfx}",
        _choice(gen, [1, 2], [1, 1], n),
        "Sample code",
        {1.0: "Main sample", 2.0: "Oversample"},
    )
    add(
        f"XTABLET{sfx}", _choice(gen, [0, 1], [9, 1], n), "Tablet provided", {0.0: "No", 1.0: "Yes"}
    )
    add(f"FORM{sfx}", _choice(gen, [1, 2], [1, 1], n), "Form", {1.0: "Form 1", 2.0: "Form 2"})
    start = pd.Timestamp("2024-05-01 08:00:00") + pd.to_timedelta(
        gen.integers(0, 86400 * 9, n), unit="s"
    )
    add(f"INTERVIEW_START{sfx}", start, "Interview start")
    add(
        f"INTERVIEW_END{sfx}",
        start + pd.to_timedelta(gen.integers(300, 3000, n), unit="s"),
        "Interview end",
    )
    add(f"DURATION{sfx}", np.round(gen.exponential(15, n), 2), "Interview duration (minutes)")
    add(
        f"ECON_RECODE_A{sfx}",
        _choice(gen, [1, 2, 99], [5, 4, 1], n),
        "Economy (recoded)",
        {1.0: "Positive", 2.0: "Negative", 99.0: "Refused"},
    )
    add(
        f"POLSUM{sfx}",
        _choice(gen, [1, 2, 3], [1, 1, 1], n),
        "Political summary",
        {1.0: "Left", 2.0: "Centre", 3.0: "Right"},
    )
    add(f"KNOW_RECODE_B{sfx}", _choice(gen, range(6), [1] * 6, n), "Knowledge score (recoded)")
    add(
        f"INDEXSUM{sfx}",
        _choice(gen, range(11), [1] * 11, n),
        "Index sum",
        {0.0: "Lowest", 10.0: "Highest"},
    )
    add(
        f"OPENTEXT{sfx}",
        np.array([f"verbatim {k % 7}" for k in range(n)], dtype=object),
        "Verbatim answer",
    )
    add("F_PARTYSUM_FINAL", party, "Party summary", dict(PARTY_LABELS))
    add(
        "F_AGECAT",
        _choice(gen, [1, 2, 3, 99], [3, 4, 3, 0.2], n),
        "Age category",
        {1.0: "18-29", 2.0: "30-64", 3.0: "65+", 99.0: "Refused"},
    )
    w = np.exp(gen.normal(0.0, 0.4, n))
    add(f"WEIGHT{sfx}", w / w.mean(), "Main weight")
    add(f"WEIGHT{sfx}_XS", np.ones(n), "Cross-sectional weight")
    frame = pd.DataFrame(cols)
    label = f"SYNTHETIC varied wave ({n} respondents); not Pew data."
    return WaveData(frame, labels, vlabels, label, missing, measures)


def write_wave(data: WaveData, path: str | Path) -> Path:
    """Write ``data`` with pyreadstat: SPSS ``.sav`` (row-compressed, as SPSS does; with its
    missing ranges and measure levels) or, for a ``.dta`` name, Stata (value labels only)."""
    import pyreadstat

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".dta":
        pyreadstat.write_dta(
            data.frame,
            str(p),
            file_label=data.file_label,
            column_labels=dict[str, str | None](data.column_labels),
            variable_value_labels=data.value_labels,
        )
        return p
    pyreadstat.write_sav(
        data.frame,
        str(p),
        file_label=data.file_label,
        column_labels=dict[str, str | None](data.column_labels),
        variable_value_labels=data.value_labels,
        missing_ranges=data.missing_ranges or None,
        variable_measure=data.measures or None,
        row_compress=True,
    )
    _fix_header_timestamp(p)
    return p


#: Offset of the creation date ("dd mmm yy", 9 bytes) and time ("hh:mm:ss", 8 bytes) in the
#: header of a .sav: after rec_type (4), product (60), layout, case size, compression, weight
#: index, case count (4 each) and bias (8).
_SAV_DATE_OFFSET = 92
_FIXED_STAMP = b"01 Jan 2600:00:00"


def _fix_header_timestamp(path: Path) -> None:
    """Overwrite the header's creation date and time so that a seed gives the same bytes."""
    with path.open("r+b") as fh:
        head = fh.read(_SAV_DATE_OFFSET + len(_FIXED_STAMP))
        stamp = head[_SAV_DATE_OFFSET:]
        if head[:4] == b"$FL2" and stamp[2:3] == b" " and stamp[11:12] == b":":
            fh.seek(_SAV_DATE_OFFSET)
            fh.write(_FIXED_STAMP)
