"""Writing a report: ``report.html``, ``report.md`` and its data under ``report/``.

Machine-readable files keep full precision (CSV for tables, Parquet for histories);
``report.md`` shows the figures saved as ``report/plots/<key>.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from aisfolio.portfolio.escaping import write_csv
from aisfolio.portfolio.report.formatting import date
from aisfolio.portfolio.report.html import render_html
from aisfolio.portfolio.report.markdown import render_markdown
from aisfolio.portfolio.report.model import Report
from aisfolio.portfolio.report.plots import report_plots
from aisfolio.portfolio.report.sections import report_sections
from aisfolio.portfolio.training import training_summary

__all__ = ["DATA_FOLDER", "report_facts", "write_report"]

#: Folder of the report's data and figures, next to ``report.html``.
DATA_FOLDER = "report"

#: The report's words for each ``backtest.accounting``.
ACCOUNTING_FACTS = {
    "per_ais": "per AIS (each AIS pays its own costs; groups blend their returns)",
    "net": "net (each group line trades its net position per asset)",
}


def report_facts(report: Report) -> dict[str, str]:
    """Key facts shown under a report's title."""
    facts = {
        "as of": date(report.as_of),
        "portfolio line": report.line,
        "benchmark": report.benchmark or "none",
        "accounting": ACCOUNTING_FACTS.get(report.accounting, report.accounting),
    }
    if report.orders is not None:
        facts["holdings"] = str(report.orders.summary["holdings"])
    return facts


def _tables(report: Report) -> dict[str, pd.DataFrame]:
    metrics = pd.concat(
        {"full": report.metrics_full, "last_year": report.metrics_last_year}, names=["period"]
    )
    signals = pd.concat(
        {"forecast": report.forecasts.stack(), "position": report.positions.stack()}, axis=1
    )
    tables = {
        "metrics.csv": metrics,
        "weights.csv": report.weights,
        "turnover.csv": report.turnover.set_index("line"),
        "signals.csv": signals,
        "agreement.csv": report.agreement,
        "risk_lines.csv": report.line_risk,
        "risk_streams.csv": report.stream_risk.rename_axis("stream"),
        "risk_assets.csv": report.asset_risk.rename_axis("asset"),
        "correlation.csv": report.correlation.rename_axis("stream"),
        "events.csv": report.events.set_index("time"),
        "fit_failures.csv": report.fit_failures.set_index("strategy"),
        "solver_fallbacks.csv": report.solver_fallbacks.set_index("line"),
    }
    if report.tearsheet is not None:
        sheet = report.tearsheet
        tables["tearsheet_metrics.csv"] = sheet.key_metrics
        tables["monthly_returns.csv"] = sheet.monthly
        tables["yearly_returns.csv"] = sheet.yearly
        tables["worst_drawdowns.csv"] = sheet.drawdowns
    if not report.combiners.empty:
        tables["combiners.csv"] = report.combiners
    if not report.allocation_outcomes.empty:
        tables["allocation_outcomes.csv"] = report.allocation_outcomes
    if not report.significance.empty:
        tables["significance.csv"] = report.significance
    if not report.training.empty:
        tables["training_summary.csv"] = training_summary(report.training)
    if report.orders is not None:
        tables["orders.csv"] = report.orders.table
        tables["orders_summary.csv"] = pd.DataFrame([report.orders.summary]).set_index("as of")
        tables["targets.csv"] = report.orders.targets.streams.rename("target").rename_axis("stream")
        tables["exposure.csv"] = report.orders.targets.assets.rename_axis("asset")
    return tables


def write_report(
    report: Report, folder: str | os.PathLike[str], title: str = "aisfolio report"
) -> list[Path]:
    """Write the report of a run into ``folder``.

    Parameters
    ----------
    report : Report
        From :func:`aisfolio.portfolio.report.build_report` (with orders for a rebalance).
    folder : path
        Where to write (created if needed; the CLI gives its staging folder).
    title : str, default "aisfolio report"
        Heading of both documents.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    data = folder / DATA_FOLDER
    (data / "plots").mkdir(parents=True, exist_ok=True)
    written = []
    plots = report_plots(report)
    for plot in plots:
        path = data / "plots" / f"{plot.key}.png"
        path.write_bytes(plot.png)
        written.append(path)
    for name, table in _tables(report).items():
        write_csv(table, data / name)
        written.append(data / name)
    histories = {
        "equity.parquet": report.equity,
        "drawdowns.parquet": report.drawdowns,
        "rolling_ir.parquet": report.rolling_ir,
        "weights_history.parquet": report.weights_history,
    }
    for name, frame in histories.items():
        frame.to_parquet(data / name)
        written.append(data / name)
    sections = report_sections(report, plots)
    facts = report_facts(report)
    (folder / "report.html").write_text(render_html(title, facts, sections, plots), "utf-8")
    markdown = render_markdown(
        title, facts, sections, {p.key: p.title for p in plots}, plot_folder=f"{DATA_FOLDER}/plots"
    )
    (folder / "report.md").write_text(markdown, "utf-8")
    return [*written, folder / "report.html", folder / "report.md"]
