"""The equity-line figure of a run."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt

from aisfolio.ensemble.groups import LineKind, group_prefix
from aisfolio.portfolio.results import RunResult

__all__ = ["plot_equity"]


def plot_equity(result: RunResult, path: Path) -> None:
    """Save a PNG with one panel per asset (its AIS and type I ensemble), one for the
    type II ensembles, one for the hedges and one for the allocations, on a log scale.

    Parameters
    ----------
    result : RunResult
        A finished run.
    path : Path
        Where to write the PNG.
    """
    metrics = result.metrics
    panels: list[tuple[str, list[str]]] = []
    for asset in result.prices.columns:
        own = metrics[
            (metrics["asset"] == asset) & metrics["kind"].isin([LineKind.AIS, LineKind.ENSEMBLE_I])
        ]
        panels.append((str(asset), list(own.index)))
    for kind, title in (
        (LineKind.ENSEMBLE_II, "Ensembles type II"),
        (LineKind.HEDGE, "Hedges (50/50)"),
        (LineKind.ALLOCATION, "Allocations"),
    ):
        names = list(metrics.index[metrics["kind"] == kind])
        if names:
            panels.append((title, names))
    columns = 2 if len(panels) > 1 else 1
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(7 * columns, 3.6 * rows), squeeze=False)
    for axis, (title, names) in zip(axes.flat, panels, strict=False):
        for name in names:
            line = result.lines[name].equity
            label = name if title == "Allocations" else group_prefix(name)[1]
            axis.plot(line.index, line.to_numpy(), linewidth=0.9, label=label)
        axis.set_title(title)
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
