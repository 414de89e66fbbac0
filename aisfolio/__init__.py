"""aisfolio: an ensemble strategy portfolio manager.

The installed package is one namespace. The domain: :mod:`aisfolio.strategies`
(generators and the walk-forward engine), :mod:`aisfolio.ensemble` (blends of
strategies) and :mod:`aisfolio.portfolio` (data, backtests, metrics, allocation,
reports, the pipeline). The application around it, :mod:`aisfolio.app`: the Hydra
configs (``aisfolio.conf``) composed into a run's parts, the ``aisfolio`` command, the
run's output folder and the rebalance workflow. The domain never imports the app.

Every name is imported on first use.

Examples
--------
>>> import aisfolio
>>> import aisfolio.portfolio as pf
>>> pipeline = aisfolio.pipeline_from_config(["backtest.cost_rate=0.001"])
>>> result = pipeline.run(pf.load_dataset("us_markets"))  # doctest: +SKIP
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["app", "ensemble", "portfolio", "strategies"],
    submod_attrs={
        "app.composition": ["Components", "build", "load_config", "pipeline_from_config"],
        "app.outputs": ["OutputWriter"],
        "app.rebalancing": ["RebalanceSettings", "rebalance_orders"],
    },
)
