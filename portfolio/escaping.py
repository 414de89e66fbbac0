"""Text from data files (asset names, dates, messages), made safe for where it is written.

- CSV: a cell that a spreadsheet would evaluate as a formula (starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return, and not a number) gets a leading ``'``, the
  OWASP rule against CSV injection.
- Markdown and HTML: ``<``, ``>`` and ``&`` escaped, ``|`` escaped in table cells.
- Terminals: control characters (ANSI escape sequences among them) removed.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any

import pandas as pd

__all__ = ["csv_cell", "markdown_cell", "terminal_text", "write_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def csv_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _is_text(values: pd.Index | pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_labels(level) for level in index.levels])
    if _is_text(index):
        return index.map(csv_cell)
    return index


def write_csv(frame: pd.DataFrame | pd.Series, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """``frame.to_csv(path, **kwargs)`` with every text cell and label neutralized
    (:func:`csv_cell`)."""
    safe = frame.copy()
    if isinstance(safe, pd.DataFrame):
        for column in safe.columns:
            if _is_text(safe[column]):
                safe[column] = safe[column].map(csv_cell)
        safe.columns = _safe_labels(safe.columns)
    elif _is_text(safe):
        safe = safe.map(csv_cell)
    safe.index = _safe_labels(safe.index)
    safe.to_csv(path, **kwargs)


def markdown_cell(text: object) -> str:
    """Text that Markdown shows as it is, in a table cell or a line: HTML special
    characters, pipes and asterisks (``IR**`` is no emphasis) escaped, control
    characters and line breaks removed."""
    cleaned = terminal_text(str(text)).replace("\n", " ")
    return html.escape(cleaned, quote=False).replace("|", "\\|").replace("*", "\\*")


def terminal_text(text: str) -> str:
    """``text`` without control characters (escape sequences, bells, carriage returns);
    line feeds and tabs are kept."""
    return _CONTROL.sub("", text)
