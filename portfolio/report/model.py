"""From a finished run to the numbers of its report (no formatting, no rendering).

:func:`build_report` gathers everything a report shows into a :class:`Report` of plain
frames; :mod:`aisfolio.portfolio.report.html` and :mod:`aisfolio.portfolio.report.markdown`
render it and :mod:`aisfolio.portfolio.report.files` writes its machine-readable files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aisfolio.ensemble.groups import LineKind
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.events import failure_table
from aisfolio.portfolio.measures import cvar, drawdown, volatility
from aisfolio.portfolio.metrics import summarize
from aisfolio.portfolio.orders import Orders
from aisfolio.portfolio.report.blending import (
    allocation_summary,
    blend_lines,
    combiner_summary,
    top_members,
)
from aisfolio.portfolio.report.risk import beta, risk_contributions, rolling_information_ratio
from aisfolio.portfolio.report.tearsheet import Tearsheet, build_tearsheet
from aisfolio.portfolio.results import RunResult
from aisfolio.portfolio.targets import asset_exposure, default_benchmark, default_line
from aisfolio.strategies.returns import simple_returns

__all__ = ["PERFORMANCE_COLUMNS", "Report", "ReportSettings", "build_report", "last_year_metrics"]

#: Net exposures smaller than this fraction of the portfolio are none: a solver's
#: numerical zero (1e-9) must not carry "100% of the risk" of a line that holds nothing.
NO_EXPOSURE = 1e-6

#: Metric columns of the performance tables: the paper's measures and Sharpe.
PERFORMANCE_COLUMNS = ["aRC", "aSD", "MD", "MLD", "IR*", "IR**", "IR***", "Sharpe"]


@dataclass(frozen=True)
class ReportSettings:
    """What a report looks at.

    Parameters
    ----------
    line : str, optional
        The portfolio line (default: :func:`portfolio.targets.default_line`).
    benchmark : str, optional
        The line it is compared with and whose beta is measured (the hedge target);
        default: buy-and-hold of the line's first asset.
    window : int, default 252
        Bars of the rolling IR and of the trailing risk estimates.
    cvar_level : float, default 0.95
        Confidence level of the historical CVaR.
    since : str, optional
        List the solver fallbacks and failed fits dated after this date only (the date
        of the previous report); default: every one of the run. Failures a generator
        keeps without dates are then left out.
    """

    line: str | None = None
    benchmark: str | None = None
    window: int = 252
    cvar_level: float = 0.95
    since: str | None = None

    def __post_init__(self) -> None:
        if self.since is not None:
            try:
                pd.Timestamp(self.since)
            except ValueError:
                raise ConfigError(f"'{self.since}' is not a date", key="since") from None
        if self.window < 2:
            raise ConfigError(f"must be >= 2, got {self.window}", key="window")
        if not 0.0 < self.cvar_level < 1.0:
            raise ConfigError(f"must be in (0, 1), got {self.cvar_level}", key="cvar_level")


@dataclass(frozen=True)
class Report:
    """The numbers of a report, as plain frames.

    Attributes
    ----------
    as_of : Timestamp
        The last date of the data.
    line, benchmark : str
        Portfolio line and its yardstick (None when the run has none).
    metrics_full, metrics_last_year : DataFrame
        Per line (index): kind, asset, strategy, start, end, then
        :data:`PERFORMANCE_COLUMNS`, over the whole evaluation and its last year.
    equity, drawdowns, rolling_ir : DataFrame
        Histories of the portfolio line and the benchmark (union calendar).
    group_equity : DataFrame
        Every ensemble, hedge and combiner line, for the overview plot.
    weights_history : DataFrame
        Weights the portfolio line held over time (empty for an AIS line).
    weights : DataFrame
        Every group's members (index: line, member): weight ``held`` over the last bar
        and ``target`` (the rule's weights at the last close).
    turnover : DataFrame
        Weight traded at each rebalance that traded: line, date, traded.
    forecasts, positions : DataFrame
        Last forecast and position of every strategy (columns) per asset (index).
    agreement : DataFrame
        Per asset: long, short and flat counts, mean position and the share of
        strategies on the majority side.
    line_risk : DataFrame
        Per line (the portfolio line and the benchmark): volatility over all bars and over
        the last ``window``, historical CVaR, beta to the benchmark.
    stream_risk, asset_risk : DataFrame
        Risk contributions of the portfolio line's streams (its current weights) and of
        the assets (its net exposures), from the last ``window`` bars.
    correlation : DataFrame
        Correlation of the portfolio line's streams' returns over the last ``window`` bars.
    ais_correlation : DataFrame
        Correlation of every AIS line's returns over the last ``window`` bars.
    events, fit_failures : DataFrame
        Warnings logged and failed fits counted during the run.
    solver_fallbacks : DataFrame
        Allocation decisions that needed a fallback solver or failed (line, date, solver,
        status, fallbacks, failed, reason), from ``RunResult.allocations``.
    orders : Orders, optional
        Set by a rebalance (:mod:`aisfolio.portfolio.orders`): orders, their summary, targets.
    significance : DataFrame
        Per line, the tests against its benchmark (``RunResult.significance``; empty
        when the run did not test).
    training : DataFrame
        One row per trained model (``RunResult.training``; empty when no generator
        trains models).
    stacking : DataFrame
        One row per refit of a stacked generator (``RunResult.stacking``; empty when
        the run stacks nothing).
    tearsheet : Tearsheet
        The portfolio line against the benchmark, QuantStats-style.
    combiners : DataFrame
        Per online-combiner line, its concentration and holdings
        (:func:`aisfolio.portfolio.report.blending.combiner_summary`).
    allocation_outcomes : DataFrame
        Per allocation line, its decisions and solver outcomes
        (:func:`aisfolio.portfolio.report.blending.allocation_summary`).
    allocation_exposures : DataFrame
        Per allocation line (rows), its net exposure to each asset at the last decision.
    blend_weights : dict of str to DataFrame
        Weights over time of every allocation and combiner line (in that order), the
        largest members apart and the rest summed.
    settings : ReportSettings
    accounting : {"per_ais", "net"}
        How the run booked its group lines (``RunResult.accounting``).
    """

    as_of: pd.Timestamp
    line: str
    benchmark: str | None
    metrics_full: pd.DataFrame
    metrics_last_year: pd.DataFrame
    equity: pd.DataFrame
    drawdowns: pd.DataFrame
    rolling_ir: pd.DataFrame
    group_equity: pd.DataFrame
    weights_history: pd.DataFrame
    weights: pd.DataFrame
    turnover: pd.DataFrame
    forecasts: pd.DataFrame
    positions: pd.DataFrame
    agreement: pd.DataFrame
    line_risk: pd.DataFrame
    stream_risk: pd.DataFrame
    asset_risk: pd.DataFrame
    correlation: pd.DataFrame
    ais_correlation: pd.DataFrame
    events: pd.DataFrame
    fit_failures: pd.DataFrame
    solver_fallbacks: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: ReportSettings = field(default_factory=ReportSettings)
    orders: Orders | None = None
    significance: pd.DataFrame = field(default_factory=pd.DataFrame)
    training: pd.DataFrame = field(default_factory=pd.DataFrame)
    stacking: pd.DataFrame = field(default_factory=pd.DataFrame)
    tearsheet: Tearsheet | None = None
    combiners: pd.DataFrame = field(default_factory=pd.DataFrame)
    allocation_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    allocation_exposures: pd.DataFrame = field(default_factory=pd.DataFrame)
    blend_weights: dict[str, pd.DataFrame] = field(default_factory=dict)
    accounting: str = "per_ais"


def _describe(result: RunResult) -> pd.DataFrame:
    return result.metrics[["kind", "asset", "strategy", "start", "end"]]


def last_year_metrics(result: RunResult) -> pd.DataFrame:
    """:data:`PERFORMANCE_COLUMNS` of every line over its last year of bars.

    The last year is the last ``round(periods_per_year)`` returns of each line on its own
    calendar (the whole line when shorter), measured as a line of its own.
    """
    rows = {}
    for name, line in result.lines.items():
        bars = round(line.periods_per_year)
        equity = line.equity.iloc[-(bars + 1) :]
        values = summarize(equity.to_numpy(), line.periods_per_year)
        rows[name] = {
            "start": equity.index[0],
            "end": equity.index[-1],
            **{k: values[k] for k in PERFORMANCE_COLUMNS},
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    described = _describe(result)[["kind", "asset", "strategy"]]
    return pd.concat([described, table], axis=1).rename_axis("line")


def _group_returns(result: RunResult, members: list[str]) -> pd.DataFrame:
    equity = pd.DataFrame({m: result.lines[m].equity for m in members}).sort_index().ffill()
    return equity.fillna(1.0).pct_change().iloc[1:]


def _agreement(positions: pd.DataFrame) -> pd.DataFrame:
    signs = np.sign(positions.to_numpy(dtype=float))
    long = (signs > 0).sum(axis=1)
    short = (signs < 0).sum(axis=1)
    flat = (signs == 0).sum(axis=1)
    decided = np.isfinite(signs).sum(axis=1)
    majority = np.maximum(np.maximum(long, short), flat)
    return pd.DataFrame(
        {
            "long": long,
            "short": short,
            "flat": flat,
            "mean position": np.nanmean(positions.to_numpy(dtype=float), axis=1),
            "agreement": np.where(decided > 0, majority / np.maximum(decided, 1), np.nan),
        },
        index=positions.index,
    )


def _last_by_asset(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame.ffill().iloc[-1]
    return last.unstack("strategy").reindex(index=frame.columns.get_level_values(0).unique())


def _turnover(result: RunResult) -> pd.DataFrame:
    rows = []
    for name, line in result.lines.items():
        if line.targets is None:
            continue
        for date, traded in zip(line.equity.index, line.traded, strict=True):
            if traded > 0:
                rows.append({"line": name, "date": date, "traded": float(traded)})
    return pd.DataFrame(rows, columns=["line", "date", "traded"])


def _weights(result: RunResult) -> pd.DataFrame:
    frames = []
    for name, line in result.lines.items():
        if line.targets is None or name not in result.weights:
            continue
        held = result.weights[name].iloc[-1]
        target = line.targets.iloc[-1]
        frame = pd.DataFrame({"held": held, "target": target})
        frame.index = pd.MultiIndex.from_product([[name], frame.index], names=["line", "member"])
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            columns=["held", "target"],
            index=pd.MultiIndex.from_tuples([], names=["line", "member"]),
        )
    return pd.concat(frames)


def _line_risk(
    result: RunResult, names: list[str], benchmark: str | None, settings: ReportSettings
) -> pd.DataFrame:
    rows = {}
    target = result.lines[benchmark].returns if benchmark else None
    for name in names:
        line = result.lines[name]
        returns = line.returns
        recent = returns.iloc[-settings.window :]
        s = line.periods_per_year
        rows[name] = {
            "volatility": volatility(returns.to_numpy(), s),
            "recent volatility": volatility(recent.to_numpy(), s),
            "CVaR": cvar(-returns.to_numpy(), settings.cvar_level),
            "recent CVaR": cvar(-recent.to_numpy(), settings.cvar_level),
            "beta": beta(returns, target) if target is not None else float("nan"),
            "recent beta": beta(recent, target) if target is not None else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("line")


def _solver_fallbacks(result: RunResult, since: pd.Timestamp | None) -> pd.DataFrame:
    frames = []
    for name, decisions in getattr(result, "allocations", {}).items():
        troubled = decisions["failed"].astype(bool) | (decisions["fallbacks"].astype(str) != "")
        if since is not None:
            troubled &= decisions.index > since
        rows = decisions.loc[troubled, ["solver", "status", "fallbacks", "failed", "reason"]]
        frames.append(rows.reset_index().assign(line=name))
    columns = ["line", "date", "solver", "status", "fallbacks", "failed", "reason"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def build_report(
    result: RunResult, settings: ReportSettings | None = None, orders: Orders | None = None
) -> Report:
    """Gather the numbers of a run's report.

    Parameters
    ----------
    result : RunResult
        A finished run.
    settings : ReportSettings, optional
        Portfolio line, benchmark, windows.
    orders : Orders, optional
        A rebalance's orders; their line is then the report's portfolio line.

    Returns
    -------
    Report

    Raises
    ------
    ConfigError
        When the configured line or benchmark is not a line of the run.
    """
    settings = settings or ReportSettings()
    since = pd.Timestamp(settings.since) if settings.since is not None else None
    line = settings.line if settings.line is not None else default_line(result)
    if orders is not None:
        line = orders.targets.line
    for key, name in (("line", line), ("benchmark", settings.benchmark)):
        if name is not None and name not in result.lines:
            raise ConfigError(
                f"no line '{name}' in this run; lines are: {', '.join(result.lines)}", key=key
            )
    benchmark = (
        settings.benchmark if settings.benchmark is not None else default_benchmark(result, line)
    )
    shown = [line] + ([benchmark] if benchmark else [])
    equity = result.equity[shown].dropna(how="all")
    periods = result.lines[line].periods_per_year
    metrics_full = pd.concat(
        [_describe(result), result.metrics[PERFORMANCE_COLUMNS]], axis=1
    ).rename_axis("line")

    portfolio = result.lines[line]
    if portfolio.targets is not None:
        members = [str(m) for m in portfolio.targets.columns]
        current = result.weights[line].iloc[-1].rename(None)
        current.index = current.index.map(str)
        weights_history = result.weights[line]
    else:
        members, current = [line], pd.Series({line: 1.0})
        weights_history = pd.DataFrame()
    stream_returns = _group_returns(result, members).iloc[-settings.window :]
    stream_risk = risk_contributions(current, stream_returns, periods)
    exposure = asset_exposure(result, current)
    exposure = exposure.where(exposure.abs() >= NO_EXPOSURE, 0.0)
    asset_returns = simple_returns(result.prices.ffill()).iloc[1:].iloc[-settings.window :]
    asset_risk = risk_contributions(exposure, asset_returns.fillna(0.0), periods).rename(
        columns={"weight": "exposure"}
    )
    ais = [n for n, ln in result.lines.items() if ln.targets is None]
    groups = [n for n, ln in result.lines.items() if ln.targets is not None]

    return Report(
        as_of=pd.Timestamp(result.prices.index[-1]),
        line=line,
        benchmark=benchmark,
        metrics_full=metrics_full,
        metrics_last_year=last_year_metrics(result),
        equity=equity,
        drawdowns=equity.apply(drawdown),
        rolling_ir=pd.DataFrame(
            {
                name: rolling_information_ratio(
                    result.lines[name].equity, settings.window, result.lines[name].periods_per_year
                )
                for name in shown
            }
        ),
        group_equity=result.equity[groups],
        weights_history=weights_history,
        weights=_weights(result),
        turnover=_turnover(result),
        forecasts=_last_by_asset(result.forecasts),
        positions=_last_by_asset(result.positions),
        agreement=_agreement(_last_by_asset(result.positions)),
        line_risk=_line_risk(result, shown, benchmark, settings),
        stream_risk=stream_risk,
        asset_risk=asset_risk,
        correlation=stream_returns.corr(),
        ais_correlation=_group_returns(result, ais).iloc[-settings.window :].corr(),
        events=result.events,
        fit_failures=failure_table(result.fit_failure_log, since),
        solver_fallbacks=_solver_fallbacks(result, since),
        settings=settings,
        orders=orders,
        significance=result.significance,
        training=result.training,
        stacking=result.stacking,
        tearsheet=build_tearsheet(
            equity,
            line,
            benchmark,
            {name: result.lines[name].periods_per_year for name in shown},
            settings.window,
        ),
        combiners=combiner_summary(result),
        allocation_outcomes=allocation_summary(result),
        allocation_exposures=pd.DataFrame(
            {name: frame.iloc[-1] for name, frame in result.exposures.items() if len(frame)}
        ).T.rename_axis("line"),
        blend_weights={
            name: top_members(result.weights[name].dropna(how="all"))
            for kind in (LineKind.ALLOCATION, LineKind.COMBINER)
            for name in blend_lines(result, kind)
        },
        accounting=result.accounting,
    )
