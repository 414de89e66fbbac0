"""Targets of a line: the rule's weights at the last close, and the asset exposure."""

from __future__ import annotations

import pytest

from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.targets import LineTargets, asset_exposure, default_benchmark, default_line


def test_hedge_targets_and_their_net_exposure(run_result):
    line = default_line(run_result)
    assert run_result.metrics.loc[line, "kind"] == "hedge"
    targets = LineTargets(line).targets(run_result)
    assert targets.streams.to_dict() == pytest.approx(dict.fromkeys(targets.streams.index, 0.5))
    positions = run_result.positions.ffill().iloc[-1]
    expected = dict.fromkeys(map(str, run_result.prices.columns), 0.0)
    for member, weight in targets.streams.items():
        components = run_result.lines[member].targets.iloc[-1]
        for component, share in components.items():
            ais = run_result.lines[component]  # names hold the hostile '/': never split them
            expected[ais.asset] += weight * share * positions[(ais.asset, ais.strategy)]
    assert targets.assets.to_dict() == pytest.approx(expected)


def test_an_ais_line_is_held_alone(run_result):
    targets = LineTargets("SP500/momentum").targets(run_result)
    assert targets.streams.to_dict() == {"SP500/momentum": 1.0}
    position = run_result.positions[("SP500", "momentum")].dropna().iloc[-1]
    assert asset_exposure(run_result, targets.streams)["SP500"] == position
    assert default_benchmark(run_result, "SP500/momentum") == "SP500/buy_and_hold"


def test_an_unknown_line_names_the_key(run_result):
    with pytest.raises(ConfigError, match=r"config key 'line'"):
        LineTargets("hedge/none").targets(run_result)
