"""Markdown tables: the one writer behind the report, the run's table files and the console.

Every cell goes through :func:`aisfolio.portfolio.escaping.markdown_cell`, so text from
data files (asset names) and column names such as ``IR**`` show as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from aisfolio.portfolio.escaping import markdown_cell

__all__ = ["frame_markdown", "markdown_table"]

_NUMERIC = re.compile(r"^(-?[\d,]*\.?\d+(e-?\d+)?%?|–|inf|-inf|nan)?$")


def markdown_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned, text left.

    Parameters
    ----------
    header : sequence
        Column names.
    rows : sequence of sequences
        Cells, already formatted for people (a column is numeric when all its cells
        read as numbers, percentages or blanks).

    Returns
    -------
    str
        The table, ending with a newline.
    """
    cells = [[markdown_cell(cell) for cell in row] for row in rows]
    columns = list(zip(*cells, strict=True)) if cells else [()] * len(header)
    rule = [
        "---:" if column and all(_NUMERIC.match(cell) for cell in column) else ":---"
        for column in columns
    ]
    lines = ["| " + " | ".join(markdown_cell(c) for c in header) + " |"]
    lines += ["| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def frame_markdown(frame: pd.DataFrame) -> str:
    """:func:`markdown_table` of a frame of formatted cells, its index as leading columns."""
    flat = frame.reset_index()
    return markdown_table(list(flat.columns), list(flat.itertuples(index=False, name=None)))
