"""aisfolio's portfolio layer: data, backtests, metrics, allocation, reports and the pipeline.

The names below are imported on first use, so importing one module of the package
(``aisfolio.portfolio.metrics``) loads neither cvxpy, Hydra, matplotlib nor torch.

Examples
--------
>>> import aisfolio
>>> import aisfolio.portfolio as pf
>>> prices = pf.load_dataset("us_markets")
>>> result = aisfolio.pipeline_from_config().run(prices)  # the CLI's default run
>>> result.table("ais").loc[("SP500", "momentum"), "IR**"]  # doctest: +SKIP
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["allocation", "report"],
    submod_attrs={
        "backtest": ["AISBacktest", "NetBacktest", "backtest_exposure", "backtest_positions"],
        "calendars": ["infer_periods_per_year"],
        "datasets": ["list_datasets", "load_dataset"],
        "errors": ["AisfolioError", "ConfigError", "DataError"],
        "holdings": ["Holdings", "read_holdings"],
        "orders": ["Orders", "compute_orders"],
        "pipeline": ["BacktestSettings", "Pipeline"],
        "price_files": ["read_price_file"],
        "rebalance": ["RebalancedPortfolio", "rebalance_streams", "union_equity"],
        "results": ["Line", "RunResult"],
        "sources": ["PriceSource", "load_prices"],
        "targets": ["LineTargets", "TargetSource", "Targets"],
    },
)
