"""The report's figures, as PNG data URIs that an HTML page embeds (nothing fetched)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from aisfolio.portfolio.plotting import draw_lines
from aisfolio.portfolio.report.model import Report
from aisfolio.portfolio.report.tearsheet import Tearsheet

__all__ = ["Plot", "heatmap", "report_plots", "to_data_uri"]

_DPI = 90
#: A heat map is at most this many inches on a side, and names its rows and columns up to
#: HEATMAP_MAX_LABELS of them (a universe's AIS: the figure must not grow with them).
HEATMAP_MAX_INCHES = 14.0
HEATMAP_MAX_LABELS = 60


@dataclass(frozen=True)
class Plot:
    """One embedded figure.

    Attributes
    ----------
    key : str
        Short identifier (also the PNG's file stem when saved).
    title : str
        Caption.
    uri : str
        ``data:image/png;base64,...``.
    png : bytes
        The image itself.
    """

    key: str
    title: str
    uri: str
    png: bytes


def to_data_uri(figure: Figure, key: str, title: str) -> Plot:
    """Render ``figure`` to PNG, close it, and wrap it as a :class:`Plot`."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=_DPI)
    plt.close(figure)
    png = buffer.getvalue()
    return Plot(key, title, "data:image/png;base64," + base64.b64encode(png).decode("ascii"), png)


def _lines(
    frame: pd.DataFrame,
    title: str,
    key: str,
    log: bool = False,
    zero: bool = False,
    references: Sequence[str] = (),
) -> Plot:
    figure, axis = plt.subplots(figsize=(10.5, 3.4))
    lines = {str(column): frame[column] for column in frame.columns}
    draw_lines(axis, lines, references=[r for r in references if r in lines], log=log)
    if zero:
        axis.axhline(0.0, color="0.5", linewidth=0.6)
    return to_data_uri(figure, key, title)


def heatmap(
    frame: pd.DataFrame, title: str, key: str, fmt: str = "{:.2f}", correlation: bool = False
) -> Plot:
    """A labelled heat map of a numeric frame (correlations, a metric over two parameters).

    Parameters
    ----------
    frame : DataFrame
        Values; index and columns label the axes.
    title, key : str
        Caption and identifier.
    fmt : str, default "{:.2f}"
        Format of the numbers written in the cells.
    correlation : bool, default False
        A diverging scale from -1 to 1 (else a sequential scale over the values).

    Returns
    -------
    Plot
    """
    cells = max(frame.shape)
    size = min(max(4.5, 0.55 * cells + 2.5), HEATMAP_MAX_INCHES)
    figure, axis = plt.subplots(figsize=(size + 1.5, size))
    values = frame.to_numpy(dtype=float)
    scale = {"cmap": "RdBu_r", "vmin": -1.0, "vmax": 1.0} if correlation else {"cmap": "viridis"}
    image = axis.imshow(values, aspect="auto", **scale)
    if cells <= HEATMAP_MAX_LABELS:
        columns = [str(c) for c in frame.columns]
        axis.set_xticks(range(frame.shape[1]), columns, rotation=60, ha="right")
        axis.set_yticks(range(frame.shape[0]), [str(i) for i in frame.index])
    else:
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(f"{frame.shape[0]} x {frame.shape[1]}: labels in the CSV", fontsize=8)
    axis.tick_params(labelsize=7)
    if frame.size <= 144:
        _annotate(axis, image, values, fmt, 7)
    axis.set_xlabel(str(frame.columns.name or ""), fontsize=8)
    axis.set_ylabel(str(frame.index.name or ""), fontsize=8)
    figure.colorbar(image, ax=axis, shrink=0.8)
    return to_data_uri(figure, key, title)


def _annotate(axis, image, values: np.ndarray, fmt: str, fontsize: float) -> None:
    """Write each finite value in its cell, white on dark colours, black on light ones."""
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            red, green, blue, _ = image.cmap(image.norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            axis.text(
                j,
                i,
                fmt.format(value),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if dark else "black",
            )


def _bars(series: pd.Series, title: str, key: str) -> Plot:
    figure, axis = plt.subplots(figsize=(9, 3.0))
    axis.bar([str(i) for i in series.index], series.to_numpy(dtype=float), color="tab:blue")
    axis.axhline(0.0, color="0.5", linewidth=0.6)
    axis.tick_params(axis="x", labelsize=7, rotation=30)
    axis.grid(alpha=0.3, axis="y")
    return to_data_uri(figure, key, title)


def _turnover(report: Report) -> Plot:
    rows = report.turnover[report.turnover["line"] == report.line]
    figure, axis = plt.subplots(figsize=(9, 3.0))
    if len(rows):
        axis.bar(pd.to_datetime(rows["date"]), 100 * rows["traded"].to_numpy(), width=20)
    axis.set_ylabel("weight traded, %")
    axis.grid(alpha=0.3, axis="y")
    return to_data_uri(figure, "turnover", f"Turnover per rebalance: {report.line}")


def _weights(report: Report) -> Plot:
    figure, axis = plt.subplots(figsize=(9, 3.2))
    history = report.weights_history.dropna(how="all")
    if not history.empty:
        axis.stackplot(
            history.index,
            history.to_numpy(dtype=float).T,
            labels=[str(c) for c in history.columns],
            alpha=0.85,
        )
        axis.legend(fontsize=7, loc="upper left")
    axis.set_ylabel("weight")
    axis.grid(alpha=0.3)
    return to_data_uri(figure, "weights", f"Weights held over time: {report.line}")


def _monthly(sheet: Tearsheet) -> Plot:
    frame = sheet.monthly
    values = frame.to_numpy(dtype=float)
    figure, axis = plt.subplots(figsize=(10.5, 0.32 * len(frame) + 1.4))
    top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    image = axis.imshow(values, aspect="auto", cmap="RdYlGn", vmin=-top, vmax=top)
    axis.set_xticks(range(frame.shape[1]), [str(c) for c in frame.columns])
    axis.set_yticks(range(frame.shape[0]), [str(i) for i in frame.index])
    axis.tick_params(labelsize=7)
    _annotate(axis, image, 100 * values, "{:.1f}", 6.5)
    return to_data_uri(figure, "monthly", f"Monthly returns, %: {sheet.line}")


def _yearly(sheet: Tearsheet) -> Plot:
    frame = sheet.yearly.drop(columns="difference", errors="ignore")
    figure, axis = plt.subplots(figsize=(10.5, 3.2))
    width = 0.8 / max(frame.shape[1], 1)
    positions = np.arange(len(frame))
    colours = ("tab:blue", "0.55")
    for i, column in enumerate(frame.columns):
        axis.bar(
            positions + (i - (frame.shape[1] - 1) / 2) * width,
            100 * frame[column].to_numpy(dtype=float),
            width=width,
            color=colours[i % 2],
            label=str(column),
        )
    axis.set_xticks(positions, [str(y) for y in frame.index], rotation=45, fontsize=7)
    axis.axhline(0.0, color="0.4", linewidth=0.6)
    axis.set_ylabel("return, %")
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return to_data_uri(figure, "yearly", "Returns per calendar year against the benchmark")


def _distribution(sheet: Tearsheet) -> Plot:
    figure, axis = plt.subplots(figsize=(10.5, 3.0))
    returns = 100 * sheet.returns
    finite = returns.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size:
        low, high = np.percentile(finite, [0.5, 99.5])
        bins = np.linspace(low, high, 61) if high > low else 30
        for column, colour in zip(returns.columns, ("tab:blue", "0.55"), strict=False):
            axis.hist(
                returns[column].dropna().clip(low, high),
                bins=bins,
                density=True,
                alpha=0.55,
                color=colour,
                label=str(column),
            )
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axis.set_xlabel("return per bar, % (0.5% tails clipped to the edges)")
    axis.grid(alpha=0.3)
    return to_data_uri(figure, "distribution", "Distribution of the returns per bar")


def _rolling(sheet: Tearsheet) -> Plot:
    columns = list(sheet.rolling.columns)
    figure, axes = plt.subplots(
        len(columns), 1, figsize=(10.5, 1.9 * len(columns) + 0.4), sharex=True, squeeze=False
    )
    for axis, column in zip(axes[:, 0], columns, strict=True):
        values = sheet.rolling[column].dropna()
        axis.plot(values.index, values.to_numpy(), linewidth=0.9, color="tab:blue")
        axis.axhline(0.0 if column != "beta" else 1.0, color="0.5", linewidth=0.6)
        axis.set_ylabel(column, fontsize=8)
        axis.grid(alpha=0.3)
    return to_data_uri(
        figure,
        "rolling",
        f"Rolling Sharpe, volatility and beta over {sheet.window} bars: {sheet.line}",
    )


#: Combiner and allocation lines drawn in the weights figure.
BLENDS_SHOWN = 6


def _blend_weights(report: Report) -> Plot:
    names = list(report.blend_weights)[:BLENDS_SHOWN]
    figure, axes = plt.subplots(
        len(names), 1, figsize=(10.5, 2.2 * len(names) + 0.4), squeeze=False
    )
    for axis, name in zip(axes[:, 0], names, strict=True):
        weights = report.blend_weights[name]
        positive = weights.clip(lower=0.0)
        axis.stackplot(
            weights.index,
            positive.to_numpy(dtype=float).T,
            labels=[str(c) for c in weights.columns],
            alpha=0.85,
        )
        if (weights < 0).any().any():
            axis.stackplot(weights.index, weights.clip(upper=0.0).to_numpy(dtype=float).T)
        axis.set_title(name, fontsize=8)
        axis.set_ylabel("weight", fontsize=8)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    more = len(report.blend_weights) - len(names)
    title = "Weights over time of the combiners and allocations" + (
        f" (first {len(names)}; {more} more in ensemble_weights.parquet)" if more > 0 else ""
    )
    return to_data_uri(figure, "blend_weights", title)


def report_plots(report: Report) -> list[Plot]:
    """Every figure of a run's report, in the order the report shows them.

    Parameters
    ----------
    report : Report

    Returns
    -------
    list of Plot
    """
    benchmark = [report.benchmark] if report.benchmark else []
    plots = [
        _lines(
            report.equity,
            "Equity: portfolio line vs benchmark (log scale)",
            "equity",
            log=True,
            references=benchmark,
        ),
        _lines(report.drawdowns, "Drawdowns", "drawdowns", zero=True, references=benchmark),
        _lines(
            report.rolling_ir,
            f"Rolling IR* over {report.settings.window} bars",
            "rolling_ir",
            zero=True,
            references=benchmark,
        ),
    ]
    if not report.group_equity.empty:
        plots.append(
            _lines(
                report.group_equity,
                "Every ensemble, hedge and combiner (log scale; with many, the best and "
                "worst by final value in colour)",
                "groups",
                log=True,
            )
        )
    if report.tearsheet is not None:
        sheet = report.tearsheet
        plots.extend([_monthly(sheet), _yearly(sheet), _distribution(sheet), _rolling(sheet)])
    if report.blend_weights:
        plots.append(_blend_weights(report))
    plots.append(_weights(report))
    plots.append(_turnover(report))
    plots.append(_bars(report.stream_risk["share"], "Risk share per stream", "stream_risk"))
    plots.append(_bars(report.asset_risk["share"], "Risk share per asset", "asset_risk"))
    if report.ais_correlation.shape[0] > 1:
        plots.append(
            heatmap(
                report.ais_correlation,
                "Correlation of the AIS",
                "ais_correlation",
                correlation=True,
            )
        )
    return plots
