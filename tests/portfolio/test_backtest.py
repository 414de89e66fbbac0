import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisfolio.portfolio.backtest import backtest_exposure, backtest_positions
from aisfolio.portfolio.errors import DataError


def _series(values, start="2021-01-04"):
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), dtype=float)


def test_hand_computed_returns_with_costs():
    prices = _series([100.0, 110.0, 99.0, 99.0, 108.9])
    positions = _series([1.0, -1.0, -1.0, 1.0, 1.0])
    result = backtest_positions(prices, positions, cost_rate=0.001)
    # Entry at bar 0 costs 0.1% of 1 unit; the flips at bars 1 and 3 cost 2 units each.
    np.testing.assert_allclose(result.returns, [0.0, 0.1 - 0.001, 0.1 - 0.002, 0.0, 0.1 - 0.002])
    np.testing.assert_allclose(result.costs, [0.0, 0.001, 0.002, 0.0, 0.002])
    np.testing.assert_allclose(result.equity, np.cumprod([1.0, 1.099, 1.098, 1.0, 1.098]))
    assert result.trades == 3


def test_start_cuts_history_and_enters_from_flat():
    prices = _series([100.0, 101.0, 102.0, 100.0])
    positions = _series([np.nan, 1.0, 1.0, 1.0])
    result = backtest_positions(prices, positions, 0.0005, start=prices.index[1])
    assert result.equity.index[0] == prices.index[1] and result.equity.iloc[0] == 1.0
    np.testing.assert_allclose(result.returns.iloc[1], 102 / 101 - 1 - 0.0005)


def test_negative_prices_earn_on_the_absolute_notional():
    prices = _series([20.0, -37.0, -10.0])
    result = backtest_positions(prices, _series([1.0, 1.0, 1.0]), 0.0)
    np.testing.assert_allclose(result.returns, [0.0, -57 / 20, 27 / 37])


def test_zero_previous_price_is_reported():
    with pytest.raises(DataError, match="not finite"):
        backtest_positions(_series([1.0, 0.0, 1.0]), _series([1.0, 1.0, 1.0]), 0.0)


def test_negative_cost_rate_is_refused():
    with pytest.raises(ValueError, match="cost_rate"):
        backtest_positions(_series([1.0, 2.0]), _series([1.0, 1.0]), -0.1)


@given(
    st.lists(st.floats(0.8, 1.25), min_size=3, max_size=80),
    st.data(),
    st.floats(0.0, 0.01),
)
def test_costs_are_never_negative_and_only_reduce_returns(growth, data, cost_rate):
    prices = _series(100 * np.cumprod(growth))
    positions = _series(
        data.draw(
            st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=len(growth), max_size=len(growth))
        )
    )
    with_costs = backtest_positions(prices, positions, cost_rate)
    free = backtest_positions(prices, positions, 0.0)
    assert (with_costs.costs >= 0).all()
    assert (with_costs.returns <= free.returns + 1e-15).all()
    np.testing.assert_allclose(free.returns - with_costs.returns, with_costs.costs, atol=1e-15)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ([10.0, 1e-300, 1e300, 1e300], "from 1e-300 on 2021-01-05 to 1e+300 (the ratio"),
        ([10.0, 0.0, 5.0, 5.0], "from 0 on 2021-01-05 to 5 (a zero price has no return)"),
    ],
)
def test_a_return_beyond_floating_point_names_both_prices(values, why):
    prices = _series(values).rename("WTI")
    with pytest.raises(DataError, match=r"column 'WTI'.*on 2021-01-06 is not finite") as error:
        backtest_positions(prices, _series([1.0] * 4), cost_rate=0.0)
    assert why in str(error.value)


def test_net_exposure_is_each_assets_backtest_summed_on_the_lines_calendar():
    """Two assets on their own calendars (B does not trade on the third bar): each is
    booked by backtest_positions, the returns are added on the line's calendar."""
    index = pd.bdate_range("2021-01-04", periods=5)
    prices = pd.DataFrame(
        {"A": [100.0, 110.0, 99.0, 99.0, 108.9], "B": [50.0, 55.0, np.nan, 44.0, 44.0]},
        index=index,
    )
    exposure = pd.DataFrame(
        {"A": [0.5, 0.5, -0.5, -0.5, 0.0], "B": [0.25, 0.25, -0.25, -0.25, -0.25]}, index=index
    )
    result = backtest_exposure(prices, exposure, cost_rate=0.001)
    a = [0.0, 0.05 - 0.0005, -0.05, 0.0 - 0.001, -0.05]
    # B's decision of bar 2 (a day it does not trade) is traded on bar 3.
    b = [0.0, 0.025 - 0.00025, 0.0, -0.05, 0.0 - 0.0005]
    np.testing.assert_allclose(result.returns, np.add(a, b), atol=1e-15)
    np.testing.assert_allclose(result.costs, [0.0, 0.00075, 0.0, 0.001, 0.0005], atol=1e-15)
    np.testing.assert_allclose(result.traded, [0.75, 0.0, 1.0, 0.5, 0.5])
    np.testing.assert_allclose(result.equity, np.cumprod(1.0 + np.add(a, b)))
    assert result.positions.loc[index[2], "B"] == 0.25  # carried: B did not trade


def test_positions_that_cancel_cost_nothing():
    prices = _series([100.0, 101.0, 99.0, 102.0]).to_frame("A")
    exposure = pd.DataFrame({"A": 0.5 * np.array([1, -1, 1, 1]) - 0.5 * np.array([1, -1, 1, 1])})
    exposure.index = prices.index
    result = backtest_exposure(prices, exposure, cost_rate=0.01)
    assert (result.returns == 0.0).all() and (result.traded == 0.0).all()
    assert (result.equity == 1.0).all()
