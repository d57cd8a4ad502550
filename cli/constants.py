"""Constants of the command line: the help of every top-level command (one source for
``socialpref --help`` and the commands themselves), the exit statuses, the ``--debug`` key.

This module imports nothing, so the root help stays fast."""

from __future__ import annotations

#: Command name -> its help. The commands of ``socialpref_cli.surveys``, ``sensitivity``,
#: ``report`` and ``counterexamples`` take their help from here.
HELP: dict[str, str] = {
    "sensitivity": "Smallest total-variation change of the sampling distribution that changes "
    "NBC's order, per question, pooled and per wave, with bootstrap support.",
    "report": "Write a report (markdown and one HTML page) with tables and figures: NBC vs "
    "average reward vs the other targets, sensitivity, uncertainty.",
    "demo": "The main job: report on the demo wave that ships with socialpref (ATP W900.sav) "
    "into reports/demo/.",
    "surveys": "Pew ATP waves (.sav, .dta) and crosstabs (.csv/.parquet): shares, Luce rewards, "
    "average reward vs NBC vs the other targets, with bootstrap intervals.",
    "counterexamples": "The paper's counterexamples (NBC vs average reward) and examples with "
    "the maximal lottery and Condorcet winner, verified with the core; search for new ones.",
    "train": "Train policies and reward models (needs the 'train' / 'llm' extras: torch, "
    "transformers, peft).",
    "llm": "LLM experiments on HH-RLHF-style data: relabel, train (TRL), evaluate. Needs the "
    "'llm' extra.",
}

#: Exit status of a run that skipped some sources (see ``--strict``).
EXIT_SKIPPED = 3
#: Key of ``--debug`` in the click context's ``meta`` (shared by every sub-command).
DEBUG_KEY = "socialpref.debug"

__all__ = ["DEBUG_KEY", "EXIT_SKIPPED", "HELP"]
