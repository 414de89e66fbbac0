import numpy as np
import pandas as pd
import pytest

from aisfolio.strategies import BuyAndHold, Contrarian, Momentum, SignalRule, Strategy, WalkForward


def test_momentum_is_long_after_a_non_negative_return_and_contrarian_is_its_opposite(sp500):
    prices = sp500.loc["2010"]
    momentum = Strategy(Momentum(1), SignalRule(on_tie="long"), WalkForward(min_train=2)).run(
        prices
    )
    contrarian = Strategy(Contrarian(1), SignalRule(on_tie="short"), WalkForward(min_train=2)).run(
        prices
    )
    last_return = prices.diff()
    expected = np.where(last_return >= 0, 1.0, -1.0)
    expected[0] = np.nan
    np.testing.assert_array_equal(momentum.positions.to_numpy(), expected)
    np.testing.assert_array_equal(contrarian.positions.to_numpy()[1:], -expected[1:])


def test_flat_price_makes_momentum_long_and_contrarian_short():
    prices = pd.Series([10.0, 10.0, 11.0], index=pd.date_range("2020-01-01", periods=3))
    momentum = Strategy(Momentum(1), SignalRule(on_tie="long")).run(prices).positions
    contrarian = Strategy(Contrarian(1), SignalRule(on_tie="short")).run(prices).positions
    assert momentum.iloc[1] == 1.0 and contrarian.iloc[1] == -1.0


def test_momentum_lookback_uses_the_k_bar_return(sp500):
    prices = sp500.iloc[:60]
    forecasts = Strategy(Momentum(5)).run(prices).forecasts
    expected = prices / prices.shift(5) - 1
    assert forecasts.iloc[:5].isna().all()
    np.testing.assert_allclose(forecasts.iloc[5:], expected.iloc[5:])


def test_vectorized_block_equals_the_bar_by_bar_default(sp500):
    prices = sp500.iloc[:80]
    generator = Momentum(3)
    block = generator.predict_block(prices, 40)
    one_by_one = [generator.predict_block(prices.iloc[: 40 + i + 1], 1)[0] for i in range(40)]
    np.testing.assert_allclose(block, one_by_one)


def test_momentum_works_on_negative_prices():
    prices = pd.Series([20.0, 10.0, -37.0, -10.0], index=pd.date_range("2020-04-16", periods=4))
    forecasts = Momentum(1).predict_block(prices, 3)
    np.testing.assert_allclose(forecasts, [-0.5, -4.7, 27 / 37])


def test_buy_and_hold_is_always_long(sp500):
    positions = Strategy(BuyAndHold(), SignalRule()).run(sp500.iloc[:30]).positions
    assert (positions == 1.0).all()


@pytest.mark.parametrize("lookback", [0, -1, 1.5, "2"])
def test_bad_lookback(lookback):
    with pytest.raises(ValueError, match="lookback"):
        Momentum(lookback)


def test_clone_drops_learned_state_and_keeps_parameters():
    generator = Momentum(4)
    generator.fitted_ = 1
    copy = generator.clone()
    assert copy.get_params() == {"lookback": 4}
    assert not hasattr(copy, "fitted_")
    assert repr(copy) == "Momentum(lookback=4)"
