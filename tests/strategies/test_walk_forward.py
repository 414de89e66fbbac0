from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.strategies import Generator, Momentum, WalkForward
from aisfolio.strategies.schedule import FREQUENCIES


class RecordingGenerator(Generator):
    """Remembers the window it was fitted on; forecasts that window's last price."""

    fits: ClassVar[list[tuple[pd.Timestamp, pd.Timestamp]]] = []

    def fit(self, train):
        RecordingGenerator.fits.append((train.index[0], train.index[-1]))
        self.last_ = float(train.iloc[-1])
        return self

    def predict(self, history):
        return self.last_


def test_expanding_yearly_refits_on_the_first_bar_of_each_year(sp500):
    RecordingGenerator.fits = []
    prices = sp500.loc["2001":"2003"]
    forecasts = WalkForward(min_train=200, refit="yearly").run(RecordingGenerator(), prices)
    starts = {fit[0] for fit in RecordingGenerator.fits}
    ends = [fit[1].strftime("%Y-%m-%d") for fit in RecordingGenerator.fits]
    assert starts == {prices.index[0]}
    assert ends == [prices.index[199].strftime("%Y-%m-%d"), "2002-01-02", "2003-01-02"]
    assert forecasts.iloc[:199].isna().all() and forecasts.iloc[199:].notna().all()
    # Between refits the forecast is the refit bar's price: nothing later was seen.
    assert forecasts.loc["2002-06-03"] == prices.loc["2002-01-02"]


def test_rolling_window_keeps_train_size_bars(sp500):
    RecordingGenerator.fits = []
    prices = sp500.iloc[:300]
    WalkForward(window="rolling", train_size=100, min_train=100, refit="every_k", every=50).run(
        RecordingGenerator(), prices
    )
    for start, end in RecordingGenerator.fits:
        assert prices.index.get_loc(end) - prices.index.get_loc(start) + 1 == 100


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(5, 400),
    refit=st.sampled_from(FREQUENCIES),
    every=st.integers(1, 30),
    window=st.sampled_from(["expanding", "rolling"]),
    train_size=st.integers(1, 50),
    min_train=st.integers(1, 60),
)
def test_plan_covers_each_decision_once_and_trains_only_on_the_past(
    n, refit, every, window, train_size, min_train
):
    index = pd.bdate_range("2015-11-02", periods=n)
    plan = WalkForward(window, train_size, min_train, refit, every).plan(index, Momentum(1))
    covered = np.concatenate([np.arange(c.refit, c.stop) for c in plan]) if plan else np.array([])
    first = max(min_train, 2) - 1
    assert list(covered) == list(range(first, n))
    for chunk in plan:
        assert chunk.train_start <= chunk.refit < chunk.stop
        if window == "rolling":
            assert chunk.refit - chunk.train_start + 1 <= train_size


@pytest.mark.parametrize(
    "bad", [{"window": "sliding"}, {"refit": "hourly"}, {"window": "rolling"}, {"min_train": 0}]
)
def test_bad_settings_are_named(bad):
    with pytest.raises(ValueError, match=r"window|refit|train_size|min_train"):
        WalkForward(**bad)


def test_wrong_forecast_shape_is_reported(sp500):
    class Broken(Generator):
        def predict_block(self, history, n):
            return np.zeros(n + 1)

    with pytest.raises(ValueError, match=r"Broken\.predict_block returned shape"):
        WalkForward().run(Broken(), sp500.iloc[:20])
