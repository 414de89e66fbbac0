import numpy as np
import pandas as pd
import pytest

from aisfolio.strategies.schedule import period_starts, schedule_positions


def test_quarter_starts_are_first_trading_days_of_jan_apr_jul_oct(sp500):
    index = sp500.loc["2004"].index
    starts = index[period_starts(index, "quarterly")]
    assert list(starts.strftime("%Y-%m-%d")) == ["2004-04-01", "2004-07-01", "2004-10-01"]
    # 2004-01-02 is the first bar of the slice: unknown whether it opens a quarter.
    full = sp500.index
    assert pd.Timestamp("2004-01-02") in full[period_starts(full, "quarterly")]


def test_first_bar_is_never_a_period_start():
    index = pd.date_range("2020-01-01", periods=10, freq="D")
    assert not period_starts(index, "monthly")[0]


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [("every_bar", [3, 4, 5, 6, 7, 8, 9]), ("every_k", [3, 6, 9]), ("never", [3])],
)
def test_bar_schedules(frequency, expected):
    index = pd.date_range("2020-01-01", periods=10, freq="B")
    assert list(schedule_positions(index, frequency, first=3, every=3)) == expected


def test_calendar_schedule_starts_at_first_and_keeps_later_period_starts():
    index = pd.bdate_range("2019-12-02", "2020-07-31")
    positions = schedule_positions(index, "quarterly", first=5)
    dates = index[positions].strftime("%Y-%m-%d").tolist()
    assert dates == ["2019-12-09", "2020-01-01", "2020-04-01", "2020-07-01"]


def test_unknown_frequency_is_named():
    with pytest.raises(ValueError, match="fortnightly"):
        schedule_positions(pd.date_range("2020", periods=3), "fortnightly")


def test_first_beyond_end_gives_nothing():
    assert schedule_positions(pd.date_range("2020", periods=3), "yearly", first=5).size == 0
    assert schedule_positions(pd.date_range("2020", periods=3), "yearly", first=1).dtype == np.int64
