"""Every option of an analysis run, in two frozen dataclasses whose fields carry their help.

:class:`AnalysisOptions` says how sources are read and analysed (types, weights, non-answers,
column classes, preference model, bootstrap, targets, questions, strictness);
:class:`SweepOptions` says how the Section 7.1 sweep runs (filters, base distribution, solver).
``socialpref surveys analyze`` takes the first, ``socialpref sensitivity`` and
``socialpref report`` both; the command-line options are generated from the fields (their
``help`` metadata), so names, defaults and help live here only, and the report's provenance
records every field (:meth:`AnalysisOptions.to_dict`).

Values are checked here, before any file is read (``ParameterError`` naming the option); what
depends on the data (a type column, a question name) is checked by the analysis.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialpref._validation import check_scalar
from socialpref.errors import ParameterError
from socialpref.preference import get_model
from socialpref.sensitivity import DELTA, EPS, check_options
from socialpref.surveys import (
    DEFAULT_REPLICATES,
    DEFAULT_TYPES,
    INCLUDABLE_KINDS,
    MIN_OPTIONS,
    MIN_PER_OPTION,
    PREPROCESSINGS,
)
from socialpref.surveys.objectives import DEFAULT_BETA


def _help(text: str, **more: Any) -> dict[str, Any]:
    return {"help": text, **more}


@dataclass(frozen=True)
class AnalysisOptions:
    """How every source of a run is read and analysed (the options of ``surveys analyze``).

    Each field's ``metadata["help"]`` is its help text at the command line.
    """

    types: str | None = field(
        default=None,
        metadata=_help(
            f"Type column(s), comma-separated (default {DEFAULT_TYPES}; crosstabs: group)."
        ),
    )
    weight: str | None = field(
        default=None, metadata=_help("Weight column (default the wave's WEIGHT_W<n>).")
    )
    unweighted: bool = field(
        default=False, metadata=_help("Count people instead of weighting them.")
    )
    keep_dk: bool = field(
        default=False,
        metadata=_help(
            "Keep 'don't know' answers as an option (refusals, 'not asked' and errors never are)."
        ),
    )
    preprocessing: str = field(
        default="default",
        metadata=_help(
            "default: substantive answers of single-choice questions; paper: the paper's rule "
            "(drop code 99 and the file's declared missing codes, keep every other code; the "
            "paper's columns)."
        ),
    )
    include: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            f"Also analyse these column classes, comma-separated: {', '.join(INCLUDABLE_KINDS)}."
        ),
    )
    bins: int | None = field(
        default=None,
        metadata=_help("Analyse included numeric columns as at most N equal-count ranges."),
    )
    drop_no_lean: bool = field(
        default=False,
        metadata=_help("Drop the no-lean / DK / refused type (kept by default, as in the paper)."),
    )
    sampling: Path | None = field(
        default=None,
        metadata=_help(
            "JSON file with the distribution D of compared options for NBC: a list of "
            "probabilities or {option label: probability} (default uniform); the sweep's base "
            "unless --base is given."
        ),
    )
    model: str | None = field(
        default=None,
        metadata=_help("Preference model for NBC: bt (default), bt:T, thurstone, majority."),
    )
    questions: tuple[str, ...] = field(
        default=(), metadata=_help("Only this question (repeatable; default every question).")
    )
    bootstrap: int = field(
        default=DEFAULT_REPLICATES,
        metadata=_help(
            "Bootstrap replicates (respondent-level, weighted; waves only); 0 turns it off."
        ),
    )
    seed: int = field(default=0, metadata=_help("Seed of the bootstrap."))
    beta: float = field(
        default=DEFAULT_BETA,
        metadata=_help("Regularisation beta of the NLHF Nash policy (uniform reference), > 0."),
    )
    strict: bool = field(
        default=False,
        metadata=_help(
            "Stop at a source that cannot be analysed with these options instead of skipping it."
        ),
    )
    check: bool = field(
        default=True,
        metadata=_help(
            "Refuse files whose coded columns look damaged (unlabelled non-integer or huge codes, "
            "implausibly many codes); --no-check reads them as they are."
        ),
    )
    cache: bool = field(
        default=True,
        metadata=_help(
            "Reuse decoded waves from the user cache (keyed by the file's SHA-256 and the reading "
            "options; SOCIALPREF_CACHE_DIR moves it, SOCIALPREF_NO_CACHE=1 turns it off)."
        ),
    )

    def __post_init__(self) -> None:
        if self.preprocessing not in PREPROCESSINGS:
            raise ParameterError(
                f"The 'preprocessing' option must be one of {', '.join(PREPROCESSINGS)}. "
                f"Got {self.preprocessing!r} instead."
            )
        unknown = [k for k in self.include if k not in INCLUDABLE_KINDS]
        if unknown:
            raise ParameterError(
                f"The 'include' option must name column classes among "
                f"{', '.join(INCLUDABLE_KINDS)}. Got {', '.join(unknown)} instead."
            )
        if self.bins is not None:
            check_scalar(self.bins, "bins", int, min_val=2)
        bootstrap = check_scalar(self.bootstrap, "bootstrap", int, min_val=0)
        if bootstrap == 1:
            raise ParameterError(
                "The 'bootstrap' option must be 0 (off) or an integer >= 2. Got 1 instead."
            )
        check_scalar(self.seed, "seed", int, min_val=0)
        check_scalar(self.beta, "beta", float, min_val=0, include_boundaries="neither")
        if self.weight is not None and self.unweighted:
            raise ParameterError(
                f"The 'weight' option ({self.weight!r}) and 'unweighted' exclude each other."
            )
        if self.keep_dk and self.preprocessing == "paper":
            raise ParameterError(
                "The 'keep_dk' option cannot apply with preprocessing='paper', which keeps every "
                "code but 99 and the declared missing codes."
            )
        get_model(self.model)

    @property
    def type_columns(self) -> str:
        """The type column(s) as the provenance shows them."""
        return self.types if self.types is not None else f"{DEFAULT_TYPES} (default)"

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (paths as text, tuples as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                str(value)
                if isinstance(value, Path)
                else list(value)
                if isinstance(value, tuple)
                else value
            )
        return out


@dataclass(frozen=True)
class SweepOptions:
    """How the Section 7.1 sweep runs (the options that ``sensitivity`` and ``report`` add)."""

    min_options: int = field(
        default=MIN_OPTIONS,
        metadata=_help("Keep questions with at least this many options (the sweep's filter)."),
    )
    min_per_option: float = field(
        default=MIN_PER_OPTION,
        metadata=_help("Keep questions with respondents / options >= this (the sweep's filter)."),
    )
    base: Path | None = field(
        default=None,
        metadata=_help(
            "Base distribution of the sweep: 'uniform' or a JSON file (list or {option: p}); "
            "default the --sampling file, else uniform."
        ),
    )
    solver: str = field(
        default="exact",
        metadata=_help("exact (closed form), linprog, cvxpy or cvxpy:NAME."),
    )
    eps: float = field(default=EPS, metadata=_help("Every option keeps at least this probability."))
    delta: float = field(default=DELTA, metadata=_help("Margin of the flip."))

    def __post_init__(self) -> None:
        check_scalar(self.min_options, "min_options", int, min_val=0)
        check_scalar(self.min_per_option, "min_per_option", float, min_val=0)
        check_options(solver=self.solver, eps=self.eps, delta=self.delta)

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready."""
        return {
            f.name: str(v) if isinstance(v, Path) else v
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        }


__all__ = ["AnalysisOptions", "SweepOptions"]
