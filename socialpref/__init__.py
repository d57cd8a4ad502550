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
    compare_rankings,
    kendall_tau,
    nbc,
    nbc_from_matrix,
    pairwise_matrix,
    ranking,
    top_choices,
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
from socialpref.preference import BradleyTerry, MajorityStep, PreferenceModel, Thurstone, get_model

__version__ = "0.1.0"

__all__ = [
    "AggregateComparison",
    "BootstrapIntervals",
    "BradleyTerry",
    "MajorityStep",
    "Population",
    "PreferenceModel",
    "RankComparison",
    "ShareEstimate",
    "Thurstone",
    "__version__",
    "average_reward",
    "bootstrap_intervals",
    "choice_counts",
    "compare_aggregates",
    "compare_rankings",
    "dpo_limit_log_ratio",
    "dpo_limit_policy",
    "get_model",
    "kendall_tau",
    "luce_rewards",
    "nbc",
    "nbc_from_matrix",
    "optimal_policy",
    "pairwise_matrix",
    "ranking",
    "shares_from_counts",
    "top_choices",
]
