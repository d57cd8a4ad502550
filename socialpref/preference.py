"""Preference models sigma: the probability that an option with reward advantage ``d`` wins.

Paper Eq. (2) and (7): ``Pr(y2 > y1 | u) = sigma(r(y2; u) - r(y1; u))``. Every model here
satisfies ``sigma(d) + sigma(-d) = 1`` and ``sigma(0) = 1/2``, so the pairwise matrix of a
mixture (Eq. 8) is complementary: ``P[i, j] + P[j, i] = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from socialpref._typing import ArrayLike, FloatArray
from socialpref._validation import check_scalar
from socialpref.errors import ParameterError


@runtime_checkable
class PreferenceModel(Protocol):
    """A link ``sigma`` from a reward difference to a win probability."""

    @property
    def name(self) -> str: ...

    def prob(self, diff: ArrayLike) -> FloatArray:
        """``sigma(diff)``: probability that the option ahead by ``diff`` is preferred."""
        ...


@dataclass(frozen=True)
class BradleyTerry:
    """Bradley-Terry with temperature T: ``sigma(d) = 1 / (1 + exp(-d / T))``.

    The paper's ``sigma_2`` (Section 4.3) is ``BradleyTerry(temperature=2)``.

    >>> float(BradleyTerry().prob(0.0))
    0.5
    >>> round(float(BradleyTerry(2.0).prob(2.0)), 6)
    0.731059
    """

    temperature: float = 1.0

    def __post_init__(self) -> None:
        check_scalar(self.temperature, "temperature", float, 0.0, None, "neither", "BradleyTerry")

    @property
    def name(self) -> str:
        return "bradley-terry" if self.temperature == 1.0 else f"bradley-terry:{self.temperature:g}"

    def prob(self, diff: ArrayLike) -> FloatArray:
        from scipy.special import expit  # imported here: importing the core stays fast

        d = np.asarray(diff, dtype=np.float64)
        # d / 1.0 is d: skip a pass over the differences at the default temperature
        return np.asarray(expit(d if self.temperature == 1.0 else d / self.temperature))


@dataclass(frozen=True)
class Thurstone:
    """Thurstone case V (probit): ``sigma(d) = Phi(d / scale)`` with Phi the standard normal CDF.

    >>> float(Thurstone().prob(0.0))
    0.5
    """

    scale: float = 1.0

    def __post_init__(self) -> None:
        check_scalar(self.scale, "scale", float, 0.0, None, "neither", "Thurstone")

    @property
    def name(self) -> str:
        return "thurstone" if self.scale == 1.0 else f"thurstone:{self.scale:g}"

    def prob(self, diff: ArrayLike) -> FloatArray:
        from scipy.special import ndtr

        return np.asarray(ndtr(np.asarray(diff, dtype=np.float64) / self.scale), dtype=np.float64)


@dataclass(frozen=True)
class MajorityStep:
    """Deterministic majority: ``sigma(d) = 1`` if ``d > 0``, ``0`` if ``d < 0``, ``1/2`` on a tie.

    >>> MajorityStep().prob([-1.0, 0.0, 2.0]).tolist()
    [0.0, 0.5, 1.0]
    """

    @property
    def name(self) -> str:
        return "majority"

    def prob(self, diff: ArrayLike) -> FloatArray:
        d = np.asarray(diff, dtype=np.float64)
        return np.asarray(0.5 * (1.0 + np.sign(d)), dtype=np.float64)


MODEL_NAMES = ("bradley-terry", "bt", "thurstone", "probit", "majority")


def get_model(model: PreferenceModel | str | None = None) -> PreferenceModel:
    """Resolve ``model`` to a :class:`PreferenceModel`; ``None`` means Bradley-Terry (T = 1).

    Strings: ``"bradley-terry"`` (or ``"bt"``), ``"thurstone"`` (or ``"probit"``), ``"majority"``;
    a parameter follows a colon: ``"bt:2"`` is Bradley-Terry with temperature 2,
    ``"thurstone:1.5"`` is probit with scale 1.5.

    >>> get_model("bt:2")
    BradleyTerry(temperature=2.0)
    """
    if model is None:
        return BradleyTerry()
    if isinstance(model, str):
        name, _, param = model.strip().lower().partition(":")
        try:
            value = float(param) if param else 1.0
        except ValueError:
            raise ParameterError(
                f"The 'model' parameter has a parameter that is not a number: {model!r}."
            ) from None
        if name in ("bradley-terry", "bt"):
            return BradleyTerry(value)
        if name in ("thurstone", "probit"):
            return Thurstone(value)
        if name == "majority" and not param:
            return MajorityStep()
        raise ParameterError(
            f"The 'model' parameter must be one of {', '.join(MODEL_NAMES)} (optionally 'name:parameter'). "
            f"Got {model!r} instead."
        )
    if isinstance(model, PreferenceModel):
        return model
    raise ParameterError(
        f"The 'model' parameter must be a PreferenceModel, a model name or None. Got {model!r} instead."
    )
