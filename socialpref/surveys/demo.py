"""A SYNTHETIC survey wave in the Pew ATP format (not Pew data), deterministic from a seed.

:func:`demo_wave` builds the respondents of ``data/demo/ATP W900.sav``: ``QKEY``, the weight
``WEIGHT_W900``, ``F_PARTYSUM_FINAL`` with Pew's labels (types Rep 45%, Dem 48%, no lean 7%, as
in the paper's EV example), ``F_EDUCCAT``, ``F_AGECAT``, ``F_GENDER``, administrative columns and
20 questions with realistic wording. Each party type answers from a fixed distribution (counts
allocated exactly, then shuffled), with about 1% "Refused" (code 99) and a few missing answers.
Most questions have NBC and the average reward agreeing; ``EVCAR2_W900`` reproduces the paper's
mediocrity example (Fig. 1) and ``POLREFORM_W900`` a lopsided minority.

:func:`random_wave` builds a large random wave (for the benchmark); :func:`write_wave` writes
either with pyreadstat (imported lazily).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialpref._typing import RngLike

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


def demo_wave(seed: int = DEMO_SEED, n_respondents: int = DEMO_RESPONDENTS) -> WaveData:
    """The SYNTHETIC demo wave ``ATP W900`` (20 questions, Pew's labels and conventions)."""
    return build_wave(
        DEMO_QUESTIONS,
        n_respondents,
        seed,
        wave=DEMO_WAVE,
        file_label=SYNTHETIC_NOTE.format(seed=seed),
    )


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


def write_wave(data: WaveData, path: str | Path) -> Path:
    """Write ``data`` as an SPSS ``.sav`` (row-compressed, as SPSS does) with pyreadstat."""
    import pyreadstat

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        data.frame,
        str(p),
        file_label=data.file_label,
        column_labels=dict[str, str | None](data.column_labels),
        variable_value_labels=data.value_labels,
        missing_ranges=data.missing_ranges or None,
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
