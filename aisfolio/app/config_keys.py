"""The pipeline's errors in the config's terms: the pipeline names its own parameters
(``allocations.hedge``), the CLI reports the config key that built them
(``allocator.hedge``)."""

from __future__ import annotations

import pandas as pd

from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.pipeline import Pipeline
from aisfolio.portfolio.results import RunResult

__all__ = ["PIPELINE_GROUPS", "in_config_terms", "run_configured"]

#: The pipeline's parameters and the config groups that build them.
PIPELINE_GROUPS = {
    "strategies": "generators",
    "ensembles": "ensemble",
    "stacked": "stacking",
    "combiners": "combiners",
    "allocations": "allocator",
    "backtest": "backtest",
    "execution": "execution",
    "significance": "significance",
}


def in_config_terms(error: ConfigError) -> ConfigError:
    """A pipeline's error with its key as the config names it (:data:`PIPELINE_GROUPS`)."""
    return error.renamed(PIPELINE_GROUPS)


def run_configured(pipeline: Pipeline, prices: pd.DataFrame) -> RunResult:
    """``pipeline.run(prices)`` with its errors named by config key (the CLI's run)."""
    try:
        return pipeline.run(prices)
    except ConfigError as error:
        raise in_config_terms(error) from None
