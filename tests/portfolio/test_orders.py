"""Orders are targets minus holdings; minimum trade, units, notional, turnover and cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.app.rebalancing import RebalanceSettings
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.holdings import Holdings
from aisfolio.portfolio.orders import compute_orders
from aisfolio.portfolio.targets import Targets

ASSETS = ["SP500", "NASDAQ", "WTI"]
PRICES = pd.Series([1000.0, 2000.0, 50.0], index=ASSETS)


def targets(exposure, streams=None):
    streams = streams if streams is not None else pd.Series({"SP500/ensemble_I": 1.0})
    return Targets(
        "x", pd.Timestamp("2018-12-31"), streams, pd.Series(exposure, index=ASSETS), "test"
    )


def holdings(weights, level="asset", **columns):
    table = pd.DataFrame({"weight": weights, **columns}).rename_axis(level)
    table["line"] = range(2, 2 + len(table))
    return Holdings(level, table, "current.csv")


weight = st.floats(-1.5, 1.5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    target=st.lists(weight, min_size=3, max_size=3),
    held=st.dictionaries(st.sampled_from(ASSETS), weight, max_size=3),
    min_trade=st.sampled_from([0.0, 0.01, 0.1]),
    cost_rate=st.sampled_from([0.0, 0.0005, 0.002]),
)
def test_orders_are_targets_minus_holdings(target, held, min_trade, cost_rate):
    orders = compute_orders(
        targets(target), holdings(held), PRICES, min_trade=min_trade, cost_rate=cost_rate
    )
    current = pd.Series(held, dtype=float).reindex(ASSETS).fillna(0.0)
    raw = np.asarray(target) - current.to_numpy()
    small = (np.abs(raw) < min_trade) & (raw != 0)
    np.testing.assert_allclose(orders.table["order"], np.where(small, 0.0, raw))
    np.testing.assert_array_equal(orders.table["below minimum"], small)
    np.testing.assert_allclose(orders.table["current"], current)
    turnover = np.abs(np.where(small, 0.0, raw)).sum()
    assert orders.summary["expected turnover"] == pytest.approx(turnover)
    assert orders.summary["expected cost"] == pytest.approx(cost_rate * turnover)
    assert orders.summary["expected cost"] >= 0


def test_units_and_notional_follow_from_units_held():
    # 30 units of SP500 at 1000 and 10 of WTI at 50 are worth 30 500, 61% of 50 000.
    held = holdings({"SP500": 0.6, "WTI": 0.01}, units={"SP500": 30.0, "WTI": 10.0})
    orders = compute_orders(targets([0.5, 0.5, 0.0]), held, PRICES).table
    capital = (30 * 1000 + 10 * 50) / 0.61
    assert orders.loc["NASDAQ", "order notional"] == pytest.approx(0.5 * capital)
    assert orders.loc["NASDAQ", "units"] == pytest.approx(0.5 * capital / 2000)
    # Closing WTI sells every unit held; SP500 goes to half the capital.
    assert orders.loc["WTI", "units"] == pytest.approx(-10.0)
    assert orders.loc["SP500", "units"] == pytest.approx((0.5 * capital - 30_000) / 1000)


def test_a_configured_capital_and_stream_holdings():
    streams = pd.Series({"SP500/ensemble_I": 0.5, "WTI/ensemble_I": 0.5})
    held = holdings({"SP500/ensemble_I": 0.7, "WTI/ensemble_I": 0.3}, level="stream")
    orders = compute_orders(targets([0, 0, 0], streams), held, PRICES, capital=1e6)
    np.testing.assert_allclose(orders.table["order"], [-0.2, 0.2])
    np.testing.assert_allclose(orders.table["order notional"], [-2e5, 2e5])
    assert "units" not in orders.table  # streams have no price


def test_unknown_names_in_holdings_are_refused_with_their_line():
    with pytest.raises(
        DataError, match=r"current\.csv, line 3, column 'asset': unknown asset 'GOLD'"
    ):
        compute_orders(targets([0, 0, 0]), holdings({"SP500": 0.5, "GOLD": 0.5}), PRICES)


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("min_trade", -0.1, "min_trade"),
        ("capital", 0, "capital"),
        ("as_of", "someday", "as_of"),
    ],
)
def test_bad_settings_name_the_key(field, value, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        RebalanceSettings(**{field: value})


@pytest.mark.parametrize(
    ("weights", "columns", "fragments"),
    [
        ({"SP500": 0.5}, {"notional": {"SP500": -100.0}}, ["weight 0.5 is long", "(short)"]),
        ({"SP500": 0.0}, {"units": {"SP500": 100.0}}, ["weight 0, but the position is worth"]),
        ({"WTI": -0.2}, {"units": {"WTI": 0.0}}, ["weight -0.2, but the position is worth 0"]),
    ],
)
def test_a_weight_that_contradicts_its_position_is_refused_with_its_line(
    weights, columns, fragments
):
    held = holdings(weights, **columns)
    with pytest.raises(DataError) as error:
        compute_orders(targets([0.5, 0.5, 0.0]), held, PRICES)
    message = str(error.value)
    for fragment in ["current.csv", "line 2", *fragments]:
        assert fragment in message, (fragment, message)


def test_weights_beyond_the_portfolio_and_values_far_from_them_are_noted(caplog):
    levered = compute_orders(targets([0.5, 0.5, 0.0]), holdings({"SP500": 4.0, "WTI": 1.0}), PRICES)
    assert "add up to 5" in levered.summary["holdings notes"]
    # 10 units of SP500 (10 000) and 100 of WTI (5 000) cannot be 50% and 50% of one value.
    held = holdings({"SP500": 0.5, "WTI": 0.5}, units={"SP500": 10.0, "WTI": 100.0})
    noted = compute_orders(targets([0.5, 0.5, 0.0]), held, PRICES).summary["holdings notes"]
    assert (
        "line 2 (SP500): weight 0.5, but its position is 0.6667 of the portfolio's value 15000"
        in noted
    )
    assert "line 3 (WTI): weight 0.5, but its position is 0.3333" in noted
    assert sum("holdings current.csv" in r.getMessage() for r in caplog.records) == 3
    consistent = holdings({"SP500": 0.5, "WTI": 0.5}, units={"SP500": 10.0, "WTI": 200.0})
    assert (
        compute_orders(targets([0.5, 0.5, 0.0]), consistent, PRICES).summary["holdings notes"] == ""
    )
