"""Which answers are answers: the non-substantive value labels of survey waves.

Real ATP waves mark non-answers with many labels and codes: "Refused", "DK/Ref", "Don't
know/No answer", "(VOL) Don't know/Refused", "NA", "missing", "No idea/don't know", "Refused
either question", "DK, DK/No" and "don't know/refused or a non-answer" at code 99; "DK Ref" at
code 3; "Translation error - do not include in analysis" and "Missing - was not asked due to
programming error" at 98; "Not asked" at 0; "DK/Nothing" at 96 and 997; "No answer to ..." at
999; "Don't know enough to say" at 6. :func:`answer_status` sorts a label into

* ``"answer"``: a substantive answer (or a label it does not recognise);
* ``"dk"``: a pure "don't know" ("Don't know", "Not sure", "No idea/don't know", "DK/Nothing",
  "Don't know enough to say"): never an option unless ``keep_dk``;
* ``"refused"``: a refusal or a non-answer, alone or together with DK ("Refused", "DK/Ref",
  "Don't know/No answer", "NA", "No answer to ...", "Refused all items in set"): never an option;
* ``"missing"``: the respondent was not asked or the answer is an error ("Not asked", "Missing -
  was not asked due to programming error", "Translation error - do not include in analysis",
  "missing", "Not applicable"): never an option.

A label is a non-answer when it matches one of the anchored patterns below, or when every word
of it belongs to the non-answer vocabulary and one of them is a marker (``dk``, ``ref``,
``refused``, ``know``, ``sure``, ``idea``, ``na``, ``missing``, ``skipped``, ``blank``, "no
answer"). Any other word makes it an answer: "DK/Refused/No lean" (the party type that the paper
keeps) has "lean", "I refused the vaccine" has "vaccine", and a bare "No" has no marker.
"""

from __future__ import annotations

import re
from typing import Literal

AnswerStatus = Literal["answer", "dk", "refused", "missing"]
#: Every status, substantive first.
ANSWER_STATUSES: tuple[AnswerStatus, ...] = ("answer", "dk", "refused", "missing")

_WORD_RE = re.compile(r"[a-z0-9']+")
#: Words a pure "don't know" label is made of.
_DK_WORDS = frozenset(
    {"dk", "don't", "dont", "do", "not", "know", "sure", "unsure", "no", "idea", "nothing",
     "enough", "to", "say", "i", "vol"}
)  # fmt: skip
#: Words of the other non-answer labels (refusals, no answer, missing), besides the DK words.
_OTHER_WORDS = frozenset(
    {"ref", "refused", "refuse", "refusal", "na", "n", "a", "answer", "non", "nonanswer",
     "missing", "skipped", "web", "blank", "either", "question", "questions", "all", "items",
     "item", "in", "set", "or", "and", "prefer", "the", "of"}
)  # fmt: skip
_VOCABULARY = _DK_WORDS | _OTHER_WORDS
#: A label needs one of these (or a "no answer" phrase) to be a non-answer.
_MARKERS = frozenset(
    {"dk", "ref", "refused", "refuse", "refusal", "know", "sure", "unsure", "idea", "na",
     "missing", "skipped", "blank", "nonanswer"}
)  # fmt: skip
#: DK words that make a label a pure DK (with only DK words around them).
_DK_MARKERS = frozenset({"dk", "know", "sure", "unsure", "idea", "nothing"})
_NO_ANSWER_RE = re.compile(r"\bno[ -]?answer\b|\bnon[- ]?answer\b|\bprefer not to\b")
#: Labels of answers that must not be used: the respondent was not asked, or an error.
_MISSING_RE = re.compile(
    r"translation error|programming error|do not include|\bnot asked\b|not applicable"
    r"|^\W*missing\b|^\W*(?:sys(?:tem)?[ -]?)?missing\W*$|^\W*n/a\W*$",
    re.IGNORECASE,
)
#: Refusals that go on with free text: "Refused either question", "No answer to Q5".
_REFUSED_RE = re.compile(r"^\W*(?:\(?vol\.?\)?\W*)?(?:refused|no answer)\b", re.IGNORECASE)
#: A type label meaning "no lean" / "don't know" / "refused" (e.g. F_PARTYSUM_FINAL code 9).
_NO_LEAN_RE = re.compile(r"no lean|\bdk\b|don'?t know|refused|not sure", re.IGNORECASE)


def answer_status(label: str) -> AnswerStatus:
    """Whether a value label is an answer, a "don't know", a refusal or a missing answer.

    >>> [answer_status(s) for s in ("Refused", "DK/Ref", "Don't know", "Not asked", "No")]
    ['refused', 'refused', 'dk', 'missing', 'answer']
    >>> answer_status("DK/Refused/No lean"), answer_status("Don't know/No answer")
    ('answer', 'refused')
    >>> answer_status("No answer to Q5a"), answer_status("Don't know enough to say")
    ('refused', 'dk')
    """
    text = str(label).strip()
    lowered = text.lower().replace("\u2019", "'")
    if _MISSING_RE.search(lowered):
        return "missing"
    if _REFUSED_RE.match(lowered):
        return "refused"
    no_answer = _NO_ANSWER_RE.search(lowered) is not None
    words = set(_WORD_RE.findall(_NO_ANSWER_RE.sub(" nonanswer ", lowered)))
    if not words or not words <= _VOCABULARY or not (words & _MARKERS or no_answer):
        return "answer"
    if words <= _DK_WORDS and words & _DK_MARKERS:
        return "dk"
    return "refused"


def is_no_lean_label(label: str) -> bool:
    """Whether a type label is a non-substantive group (no lean, DK, refused).

    >>> is_no_lean_label("DK/Ref-no lean"), is_no_lean_label("Rep/Lean Rep")
    (True, False)
    """
    return _NO_LEAN_RE.search(label) is not None


__all__ = ["ANSWER_STATUSES", "AnswerStatus", "answer_status", "is_no_lean_label"]
