"""The ``sampling`` argument: the distribution ``D`` of alternatives for NBC (Eq. 13).

A vector in option order or ``{option label: probability}``, turned into a vector over one
question's options; uniform when omitted.
"""

from __future__ import annotations

from collections.abc import Mapping

from socialpref._typing import ArrayLike, FloatArray
from socialpref.errors import ParameterError
from socialpref.population import as_sampling

SamplingArg = ArrayLike | Mapping[str, float] | None


def _sampling_vector(sampling: SamplingArg, options: tuple[str, ...]) -> FloatArray:
    if sampling is None:
        return as_sampling(None, len(options))
    if isinstance(sampling, Mapping):
        keys = {str(k) for k in sampling}
        unknown = sorted(keys - set(options))
        absent = [o for o in options if o not in keys]
        if unknown or absent:
            parts = []
            if absent:
                parts.append(f"no probability for {absent!r}")
            if unknown:
                parts.append(f"labels that are not options: {unknown!r}")
            raise ParameterError(
                f"The 'sampling' parameter must give one probability per option {list(options)!r}: "
                f"{'; '.join(parts)}."
            )
        values = {str(k): v for k, v in sampling.items()}
        return as_sampling([float(values[o]) for o in options], len(options))
    return as_sampling(sampling, len(options))
