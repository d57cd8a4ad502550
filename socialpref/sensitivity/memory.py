"""Memory plan of a sweep: how many questions per chunk, how many pairs per block.

A sweep holds, for each question of a chunk with ``n`` options and ``u`` types, its pairwise
matrix and the TV of every pair (``n x n`` each) and, while the pairwise matrix is computed,
``3 u`` temporary ``n x n`` arrays: about ``question_arrays(u) * 8 n^2`` bytes. The
closed form then runs on blocks of pairs, each pair a row of ``n`` floats with about
:data:`PAIR_ROW_ARRAYS` temporaries, and the repair programs on blocks of questions, each with
about :data:`REPAIR_ARRAYS` temporaries of ``n x n`` entries. So memory grows with ``n^2`` per question
and with the block sizes, never with the ``n^3`` of all pairs at once.

:func:`plan_sweep` sizes the blocks to :data:`BLOCK_BYTES` (small blocks stay in cache: at 100
options, 8 questions at a time run faster than 256) and the chunks to the rest of the memory
budget, and refuses, with its estimate, a question that cannot fit at all. The constants are
upper bounds measured with ``tracemalloc`` (``tests/sensitivity/test_sensitivity_memory.py``
checks that the measured peak of a sweep stays below :attr:`SweepPlan.peak_bytes`).

>>> plan = plan_sweep(n_options=5, n_types=3, n_questions=100_000)
>>> plan.questions_per_chunk, plan.pairs_per_block, round(plan.peak_bytes / 2**20, 1)
(673, 6721, 17.7)
>>> plan = plan_sweep(n_options=1000, n_types=3, n_questions=1)
>>> plan.pairs_per_block, round(plan.peak_bytes / 2**20)
(1166, 315)
>>> plan_sweep(n_options=20000, n_types=3, n_questions=1)
Traceback (most recent call last):
...
socialpref.errors.SocialPrefError: A sensitivity sweep of a question with 20000 options and 3 types needs about 122 GiB (38.7 GiB without the repair program), more than the memory budget of 1 GiB; raise memory_budget (in bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from socialpref.errors import SocialPrefError

#: Default memory budget of a sweep, in bytes (1 GiB).
MEMORY_BUDGET = 1 << 30
#: Target size of the working arrays of one block of pairs or repair programs, in bytes.
BLOCK_BYTES = 16 << 20
#: Most questions in one chunk (beyond this, larger chunks no longer run faster).
CHUNK_MAX = 4096
#: float64 arrays of ``n + 8`` entries alive per pair row in the closed form (upper bound; the
#: 8 covers the per-row scalars and indices, which matter for few options).
PAIR_ROW_ARRAYS = 24
#: float64 arrays of ``n x (n + 8)`` entries alive per repair program (upper bound).
REPAIR_ARRAYS = 28
#: ``n x n`` float64 arrays per question of a chunk with ``u`` types (upper bound): the
#: pairwise matrix, the TVs and the selection's temporaries, or ``3 u`` temporaries of
#: Eq. (8).
_QUESTION_BASE_ARRAYS = 4


def question_arrays(n_types: int) -> int:
    """``n x n`` float64 arrays held per question of a chunk with ``n_types`` types."""
    return 3 * n_types + _QUESTION_BASE_ARRAYS


@dataclass(frozen=True)
class SweepPlan:
    """How a group of questions with one number of options is split.

    Attributes
    ----------
    questions_per_chunk : int
        Questions whose pairwise matrices are held at once.
    pairs_per_block : int
        Pairs that go through one call of the closed form.
    repairs_per_block : int
        Repair programs solved together.
    peak_bytes : int
        Estimated peak memory of one chunk (an upper bound).
    """

    questions_per_chunk: int
    pairs_per_block: int
    repairs_per_block: int
    peak_bytes: int


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.3g} GiB"


def plan_sweep(
    n_options: int,
    n_types: int,
    n_questions: int,
    memory_budget: int = MEMORY_BUDGET,
    chunk_size: int | None = None,
    repair: bool = True,
) -> SweepPlan:
    """Plan the sweep of ``n_questions`` questions with ``n_options`` options each.

    ``n_types`` is the largest number of types among them; ``chunk_size``, when given, caps the
    questions per chunk. Arguments are assumed valid (the sweep checks them).

    Raises
    ------
    SocialPrefError
        One question (with a block of one pair and one repair program) needs more than
        ``memory_budget`` bytes; the message gives the estimate.
    """
    n = max(int(n_options), 1)
    per_question = 8 * n * n * question_arrays(n_types)
    row = 8 * (n + 8) * PAIR_ROW_ARRAYS
    repair_one = 8 * n * (n + 8) * REPAIR_ARRAYS if repair else 0
    least = per_question + max(row, repair_one)
    if least > memory_budget:
        without = "" if not repair else f" ({_gib(per_question + row)} without the repair program)"
        raise SocialPrefError(
            f"A sensitivity sweep of a question with {n_options} options and {n_types} types "
            f"needs about {_gib(least)}{without}, more than the memory budget of "
            f"{_gib(memory_budget)}; raise memory_budget (in bytes)."
        )
    work = max(min(BLOCK_BYTES, (memory_budget - per_question) // 2), row, repair_one)
    pairs_per_block = max(1, work // row)
    repairs_per_block = max(1, work // repair_one) if repair else 1
    pairs_per_question = max(1, n * (n - 1) // 2)
    by_work = -(-pairs_per_block // pairs_per_question)  # chunks of about one block of pairs
    by_budget = (memory_budget - work) // per_question
    cap = CHUNK_MAX if chunk_size is None else chunk_size
    questions = int(max(1, min(by_work, by_budget, cap, max(n_questions, 1))))
    return SweepPlan(
        questions_per_chunk=questions,
        pairs_per_block=int(pairs_per_block),
        repairs_per_block=int(repairs_per_block),
        peak_bytes=int(questions * per_question + work),
    )


__all__ = [
    "BLOCK_BYTES",
    "CHUNK_MAX",
    "MEMORY_BUDGET",
    "PAIR_ROW_ARRAYS",
    "REPAIR_ARRAYS",
    "SweepPlan",
    "plan_sweep",
    "question_arrays",
]
