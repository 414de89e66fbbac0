"""Cost rates: refused where the metrics would mean nothing."""

from __future__ import annotations

import pytest

from aisfolio.app.rebalancing import RebalanceSettings
from aisfolio.portfolio.costs import MAX_COST_RATE, check_cost_rate
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.pipeline import BacktestSettings


@pytest.mark.parametrize("rate", [0.0, 0.0005, 0.1, 0.4999])
def test_usable_rates_pass(rate):
    check_cost_rate(rate, "backtest.cost_rate")


@pytest.mark.parametrize("rate", [-0.001, MAX_COST_RATE, 1.0, 5.0, float("nan")])
def test_rates_that_make_the_metrics_meaningless_are_refused_naming_the_key(rate):
    with pytest.raises(ConfigError, match=r"config key 'backtest\.cost_rate'"):
        check_cost_rate(rate, "backtest.cost_rate")


def test_the_backtest_and_rebalance_settings_apply_the_rule():
    # Each names its own parameter; the CLI reports it under backtest. or rebalance.
    with pytest.raises(ConfigError, match=r"config key 'cost_rate'"):
        BacktestSettings(cost_rate=0.5)
    with pytest.raises(ConfigError, match=r"config key 'cost_rate'"):
        RebalanceSettings(cost_rate=1.0)
