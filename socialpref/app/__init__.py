"""The application layer: read sources, analyse them, merge, sweep; what every face calls.

The command line (``socialpref surveys analyze``, ``socialpref sensitivity``,
``socialpref report``) and the report package run the same steps with the same policy:

- :class:`AnalysisOptions` and :class:`SweepOptions`: every option, with its help text (the
  command-line options are generated from them);
- :func:`analyze_sources`: read each source, refuse one given twice, analyse each with every
  target and the bootstrap, skip (or, ``strict``, stop at) a source that cannot be analysed
  with the options, handle requested questions that some source lacks;
- :func:`sweep_sources`: the Section 7.1 sweep over the analysed questions, pooled and per
  source, with the flip over the bootstrap replicates.

Results stay typed (:class:`SourcesAnalysis`, :class:`SweepRun`) until they are written.

>>> from socialpref.app import AnalysisOptions, SweepOptions, analyze_sources, sweep_sources  # doctest: +SKIP
>>> run = analyze_sources(["data/demo/ATP W900.sav"], AnalysisOptions(seed=1))  # doctest: +SKIP
>>> sweep_sources(run, SweepOptions()).sensitivity.summary["flippable"]  # doctest: +SKIP
8
"""

from __future__ import annotations

from socialpref.app.options import AnalysisOptions, SweepOptions
from socialpref.app.sources import SkippedSource, SourceInfo, SourcesAnalysis, analyze_sources
from socialpref.app.sweep import SweepRun, sweep_sources

__all__ = [
    "AnalysisOptions",
    "SkippedSource",
    "SourceInfo",
    "SourcesAnalysis",
    "SweepOptions",
    "SweepRun",
    "analyze_sources",
    "sweep_sources",
]
