"""Trading calendars: the periods per year of a series and the dates each asset trades."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.portfolio.errors import DataError

__all__ = [
    "EXCHANGE_DAYS_PER_YEAR",
    "SEVEN_DAYS_PER_YEAR",
    "SEVEN_DAY_SHARE",
    "asset_calendar",
    "infer_periods_per_year",
]

#: Periods per year of exchange-day (Monday to Friday) data.
EXCHANGE_DAYS_PER_YEAR = 252.0
#: Periods per year of seven-day (24/7, e.g. crypto) data.
SEVEN_DAYS_PER_YEAR = 365.0
#: A series is seven-day when more than this share of its calendar days are weekend days.
SEVEN_DAY_SHARE = 0.10

# Daily-or-slower series whose median gap between dates (in days) falls in a band get
# the conventional count of that frequency.
_LOW_FREQUENCIES = (
    (5.0, 9.0, 52.0),  # weekly
    (25.0, 35.0, 12.0),  # monthly
    (80.0, 100.0, 4.0),  # quarterly
    (350.0, 380.0, 1.0),  # yearly
)


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Infer how many periods (bars) a year holds from the dates of a series.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        The dates of the series (missing dates are ignored; the order does not matter).

    Returns
    -------
    float
        Periods per year, by these rules, applied to the distinct calendar days:

        1. Seven-day or exchange-day: the series is *seven-day* (24/7 trading, such as
           crypto) when more than 10% (:data:`SEVEN_DAY_SHARE`) of its calendar days
           are Saturdays or Sundays; it then counts 365 days a year. Otherwise it is
           *exchange-day* data with 252 days a year (a few weekend sessions do not
           change that).
        2. Intraday: when the median number of bars per calendar day is above one,
           the result is that median times 365 or 252 by rule 1 (hourly bars of a
           stock exchange open 7 hours a day: 7 x 252 = 1764; hourly crypto bars:
           24 x 365 = 8760).
        3. Slower than daily: when the median gap between consecutive calendar days is
           over 4 days, weekly data (gap 5-9 days) give 52, monthly (25-35) 12,
           quarterly (80-100) 4 and yearly (350-380) 1; any other gap ``g`` gives
           ``365.25 / g``.

    Raises
    ------
    DataError
        If there are fewer than 2 distinct dates.
    """
    stamps = pd.DatetimeIndex(index).dropna().unique()
    if stamps.size < 2:
        raise DataError(
            f"need at least 2 distinct dates to infer the periods per year, got {stamps.size}"
        )
    days = stamps.normalize()
    bars_per_day = float(np.median(days.value_counts().to_numpy()))
    calendar_days = days.unique().sort_values()
    weekend_share = float(np.mean(calendar_days.day_of_week >= 5))
    days_per_year = (
        SEVEN_DAYS_PER_YEAR if weekend_share > SEVEN_DAY_SHARE else EXCHANGE_DAYS_PER_YEAR
    )
    if bars_per_day > 1:
        return bars_per_day * days_per_year
    if calendar_days.size >= 2:
        gap = float(np.median(np.diff(calendar_days.to_numpy()) / np.timedelta64(1, "D")))
        if gap > 4:
            for low, high, periods in _LOW_FREQUENCIES:
                if low <= gap <= high:
                    return periods
            return 365.25 / gap
    return days_per_year


def asset_calendar(prices: pd.DataFrame, asset: str) -> pd.DatetimeIndex:
    """The dates on which an asset has a price.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price frame (dates x assets, ``NaN`` = no price that day).
    asset : str
        A column of ``prices``.

    Returns
    -------
    pandas.DatetimeIndex
        The subset of ``prices.index`` where ``asset`` is not missing.

    Raises
    ------
    DataError
        If ``asset`` is not a column of ``prices``; the message lists the assets.
    """
    if asset not in prices.columns:
        listing = ", ".join(repr(str(name)) for name in prices.columns)
        raise DataError(f"unknown asset {asset!r}; assets: {listing}", column=str(asset))
    return prices.index[prices[asset].notna().to_numpy()]
