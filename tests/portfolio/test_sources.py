"""PriceSource: the data config group's target (data set or file, selection, window)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from aisfolio.app.composition import pipeline_from_config
from aisfolio.portfolio.datasets import load_dataset
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.sources import PriceSource


@pytest.fixture(scope="module")
def us_markets() -> pd.DataFrame:
    return load_dataset("us_markets")


@pytest.fixture
def csv_file(us_markets, tmp_path):
    path = tmp_path / "prices.csv"
    us_markets.loc["2010-01-01":"2012-12-31"].to_csv(path)
    return path


def test_default_is_us_markets(us_markets):
    source = PriceSource()
    pd.testing.assert_frame_equal(source.load(), us_markets)
    assert source.describe() == "us_markets (embedded)"


def test_arguments_are_stored_unchanged():
    columns = {"a": "b"}
    source = PriceSource(dataset=None, path="x.csv", columns=columns, min_observations=-3)
    assert source.columns is columns and source.min_observations == -3  # checked at load()
    assert set(vars(source)) == set(inspect.signature(PriceSource).parameters)
    assert "path='x.csv'" in repr(source)


def test_path_wins_over_dataset(csv_file, us_markets):
    source = PriceSource(dataset="us_markets", path=str(csv_file))
    assert source.describe() == str(csv_file)
    prices = source.load()
    pd.testing.assert_frame_equal(prices, us_markets.loc["2010-01-01":"2012-12-31"])


def test_assets_select_and_order(us_markets):
    prices = PriceSource(assets=["WTI", "SP500"]).load()
    assert list(prices.columns) == ["WTI", "SP500"]
    assert prices.notna().any(axis=1).all()  # dates where neither trades are gone


def test_single_asset_keeps_only_its_own_dates(us_markets):
    prices = PriceSource(assets=["WTI"]).load()
    assert prices["WTI"].notna().all()
    pd.testing.assert_series_equal(prices["WTI"], us_markets["WTI"].dropna())


def test_unknown_asset_lists_available():
    with pytest.raises(DataError) as caught:
        PriceSource(assets=["SP500", "GOLD"]).load()
    message = str(caught.value)
    assert "'GOLD'" in message and "'SP500', 'NASDAQ', 'WTI'" in message
    assert caught.value.column == "GOLD"


def test_start_end_are_inclusive(us_markets):
    prices = PriceSource(start="2008-01-02", end="2008-12-31", min_observations=250).load()
    assert prices.index[0] == pd.Timestamp("2008-01-02")
    assert prices.index[-1] == pd.Timestamp("2008-12-31")
    pd.testing.assert_frame_equal(prices, us_markets.loc["2008-01-02":"2008-12-31"])


def test_end_date_includes_the_whole_day_of_hourly_bars(tmp_path):
    stamps = pd.date_range("2021-01-01", periods=24 * 20, freq="h")
    frame = pd.DataFrame({"BTC": np.arange(1.0, 1.0 + len(stamps))}, index=stamps)
    frame.rename_axis("date").to_csv(tmp_path / "btc.csv")
    source = PriceSource(path=str(tmp_path / "btc.csv"), end="2021-01-05", min_observations=2)
    prices = source.load()
    assert prices.index[-1] == pd.Timestamp("2021-01-05 23:00")
    cut = PriceSource(path=str(tmp_path / "btc.csv"), end="2021-01-05 12:00").load
    with pytest.raises(DataError, match="only 109 prices between the start and 2021-01-05 12:00"):
        cut()


def test_min_observations_applies_after_cutting():
    source = PriceSource(start="2018-01-01", end="2018-06-30")
    with pytest.raises(DataError) as caught:
        source.load()
    message = str(caught.value)
    assert "us_markets (embedded)" in message and "column 'SP500'" in message
    assert "only 125 prices between 2018-01-01 and 2018-06-30" in message
    assert "at least 260 needed" in message
    assert len(PriceSource(start="2018-01-01", end="2018-06-30", min_observations=100).load())


def test_empty_window():
    with pytest.raises(DataError, match="no prices between 2030-01-01 and the end"):
        PriceSource(start="2030-01-01").load()


def test_allow_non_positive_through_source(tmp_path):
    days = pd.bdate_range("2020-01-01", periods=300)
    prices = np.linspace(60.0, 20.0, 300)
    prices[200] = -37.63
    path = tmp_path / "oil.parquet"
    pd.DataFrame({"date": days, "CL": prices}).to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"row 201, column 'CL': non-positive price -37.63"):
        PriceSource(path=str(path)).load()
    loaded = PriceSource(path=str(path), columns={"CL": "OIL"}, allow_non_positive=["OIL"]).load()
    assert loaded["OIL"].min() == -37.63


def test_columns_on_a_dataset_select_and_rename():
    prices = PriceSource(columns={"WTI": "oil", "SP500": "spx"}).load()
    assert list(prices.columns) == ["oil", "spx"]
    with pytest.raises(DataError, match=r"column 'GOLD'"):
        PriceSource(columns={"GOLD": "gold"}).load()


def test_long_file_through_source(us_markets, tmp_path):
    window = us_markets.loc["2010-01-01":"2012-12-31"]
    long = window.rename_axis(columns="ticker").stack().rename("close").reset_index()
    long.to_csv(tmp_path / "long.csv", index=False)
    prices = PriceSource(
        path=str(tmp_path / "long.csv"),
        layout="long",
        asset_column="ticker",
        price_column="close",
        assets=["SP500", "NASDAQ", "WTI"],
    ).load()
    pd.testing.assert_frame_equal(prices, window)


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"layout": "tall"}, "layout"),
        ({"min_observations": 1}, "min_observations"),
        ({"min_observations": True}, "min_observations"),
        ({"min_observations": "300"}, "min_observations"),
        ({"start": "2010-01-01", "end": "2009-12-31"}, "start"),
        ({"start": "not a date"}, "start"),
        ({"end": "2010-13-01"}, "end"),
        ({"start": 2010}, "start"),
        ({"dataset": "ftse"}, "dataset"),
        ({"dataset": None}, "dataset"),
        ({"columns": ["SP500"]}, "columns"),
        ({"columns": {}}, "columns"),
        ({"columns": {"SP500": "X", "WTI": "X"}}, "columns"),
        ({"assets": "SP500"}, "assets"),
        ({"assets": []}, "assets"),
        ({"assets": ["SP500", "SP500"]}, "assets"),
        ({"allow_non_positive": ["GOLD"]}, "allow_non_positive"),
        ({"allow_non_positive": "WTI"}, "allow_non_positive"),
        ({"date_column": ""}, "date_column"),
        ({"date_format": 5}, "date_format"),
    ],
)
def test_invalid_arguments_are_config_errors_naming_the_key(options, key):
    with pytest.raises(ConfigError) as caught:
        PriceSource(**options).load()
    assert caught.value.key == key
    assert f"'{key}'" in str(caught.value)


def test_start_accepts_dates_and_aware_timestamps(us_markets):
    import datetime as dt

    prices = PriceSource(start=dt.date(2018, 1, 2), min_observations=2).load()
    assert prices.index[0] == pd.Timestamp("2018-01-02")
    aware = PriceSource(start="2018-01-03T00:00:00-09:00", min_observations=2).load()
    assert aware.index[0] == pd.Timestamp("2018-01-03")  # its own day (09:00 in UTC)


def test_hydra_instantiate_with_omegaconf_containers(csv_file):
    config = OmegaConf.create(
        {
            "_target_": "aisfolio.portfolio.sources.PriceSource",
            "dataset": None,
            "path": str(csv_file),
            "columns": {"SP500": "spx", "WTI": "oil"},
            "assets": ["oil"],
            "start": "2011-01-01",
            "min_observations": 200,
        }
    )
    source = instantiate(config)
    assert isinstance(source, PriceSource)
    prices = source.load()
    assert list(prices.columns) == ["oil"]
    assert prices.index[0] >= pd.Timestamp("2011-01-01")


def test_hydra_instantiate_does_not_hide_config_errors():
    source = instantiate({"_target_": "aisfolio.portfolio.sources.PriceSource", "layout": "tall"})
    with pytest.raises(ConfigError, match=r"config key 'layout'"):
        source.load()


@pytest.mark.parametrize("zone", ["Europe/Warsaw", "America/New_York", "Asia/Tokyo"])
def test_timezone_aware_dates_keep_their_local_day_in_csv_and_parquet(us_markets, tmp_path, zone):

    prices = us_markets.loc["2010-01-01":"2012-12-31"]
    prices.to_csv(tmp_path / "naive.csv")
    aware = prices.tz_localize(zone)
    aware.to_csv(tmp_path / "aware.csv")  # e.g. 2010-01-04 00:00:00+01:00
    aware.to_parquet(tmp_path / "aware.parquet")
    naive = PriceSource(path=str(tmp_path / "naive.csv")).load()
    for name in ("aware.csv", "aware.parquet"):
        loaded = PriceSource(path=str(tmp_path / name)).load()
        pd.testing.assert_frame_equal(loaded, naive)
    pipeline = pipeline_from_config(
        ["generators=[buy_and_hold,momentum]", "ensemble=none", "significance.enabled=false"]
    )
    expected = pipeline.run(naive).metrics
    got = pipeline.run(PriceSource(path=str(tmp_path / "aware.csv")).load()).metrics
    pd.testing.assert_frame_equal(got, expected)
    assert (got["periods_per_year"] < 260).all()


def test_naive_and_aware_dates_mixed_in_one_file_are_all_local(tmp_path):
    lines = ["date,A"] + [
        f"2015-01-{day:02d}{' 00:00:00+01:00' if day % 2 else ''},{100 + day}"
        for day in range(1, 29)
    ]
    (tmp_path / "mixed.csv").write_text("\n".join(lines) + "\n")
    loaded = PriceSource(path=str(tmp_path / "mixed.csv"), min_observations=10).load()
    assert list(loaded.index.day) == list(range(1, 29))


def test_a_zone_read_by_the_date_format_keeps_the_local_day(tmp_path):
    lines = ["date,A"] + [f"{day:02d}/01/2015 00:30 -0500,{100 + day}" for day in range(1, 29)]
    (tmp_path / "zoned.csv").write_text("\n".join(lines) + "\n")
    source = PriceSource(
        path=str(tmp_path / "zoned.csv"), min_observations=10, date_format="%d/%m/%Y %H:%M %z"
    )
    loaded = source.load()
    assert list(loaded.index.day) == list(range(1, 29))


def test_a_timezone_aware_window_bound_keeps_its_own_day(us_markets):
    source = PriceSource(start="2010-01-05 00:00:00+01:00", end="2011-12-31")
    assert source.load().index[0] == pd.Timestamp("2010-01-05")
