"""The paper's measures on equity lines computed by hand."""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisfolio.portfolio import metrics as m
from aisfolio.portfolio.measures import traded_notional

RISING = [100.0, 110.0, 99.0, 121.0]  # +10%, -10%, +22.2%
FALLING = [100.0, 90.0, 95.0, 80.0]


def test_annualized_return_uses_n_points():
    assert m.annualized_return(RISING, 1) == pytest.approx(1.21**0.25 - 1)
    assert m.annualized_return(RISING, 252) == pytest.approx(1.21 ** (252 / 4) - 1)


def test_annualized_volatility_is_the_sample_std_of_simple_returns():
    returns = [0.1, -0.1, 121 / 99 - 1]
    assert m.annualized_volatility(RISING, 252) == pytest.approx(
        statistics.stdev(returns) * math.sqrt(252)
    )


def test_max_drawdown_is_the_largest_fall_from_a_peak():
    assert m.max_drawdown(RISING) == pytest.approx(0.1)
    assert m.max_drawdown(FALLING) == pytest.approx(0.2)
    assert m.max_drawdown([1, 2, 3]) == 0.0


def test_max_loss_duration_counts_the_longest_spell_below_a_peak_in_years():
    # Below the peak of 2.0 for two bars, then below 2.1 for three bars until the end.
    equity = [1.0, 2.0, 1.5, 1.8, 2.1, 1.0, 1.2, 1.1]
    assert m.max_loss_duration(equity, 2) == pytest.approx(3 / 2)
    assert m.max_loss_duration([1.0, 0.5, 0.7, 1.0, 1.1], 1) == pytest.approx(2.0)
    assert m.max_loss_duration([1.0, 1.0, 1.2], 252) == 0.0


def test_information_ratios_on_a_rising_line():
    arc = 1.21**0.25 - 1
    asd = statistics.stdev([0.1, -0.1, 121 / 99 - 1])
    assert m.information_ratio(RISING, 1) == pytest.approx(arc / asd)
    assert m.information_ratio_2(RISING, 1) == pytest.approx(arc / asd * arc / 0.1)
    assert m.information_ratio_3(RISING, 1) == pytest.approx(arc**3 / (asd * 0.1 * 1.0))


def test_ir2_keeps_the_sign_of_a_negative_return():
    arc = 0.8**0.25 - 1
    asd = statistics.stdev([-0.1, 95 / 90 - 1, 80 / 95 - 1])
    ir2 = m.information_ratio_2(FALLING, 1)
    assert arc < 0 and ir2 < 0
    assert ir2 == pytest.approx((arc / asd) * abs(arc) / 0.2)
    # A naive aRC^2 / (aSD * MD) would be positive: the sign must come from aRC.
    assert ir2 == pytest.approx(-(arc**2) / (asd * 0.2))


def test_undefined_ratios_are_nan():
    assert math.isnan(m.information_ratio_2([1.0, 1.1, 1.2], 252))  # no drawdown
    assert math.isnan(m.information_ratio([1.0, 1.0, 1.0], 252))  # no volatility


def test_sharpe_sortino_calmar():
    r = np.array([0.1, -0.1, 121 / 99 - 1])
    assert m.sharpe_ratio(RISING, 4) == pytest.approx(r.mean() / r.std(ddof=1) * 2)
    assert m.sortino_ratio(RISING, 4) == pytest.approx(r.mean() * 2 / math.sqrt(0.01 / 3))
    assert m.calmar_ratio(RISING, 1) == pytest.approx((1.21**0.25 - 1) / 0.1)


def test_turnover_and_trades_from_positions():
    positions = [1.0, 1.0, -1.0, 0.0, 0.0, 1.0]
    traded = traded_notional(positions)
    np.testing.assert_array_equal(traded, [1, 0, 2, 1, 0, 1])
    assert m.number_of_trades(positions) == 4
    assert m.turnover(traded, 3) == pytest.approx(5 / 2)


def test_summarize_has_every_label():
    values = m.summarize(RISING, 252, traded=[1, 0, 0, 0], trades=1)
    assert tuple(values) == m.METRIC_LABELS
    assert values["trades"] == 1


@pytest.mark.parametrize("bad", [[1.0], [1.0, float("nan"), 2.0]])
def test_bad_equity_lines(bad):
    with pytest.raises(ValueError, match="equity line"):
        m.max_drawdown(bad)


@given(st.lists(st.floats(0.5, 1.5), min_size=2, max_size=200))
def test_drawdown_and_duration_bounds(growth):
    equity = np.cumprod(growth)
    assert 0.0 <= m.max_drawdown(equity) < 1.0
    assert 0.0 <= m.max_loss_duration(equity, 1) <= len(equity) - 1
