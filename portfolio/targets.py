"""Target weights of a portfolio line, the input of a rebalance (:mod:`aisfolio.portfolio.orders`).

A :class:`TargetSource` turns a finished run into :class:`Targets`: weights per stream
and the net exposure per asset they imply, as of the run's last date. Today's source,
:class:`LineTargets`, reads an ensemble, hedge or combiner line of the run: the weights
its rule gives at the last close. An allocator's weights plug in as another
``TargetSource`` without changing the orders or the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from aisfolio.ensemble.groups import ALL_ASSETS, LineKind, line_name
from aisfolio.ensemble.paper import ENSEMBLE_I
from aisfolio.portfolio.allocation.exposure import net_exposure
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.results import RunResult

__all__ = [
    "LineTargets",
    "TargetSource",
    "Targets",
    "asset_exposure",
    "default_benchmark",
    "default_line",
]


@dataclass(frozen=True)
class Targets:
    """What a rebalance trades to.

    Attributes
    ----------
    line : str
        The portfolio line the weights belong to.
    date : Timestamp
        Decision date (the close the weights are decided at).
    streams : Series
        Target weight per stream (member line), summing as the rule makes them.
    assets : Series
        Net exposure per asset implied by the stream weights and the streams' positions.
    source : str
        Where the weights come from, in words.
    """

    line: str
    date: pd.Timestamp
    streams: pd.Series
    assets: pd.Series
    source: str


class TargetSource(Protocol):
    """Gives the targets of a rebalance from a finished run."""

    def targets(self, result: RunResult) -> Targets:
        """Targets as of the run's last date."""
        ...


def default_line(result: RunResult | pd.DataFrame) -> str:
    """The run's top-level portfolio line.

    The first allocation line (a convex allocator's), else the first hedge of type I
    ensembles, the first cross-asset combiner, the first type II ensemble, the first
    type I ensemble, the first line.

    Parameters
    ----------
    result : RunResult or DataFrame
        A run, or its metrics (``metrics.csv``: lines with kind, asset and strategy).
    """
    metrics = result.metrics if isinstance(result, RunResult) else result
    preferences = [
        metrics["kind"] == LineKind.ALLOCATION,
        (metrics["kind"] == LineKind.HEDGE) & (metrics["strategy"] == ENSEMBLE_I),
        (metrics["kind"] == LineKind.COMBINER) & (metrics["asset"] == ALL_ASSETS),
        metrics["kind"] == LineKind.ENSEMBLE_II,
        metrics["kind"] == LineKind.ENSEMBLE_I,
        metrics["kind"] == LineKind.HEDGE,
    ]
    for mask in preferences:
        if mask.any():
            return str(metrics.index[mask.to_numpy()][0])
    return str(metrics.index[0])


def default_benchmark(result: RunResult, line: str, label: str = "buy_and_hold") -> str | None:
    """Buy-and-hold of the line's first asset (the hedged asset), if the run has it."""
    asset = result.metrics.loc[line, "asset"]
    first = str(asset).split("+")[0] if asset != "all" else str(result.prices.columns[0])
    name = line_name(first, label)
    return name if name in result.lines and name != line else None


def asset_exposure(result: RunResult, streams: pd.Series) -> pd.Series:
    """Net exposure per asset of weights over lines, expanding groups into their members.

    An AIS line held at weight ``w`` with position ``p`` on its asset adds ``w * p``; a
    group line adds its members at ``w`` times the weights its rule gives at the last
    close (a rebalance trades every level to its targets): the last row of
    :func:`aisfolio.portfolio.allocation.exposure.net_exposure` of the decided
    exposures.

    Parameters
    ----------
    result : RunResult
        A finished run.
    streams : Series
        Weight per line name.

    Returns
    -------
    Series
        Net exposure per asset, in the data's asset order.
    """
    targets = {n: line.targets for n, line in result.lines.items() if line.targets is not None}
    assets = [str(asset) for asset in result.prices.columns]
    exposure = pd.Series(0.0, index=assets)
    for name, weight in streams.items():
        decided = net_exposure(str(name), targets, result.lines, result.positions, held=False)
        exposure = exposure.add(float(weight) * decided.iloc[-1].fillna(0.0), fill_value=0.0)
    return exposure.reindex(assets).rename("exposure")


class LineTargets:
    """Targets of a line of the run: its rule's weights at the last close.

    Parameters
    ----------
    line : str, optional
        An ensemble, hedge or combiner line (``"hedge/SP500+WTI/ensemble_I"``), or an AIS
        line (held alone). Default: :func:`default_line`.
    key : str, default "line"
        The key named in errors (its own parameter; the rebalance workflow reports it
        under ``rebalance.``).
    """

    def __init__(self, line: str | None = None, key: str = "line"):
        self.line = line
        self.key = key

    def targets(self, result: RunResult) -> Targets:
        """Targets as of the run's last date."""
        name = self.line if self.line is not None else default_line(result)
        if name not in result.lines:
            raise ConfigError(
                f"no line '{name}' in this run; lines are: {', '.join(result.lines)}",
                key=self.key,
            )
        line = result.lines[name]
        if line.targets is None:
            streams = pd.Series({name: 1.0})
            source = "the AIS line alone"
        else:
            streams = line.targets.iloc[-1].rename(None)
            streams.index = streams.index.map(str)
            source = f"the rule of {line.kind} line '{name}'"
        return Targets(
            line=name,
            date=pd.Timestamp(result.prices.index[-1]),
            streams=streams.astype(float),
            assets=asset_exposure(result, streams),
            source=source,
        )
