"""socialpref: social-choice analysis of heterogeneous preferences.

Normalized Borda Count (what DPO/RLHF optimise) against the user-weighted average reward
(what a single policy should optimise), after Shirali, Nasr-Esfahany et al., "Direct Alignment
with Heterogeneous Preferences".
"""

from __future__ import annotations

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
from socialpref.preference import BradleyTerry, MajorityStep, PreferenceModel, Thurstone, get_model
from socialpref.sensitivity import FlipResult, SensitivityResult, min_tv_flip, sensitivity
from socialpref.sensitivity_sweep import SweepResult, sensitivity_sweep
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

__all__ = [
    "AggregateComparison",
    "BootstrapIntervals",
    "BradleyTerry",
    "Counterexample",
    "FlipResult",
    "MajorityStep",
    "MaximalLottery",
    "Population",
    "PreferenceModel",
    "QuestionAnalysis",
    "RankComparison",
    "SearchResult",
    "SensitivityResult",
    "ShareEstimate",
    "Skipped",
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
    "optimal_policy",
    "pairwise_matrix",
    "ranking",
    "read_crosstab",
    "read_source",
    "read_wave",
    "search_counterexamples",
    "sensitivity",
    "sensitivity_sweep",
    "shares_from_counts",
    "top_choices",
]
