"""Accuracy as the paper reports it: strict order (model ties wrong) or the authors' >= (model
ties right), on a scorer whose scores are known."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from socialpref.llm.relabel import LabelledPairs  # noqa: E402
from socialpref.llm.trainer import evaluate_scorer  # noqa: E402


class FirstToken(torch.nn.Module):
    """Scores a sequence by its first token id: a scorer whose every score is known."""

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return ids[:, 0].float()


PAIRS = LabelledPairs(
    preferred=((5, 1), (3, 1, 1), (2,), (7, 1)),
    dispreferred=((4, 1), (3, 2), (6, 1), (7,)),
)  # scores 5>4 right, 3=3 tie, 2<6 wrong, 7=7 tie


@pytest.mark.parametrize(("ties", "expected"), [("drop", 1 / 4), ("authors", 3 / 4)])
def test_model_ties_count_by_policy(ties: str, expected: float) -> None:
    acc = evaluate_scorer(FirstToken(), PAIRS, 0, torch.device("cpu"), batch_size=3, ties=ties)
    assert acc == pytest.approx(expected, abs=1e-12)
