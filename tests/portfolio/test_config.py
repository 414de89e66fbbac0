import pytest
from omegaconf import OmegaConf

from portfolio import ConfigError, build, load_config
from portfolio.config import schema_of, validate_config
from strategies import Momentum, WalkForward


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
            "generators.momentum",
            "refit must be one of",
        ),
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
