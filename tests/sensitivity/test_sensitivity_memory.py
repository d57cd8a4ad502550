"""The sweep's memory plan: an upper bound on the measured peak, growing with n^2, not n^3."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from socialpref.errors import SocialPrefError
from socialpref.sensitivity import MEMORY_BUDGET, plan_sweep, sensitivity_sweep

MIB = 2**20


def polarised(n: int, count: int, n_types: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Questions whose average-reward and NBC winners mostly differ (every repair is solved)."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(n_types, n)) * 3.0, rng.dirichlet(np.ones(n_types))) for _ in range(count)
    ]


def measured_peak(questions, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """Peak bytes allocated during the sweep (numpy reports its buffers to tracemalloc).

    A first, untraced run of the same sweep imports what the sweep imports lazily (scipy.optimize for the LP
    fallback of the repair), so that module imports do not count.
    """
    sensitivity_sweep(questions, **kwargs)
    tracemalloc.start()
    try:
        sensitivity_sweep(questions, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("n", "count", "n_types", "with_bases"),
    [(5, 2000, 3, False), (20, 120, 4, True), (60, 6, 3, False), (200, 1, 2, True)],
)
def test_measured_peak_stays_below_the_plan(
    n: int, count: int, n_types: int, with_bases: bool
) -> None:
    questions = polarised(n, count, n_types, seed=n)
    bases = None
    if with_bases:
        rng = np.random.default_rng(n)
        bases = [rng.dirichlet(np.ones(n)) for _ in questions]
    plan = plan_sweep(n, n_types, count)
    # the result arrays (13 per question) live outside the chunks
    outputs = 13 * 8 * count * n
    assert measured_peak(questions, bases=bases) <= plan.peak_bytes + outputs


def test_memory_grows_with_the_square_of_the_options() -> None:
    """One question at a time: 4x the options costs about 16x the memory, not 64x."""
    small = measured_peak(polarised(50, 1, 3, seed=1), memory_budget=MEMORY_BUDGET)
    large = measured_peak(polarised(200, 1, 3, seed=2), memory_budget=MEMORY_BUDGET)
    assert large < 32 * small


def test_plan_follows_the_budget() -> None:
    roomy = plan_sweep(100, 3, 10_000, memory_budget=2**30)
    tight = plan_sweep(100, 3, 10_000, memory_budget=16 * MIB)
    assert tight.peak_bytes <= 16 * MIB < roomy.peak_bytes <= 2**30
    assert plan_sweep(100, 3, 10_000, chunk_size=1).questions_per_chunk == 1
    few = plan_sweep(5, 3, 10_000)
    assert few.questions_per_chunk > 100 and few.pairs_per_block >= few.questions_per_chunk
    with pytest.raises(
        SocialPrefError, match=r"needs about 0\.00322 GiB .* budget of 9\.31e-07 GiB"
    ):
        plan_sweep(100, 3, 1, memory_budget=1000)
    # without the repair programs a larger question fits
    assert plan_sweep(2000, 3, 1, memory_budget=2**30, repair=False).questions_per_chunk == 1
    with pytest.raises(SocialPrefError, match="2000 options"):
        plan_sweep(2000, 3, 1, memory_budget=2**30)
