"""The exceptions socialpref raises on purpose.

Every error that a user can fix (a bad argument, an unusable file, a solve that cannot succeed,
an output that cannot be written safely, a missing optional extra) is a :class:`SocialPrefError`.
The command line turns these, and ``OSError``, into one line on standard error; any other
exception is a bug and keeps its traceback.

``SocialPrefError`` derives from ``ValueError`` so that code written against the plain
``ValueError`` of earlier versions keeps working.
"""

from __future__ import annotations


class SocialPrefError(ValueError):
    """Base class of the errors a user can act on."""


class ParameterError(SocialPrefError):
    """An argument has an invalid value; the message names the argument and the value."""


class DataError(SocialPrefError):
    """An input file or table cannot be used (corrupt, wrong format, missing column, ...)."""


class SolverError(SocialPrefError):
    """A numerical solve failed: no convergence, infeasible, or no finite solution exists."""


class OutputError(SocialPrefError):
    """An output cannot be written safely (it would replace foreign files, or the path is bad)."""


class MissingExtraError(SocialPrefError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package, self.extra, self.feature = package, extra, feature
        super().__init__(
            f"{feature} needs {package}, which is not installed: pip install 'socialpref[{extra}]'."
        )


__all__ = [
    "DataError",
    "MissingExtraError",
    "OutputError",
    "ParameterError",
    "SocialPrefError",
    "SolverError",
]
