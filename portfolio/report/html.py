"""A self-contained HTML page: inline CSS, figures as data URIs, no script, no link out.

Rendered with Jinja2 with autoescaping on, so text from data files (asset and column
names, log messages) shows as text: ``<script>`` becomes ``&lt;script&gt;``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jinja2

from aisfolio.portfolio.report.plots import Plot
from aisfolio.portfolio.report.sections import Section

__all__ = ["render_html"]

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2329;
       margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #d0d7de;
     padding-bottom: .2rem; margin-top: 2.2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta { color: #57606a; } .note { color: #57606a; font-size: .92rem; max-width: 60rem; }
.warning { background: #fff4e5; border-left: 4px solid #d97706; padding: .6rem .9rem; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: .3rem 0 1rem; font-size: .82rem; }
th, td { padding: .2rem .45rem; border-bottom: 1px solid #e5e9ee; text-align: right;
         white-space: nowrap; }
th { background: #f3f5f7; position: sticky; top: 0; } tr:hover td { background: #f8fafc; }
td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
@media print { .scroll { overflow: visible; } th { position: static; } }
figure { margin: .8rem 0 1.4rem; } figure img { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: .85rem; }
tr.best td { background: #e6f4ea; } tr.worst td { background: #fdecea; }
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<h1>{{ title }}</h1>
{% for key, value in facts.items() %}<span class="meta">{{ key }}: <b>{{ value }}</b></span>
{%- if not loop.last %} · {% endif %}{% endfor %}
{% for warning in warnings %}<p class="warning">{{ warning }}</p>{% endfor %}
<nav>{% for section in sections %}
<a href="#{{ section.key }}">{{ section.title }}</a>
{% endfor %}</nav>
{% for section in sections %}
<section id="{{ section.key }}">
<h2>{{ section.title }}</h2>
{% for note in section.notes %}<p class="note">{{ note }}</p>{% endfor %}
{% for key in section.plots %}{% set plot = plots[key] %}
<figure><img src="{{ plot.uri }}" alt="{{ plot.title }}" data-plot="{{ plot.key }}">
<figcaption>{{ plot.title }}</figcaption></figure>
{% endfor %}
{% for table in section.tables %}
<h3>{{ table.caption }}</h3>
<div class="scroll"><table>
<thead><tr>{% for cell in table.header %}<th>{{ cell }}</th>{% endfor %}</tr></thead>
<tbody>
{% set classes = row_classes.get(table.caption, []) %}
{% for row in table.rows %}
<tr class="{{ classes[loop.index0] if classes else '' }}">
{%- for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table></div>
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""

_ENVIRONMENT = jinja2.Environment(
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
)


def render_html(
    title: str,
    facts: Mapping[str, str],
    sections: Sequence[Section],
    plots: Sequence[Plot],
    warnings: Sequence[str] = (),
    row_classes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    title : str
        Page title.
    facts : mapping of str to str
        Key facts shown under the title (as of, line, benchmark).
    sections : sequence of Section
        The content.
    plots : sequence of Plot
        Figures the sections name by key.
    warnings : sequence of str, optional
        Highlighted notes under the facts.
    row_classes : mapping, optional
        Table caption -> one CSS class per row (``"best"``, ``"worst"``, ``""``).

    Returns
    -------
    str
    """
    return _ENVIRONMENT.from_string(_TEMPLATE).render(
        title=title,
        css=_CSS,
        facts=dict(facts),
        sections=list(sections),
        plots={plot.key: plot for plot in plots},
        warnings=list(warnings),
        row_classes=dict(row_classes or {}),
    )
