"""Rebalance mode: from targets and current holdings to orders.

``orders = targets - holdings`` per asset (net exposure) or per stream (weight),
whichever the holdings file gives; trades smaller than ``min_trade`` are not made.
Units and notional follow when the holdings give units or notional (the portfolio's
value is then known) or when ``capital`` is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio.costs import check_cost_rate
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.holdings import Holdings, read_holdings
from aisfolio.portfolio.pipeline import Pipeline
from aisfolio.portfolio.results import RunResult
from aisfolio.portfolio.targets import LineTargets, Targets

__all__ = ["Orders", "RebalanceSettings", "compute_orders", "rebalance_orders"]


@dataclass(frozen=True)
class RebalanceSettings:
    """The ``rebalance`` config node: what a rebalance run reads and how it trades.

    Parameters
    ----------
    holdings : str, optional
        Holdings file (see :mod:`aisfolio.portfolio.holdings`); None: the portfolio is in cash.
    as_of : str, optional
        Decide with data up to this date (default: the last date of the data).
    line : str, optional
        The portfolio line whose targets are traded to (default:
        :func:`aisfolio.portfolio.targets.default_line`).
    min_trade : float, default 0.0
        Smallest trade, in weight (0.005 = half a percent of the portfolio); smaller
        orders are not made.
    cost_rate : float, optional
        Cost per unit of weight traded (default: the backtest's rate).
    capital : float, optional
        Value of the portfolio, for notional and units; default: inferred from the
        holdings' notional (``units * price`` or ``notional``) over their weights.
    """

    holdings: str | None = None
    as_of: str | None = None
    line: str | None = None
    min_trade: float = 0.0
    cost_rate: float | None = None
    capital: float | None = None

    def __post_init__(self) -> None:
        if not self.min_trade >= 0:
            raise ConfigError(f"must be >= 0, got {self.min_trade}", key="rebalance.min_trade")
        if self.cost_rate is not None:
            check_cost_rate(self.cost_rate, "rebalance.cost_rate")
        if self.capital is not None and not self.capital > 0:
            raise ConfigError(f"must be > 0, got {self.capital}", key="rebalance.capital")
        if self.as_of is not None:
            try:
                pd.Timestamp(self.as_of)
            except ValueError:
                raise ConfigError(f"'{self.as_of}' is not a date", key="rebalance.as_of") from None


@dataclass(frozen=True)
class Orders:
    """What to trade.

    Attributes
    ----------
    table : DataFrame
        Index: asset or stream; ``current``, ``target``, ``order`` (weights; 0 where
        below the minimum), ``below minimum``, and when the portfolio's value is known
        ``order notional`` (``target * capital`` minus what the row is worth: its
        ``notional``, ``units * price``, or ``current * capital``) and, where a price is
        known, ``price`` and ``units``.
    summary : dict
        as of, line, level, holdings, capital, number of orders, expected turnover (weight
        traded), expected cost (a fraction of the portfolio, and in money when the
        capital is known), and the holdings' notes (:meth:`Holdings.notes`: weights
        adding up to more than the portfolio, money values far from the weights).
    targets : Targets
        What the orders trade to.
    """

    table: pd.DataFrame
    summary: dict[str, object]
    targets: Targets


def _worth(holdings: Holdings, prices: pd.Series) -> pd.Series | None:
    """What each holdings row is worth in money (``notional``, or ``units`` times the
    file's price, else the last price of an asset); NaN where unknown, None when the file
    gives neither."""
    table = holdings.table
    if "notional" in table:
        return table["notional"]
    if "units" not in table:
        return None
    price = table["price"] if "price" in table else pd.Series(np.nan, index=table.index)
    if holdings.level == "asset":
        price = price.fillna(prices.reindex(table.index))
    return table["units"] * price


def _capital(holdings: Holdings, worth: pd.Series | None) -> float | None:
    """The portfolio's value: what the priced positions are worth over the share they
    hold (None when no row says)."""
    if worth is None:
        return None
    known = worth.notna() & (holdings.table["weight"] != 0)
    if not known.any():
        return None
    capital = float(worth[known].abs().sum() / holdings.table.loc[known, "weight"].abs().sum())
    if not capital > 0:
        raise DataError("the holdings' notional values add up to zero", file=holdings.source)
    return capital


def compute_orders(
    targets: Targets,
    holdings: Holdings,
    prices: pd.Series,
    *,
    min_trade: float = 0.0,
    cost_rate: float = 0.0005,
    capital: float | None = None,
) -> Orders:
    """Orders that take the holdings to the targets.

    Parameters
    ----------
    targets : Targets
        From a :class:`aisfolio.portfolio.targets.TargetSource`.
    holdings : Holdings
        Current holdings, per asset or per stream.
    prices : Series
        Last price per asset (for units of asset orders).
    min_trade : float, default 0.0
        Smallest trade in weight.
    cost_rate : float, default 0.0005
        Cost per unit of weight traded.
    capital : float, optional
        Value of the portfolio (default: inferred from the holdings, see
        :class:`RebalanceSettings`).

    Returns
    -------
    Orders

    Raises
    ------
    DataError
        When the holdings name an asset or stream the run does not have, or a row's
        weight contradicts its notional or units (see :meth:`Holdings.check_worth`).
    """
    level = holdings.level
    wanted = targets.assets if level == "asset" else targets.streams
    holdings.check_names([str(k) for k in wanted.index])
    table = pd.DataFrame(index=pd.Index([str(k) for k in wanted.index], name=level))
    table["current"] = holdings.table["weight"].reindex(table.index).fillna(0.0)
    table["target"] = wanted.to_numpy(dtype=float)
    raw = table["target"] - table["current"]
    table["below minimum"] = (raw.abs() < min_trade) & (raw != 0)
    table["order"] = raw.where(~table["below minimum"], 0.0)
    worth = _worth(holdings, prices)
    if worth is not None:
        holdings.check_worth(worth)
    value = capital if capital is not None else _capital(holdings, worth)
    notes = holdings.notes(worth, value)
    if value is not None:
        price = prices.reindex(table.index).astype(float) if level == "asset" else None
        if "price" in holdings.table:
            given = holdings.table["price"].reindex(table.index)
            price = given if price is None else given.fillna(price)
        held = (table["current"] * value).rename("held notional")
        if "notional" in holdings.table:
            held = holdings.table["notional"].reindex(table.index).fillna(held)
        elif "units" in holdings.table and price is not None:
            held = (holdings.table["units"].reindex(table.index) * price).fillna(held)
        # Priced rows trade from what they are worth, so a closed position sells every unit.
        trade = table["target"] * value - held
        table["order notional"] = trade.where(table["order"] != 0, 0.0)
        if price is not None:
            table["price"] = price
            table["units"] = table["order notional"] / price
    turnover = float(table["order"].abs().sum())
    summary: dict[str, object] = {
        "as of": targets.date,
        "line": targets.line,
        "level": level,
        "holdings": holdings.source,
        "orders": int((table["order"] != 0).sum()),
        "expected turnover": turnover,
        "expected cost": cost_rate * turnover,
        "capital": value if value is not None else np.nan,
        "cost notional": cost_rate * turnover * value if value is not None else np.nan,
        "min trade": min_trade,
        "holdings notes": "; ".join(notes),
    }
    return Orders(table, summary, targets)


def rebalance_orders(
    pipeline: Pipeline, prices: pd.DataFrame, settings: RebalanceSettings
) -> tuple[RunResult, Orders]:
    """Run the pipeline as of ``settings.as_of`` (or the last date) and size the orders.

    Parameters
    ----------
    pipeline : Pipeline
        The configured pipeline.
    prices : DataFrame
        Validated prices.
    settings : RebalanceSettings
        Holdings file, as-of date, line, minimum trade, costs, capital.

    Returns
    -------
    (RunResult, Orders)
    """
    if settings.as_of is not None:
        as_of = pd.Timestamp(settings.as_of)
        if as_of < prices.index[0]:
            raise ConfigError(
                f"{as_of.date()} is before the first date of the data ({prices.index[0].date()})",
                key="rebalance.as_of",
            )
        prices = prices.loc[:as_of]
    holdings = read_holdings(settings.holdings) if settings.holdings else Holdings.empty()
    if holdings.level == "asset":  # before the run: a typo should not wait for the fits
        holdings.check_names([str(a) for a in prices.columns])
    result = pipeline.run(prices)
    targets = LineTargets(settings.line).targets(result)
    cost_rate = (
        settings.cost_rate if settings.cost_rate is not None else pipeline.backtest.cost_rate
    )
    last_prices = result.prices.ffill().iloc[-1]
    orders = compute_orders(
        targets,
        holdings,
        last_prices,
        min_trade=settings.min_trade,
        cost_rate=cost_rate,
        capital=settings.capital,
    )
    return result, orders
