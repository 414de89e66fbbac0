"""The report as Markdown: the same sections as the HTML page, figures as PNG files
next to it (``plots/<key>.png``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aisfolio.portfolio.escaping import markdown_cell
from aisfolio.portfolio.report.sections import Section, Table

__all__ = ["escape_cell", "markdown_table", "render_markdown"]


_NUMERIC = re.compile(r"^(-?[\d,]*\.?\d+(e-?\d+)?%?|–|inf|-inf|nan)?$")


def escape_cell(text: str) -> str:
    """Text that Markdown shows as is: HTML special characters, pipes, asterisks (``IR**``
    is no emphasis) and newlines escaped."""
    return markdown_cell(text).replace("*", "\\*")


def markdown_table(table: Table) -> str:
    """A GitHub-flavoured Markdown table; numeric columns right-aligned, text left."""
    header = [escape_cell(c) for c in table.header]
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(header)
    rule = [
        "---:" if all(_NUMERIC.match(cell) for cell in column) and column else ":---"
        for column in columns
    ]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(escape_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def render_markdown(
    title: str,
    facts: Mapping[str, str],
    sections: Sequence[Section],
    plot_titles: Mapping[str, str],
    warnings: Sequence[str] = (),
    plot_folder: str = "plots",
) -> str:
    """The report as one Markdown document.

    Parameters
    ----------
    title : str
        First heading.
    facts : mapping of str to str
        Key facts listed under the title.
    sections : sequence of Section
        The content.
    plot_titles : mapping of str to str
        Plot key -> caption, for the figures saved as ``<plot_folder>/<key>.png``.
    warnings : sequence of str, optional
        Highlighted notes (quoted).
    plot_folder : str, default "plots"
        Where the PNG files are, relative to the Markdown file.

    Returns
    -------
    str
    """
    out = [f"# {escape_cell(title)}", ""]
    out += [f"- {escape_cell(k)}: **{escape_cell(v)}**" for k, v in facts.items()]
    out += [""] + [f"> **Warning:** {escape_cell(w)}\n" for w in warnings]
    for section in sections:
        out += [f"## {escape_cell(section.title)}", ""]
        out += [escape_cell(note) + "\n" for note in section.notes]
        for key in section.plots:
            out += [f"![{escape_cell(plot_titles[key])}]({plot_folder}/{key}.png)", ""]
        for table in section.tables:
            out += [f"### {escape_cell(table.caption)}", "", markdown_table(table)]
    return "\n".join(out).rstrip() + "\n"
