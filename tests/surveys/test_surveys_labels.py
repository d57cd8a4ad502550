"""Non-answer labels: every label seen in real ATP waves gets its status; answers stay answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.wavegen import LABELS_AT_99, LABELS_ELSEWHERE
from socialpref.surveys import answer_status, is_no_lean_label
from socialpref.surveys.labels import _VOCABULARY

EXPECTED_AT_99 = {
    "Refused": "refused",
    "DK/Ref": "refused",
    "DK/REF": "refused",
    "Don't know/Refused": "refused",
    "Don't know/No answer": "refused",
    "(VOL) Don't know/Refused": "refused",
    "NA": "refused",
    "missing": "missing",
    "No idea/don't know": "dk",
    "Refused either question": "refused",
    "Refused all items in set": "refused",
    "DK, DK/No": "dk",
    "don't know/refused or a non-answer": "refused",
}
EXPECTED_ELSEWHERE = {
    "DK Ref": "refused",
    "Translation error - do not include in analysis": "missing",
    "Missing - was not asked due to programming error": "missing",
    "Not asked": "missing",
    "DK/Nothing": "dk",
    "No answer to the previous question": "refused",
    "Don't know enough to say": "dk",
}


def test_every_label_seen_at_99() -> None:
    assert set(EXPECTED_AT_99) == set(LABELS_AT_99)
    for label, status in EXPECTED_AT_99.items():
        assert answer_status(label) == status, label


def test_every_label_seen_elsewhere() -> None:
    assert set(EXPECTED_ELSEWHERE) == {lab for _, lab in LABELS_ELSEWHERE}
    for label, status in EXPECTED_ELSEWHERE.items():
        assert answer_status(label) == status, label


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("Refused (VOL.)", "refused"),
        ("Refused/Web blank", "refused"),
        ("Skipped", "refused"),
        ("Prefer not to answer", "refused"),
        ("Not sure (VOL.)", "dk"),
        ("Not sure", "dk"),
        ("Don\u2019t know", "dk"),  # a typographic apostrophe
        ("N/A", "missing"),
        ("Not applicable", "missing"),
        # answers, however close to a non-answer
        ("DK/Refused/No lean", "answer"),
        ("DK/Ref-no lean", "answer"),
        ("I refused the vaccine", "answer"),
        ("No", "answer"),
        ("Not at all", "answer"),
        ("Not too likely", "answer"),
        ("All of the above", "answer"),
        ("Reform", "answer"),
        ("Never heard of this person", "answer"),
        ("Not sure the vaccine is safe", "answer"),
        ("", "answer"),
    ],
)
def test_more_labels(label: str, status: str) -> None:
    assert answer_status(label) == status


WORDS = st.from_regex(r"[a-z]{3,9}", fullmatch=True).filter(lambda w: w not in _VOCABULARY)


@given(st.lists(WORDS, min_size=1, max_size=4), st.sampled_from(["Don't know", "DK/Ref", "NA"]))
def test_a_word_outside_the_vocabulary_makes_an_answer(words: list[str], nonanswer: str) -> None:
    # "Don't know which party" or "NA votes" name something: a substantive answer
    assert answer_status(" ".join(words)) == "answer"
    assert answer_status(f"{nonanswer} {' '.join(words)}") == "answer"


def test_no_lean_labels() -> None:
    for lab in ("DK/Refused/No lean", "DK/Ref-no lean", "Don't know"):
        assert is_no_lean_label(lab)
    for lab in ("Rep/Lean Rep", "Dem/Lean Dem", "Lean Rep"):
        assert not is_no_lean_label(lab)
