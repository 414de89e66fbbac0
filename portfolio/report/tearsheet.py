"""A tearsheet of one line against its benchmark: the numbers a quant sends around.

What QuantStats' HTML tearsheet shows, computed with the project's own measures (one
definition each, :mod:`aisfolio.portfolio.metrics` and :mod:`aisfolio.portfolio.measures`):
a key-metrics block, returns by month and by year against the benchmark, the worst
drawdowns, the distribution of the returns and rolling Sharpe, volatility and beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio import metrics
from aisfolio.portfolio.measures import drawdown
from aisfolio.portfolio.report.risk import beta

__all__ = ["KEY_METRICS", "Tearsheet", "build_tearsheet", "period_returns_by", "worst_drawdowns"]

#: Rows of the key-metrics block and the kind of number each is.
KEY_METRICS: dict[str, str] = {
    "start": "date",
    "end": "date",
    "cumulative return": "percent",
    "CAGR": "percent",
    "volatility": "percent",
    "Sharpe": "ratio",
    "Sortino": "ratio",
    "Calmar": "ratio",
    "max drawdown": "percent",
    "longest drawdown (years)": "years",
    "skew": "ratio",
    "excess kurtosis": "ratio",
    "win rate": "percent",
    "best bar": "percent",
    "worst bar": "percent",
    "best month": "percent",
    "worst month": "percent",
    "best year": "percent",
    "worst year": "percent",
    "beta to benchmark": "ratio",
    "correlation with benchmark": "ratio",
}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: Drawdowns listed, deepest first.
WORST_DRAWDOWNS = 5


@dataclass(frozen=True)
class Tearsheet:
    """The numbers of a tearsheet.

    Attributes
    ----------
    line, benchmark : str
        The line and its yardstick (``benchmark`` None when there is none).
    key_metrics : DataFrame
        Index: the names of :data:`KEY_METRICS`; one column per line (numbers, dates).
    monthly : DataFrame
        The line's compounded return per month: index year, columns :data:`MONTHS`.
    yearly : DataFrame
        Compounded return per calendar year: the line, the benchmark, and the difference.
    drawdowns : DataFrame
        The :data:`WORST_DRAWDOWNS` deepest drawdowns of the line (see
        :func:`worst_drawdowns`).
    returns : DataFrame
        Per-bar simple returns of the line and the benchmark (the distribution).
    rolling : DataFrame
        The line's Sharpe, volatility (annualized) and beta to the benchmark over the
        trailing ``window`` bars.
    window : int
    """

    line: str
    benchmark: str | None
    key_metrics: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    drawdowns: pd.DataFrame
    returns: pd.DataFrame
    rolling: pd.DataFrame
    window: int


def period_returns_by(equity: pd.Series, frequency: str) -> pd.Series:
    """Compounded return of each calendar period (``"ME"`` months, ``"YE"`` years): the
    last value of a period over the last value of the one before (the first period from
    the line's first value)."""
    equity = equity.dropna()
    closes = equity.resample(frequency).last().dropna()
    previous = closes.shift(1)
    previous.iloc[0] = equity.iloc[0]
    return closes / previous - 1.0


def worst_drawdowns(equity: pd.Series, count: int = WORST_DRAWDOWNS) -> pd.DataFrame:
    """The deepest drawdowns of an equity line, deepest first.

    A drawdown starts at a running peak (``start``, the last bar at the peak), reaches
    its ``trough`` and ends on the first bar back at the peak (``recovered``; missing
    while it lasts). ``depth`` is the fall from the peak (a positive fraction), ``days``
    the calendar days from the start to the recovery or to the last bar.
    """
    equity = equity.dropna()
    columns = ["start", "trough", "recovered", "depth", "days"]
    falls = drawdown(equity)
    underwater = (falls < 0).to_numpy()
    rows = []
    position = 0
    dates = equity.index
    while position < len(equity):
        if not underwater[position]:
            position += 1
            continue
        first = position
        while position < len(equity) and underwater[position]:
            position += 1
        stretch = falls.iloc[first:position]
        ends = dates[position] if position < len(equity) else None
        rows.append(
            {
                "start": dates[first - 1] if first else dates[first],
                "trough": stretch.idxmin(),
                "recovered": ends,
                "depth": -float(stretch.min()),
                "days": ((ends if ends is not None else dates[-1]) - dates[max(first - 1, 0)]).days,
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values("depth", ascending=False).head(count).reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
    return frame


def _key_metrics(
    equity: pd.Series, periods_per_year: float, benchmark: pd.Series | None
) -> dict[str, object]:
    values = equity.dropna()
    array = values.to_numpy(dtype=float)
    returns = values.pct_change().iloc[1:]
    moving = returns[returns != 0]
    monthly = period_returns_by(values, "ME")
    yearly = period_returns_by(values, "YE")
    out: dict[str, object] = {
        "start": values.index[0],
        "end": values.index[-1],
        "cumulative return": array[-1] / array[0] - 1.0,
        "CAGR": metrics.annualized_return(array, periods_per_year),
        "volatility": metrics.annualized_volatility(array, periods_per_year),
        "Sharpe": metrics.sharpe_ratio(array, periods_per_year),
        "Sortino": metrics.sortino_ratio(array, periods_per_year),
        "Calmar": metrics.calmar_ratio(array, periods_per_year),
        "max drawdown": metrics.max_drawdown(array),
        "longest drawdown (years)": metrics.max_loss_duration(array, periods_per_year),
        "skew": float(returns.skew()),
        "excess kurtosis": float(returns.kurt()),
        "win rate": float((moving > 0).mean()) if len(moving) else float("nan"),
        "best bar": float(returns.max()),
        "worst bar": float(returns.min()),
        "best month": float(monthly.max()),
        "worst month": float(monthly.min()),
        "best year": float(yearly.max()),
        "worst year": float(yearly.min()),
        "beta to benchmark": float("nan"),
        "correlation with benchmark": float("nan"),
    }
    if benchmark is not None:
        target = benchmark.dropna().pct_change()
        out["beta to benchmark"] = beta(returns, target)
        both = pd.concat([returns, target], axis=1, join="inner").dropna()
        if len(both) >= 3:
            out["correlation with benchmark"] = float(both.iloc[:, 0].corr(both.iloc[:, 1]))
    return out


def build_tearsheet(
    equity: pd.DataFrame,
    line: str,
    benchmark: str | None,
    periods_per_year: dict[str, float],
    window: int = 252,
) -> Tearsheet:
    """The tearsheet of ``line`` against ``benchmark``.

    Parameters
    ----------
    equity : DataFrame
        Equity lines (columns), the line's and the benchmark's among them.
    line : str
    benchmark : str, optional
    periods_per_year : dict
        Name -> bars per year of each line's calendar.
    window : int, default 252
        Bars of the rolling measures.

    Returns
    -------
    Tearsheet
    """
    mine = equity[line].dropna()
    other = equity[benchmark].dropna() if benchmark else None
    key = {line: _key_metrics(mine, periods_per_year[line], other)}
    if other is not None and benchmark:
        key[benchmark] = _key_metrics(other, periods_per_year[benchmark], None)
    key_metrics = pd.DataFrame(key).reindex(list(KEY_METRICS)).rename_axis("metric")

    monthly = period_returns_by(mine, "ME")
    months = pd.DataFrame(
        {"year": monthly.index.year, "month": monthly.index.month, "return": monthly.to_numpy()}
    )
    monthly_table = months.pivot(index="year", columns="month", values="return").reindex(
        columns=range(1, 13)
    )
    monthly_table.columns = pd.Index(MONTHS, name="month")
    yearly = {line: period_returns_by(mine, "YE")}
    if other is not None and benchmark:
        yearly[benchmark] = period_returns_by(other, "YE")
    yearly_table = pd.DataFrame(yearly)
    yearly_table.index = yearly_table.index.year
    yearly_table.index.name = "year"
    if benchmark and benchmark in yearly_table:
        yearly_table["difference"] = yearly_table[line] - yearly_table[benchmark]

    returns = pd.DataFrame({name: equity[name].dropna().pct_change() for name in key}).iloc[1:]
    mine_returns = returns[line]
    scale = np.sqrt(periods_per_year[line])
    mean = mine_returns.rolling(window).mean()
    std = mine_returns.rolling(window).std(ddof=1)
    rolling = pd.DataFrame({"Sharpe": mean / std.where(std > 0) * scale, "volatility": std * scale})
    if benchmark and benchmark in returns:
        target = returns[benchmark]
        variance = target.rolling(window).var(ddof=1)
        rolling["beta"] = mine_returns.rolling(window).cov(target, ddof=1) / variance.where(
            variance > 0
        )
    return Tearsheet(
        line=line,
        benchmark=benchmark,
        key_metrics=key_metrics,
        monthly=monthly_table,
        yearly=yearly_table,
        drawdowns=worst_drawdowns(mine),
        returns=returns,
        rolling=rolling,
        window=window,
    )
