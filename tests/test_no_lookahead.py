"""Every generator, ensemble and allocator under the no-look-ahead contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import conf
from portfolio import Pipeline, load_config
from portfolio.composition import build
from strategies import Strategy
from tests.lookahead import REGISTRY, assert_no_lookahead, register

STACKING_CONFIGS = sorted(p.stem for p in (Path(conf.__file__).parent / "stacking").glob("*.yaml"))
COMBINER_CONFIGS = sorted(p.stem for p in (Path(conf.__file__).parent / "combiners").glob("*.yaml"))
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
    pipeline = Pipeline.from_config(
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


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("cut", CUTS)
def test_nothing_stamped_before_a_change_depends_on_it(name, cut, us_markets_short):
    assert_no_lookahead(REGISTRY[name], us_markets_short, pd.Timestamp(cut))


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
