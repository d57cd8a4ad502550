"""Result types of the counterexample catalogue: scenarios, verifications, counterexamples.

A counterexample is a small population (or a few) together with the sampling distribution(s)
and preference model(s) under which a claim of the paper can be checked. Its ``verify()``
recomputes the claim with the core (:mod:`socialpref.aggregate`, :mod:`socialpref.policy`) and
returns the numbers; nothing is stored precomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialpref._typing import ArrayLike, FloatArray
from socialpref.aggregate import average_reward, nbc
from socialpref.errors import ParameterError
from socialpref.population import Population, as_sampling
from socialpref.preference import PreferenceModel, get_model
from socialpref.serialize import to_jsonable
from socialpref.targets import MaximalLottery, maximal_lottery


@dataclass(frozen=True, eq=False)
class Scenario:
    """One setting in which a population is evaluated.

    Attributes
    ----------
    label : str
        Short description, e.g. ``"D(y3) = 0.02"`` or ``"BT, T = 2"``.
    population : Population
    sampling : (n_options,) array
        The distribution ``D`` of alternatives in NBC (Eq. 13).
    model : PreferenceModel
        The annotators' preference model ``sigma`` (Eq. 7).
    """

    label: str
    population: Population
    sampling: FloatArray
    model: PreferenceModel

    def __init__(
        self,
        label: str,
        population: Population,
        sampling: ArrayLike | None = None,
        model: PreferenceModel | str | None = None,
    ) -> None:
        d = np.array(as_sampling(sampling, population.n_options), dtype=np.float64)
        d.setflags(write=False)
        object.__setattr__(self, "label", str(label))
        object.__setattr__(self, "population", population)
        object.__setattr__(self, "sampling", d)
        object.__setattr__(self, "model", get_model(model))

    def nbc(self) -> FloatArray:
        """NBC of the scenario's population under its ``D`` and model (Eq. 13)."""
        p = self.population
        return nbc(p.rewards, p.type_weights, self.sampling, self.model)

    def average_reward(self) -> FloatArray:
        """User-weighted average reward (Eq. 9); independent of ``D`` and the model."""
        p = self.population
        return average_reward(p.rewards, p.type_weights)

    def maximal_lottery(self) -> MaximalLottery:
        """The maximal lottery of the population under the model (Fishburn 1984); independent of D."""
        p = self.population
        return maximal_lottery(p.rewards, p.type_weights, model=self.model)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            **self.population.to_dict(),
            "sampling": self.sampling.tolist(),
            "model": self.model.name,
            "nbc": self.nbc().tolist(),
            "average_reward": self.average_reward().tolist(),
            "maximal_lottery": self.maximal_lottery().probabilities.tolist(),
        }


@dataclass(frozen=True, eq=False)
class Verification:
    """The recomputed numbers behind a counterexample's claim.

    Attributes
    ----------
    holds : bool
        True when every check passed.
    checks : mapping of str to bool
        Each part of the claim, by name (e.g. ``"nbc prefers y2 at D(y3)=0.02"``).
    numbers : mapping of str to JSON-like values
        The figures computed, by name (floats, lists of floats).
    nbc : (n_options,) array
        NBC of the headline population under its headline ``D`` and model.
    average_reward : (n_options,) array
        Average reward of the headline population.
    """

    holds: bool
    checks: Mapping[str, bool]
    numbers: Mapping[str, Any]
    nbc: FloatArray
    average_reward: FloatArray

    @classmethod
    def from_checks(
        cls,
        checks: Mapping[str, bool | np.bool_],
        numbers: Mapping[str, Any],
        headline: Scenario,
    ) -> Verification:
        """Build a verification; ``holds`` is the conjunction of ``checks``."""
        plain = {str(k): bool(v) for k, v in checks.items()}
        return cls(
            holds=all(plain.values()),
            checks=plain,
            numbers=to_jsonable(dict(numbers)),
            nbc=headline.nbc(),
            average_reward=headline.average_reward(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "checks": dict(self.checks),
            "numbers": dict(self.numbers),
            "nbc": self.nbc.tolist(),
            "average_reward": self.average_reward.tolist(),
        }


@dataclass(frozen=True, eq=False)
class Counterexample:
    """A named example from the paper, ready to verify.

    Attributes
    ----------
    name : str
        Catalogue name, e.g. ``"mediocrity"``.
    claim : str
        The claim in words.
    reference : str
        Where the paper states it (section, proposition).
    scenarios : tuple of Scenario
        Every setting the claim involves; ``scenarios[0]`` is the headline one, whose
        population, ``D`` and model fill the ``rewards``/``sampling``/``model`` JSON keys.
    parameters : mapping
        Construction parameters (e.g. ``z`` or ``gamma``), JSON-like.
    """

    name: str
    claim: str
    reference: str
    scenarios: tuple[Scenario, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    _check: Callable[[Counterexample], Verification] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.scenarios:
            raise ParameterError(
                f"The 'scenarios' parameter of Counterexample {self.name!r} is empty."
            )

    @property
    def population(self) -> Population:
        """The headline population (``scenarios[0]``)."""
        return self.scenarios[0].population

    @property
    def sampling(self) -> FloatArray:
        """The headline sampling distribution ``D``."""
        return self.scenarios[0].sampling

    @property
    def model(self) -> PreferenceModel:
        """The headline preference model."""
        return self.scenarios[0].model

    @property
    def samplings(self) -> tuple[FloatArray, ...]:
        """The sampling distribution of every scenario."""
        return tuple(s.sampling for s in self.scenarios)

    @property
    def models(self) -> tuple[PreferenceModel, ...]:
        """The preference model of every scenario."""
        return tuple(s.model for s in self.scenarios)

    def scenario(self, label: str) -> Scenario:
        """The scenario with this label."""
        for s in self.scenarios:
            if s.label == label:
                return s
        labels = [s.label for s in self.scenarios]
        raise KeyError(f"No scenario {label!r} in {self.name!r}; valid labels: {labels}.")

    def verify(self) -> Verification:
        """Recompute the claim with the core and return the numbers."""
        if self._check is None:
            raise ValueError(f"Counterexample {self.name!r} has no verifier.")
        return self._check(self)

    def to_dict(self, verification: Verification | None = None) -> dict[str, Any]:
        """JSON-ready dict: ``name, claim, rewards, type_weights, options, types, sampling,
        model, nbc, average_reward, holds`` (the headline scenario), plus ``reference``,
        ``parameters``, ``checks``, ``numbers`` and every ``scenario``."""
        v = self.verify() if verification is None else verification
        return {
            "name": self.name,
            "claim": self.claim,
            "reference": self.reference,
            **self.population.to_dict(),
            "sampling": self.sampling.tolist(),
            "model": self.model.name,
            "nbc": v.nbc.tolist(),
            "average_reward": v.average_reward.tolist(),
            "holds": v.holds,
            "checks": dict(v.checks),
            "numbers": dict(v.numbers),
            "parameters": to_jsonable(dict(self.parameters)),
            "scenarios": [s.to_dict() for s in self.scenarios],
        }
