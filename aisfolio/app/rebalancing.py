"""Rebalance mode: run the pipeline as of a date and size the orders from the holdings."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aisfolio.app.config_keys import run_configured
from aisfolio.portfolio.costs import check_cost_rate
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.holdings import Holdings, read_holdings
from aisfolio.portfolio.orders import Orders, compute_orders
from aisfolio.portfolio.pipeline import Pipeline
from aisfolio.portfolio.results import RunResult
from aisfolio.portfolio.targets import LineTargets

__all__ = ["RebalanceSettings", "rebalance_orders"]


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
            raise ConfigError(f"must be >= 0, got {self.min_trade}", key="min_trade")
        if self.cost_rate is not None:
            check_cost_rate(self.cost_rate, "cost_rate")
        if self.capital is not None and not self.capital > 0:
            raise ConfigError(f"must be > 0, got {self.capital}", key="capital")
        if self.as_of is not None:
            try:
                pd.Timestamp(self.as_of)
            except ValueError:
                raise ConfigError(f"'{self.as_of}' is not a date", key="as_of") from None


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
    result = run_configured(pipeline, prices)
    try:
        targets = LineTargets(settings.line).targets(result)
    except ConfigError as error:  # the targets name their own parameter
        raise error.under("rebalance") from None
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
