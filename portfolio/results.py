"""What a pipeline run returns: pandas in, pandas out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from aisfolio.portfolio.allocation.exposure import net_exposure
from aisfolio.portfolio.events import FAILURE_COLUMNS, FAILURE_LOG_COLUMNS, empty_events
from aisfolio.portfolio.metrics import summarize
from aisfolio.portfolio.rebalance import union_equity
from aisfolio.portfolio.tables import allocation_table, paper_table
from aisfolio.portfolio.winners import (
    SIGNIFICANCE_COLUMNS,
    SignificanceSettings,
    significance_table,
)
from aisfolio.strategies.execution import ChunkCache
from aisfolio.strategies.execution.progress import StageProgress, quiet_stage
from aisfolio.strategies.strategy import StrategyRun

__all__ = ["Line", "RunResult"]


@dataclass(frozen=True)
class Line:
    """One equity line (an AIS, an ensemble or a hedge) and what measures it.

    Attributes
    ----------
    kind : LineKind
        What the line is (an AIS, an ensemble, a hedge, a combiner, an allocation).
    asset, strategy : str
        What it covers.
    equity : Series
        Equity line on its own calendar, 1.0 on the first evaluation bar.
    periods_per_year : float
        Of that calendar.
    traded : ndarray
        Notional traded at each bar (positions for AIS, weights for ensembles; with
        net accounting, a group's net positions summed over its assets).
    trades : int
        Number of trades (AIS) or of rebalances that traded (ensembles); with net
        accounting, a group's bars on which its net position changes.
    targets : DataFrame, optional
        Groups only: target weights of the members decided at each rebalance, and on the
        last row the rule's weights at the last close
        (:attr:`aisfolio.portfolio.rebalance.RebalancedPortfolio.targets`).
    """

    kind: str
    asset: str
    strategy: str
    equity: pd.Series
    periods_per_year: float
    traded: np.ndarray
    trades: int
    targets: pd.DataFrame | None = None

    def metrics(self) -> dict[str, float]:
        """The paper's measures and companions (:func:`aisfolio.portfolio.metrics.summarize`)."""
        return summarize(self.equity.to_numpy(), self.periods_per_year, self.traded, self.trades)

    @property
    def returns(self) -> pd.Series:
        """Simple returns of the equity line, from its second bar."""
        return self.equity.pct_change().iloc[1:]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    prices : DataFrame
        The prices used.
    forecasts, positions : DataFrame
        Stamped by decision date on the union calendar, columns ``(asset, strategy)``.
    equity : DataFrame
        Every line on the union calendar (carried over non-trading days), columns named
        as in :attr:`metrics`' index (``"SP500/momentum"``, ``"SP500/ensemble_I"``,
        ``"ensemble_II/momentum"``, ``"hedge/SP500+WTI/momentum"``).
    metrics : DataFrame
        One row per line: kind, asset, strategy, start, end, periods per year,
        accounting, then :data:`aisfolio.portfolio.metrics.METRIC_LABELS`.
    weights : dict of str to DataFrame
        Weights held by each ensemble and hedge over time.
    lines : dict of str to Line
        Each line on its own calendar.
    allocations : dict of str to DataFrame
        Per allocation line, one row per decision: solver, status, fallbacks, failure
        and its reason, objective value (:meth:`aisfolio.portfolio.allocation.Allocator.report`).
    exposures : dict of str to DataFrame
        Per allocation line, its net exposure to each underlying asset (sum of weight
        x position, recursively through ensembles), stamped by decision date.
    events : DataFrame
        Warnings logged during the run (time, level, source, message): fallbacks,
        diverged models (see :mod:`aisfolio.portfolio.events`).
    fit_failures : DataFrame
        Failed fits counted by generators (strategy, asset, kind, count, first, last:
        the first and last dates, NaT where a generator keeps no dates).
    fit_failure_log : DataFrame
        The same, one row per (strategy, asset, date, kind).
    training : DataFrame
        One row per model trained by the run's generators (strategy, asset, window,
        seed, losses, test-block diagnostics, ``learned``; :mod:`aisfolio.portfolio.training`);
        empty when no generator trains models.
    stacking : DataFrame
        One row per refit of the run's stacked generators (strategy, asset, date,
        components kept and dropped, alphas, blend weights, fits that did not converge;
        :mod:`aisfolio.portfolio.stacking_log`); empty when the run stacks nothing.
    significance : DataFrame
        Per line, the bootstrap tests against its benchmark
        (:func:`aisfolio.portfolio.winners.significance_table`); empty when not run. Its
        :data:`~aisfolio.portfolio.winners.SIGNIFICANCE_COLUMNS` are also in :attr:`metrics`.
    accounting : {"per_ais", "net"}
        How the group lines were booked (``BacktestSettings.accounting``): each AIS
        paying its own costs, or each group trading its net position per asset.
    """

    prices: pd.DataFrame
    forecasts: pd.DataFrame
    positions: pd.DataFrame
    equity: pd.DataFrame
    metrics: pd.DataFrame
    weights: dict[str, pd.DataFrame]
    lines: dict[str, Line]
    allocations: dict[str, pd.DataFrame] = field(default_factory=dict)
    exposures: dict[str, pd.DataFrame] = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=empty_events)
    fit_failures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FAILURE_COLUMNS))
    )
    fit_failure_log: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FAILURE_LOG_COLUMNS))
    )
    significance: pd.DataFrame = field(default_factory=pd.DataFrame)
    training: pd.DataFrame = field(default_factory=pd.DataFrame)
    stacking: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounting: str = "per_ais"

    @classmethod
    def assemble(
        cls,
        prices: pd.DataFrame,
        runs: Mapping[tuple[str, str], StrategyRun],
        lines: dict[str, Line],
        weights: dict[str, pd.DataFrame],
        allocations: dict[str, pd.DataFrame] | None = None,
        accounting: str = "per_ais",
    ) -> RunResult:
        """Collect per-asset runs and lines into frames (``accounting``: how the group
        lines were booked)."""
        columns = pd.MultiIndex.from_tuples(list(runs), names=["asset", "strategy"])

        def frame(attribute: str) -> pd.DataFrame:
            series = [getattr(run, attribute) for run in runs.values()]
            return pd.concat(series, axis=1, keys=columns, sort=True).reindex(prices.index)

        rows = []
        for name, line in lines.items():
            rows.append(
                {
                    "line": name,
                    "kind": str(line.kind),
                    "asset": line.asset,
                    "strategy": line.strategy,
                    "start": line.equity.index[0],
                    "end": line.equity.index[-1],
                    "periods_per_year": line.periods_per_year,
                    "accounting": accounting,
                    **line.metrics(),
                }
            )
        metrics = pd.DataFrame(rows).set_index("line")
        equity = union_equity({name: line.equity for name, line in lines.items()})
        positions = frame("positions")
        allocations = dict(allocations or {})
        exposures = {name: net_exposure(name, weights, lines, positions) for name in allocations}
        return cls(
            prices=prices,
            forecasts=frame("forecasts"),
            positions=positions,
            equity=equity,
            metrics=metrics,
            weights=weights,
            lines=lines,
            allocations=allocations,
            exposures=exposures,
            accounting=accounting,
        )

    def table(self, which: str = "ais") -> pd.DataFrame:
        """A metrics table in the paper's layout.

        Parameters
        ----------
        which : {"ais", "ensembles", "hedges", "combiners", "allocations"}
            Table 2 (AIS per asset), table 3 (type I and II ensembles), table 5
            (hedges), the online combiners (not in the paper), or the allocations next
            to the fixed-weight hedges of the same lines, with their rebalances and
            solver failures.

        Returns
        -------
        DataFrame
            Numeric values, rows in the paper's order.
        """
        if which == "allocations":
            return allocation_table(self.metrics, self.allocations)
        return paper_table(self.metrics, which)

    def with_significance(
        self,
        settings: SignificanceSettings | None = None,
        store: ChunkCache | None = None,
        stage: StageProgress = quiet_stage,
    ) -> RunResult:
        """This result with every line tested against its benchmark.

        Parameters
        ----------
        settings : SignificanceSettings, optional
        store : ChunkCache, optional
            Result cache for the tests (see :func:`aisfolio.portfolio.winners.significance_table`).
        stage : callable, default shows nothing
            Opens the tests' progress (as ``significance_table``'s).

        Returns
        -------
        RunResult
            With :attr:`significance` set and its columns appended to :attr:`metrics`.
        """
        returns = {name: line.returns for name, line in self.lines.items()}
        table = significance_table(self.metrics, returns, settings, store, stage)
        metrics = self.metrics.drop(columns=list(SIGNIFICANCE_COLUMNS), errors="ignore")
        metrics = metrics.join(table[list(SIGNIFICANCE_COLUMNS)])
        return replace(self, metrics=metrics, significance=table)

    def line(self, name: str) -> pd.Series:
        """Equity line ``name`` on its own calendar."""
        if name not in self.lines:
            raise KeyError(f"no line '{name}'; lines are: {', '.join(self.lines)}")
        return self.lines[name].equity
