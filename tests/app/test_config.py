import pytest
from omegaconf import OmegaConf

from aisfolio.app.composition import build, load_config
from aisfolio.app.config import schema_of, validate_config
from aisfolio.portfolio import ConfigError
from aisfolio.strategies import Momentum, WalkForward


def test_the_default_config_builds_the_paper_run():
    parts = build(load_config())
    assert list(parts.pipeline.strategies) == ["buy_and_hold", "momentum", "contrarian", "lstm"]
    assert parts.pipeline.backtest.cost_rate == 0.0005
    assert parts.pipeline.ensembles.rebalance == "quarterly"
    assert parts.source.dataset == "us_markets"


def test_schemas_follow_the_class_signatures():
    assert schema_of(Momentum)().lookback == 1
    assert schema_of(WalkForward)().refit == "yearly"


@pytest.mark.parametrize(
    ("override", "key", "message"),
    [
        (
            "+generators.momentum.generator.lookbak=3",
            "generators.momentum.generator.lookbak",
            "its keys are: lookback",
        ),
        (
            "generators.momentum.generator.lookback=abc",
            "generators.momentum.generator.lookback",
            "Integer",
        ),
        ("+data.date_colum=x", "data.date_colum", "unknown key for PriceSource"),
        ("backtest._target_=portfolio.Nothing", "backtest", "cannot import"),
        (
            "generators.momentum.walk_forward.refit=hourly",
            "generators.momentum.walk_forward",
            "refit must be one of",
        ),
        ("backtest.cost_rate=-1", "backtest.cost_rate", "must be >= 0"),
    ],
)
def test_config_errors_name_the_key(override, key, message):
    with pytest.raises(ConfigError, match=message) as caught:
        build(load_config([override]))
    assert caught.value.key == key


def test_a_typo_in_an_override_is_a_config_error():
    with pytest.raises(ConfigError, match="lookbak"):
        load_config(["generators.momentum.generator.lookbak=3"])


def test_nodes_without_target_are_left_alone():
    validate_config(OmegaConf.create({"free": {"anything": [1, {"x": 2}]}}))


def test_a_generator_configured_but_not_selected_is_named():
    overrides = ["generators=[buy_and_hold,momentum]", "+generators.arima_garch.generator.max_p=5"]
    with pytest.raises(ConfigError, match=r"generators\.arima_garch.*not selected"):
        build(load_config(overrides))


def test_the_paper_experiment_builds_the_papers_protocol(tmp_path):
    prices = tmp_path / "paper.csv"
    prices.write_text("date,SPY,BTC,GLD,UNG,WHEAT\n")
    parts = build(load_config(["experiment=paper", f"data.path={prices}"]))
    strategies = parts.pipeline.strategies
    assert list(strategies) == [
        "buy_and_hold", "lstm_paper", "arima_garch_paper", "momentum", "contrarian"
    ]  # fmt: skip
    arima = strategies["arima_garch_paper"].generator
    assert (arima.max_p, arima.max_q, arima.refit_every, arima.criterion) == (5, 5, 1, "aic")
    lstm = strategies["lstm_paper"].generator
    assert (lstm.hidden_sizes, lstm.epochs, lstm.activation) == ((512, 256, 128), 300, "relu")
    assert parts.pipeline.backtest.align == "per_asset"
    assert parts.pipeline.ensembles.hedge_base == "SP500"
    assert parts.source.columns == {"SPY": "SP500", "BTC": "BTC", "GLD": "GOLD",
                                    "UNG": "NATGAS", "WHEAT": "WHEAT"}  # fmt: skip


def test_a_nested_node_names_its_full_key():
    overrides = ["allocator=min_variance", "allocator.min_variance.allocator.lookback=1"]
    with pytest.raises(ConfigError, match="must be an integer >= 2") as caught:
        build(load_config(overrides))
    assert caught.value.key == "allocator.min_variance.allocator.lookback"
