"""Embedded data sets: real prices from arch.data, each asset on its own calendar."""

from __future__ import annotations

import arch.data.nasdaq
import arch.data.sp500
import arch.data.wti
import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio import datasets
from aisfolio.portfolio.datasets import list_datasets, load_dataset
from aisfolio.portfolio.errors import DataError

ARCH = {
    "SP500": (arch.data.sp500, "Close"),
    "NASDAQ": (arch.data.nasdaq, "Close"),
    "WTI": (arch.data.wti, "DCOILWTICO"),
}


def arch_prices(asset: str, start: str | None = "1999-01-01", end: str | None = "2018-12-31"):
    module, column = ARCH[asset]
    series = module.load()[column].loc[start:end]
    return series.dropna()


@pytest.fixture(scope="module")
def us_markets() -> pd.DataFrame:
    return load_dataset("us_markets")


def test_list_datasets_names_and_one_line_descriptions():
    listing = list_datasets()
    assert {"us_markets", "sp500", "nasdaq", "wti"} <= set(listing)
    for description in listing.values():
        assert isinstance(description, str) and description and "\n" not in description


def test_us_markets_shape_and_index(us_markets):
    assert list(us_markets.columns) == ["SP500", "NASDAQ", "WTI"]
    index = us_markets.index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.name == "date"
    assert index.dtype == np.dtype("datetime64[ns]")
    assert index.tz is None
    assert index[0] == pd.Timestamp("1999-01-04")
    assert index[-1] == pd.Timestamp("2018-12-31")
    assert index.is_monotonic_increasing and index.is_unique
    assert (index == index.normalize()).all()
    assert (us_markets.dtypes == np.float64).all()
    assert us_markets.notna().any(axis=1).all()  # no all-empty dates


@pytest.mark.parametrize("asset", ["SP500", "NASDAQ", "WTI"])
def test_us_markets_equals_arch_data_without_filling(us_markets, asset):
    ours = us_markets[asset].dropna()
    theirs = arch_prices(asset)
    np.testing.assert_array_equal(ours.index.to_numpy(), theirs.index.as_unit("ns").to_numpy())
    np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy())


def test_us_markets_index_is_union_of_asset_calendars(us_markets):
    union = pd.DatetimeIndex([])
    for asset in ARCH:
        union = union.union(arch_prices(asset).index.as_unit("ns"))
    assert us_markets.index.equals(union)
    assert len(us_markets) == 5039


def test_wti_keeps_its_own_calendar(us_markets):
    exchange_only = us_markets["SP500"].notna() & us_markets["WTI"].isna()
    assert exchange_only.sum() == 19
    assert (us_markets["WTI"].notna() & us_markets["SP500"].isna()).sum() == 8
    raw_wti = arch.data.wti.load()["DCOILWTICO"]
    for day in us_markets.index[exchange_only]:
        # arch lists these WTI days as empty (or not at all); we never forward-fill them
        assert day not in raw_wti.index or np.isnan(raw_wti.loc[day])
    # 1999-01-18 (Martin Luther King day): WTI quoted empty, equities closed -> no row
    assert pd.Timestamp("1999-01-18") not in us_markets.index
    assert np.isnan(raw_wti.loc["1999-01-18"])


def test_single_asset_datasets_match_arch():
    for name, asset in [("sp500", "SP500"), ("nasdaq", "NASDAQ"), ("wti", "WTI")]:
        frame = load_dataset(name)
        assert list(frame.columns) == [asset]
        theirs = arch_prices(asset, None, None)
        np.testing.assert_array_equal(frame[asset].to_numpy(), theirs.to_numpy())
        assert frame.index.dtype == np.dtype("datetime64[ns]")
    wti = load_dataset("wti")
    assert wti.index[0] == pd.Timestamp("1986-01-02")
    assert wti["WTI"].notna().all()


def test_unknown_dataset_lists_available_names():
    with pytest.raises(DataError) as caught:
        load_dataset("ftse")
    message = str(caught.value)
    assert "'ftse'" in message
    for name in list_datasets():
        assert name in message


def test_load_returns_independent_copies():
    first = load_dataset("sp500")
    first.iloc[0, 0] = -1.0
    assert load_dataset("sp500").iloc[0, 0] > 0


def test_datasets_go_through_validation(monkeypatch):
    def bad_table() -> pd.DataFrame:
        dates = pd.date_range("2000-01-03", periods=5, freq="B")
        return pd.DataFrame({"date": dates, "X": [1.0, 2.0, -3.0, 4.0, 5.0]})

    monkeypatch.setitem(datasets._DATASETS, "broken", datasets._Dataset("bad", bad_table))
    datasets._load.cache_clear()
    try:
        with pytest.raises(DataError) as caught:
            load_dataset("broken")
    finally:
        datasets._load.cache_clear()
    assert "broken" in str(caught.value)
    assert caught.value.column == "X"
    assert caught.value.row == 3 and caught.value.row_kind == "row"
