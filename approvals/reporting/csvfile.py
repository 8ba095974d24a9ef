"""Every CSV the product writes goes through :func:`writer`.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return before one) as a formula: a service name,
a reason or a username typed as ``=HYPERLINK(...)`` would run when a
supervisor opens the export (CSV injection). Such a cell is written with a
leading apostrophe, which spreadsheets show as text and do not evaluate. A
plain number (``-3``, ``+1.5``) is no formula and is left as it is, so
figures stay numbers.
"""

from __future__ import annotations

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def safe_cell(value) -> str:
    """The cell as text that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, **options) -> SafeWriter:
    return SafeWriter(stream, **options)


class Line:
    """A file-like object whose ``write`` returns the text, for streaming one row at a time."""

    def write(self, text: str) -> str:
        return text
