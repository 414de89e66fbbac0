"""Every generator, ensemble and allocator under the no-look-ahead contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aisfolio import conf
from aisfolio.app.composition import build, load_config, pipeline_from_config
from aisfolio.portfolio.allocation import Allocator
from aisfolio.portfolio.rebalance import rebalance_streams
from aisfolio.strategies import Strategy
from tests.lookahead import REGISTRY, assert_no_lookahead, register

STACKING_CONFIGS = sorted(p.stem for p in (Path(conf.__file__).parent / "stacking").glob("*.yaml"))
COMBINER_CONFIGS = sorted(p.stem for p in (Path(conf.__file__).parent / "combiners").glob("*.yaml"))
ALLOCATOR_CONFIGS = sorted(
    p.stem for p in (Path(conf.__file__).parent / "allocator").glob("*.yaml") if p.stem != "none"
)
GENERATOR_CONFIGS = sorted(
    p.stem for p in (Path(conf.__file__).parent / "generators").glob("*.yaml")
)
CUTS = ["2004-06-15", "2005-03-01", "2006-10-02"]

# Settings that keep expensive generators quick here without changing their protocol
# (windows, refit calendar, data handling): the contract does not depend on model size.
QUICK = {
    "arima_garch": [
        "generators.arima_garch.generator.max_q=0",
        "generators.arima_garch.generator.refit_every=21",
    ],
    "arima_garch_paper": [
        "generators.arima_garch_paper.generator.max_p=1",
        "generators.arima_garch_paper.generator.max_q=0",
        "generators.arima_garch_paper.generator.refit_every=21",
    ],
    "lstm": ["generators.lstm.generator.hidden_sizes=[4]", "generators.lstm.generator.epochs=2"],
    "lstm_paper": [
        "generators.lstm_paper.generator.hidden_sizes=[4]",
        "generators.lstm_paper.generator.epochs=2",
    ],
}


def _strategy_outputs(strategy: Strategy, prices: pd.DataFrame) -> pd.DataFrame:
    assets = list(prices.columns)
    runs = strategy.run_many([prices[asset].dropna() for asset in assets])
    frames = {}
    for asset, run in zip(assets, runs, strict=True):
        frames[(asset, "forecast")] = run.forecasts
        frames[(asset, "position")] = run.positions
    return pd.DataFrame(frames)


# Every generator shipped in conf/generators is registered, with its configured protocol.
for _name in GENERATOR_CONFIGS:
    _overrides = [f"generators=[{_name}]", "ensemble=none", *QUICK.get(_name, [])]
    _strategy = build(load_config(_overrides)).pipeline.strategies[_name]
    register(f"generator:{_name}")(lambda prices, s=_strategy: _strategy_outputs(s, prices))


@register("pipeline:ais_stacking_ensembles_hedges_combiners")
def _pipeline_lines(prices: pd.DataFrame) -> pd.DataFrame:
    """AIS, every shipped stacked strategy, type I and II ensembles, hedges and every
    shipped combination (equity lines and the weights they held)."""
    # The generators of the default run without the LSTM (registered on its own above),
    # whose first year of training would leave the stacking no history before the cuts.
    pipeline = pipeline_from_config(
        [
            "generators=[buy_and_hold,momentum,contrarian]",
            f"stacking=[{','.join(STACKING_CONFIGS)}]",
            f"combiners=[{','.join(COMBINER_CONFIGS)}]",
        ]
    )
    result = pipeline.run(prices)
    weights = pd.concat(result.weights, axis=1)
    weights.columns = ["/".join(c) for c in weights.columns]
    positions = result.positions.copy()
    positions.columns = ["/".join(c) + ":position" for c in positions.columns]
    return pd.concat([positions, result.equity, weights], axis=1)


@register("pipeline:allocators")
def _allocation_lines(prices: pd.DataFrame) -> pd.DataFrame:
    """Every shipped allocator config (risk parity with a beta bound): equity lines,
    weights held and net exposures. (A decision on the last bar of the data is never
    made, as nothing would be held after it, so decision logs are checked by
    ``test_a_fit_at_a_date_uses_only_rows_up_to_it`` instead.)"""
    pipeline = pipeline_from_config(
        [
            f"allocator=[{','.join(ALLOCATOR_CONFIGS)}]",
            "allocator.risk_parity.allocator.beta_upper=0.8",
        ]
    )
    result = pipeline.run(prices)
    frames = [result.equity]
    for name in result.allocations:
        frames.append(result.weights[name].add_prefix(f"{name}:"))
        frames.append(result.exposures[name].add_prefix(f"{name}:exposure:"))
    return pd.concat(frames, axis=1)


@register("pipeline:net_accounting")
def _netted_lines(prices: pd.DataFrame) -> pd.DataFrame:
    """Group lines booked on their net positions per asset (``backtest.accounting=net``):
    ensembles, hedges, a combiner and an allocation over netted hedges; equity lines,
    weights held and the allocation's net exposures. (Every combination is netted by the
    same code: the others' own decisions are checked under the paper's accounting.)"""
    pipeline = pipeline_from_config(
        [
            "generators=[buy_and_hold,momentum,contrarian]",
            "combiners=[combiner]",
            "allocator=[min_variance]",
            "backtest.accounting=net",
        ]
    )
    result = pipeline.run(prices)
    frames = [result.equity]
    for name, weights in result.weights.items():
        frames.append(weights.add_prefix(f"{name}:"))
    for name, exposure in result.exposures.items():
        frames.append(exposure.add_prefix(f"{name}:exposure:"))
    return pd.concat(frames, axis=1)


@register("allocator:standalone")
def _allocator_alone(prices: pd.DataFrame) -> pd.DataFrame:
    """An allocator with turnover, costs and a beta bound over the assets' own returns,
    rebalanced monthly."""
    returns = prices.dropna().pct_change().fillna(0.0)
    allocator = Allocator(
        "min_cvar", lookback=120, turnover=0.5, cost_rate=0.0005, hedge_target="SP500",
        beta_upper=0.9,
    )  # fmt: skip
    portfolio = rebalance_streams((1 + returns).cumprod(), allocator, "monthly")
    return pd.concat([portfolio.weights, portfolio.equity.rename("equity")], axis=1)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("cut", CUTS)
def test_nothing_stamped_before_a_change_depends_on_it(name, cut, us_markets_short):
    assert_no_lookahead(REGISTRY[name], us_markets_short, pd.Timestamp(cut))


def test_every_shipped_allocator_config_is_in_the_harness():
    assert "pipeline:allocators" in REGISTRY and len(ALLOCATOR_CONFIGS) >= 3


def test_every_shipped_generator_is_registered():
    assert {f"generator:{name}" for name in GENERATOR_CONFIGS} <= set(REGISTRY)
    assert len(GENERATOR_CONFIGS) >= 3


def test_the_harness_catches_a_generator_that_peeks(us_markets_short):
    def peeking(prices: pd.DataFrame) -> pd.DataFrame:
        series = prices["SP500"].dropna()
        return pd.DataFrame({"forecast": series.shift(-1) / series - 1}).fillna(0.0)

    with pytest.raises(AssertionError):
        assert_no_lookahead(peeking, us_markets_short, pd.Timestamp(CUTS[0]))
    honest = lambda prices: pd.DataFrame({"f": prices["SP500"].dropna().pct_change()})  # noqa: E731
    assert_no_lookahead(honest, us_markets_short, pd.Timestamp(CUTS[0]))
