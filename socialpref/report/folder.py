"""The report's name for socialpref's output folders: see :mod:`socialpref.outputs`.

A report is written into a temporary sibling folder and moved into place only once complete
(:func:`write_folder_atomically`); an existing folder is replaced only under the rules of
:func:`check_target`.
"""

from __future__ import annotations

from socialpref.outputs import MARKER, check_target, is_report_folder, write_folder_atomically

__all__ = ["MARKER", "check_target", "is_report_folder", "write_folder_atomically"]
