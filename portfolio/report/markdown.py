"""The report as Markdown: the same sections as the HTML page, figures as PNG files
next to it (``plots/<key>.png``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aisfolio.portfolio.escaping import markdown_cell
from aisfolio.portfolio.markdown import markdown_table
from aisfolio.portfolio.report.sections import Section

__all__ = ["render_markdown"]


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
    out = [f"# {markdown_cell(title)}", ""]
    out += [f"- {markdown_cell(k)}: **{markdown_cell(v)}**" for k, v in facts.items()]
    out += [""] + [f"> **Warning:** {markdown_cell(w)}\n" for w in warnings]
    for section in sections:
        out += [f"## {markdown_cell(section.title)}", ""]
        out += [markdown_cell(note) + "\n" for note in section.notes]
        for key in section.plots:
            out += [f"![{markdown_cell(plot_titles[key])}]({plot_folder}/{key}.png)", ""]
        for table in section.tables:
            out += [
                f"### {markdown_cell(table.caption)}",
                "",
                markdown_table(table.header, table.rows),
            ]
    return "\n".join(out).rstrip() + "\n"
