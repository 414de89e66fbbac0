"""Backtest of one AIS: positions on an asset's own calendar to net returns and equity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.measures import traded_notional
from aisfolio.portfolio.metrics import number_of_trades
from aisfolio.strategies.returns import simple_returns
from aisfolio.strategies.timing import apply_decision_lag

__all__ = ["AISBacktest", "NetBacktest", "backtest_exposure", "backtest_positions"]


@dataclass(frozen=True)
class AISBacktest:
    """Result of :func:`backtest_positions`, every series on the evaluation bars.

    Attributes
    ----------
    equity : Series
        Equity line, 1.0 on the first evaluation bar.
    returns : Series
        Net returns; the first bar is 0 (nothing held before it).
    costs : Series
        Costs booked on each bar (never negative).
    positions : Series
        Positions decided on each bar (flat where the generator gave none).
    """

    equity: pd.Series
    returns: pd.Series
    costs: pd.Series
    positions: pd.Series

    @property
    def trades(self) -> int:
        """Bars on which the position changes, entering from flat included."""
        return number_of_trades(self.positions.to_numpy())


def backtest_positions(
    prices: pd.Series, positions: pd.Series, cost_rate: float, start: pd.Timestamp | None = None
) -> AISBacktest:
    """Net returns of holding ``positions`` in an asset, under the one time convention.

    The position decided at the close of bar ``t`` earns the asset's return from ``t``
    to ``t + 1``; the trade that reaches it costs ``cost_rate * |change of position|``
    of the line's value, booked in the same return (so long -> short costs twice the
    rate). Before ``start`` the line holds nothing, so entering costs too.

    Parameters
    ----------
    prices : Series
        The asset's prices on its own calendar, no missing values.
    positions : Series
        Positions in [-1, 1] stamped by decision date on the same index (NaN = flat).
    cost_rate : float
        Proportional cost per unit of traded notional (0.0005 = 0.05%).
    start : Timestamp, optional
        First evaluation bar (default: the first bar).

    Returns
    -------
    AISBacktest
    """
    if cost_rate < 0:
        raise ValueError(f"cost_rate must be >= 0, got {cost_rate}")
    if not prices.index.equals(positions.index):
        raise ValueError("prices and positions must share one calendar")
    window = prices.index >= start if start is not None else np.ones(len(prices), dtype=bool)
    price = prices[window]
    if len(price) < 2:
        raise DataError(f"fewer than 2 bars from {start} on", column=str(prices.name))
    asset_returns = simple_returns(price).fillna(0.0)
    finite = np.isfinite(asset_returns.to_numpy())
    if not finite.all():
        raise _not_finite_return(price, int(np.argmin(finite)))
    position = positions[window].fillna(0.0)
    trades = pd.Series(traded_notional(position), index=position.index)
    costs = apply_decision_lag(cost_rate * trades)
    returns = apply_decision_lag(position) * asset_returns - costs
    equity = (1.0 + returns).cumprod()
    return AISBacktest(equity=equity, returns=returns, costs=costs, positions=position)


@dataclass(frozen=True)
class NetBacktest:
    """Result of :func:`backtest_exposure`, every series on the line's calendar.

    Attributes
    ----------
    equity : Series
        Equity line, 1.0 on the first evaluation bar.
    returns : Series
        Net returns, summed over the assets (0 on the first bar).
    costs : Series
        Costs booked on each bar, summed over the assets (never negative).
    traded : Series
        ``sum over assets of |change of position|`` decided at each bar's close.
    positions : DataFrame
        Net position per asset decided on each bar (carried over the days an asset
        does not trade).
    """

    equity: pd.Series
    returns: pd.Series
    costs: pd.Series
    traded: pd.Series
    positions: pd.DataFrame


def backtest_exposure(
    prices: pd.DataFrame,
    exposure: pd.DataFrame,
    cost_rate: float,
    start: pd.Timestamp | None = None,
) -> NetBacktest:
    """Net returns of holding a net position in each of several assets.

    Each asset is backtested alone by :func:`backtest_positions` on its own calendar
    (the same time convention and costs: ``cost_rate * |change of its net position|``),
    and the returns, each a fraction of the line's value, are added up. A position
    decided on a day its asset does not trade is traded on the asset's next bar.

    Parameters
    ----------
    prices : DataFrame
        Prices by asset on the union of their calendars (NaN = no trade).
    exposure : DataFrame
        Net position per asset (columns, a subset of ``prices``'), stamped by decision
        date on the line's calendar, which holds every bar of its assets from
        ``start`` (NaN = flat).
    cost_rate : float
        Proportional cost per unit of traded notional.
    start : Timestamp, optional
        First evaluation bar (default: the line's first bar).

    Returns
    -------
    NetBacktest
    """
    index = exposure.index
    start = index[0] if start is None else start
    zero = pd.Series(0.0, index=index[index >= start])
    returns, costs, traded = zero.copy(), zero.copy(), zero.copy()
    positions = {}
    for asset in exposure.columns:
        calendar = prices[asset].dropna()
        own = backtest_positions(
            calendar, exposure[asset].reindex(calendar.index), cost_rate, start
        )
        if not own.returns.index.isin(zero.index).all():
            raise ValueError(f"the line's calendar lacks bars of {asset}")
        returns = returns.add(own.returns, fill_value=0.0)
        costs = costs.add(own.costs, fill_value=0.0)
        traded = traded.add(
            pd.Series(traded_notional(own.positions), own.positions.index), fill_value=0.0
        )
        positions[asset] = own.positions
    held = pd.DataFrame(positions, columns=exposure.columns).reindex(zero.index).ffill().fillna(0.0)
    return NetBacktest(
        equity=(1.0 + returns).cumprod(),
        returns=returns,
        costs=costs,
        traded=traded,
        positions=held,
    )


def _not_finite_return(price: pd.Series, bar: int) -> DataError:
    """The error for a return that floating point cannot hold, naming both prices."""
    before, after = price.iloc[bar - 1], price.iloc[bar]
    why = (
        "a zero price has no return"
        if before == 0
        else "the ratio of the two prices is beyond floating point"
    )
    return DataError(
        f"the return on {_bar(price.index[bar])} is not finite: the price goes from "
        f"{before:.6g} on {_bar(price.index[bar - 1])} to {after:.6g} ({why})",
        column=str(price.name),
    )


def _bar(stamp: pd.Timestamp) -> str:
    """A bar's date, with its time of day when it has one (hourly bars)."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
