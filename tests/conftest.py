"""Shared test configuration: Agg backend, deterministic hypothesis profile, the repository root
on ``sys.path`` (the wave generators: ``from data.wavegen import demo_wave``), and a cache of
decoded waves private to the test session."""

from __future__ import annotations

import dataclasses
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


@pytest.fixture(scope="session")
def wave_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three SYNTHETIC waves for multi-wave runs, written with pyreadstat.

    ``W901``: the demo questions on 1,200 other respondents (seed 901); ``W3``: 800 respondents
    whose file has no ``F_PARTYSUM_FINAL`` but ``F_PARTYSUM_TYPOLOGY`` (as ATP waves 3, 4 and 59,
    which the default types cannot analyse); ``W900``: the demo wave itself.
    """
    from data.wavegen import demo_wave, write_wave

    folder = tmp_path_factory.mktemp("waves")
    second = demo_wave(seed=901, n_respondents=1200)
    old = demo_wave(seed=3, n_respondents=800)
    old = dataclasses.replace(
        old, frame=old.frame.rename(columns={"F_PARTYSUM_FINAL": "F_PARTYSUM_TYPOLOGY"})
    )
    for mapping in (old.value_labels, old.column_labels):
        if "F_PARTYSUM_FINAL" in mapping:
            mapping["F_PARTYSUM_TYPOLOGY"] = mapping.pop("F_PARTYSUM_FINAL")  # type: ignore[assignment]
    old.measures.pop("F_PARTYSUM_FINAL", None)
    old.missing_ranges.pop("F_PARTYSUM_FINAL", None)
    return {
        "W900": REPO / "data" / "demo" / "ATP W900.sav",
        "W901": write_wave(second, folder / "ATP W901.sav"),
        "W3": write_wave(old, folder / "ATP W3.sav"),
    }


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
