"""socialpref: social-choice analysis of heterogeneous preferences.

Normalized Borda Count (what DPO/RLHF optimise) against the user-weighted average reward
(what a single policy should optimise), after Shirali, Nasr-Esfahany et al., "Direct Alignment
with Heterogeneous Preferences".

The names below are imported on first use (module ``__getattr__``), so that ``import
socialpref`` and the command line start without loading scipy, pandas or the counterexample
catalogue. Subpackages (``socialpref.sensitivity``, ``socialpref.surveys``, ...) load the same
way on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialpref.aggregate import (
        AggregateComparison,
        RankComparison,
        average_reward,
        compare_aggregates,
        compare_aggregates_batch,
        compare_rankings,
        kendall_tau,
        kendall_tau_rows,
        nbc,
        nbc_from_matrix,
        pairwise_matrix,
        ranking,
        top_choices,
    )
    from socialpref.counterexamples import (
        Counterexample,
        SearchResult,
        Verification,
        counterexample_names,
        get_counterexample,
    )
    from socialpref.counterexamples import search as search_counterexamples
    from socialpref.errors import (
        DataError,
        MissingExtraError,
        OutputError,
        ParameterError,
        SocialPrefError,
        SolverError,
    )
    from socialpref.luce import (
        BootstrapIntervals,
        ShareEstimate,
        bootstrap_intervals,
        choice_counts,
        luce_rewards,
        shares_from_counts,
    )
    from socialpref.policy import dpo_limit_log_ratio, dpo_limit_policy, optimal_policy
    from socialpref.population import Population
    from socialpref.preference import (
        BradleyTerry,
        MajorityStep,
        PreferenceModel,
        Thurstone,
        get_model,
    )
    from socialpref.sensitivity import (
        FlipResult,
        SensitivityResult,
        SweepResult,
        min_tv_flip,
        nbc_sensitivity,
        sensitivity_sweep,
    )
    from socialpref.surveys import (
        QuestionAnalysis,
        Skipped,
        Survey,
        SurveyAnalysis,
        analyze_question,
        analyze_survey,
        read_crosstab,
        read_source,
        read_wave,
    )
    from socialpref.targets import (
        MaximalLottery,
        TargetComparison,
        compare_targets,
        compare_targets_batch,
        condorcet_loser,
        condorcet_winner,
        copeland_scores,
        majority_relation,
        maximal_lottery,
        maximal_lottery_batch,
        nash_policy,
        nash_policy_batch,
    )

__version__ = "0.1.0"

#: Public name -> (module, attribute in that module).
_LAZY: dict[str, tuple[str, str]] = {
    **{
        name: ("socialpref.aggregate", name)
        for name in (
            "AggregateComparison",
            "RankComparison",
            "average_reward",
            "compare_aggregates",
            "compare_aggregates_batch",
            "compare_rankings",
            "kendall_tau",
            "kendall_tau_rows",
            "nbc",
            "nbc_from_matrix",
            "pairwise_matrix",
            "ranking",
            "top_choices",
        )
    },
    **{
        name: ("socialpref.counterexamples", name)
        for name in (
            "Counterexample",
            "SearchResult",
            "Verification",
            "counterexample_names",
            "get_counterexample",
        )
    },
    "search_counterexamples": ("socialpref.counterexamples", "search"),
    **{
        name: ("socialpref.errors", name)
        for name in (
            "DataError",
            "MissingExtraError",
            "OutputError",
            "ParameterError",
            "SocialPrefError",
            "SolverError",
        )
    },
    **{
        name: ("socialpref.luce", name)
        for name in (
            "BootstrapIntervals",
            "ShareEstimate",
            "bootstrap_intervals",
            "choice_counts",
            "luce_rewards",
            "shares_from_counts",
        )
    },
    **{
        name: ("socialpref.policy", name)
        for name in ("dpo_limit_log_ratio", "dpo_limit_policy", "optimal_policy")
    },
    "Population": ("socialpref.population", "Population"),
    **{
        name: ("socialpref.preference", name)
        for name in ("BradleyTerry", "MajorityStep", "PreferenceModel", "Thurstone", "get_model")
    },
    **{
        name: ("socialpref.sensitivity", name)
        for name in (
            "FlipResult",
            "SensitivityResult",
            "SweepResult",
            "min_tv_flip",
            "nbc_sensitivity",
            "sensitivity_sweep",
        )
    },
    **{
        name: ("socialpref.surveys", name)
        for name in (
            "QuestionAnalysis",
            "Skipped",
            "Survey",
            "SurveyAnalysis",
            "analyze_question",
            "analyze_survey",
            "read_crosstab",
            "read_source",
            "read_wave",
        )
    },
    **{
        name: ("socialpref.targets", name)
        for name in (
            "MaximalLottery",
            "TargetComparison",
            "compare_targets",
            "compare_targets_batch",
            "condorcet_loser",
            "condorcet_winner",
            "copeland_scores",
            "majority_relation",
            "maximal_lottery",
            "maximal_lottery_batch",
            "nash_policy",
            "nash_policy_batch",
        )
    },
}

#: Subpackages and modules reachable as attributes (``socialpref.sensitivity.min_tv_flip``).
_SUBMODULES = frozenset(
    {
        "aggregate",
        "app",
        "counterexamples",
        "errors",
        "llm",
        "luce",
        "policy",
        "population",
        "preference",
        "report",
        "sensitivity",
        "serialize",
        "surveys",
        "targets",
        "train",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"socialpref.{name}")
    raise AttributeError(f"module 'socialpref' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


__all__ = [
    "AggregateComparison",
    "BootstrapIntervals",
    "BradleyTerry",
    "Counterexample",
    "DataError",
    "FlipResult",
    "MajorityStep",
    "MaximalLottery",
    "MissingExtraError",
    "OutputError",
    "ParameterError",
    "Population",
    "PreferenceModel",
    "QuestionAnalysis",
    "RankComparison",
    "SearchResult",
    "SensitivityResult",
    "ShareEstimate",
    "Skipped",
    "SocialPrefError",
    "SolverError",
    "Survey",
    "SurveyAnalysis",
    "SweepResult",
    "TargetComparison",
    "Thurstone",
    "Verification",
    "__version__",
    "analyze_question",
    "analyze_survey",
    "average_reward",
    "bootstrap_intervals",
    "choice_counts",
    "compare_aggregates",
    "compare_aggregates_batch",
    "compare_rankings",
    "compare_targets",
    "compare_targets_batch",
    "condorcet_loser",
    "condorcet_winner",
    "copeland_scores",
    "counterexample_names",
    "dpo_limit_log_ratio",
    "dpo_limit_policy",
    "get_counterexample",
    "get_model",
    "kendall_tau",
    "kendall_tau_rows",
    "luce_rewards",
    "majority_relation",
    "maximal_lottery",
    "maximal_lottery_batch",
    "min_tv_flip",
    "nash_policy",
    "nash_policy_batch",
    "nbc",
    "nbc_from_matrix",
    "nbc_sensitivity",
    "optimal_policy",
    "pairwise_matrix",
    "ranking",
    "read_crosstab",
    "read_source",
    "read_wave",
    "search_counterexamples",
    "sensitivity_sweep",
    "shares_from_counts",
    "top_choices",
]
