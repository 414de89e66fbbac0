"""aisfolio's portfolio layer: data, backtests, metrics, outputs, the pipeline and CLI.

Examples
--------
>>> import portfolio as pf
>>> prices = pf.load_dataset("us_markets")
>>> result = pf.Pipeline.from_config().run(prices)  # the CLI's default run
>>> result.table("ais").loc[("SP500", "momentum"), "IR**"]  # doctest: +SKIP
"""

import pandas as pd

from aisfolio.portfolio import report
from aisfolio.portfolio.backtest import AISBacktest, backtest_positions
from aisfolio.portfolio.calendars import infer_periods_per_year
from aisfolio.portfolio.composition import Components, build, load_config
from aisfolio.portfolio.datasets import list_datasets, load_dataset
from aisfolio.portfolio.errors import AisfolioError, ConfigError, DataError
from aisfolio.portfolio.holdings import Holdings, read_holdings
from aisfolio.portfolio.orders import Orders, RebalanceSettings, compute_orders, rebalance_orders
from aisfolio.portfolio.outputs import OutputWriter
from aisfolio.portfolio.pipeline import BacktestSettings, Pipeline
from aisfolio.portfolio.price_files import read_price_file
from aisfolio.portfolio.rebalance import RebalancedPortfolio, rebalance_streams, union_equity
from aisfolio.portfolio.results import Line, RunResult
from aisfolio.portfolio.sources import PriceSource
from aisfolio.portfolio.targets import LineTargets, Targets, TargetSource

__all__ = [
    "AISBacktest",
    "AisfolioError",
    "BacktestSettings",
    "Components",
    "ConfigError",
    "DataError",
    "Line",
    "OutputWriter",
    "Pipeline",
    "PriceSource",
    "RebalancedPortfolio",
    "RunResult",
    "backtest_positions",
    "build",
    "infer_periods_per_year",
    "list_datasets",
    "load_config",
    "load_dataset",
    "load_prices",
    "read_price_file",
    "rebalance_streams",
    "union_equity",
]
__all__ += [
    "Holdings",
    "LineTargets",
    "Orders",
    "RebalanceSettings",
    "TargetSource",
    "Targets",
    "compute_orders",
    "read_holdings",
    "rebalance_orders",
    "report",
]


def load_prices(path: str, **options: object) -> pd.DataFrame:
    """Load and validate a price file (CSV or Parquet); see :class:`PriceSource`.

    Parameters
    ----------
    path : str
        The file.
    **options
        Any other :class:`PriceSource` argument (``layout="long"``, ``columns=...``).

    Returns
    -------
    DataFrame
        Dates (union of the assets' calendars) by asset, NaN where an asset has no price.
    """
    return PriceSource(dataset=None, path=path, **options).load()  # type: ignore[arg-type]
