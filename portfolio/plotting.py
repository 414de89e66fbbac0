"""The equity-line figure of a run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from aisfolio.ensemble.groups import LineKind, group_prefix
from aisfolio.portfolio.results import RunResult

__all__ = [
    "MAX_LABELLED",
    "MAX_PANELS",
    "MAX_REFERENCES",
    "draw_lines",
    "plain_log_axis",
    "plot_equity",
]

#: Lines drawn in colour with a legend entry; with more, the best and worst few by last
#: value are, and the rest are drawn in grey under one entry.
MAX_LABELLED = 8
HIGHLIGHT_TOP, HIGHLIGHT_BOTTOM = 4, 2
#: References drawn as such; more (the buy-and-hold hedges of a universe) are ordinary
#: lines, ranked with the others.
MAX_REFERENCES = 3
#: Asset panels of equity.png (a universe of hundreds of assets: the first ones).
MAX_PANELS = 12


def plain_log_axis(axis: Axes) -> None:
    """A log-scale y axis whose ticks read as plain numbers (``2``, not ``2x10^0``)."""
    axis.set_yscale("log")
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.yaxis.set_minor_formatter(FuncFormatter(_minor_log_label))
    axis.tick_params(axis="y", which="minor", labelsize=6)


def _minor_log_label(value: float, _: object) -> str:
    """Minor ticks of a log axis labelled at 2 and 5 times a power of ten only."""
    if value <= 0:
        return ""
    mantissa = value / 10 ** math.floor(math.log10(value) + 1e-12)
    return (
        f"{value:g}" if round(mantissa) in (2, 5) and abs(mantissa - round(mantissa)) < 1e-6 else ""
    )


def draw_lines(
    axis: Axes,
    lines: Mapping[str, pd.Series],
    references: Sequence[str] = (),
    log: bool = False,
) -> None:
    """Draw named series so that the plot stays readable however many there are.

    Up to :data:`MAX_LABELLED` lines each get a colour and a legend entry; beyond, the
    :data:`HIGHLIGHT_TOP` best and :data:`HIGHLIGHT_BOTTOM` worst by last value do, and
    the others are thin grey lines under one entry. ``references`` (a benchmark,
    buy-and-hold) are drawn dashed in black on top, so that a line equal to one stays
    visible under it; beyond :data:`MAX_REFERENCES` of them they are ordinary lines. The
    legend sits outside the axes, on the right; dates read concisely (a year once, then
    months).

    Parameters
    ----------
    axis : Axes
    lines : mapping of str to Series
        Name -> values over time.
    references : sequence of str
        Names drawn as references.
    log : bool, default False
        A log-scale y axis with plain tick labels.
    """
    series = {name: values.dropna() for name, values in lines.items()}
    series = {name: values for name, values in series.items() if len(values)}
    if len(references) > MAX_REFERENCES:
        references = ()
    others = [name for name in series if name not in references]
    if len(others) > MAX_LABELLED:
        ranked = sorted(others, key=lambda name: float(series[name].iloc[-1]), reverse=True)
        shown = ranked[:HIGHLIGHT_TOP] + ranked[len(ranked) - HIGHLIGHT_BOTTOM :]
        rest = [name for name in others if name not in shown]
    else:
        shown, rest = others, []
    for i, name in enumerate(rest):
        label = f"{len(rest)} other lines" if i == 0 else None
        values = series[name]
        axis.plot(values.index, values.to_numpy(), color="0.7", linewidth=0.5, label=label)
    colours = plt.get_cmap("tab10").colors
    for i, name in enumerate(shown):
        values = series[name]
        axis.plot(values.index, values.to_numpy(), linewidth=1.0, color=colours[i % 10], label=name)
    for name in references:
        if name in series:
            values = series[name]
            axis.plot(
                values.index,
                values.to_numpy(),
                color="black",
                linestyle="--",
                linewidth=1.0,
                zorder=3,
                label=name,
            )
    if log:
        plain_log_axis(axis)
    if any(isinstance(values.index, pd.DatetimeIndex) for values in series.values()):
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        axis.xaxis.set_major_locator(locator)
        axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axis.grid(alpha=0.3)
    if series:
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def plot_equity(result: RunResult, path: Path) -> None:
    """Save a PNG with one panel per asset (its AIS and type I ensemble, buy-and-hold as
    the dashed reference; the first :data:`MAX_PANELS` assets), and one each for the type
    II ensembles, the hedges, the combiners and the allocations, on a log scale.

    Parameters
    ----------
    result : RunResult
        A finished run.
    path : Path
        Where to write the PNG.
    """
    metrics = result.metrics
    panels: list[tuple[str, list[str]]] = []
    assets = list(result.prices.columns)
    for asset in assets[:MAX_PANELS]:
        own = metrics[
            (metrics["asset"] == asset) & metrics["kind"].isin([LineKind.AIS, LineKind.ENSEMBLE_I])
        ]
        panels.append((str(asset), list(own.index)))
    for kind, title in (
        (LineKind.ENSEMBLE_II, "Ensembles type II"),
        (LineKind.HEDGE, "Hedges (50/50)"),
        (LineKind.COMBINER, "Combiners"),
        (LineKind.ALLOCATION, "Allocations"),
    ):
        names = list(metrics.index[metrics["kind"] == kind])
        if names:
            panels.append((title, names))
    columns = 2 if len(panels) > 1 else 1
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(8 * columns, 3.6 * rows), squeeze=False)
    for axis, (title, names) in zip(axes.flat, panels, strict=False):
        short = title not in ("Allocations", "Combiners")
        lines = {
            (group_prefix(name)[1] if short else name): result.lines[name].equity for name in names
        }
        references = [label for label in lines if label.endswith("buy_and_hold")]
        draw_lines(axis, lines, references=references if short else (), log=True)
        axis.set_title(title)
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    top = 1.0
    if len(assets) > MAX_PANELS:
        figure.suptitle(
            f"First {MAX_PANELS} of {len(assets)} assets (every line: metrics.csv)", fontsize=9
        )
        top = 1.0 - 0.25 / figure.get_figheight()  # a quarter inch for the title
    figure.tight_layout(rect=(0.0, 0.0, 1.0, top))
    figure.savefig(path, dpi=110)
    plt.close(figure)
