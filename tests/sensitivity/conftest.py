"""Shared oracles of the sensitivity tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest


def _vertex_min_tv(a: np.ndarray, base: np.ndarray, eps: float, delta: float) -> float | None:
    """Brute force: min of the convex piecewise-linear TV over the polytope, at some vertex.

    Hyperplanes: ``q_k = eps``, ``q_k = base_k`` (kinks of TV) and ``a_m @ q = -delta``; a vertex
    is ``sum q = 1`` plus ``n - 1`` of them, linearly independent. Exact up to round-off.
    """
    n = base.size
    planes = [(np.eye(n)[k], eps) for k in range(n)]
    planes += [(np.eye(n)[k], base[k]) for k in range(n)]
    planes += [(row, -delta) for row in a]
    best = None
    for combo in itertools.combinations(planes, n - 1):
        mat = np.vstack([np.ones(n)] + [h for h, _ in combo])
        rhs = np.array([1.0] + [v for _, v in combo])
        if abs(np.linalg.det(mat)) < 1e-12:
            continue
        q = np.linalg.solve(mat, rhs)
        if q.min() < eps - 1e-12 or np.any(a @ q > -delta + 1e-12):
            continue
        tv = 0.5 * np.abs(q - base).sum()
        best = tv if best is None else min(best, tv)
    return best


@pytest.fixture
def vertex_min_tv() -> Callable[[np.ndarray, np.ndarray, float, float], float | None]:
    """Brute-force min-TV by vertex enumeration (independent of every solver)."""
    return _vertex_min_tv
