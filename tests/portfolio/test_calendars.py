"""Periods per year from a series' own calendar; the dates each asset trades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio.calendars import asset_calendar, infer_periods_per_year
from aisfolio.portfolio.datasets import load_dataset
from aisfolio.portfolio.errors import DataError


@pytest.fixture(scope="module")
def us_markets() -> pd.DataFrame:
    return load_dataset("us_markets")


@pytest.mark.parametrize("asset", ["SP500", "NASDAQ", "WTI"])
def test_real_exchange_day_data_is_252(us_markets, asset):
    assert infer_periods_per_year(asset_calendar(us_markets, asset)) == 252.0


def test_union_calendar_is_252(us_markets):
    assert infer_periods_per_year(us_markets.index) == 252.0


def test_seven_day_data_is_365():
    assert infer_periods_per_year(pd.date_range("2020-01-01", "2021-12-31", freq="D")) == 365.0


def test_a_few_weekend_sessions_stay_252():
    days = pd.bdate_range("2020-01-01", "2020-12-31")
    extra = pd.DatetimeIndex(["2020-02-01", "2020-05-09", "2020-10-10"])  # Saturdays
    assert infer_periods_per_year(days.union(extra)) == 252.0


def test_threshold_is_ten_percent_of_calendar_days():
    weekdays = pd.bdate_range("2020-01-06", periods=90)
    saturdays = pd.date_range("2020-01-11", periods=11, freq="W-SAT")  # 11 / 101 > 10%
    assert infer_periods_per_year(weekdays.union(saturdays)) == 365.0
    assert infer_periods_per_year(weekdays.union(saturdays[:10])) == 252.0  # 10 / 100


def test_hourly_exchange_bars():
    days = pd.bdate_range("2021-01-04", periods=60)
    bars = pd.DatetimeIndex(
        [day + pd.Timedelta(hours=hour) for day in days for hour in range(10, 17)]
    )  # 7 bars a day
    assert infer_periods_per_year(bars) == 7 * 252.0


def test_hourly_crypto_bars():
    bars = pd.date_range("2021-01-01", periods=24 * 60, freq="h")
    assert infer_periods_per_year(bars) == 24 * 365.0


def test_daily_data_stamped_with_a_time_is_daily():
    days = pd.bdate_range("2021-01-04", periods=100) + pd.Timedelta(hours=16)
    assert infer_periods_per_year(days) == 252.0


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("W-FRI", 52.0), ("ME", 12.0), ("QE", 4.0), ("YE", 1.0)],
)
def test_slower_than_daily(freq, expected):
    assert infer_periods_per_year(pd.date_range("2000-01-01", periods=40, freq=freq)) == expected


def test_order_and_repeats_do_not_matter():
    days = pd.bdate_range("2020-01-01", periods=50)
    shuffled = pd.DatetimeIndex(np.random.default_rng(0).permutation(days.to_numpy()))
    assert infer_periods_per_year(shuffled) == 252.0


@pytest.mark.parametrize(
    "index",
    [pd.DatetimeIndex([]), pd.DatetimeIndex(["2020-01-01"]), pd.DatetimeIndex(["2020-01-01"] * 3)],
)
def test_fewer_than_two_dates(index):
    with pytest.raises(DataError, match="at least 2 distinct dates"):
        infer_periods_per_year(index)


def test_asset_calendar_is_where_the_asset_has_prices(us_markets):
    wti = asset_calendar(us_markets, "WTI")
    sp500 = asset_calendar(us_markets, "SP500")
    assert us_markets.loc[wti, "WTI"].notna().all()
    assert len(wti) == us_markets["WTI"].count()
    assert not wti.equals(sp500)
    assert len(sp500.difference(wti)) == 19
    assert wti.name == "date"


def test_asset_calendar_unknown_asset(us_markets):
    with pytest.raises(DataError) as caught:
        asset_calendar(us_markets, "GOLD")
    assert "'GOLD'" in str(caught.value) and "'SP500', 'NASDAQ', 'WTI'" in str(caught.value)
