"""Orders: from targets and current holdings to the trades that reach them.

``orders = targets - holdings`` per asset (net exposure) or per stream (weight),
whichever the holdings file gives; trades smaller than ``min_trade`` are not made.
Units and notional follow when the holdings give units or notional (the portfolio's
value is then known) or when ``capital`` is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.holdings import Holdings
from aisfolio.portfolio.targets import Targets

__all__ = ["Orders", "compute_orders"]


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
