"""Shared test configuration: Agg backend, deterministic hypothesis profile, the repository root
on ``sys.path`` (the wave generators: ``from data.wavegen import demo_wave``), and a cache of
decoded waves private to the test session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _session_survey_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Decoded waves are cached in a folder of the test session, never in the user's cache."""
    old = os.environ.get("SOCIALPREF_CACHE_DIR")
    os.environ["SOCIALPREF_CACHE_DIR"] = str(tmp_path_factory.mktemp("survey-cache"))
    yield
    if old is None:
        os.environ.pop("SOCIALPREF_CACHE_DIR", None)
    else:
        os.environ["SOCIALPREF_CACHE_DIR"] = old
