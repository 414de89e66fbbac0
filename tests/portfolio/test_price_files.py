"""Reading CSV and Parquet price files, wide and long, into the canonical frame."""

from __future__ import annotations

import gzip
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisfolio.portfolio.datasets import load_dataset
from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.price_files import SUPPORTED_SUFFIXES, read_price_file


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    """Three years of real prices, WTI on its own calendar (NaN on some exchange days)."""
    frame = load_dataset("us_markets").loc["2005-01-01":"2007-12-31"]
    assert frame["WTI"].isna().any() and frame["SP500"].isna().any()
    return frame


def to_long(frame: pd.DataFrame) -> pd.DataFrame:
    stacked = frame.rename_axis(columns="asset").stack().rename("price").reset_index()
    return stacked.sort_values(["asset", "date"], kind="stable")  # grouped by asset


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- round trips


def test_wide_csv_round_trip(real, tmp_path):
    path = tmp_path / "prices.csv"
    real.to_csv(path)
    pd.testing.assert_frame_equal(read_price_file(path), real)


def test_wide_long_csv_parquet_are_identical(real, tmp_path):
    real.to_csv(tmp_path / "wide.csv")
    real.to_parquet(tmp_path / "wide.parquet")  # index comes back as the date column
    real.reset_index().to_parquet(tmp_path / "wide_plain.pq", index=False)
    to_long(real).to_csv(tmp_path / "long.csv", index=False)
    to_long(real).to_parquet(tmp_path / "long.parquet", index=False)
    with gzip.open(tmp_path / "wide.csv.gz", "wt", encoding="utf-8") as handle:
        real.to_csv(handle)
    real.to_csv(tmp_path / "wide.txt", sep="\t")

    frames = {
        "wide.csv": read_price_file(tmp_path / "wide.csv"),
        "wide.parquet": read_price_file(tmp_path / "wide.parquet"),
        "wide_plain.pq": read_price_file(tmp_path / "wide_plain.pq"),
        "long.csv": read_price_file(tmp_path / "long.csv", layout="long"),
        "long.parquet": read_price_file(tmp_path / "long.parquet", layout="long"),
        "wide.csv.gz": read_price_file(tmp_path / "wide.csv.gz"),
        "wide.txt": read_price_file(tmp_path / "wide.txt"),
    }
    for name, frame in frames.items():
        # the long layout orders assets by first appearance: NASDAQ, SP500, WTI
        pd.testing.assert_frame_equal(frame[list(real.columns)], real, obj=name)
    assert list(frames["long.csv"].columns) == ["NASDAQ", "SP500", "WTI"]


def test_long_layout_with_custom_column_names(real, tmp_path):
    long = to_long(real).rename(columns={"date": "Day", "asset": "ticker", "price": "close"})
    long["volume"] = 1  # extra columns are ignored
    long.to_csv(tmp_path / "long.csv", index=False)
    frame = read_price_file(
        tmp_path / "long.csv",
        layout="long",
        date_column="Day",
        asset_column="ticker",
        price_column="close",
        columns={"SP500": "spx", "WTI": "oil"},
    )
    expected = real[["SP500", "WTI"]].set_axis(["spx", "oil"], axis=1)
    pd.testing.assert_frame_equal(frame, expected.loc[expected.notna().any(axis=1)])


def test_column_mapping_selects_renames_and_orders(real, tmp_path):
    real.to_csv(tmp_path / "prices.csv")
    frame = read_price_file(tmp_path / "prices.csv", columns={"WTI": "oil", "SP500": "spx"})
    assert list(frame.columns) == ["oil", "spx"]
    np.testing.assert_array_equal(frame["oil"].to_numpy(), real["WTI"].to_numpy())
    assert frame.index.equals(real.index)


def test_mapping_drops_dates_where_no_mapped_asset_trades(real, tmp_path):
    real.to_csv(tmp_path / "prices.csv")
    frame = read_price_file(tmp_path / "prices.csv", columns={"WTI": "WTI"})
    assert frame["WTI"].notna().all()
    pd.testing.assert_series_equal(frame["WTI"], real["WTI"].dropna())


def test_missing_mapped_column_lists_file_columns(tmp_path):
    path = write(tmp_path / "p.csv", "date,SP500,WTI\n2020-01-02,1,2\n")
    with pytest.raises(DataError) as caught:
        read_price_file(path, columns={"GOLD": "gold"})
    message = str(caught.value)
    assert "p.csv" in message and "column 'GOLD'" in message
    assert "'date', 'SP500', 'WTI'" in message


def test_long_mapping_names_unknown_asset(tmp_path):
    path = write(tmp_path / "p.csv", "date,asset,price\n2020-01-02,A,1\n2020-01-02,B,2\n")
    with pytest.raises(DataError, match=r"asset 'C'.*assets present: 'A', 'B'"):
        read_price_file(path, layout="long", columns={"C": "c"})


# --------------------------------------------------------------------------- dates


def test_unsorted_dates_warn_and_are_sorted(real, tmp_path):
    path = tmp_path / "shuffled.csv"
    real.sample(frac=1.0, random_state=7).to_csv(path)
    with pytest.warns(UserWarning, match=r"shuffled\.csv.*not in increasing order"):
        frame = read_price_file(path)
    pd.testing.assert_frame_equal(frame, real)


def test_long_file_grouped_by_asset_is_not_unsorted(real, tmp_path):
    to_long(real).to_csv(tmp_path / "long.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_price_file(tmp_path / "long.csv", layout="long")


def test_hourly_bars_keep_their_times(tmp_path):
    stamps = pd.date_range("2021-03-01 09:00", periods=40, freq="h")
    prices = pd.DataFrame(
        {"BTC": np.linspace(100.0, 140.0, 40)},
        index=pd.DatetimeIndex(stamps, name="date").as_unit("ns"),
    )
    prices.to_csv(tmp_path / "hourly.csv")
    frame = read_price_file(tmp_path / "hourly.csv")
    pd.testing.assert_frame_equal(frame, prices, check_freq=False)
    assert frame.index[1] == pd.Timestamp("2021-03-01 10:00")


def test_timezone_aware_dates_keep_their_local_time(tmp_path):
    text = (
        "date,X\n"
        "2021-03-01T10:00:00+01:00,1\n"
        "2021-03-02T10:00:00+00:00,2\n"
        "2021-03-03 11:30:00-05:00,3\n"
        "2021-03-04 00:00:00Z,4\n"
    )
    frame = read_price_file(write(tmp_path / "tz.csv", text))
    expected = pd.to_datetime(
        ["2021-03-01 10:00", "2021-03-02 10:00", "2021-03-03 11:30", "2021-03-04 00:00"]
    )
    np.testing.assert_array_equal(frame.index.to_numpy(), expected.as_unit("ns").to_numpy())
    assert frame.index.tz is None


def test_timezone_aware_parquet_dates_keep_their_local_time(tmp_path):
    stamps = pd.date_range("2021-03-01", periods=3, freq="D", tz="America/New_York")
    pd.DataFrame({"date": stamps, "X": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "tz.parquet")
    frame = read_price_file(tmp_path / "tz.parquet")
    assert frame.index.tz is None
    assert frame.index[0] == pd.Timestamp("2021-03-01")  # 05:00 in UTC


def test_date_format_for_day_first_dates(tmp_path):
    path = write(tmp_path / "eu.csv", "date,X\n31/01/2020,1\n01/02/2020,2\n")
    frame = read_price_file(path, date_format="%d/%m/%Y")
    assert list(frame.index) == [pd.Timestamp("2020-01-31"), pd.Timestamp("2020-02-01")]


def test_date_column_matches_case_insensitively(tmp_path):
    path = write(tmp_path / "p.csv", "Date,X\n2020-01-02,1\n")
    assert read_price_file(path).index[0] == pd.Timestamp("2020-01-02")


# --------------------------------------------------------------------------- cells


def test_empty_cells_are_missing_and_empty_records_dropped(tmp_path):
    text = "date,A,B\n2020-01-01,1,\n2020-01-02,,NA\n2020-01-03,.,3\n2020-01-06,2,4\n,,\n"
    frame = read_price_file(write(tmp_path / "gaps.csv", text))
    assert list(frame.index.strftime("%m-%d")) == ["01-01", "01-03", "01-06"]
    np.testing.assert_array_equal(frame["A"].to_numpy(), [1.0, np.nan, 2.0])
    np.testing.assert_array_equal(frame["B"].to_numpy(), [np.nan, 3.0, 4.0])


def test_allow_non_positive_lets_negative_price_through(tmp_path):
    text = "date,WTI\n2020-04-17,18.27\n2020-04-20,-37.63\n2020-04-21,10.01\n"
    path = write(tmp_path / "wti.csv", text)
    with pytest.raises(DataError, match=r"line 3, column 'WTI': non-positive price -37.63"):
        read_price_file(path)
    frame = read_price_file(path, allow_non_positive=["WTI"])
    assert frame.loc["2020-04-20", "WTI"] == -37.63


def test_semicolon_delimiter_and_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffdate;A;B\r\n2020-01-02;1.5;2\r\n2020-01-03;1.25;3\r\n".encode())
    frame = read_price_file(path)
    assert list(frame.columns) == ["A", "B"]
    assert frame["A"].tolist() == [1.5, 1.25]


def test_unnamed_empty_trailing_column_is_ignored(tmp_path):
    path = write(tmp_path / "trailing.csv", "date,A,\n2020-01-02,1,\n2020-01-03,2,\n")
    assert list(read_price_file(path).columns) == ["A"]


def test_unnamed_column_with_values_is_an_error(tmp_path):
    path = write(tmp_path / "unnamed.csv", "date,A,\n2020-01-02,1,5\n")
    with pytest.raises(DataError, match=r"unnamed\.csv, line 1: column 3 has values but no name"):
        read_price_file(path)


def test_duplicate_header_name(tmp_path):
    path = write(tmp_path / "dup.csv", "date,A,A\n2020-01-02,1,5\n")
    with pytest.raises(DataError) as caught:
        read_price_file(path)
    assert caught.value.column == "A" and caught.value.row == 1
    assert "columns 2 and 3" in str(caught.value)


# --------------------------------------------------------------------------- line numbers


def test_line_numbers_count_blank_lines_and_multiline_fields(tmp_path):
    text = 'date,A,B\n2020-01-01,1,2\n\n"2020-01-02","1\n",3\n2020-01-03,oops,3\n'
    with pytest.raises(DataError) as caught:
        read_price_file(write(tmp_path / "tricky.csv", text))
    assert caught.value.row == 6 and caught.value.row_kind == "line"
    assert str(caught.value) == "{}, line 6, column 'A': non-numeric value 'oops'".format(
        tmp_path / "tricky.csv"
    )


def test_gzip_line_numbers(tmp_path):
    path = tmp_path / "p.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("date,A\n2020-01-01,1\n2020-01-02,0\n")
    with pytest.raises(DataError, match=r"line 3, column 'A': non-positive price 0"):
        read_price_file(path)


def test_parquet_errors_count_records(tmp_path):
    frame = pd.DataFrame(
        {"date": pd.date_range("2020-01-01", periods=5), "A": [1.0, 2.0, 3.0, -1.0, 5.0]}
    )
    frame.to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(DataError) as caught:
        read_price_file(tmp_path / "p.parquet")
    assert caught.value.row == 4 and caught.value.row_kind == "row"
    assert "row 4, column 'A'" in str(caught.value)


def test_parquet_infinite_value(tmp_path):
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=3), "A": [1.0, np.inf, 2]})
    frame.to_parquet(tmp_path / "inf.parquet", index=False)
    with pytest.raises(DataError, match=r"row 2, column 'A': non-finite value 'inf'"):
        read_price_file(tmp_path / "inf.parquet")


# --------------------------------------------------------------------------- files


def test_unsupported_suffix_lists_supported_ones(tmp_path):
    path = write(tmp_path / "prices.json", "{}")
    with pytest.raises(DataError) as caught:
        read_price_file(path)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(caught.value)


def test_suffix_is_case_insensitive(tmp_path):
    path = write(tmp_path / "PRICES.CSV", "date,A\n2020-01-02,1\n")
    assert read_price_file(path)["A"].tolist() == [1.0]


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        read_price_file(tmp_path / "nope.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a directory"):
        read_price_file(folder)


def test_corrupt_parquet_and_non_utf8_text(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read the file as Parquet"):
        read_price_file(tmp_path / "bad.parquet")
    (tmp_path / "latin.csv").write_bytes("date,Zürich\n2020-01-02,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: not UTF-8 text"):
        read_price_file(tmp_path / "latin.csv")


# --------------------------------------------------------------------------- properties

asset_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: name.casefold() != "date"
)
prices_or_gaps = st.one_of(
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.just(np.nan),
)


@st.composite
def wide_frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(asset_names, min_size=1, max_size=4, unique=True))
    days = draw(st.sets(st.integers(0, 4000), min_size=1, max_size=25))
    intraday = draw(st.booleans())
    unit = "h" if intraday else "D"
    stamps = pd.Timestamp("2000-01-01") + pd.to_timedelta(sorted(days), unit=unit)
    cells = draw(
        st.lists(
            st.lists(prices_or_gaps, min_size=len(names), max_size=len(names)),
            min_size=len(stamps),
            max_size=len(stamps),
        )
    )
    frame = pd.DataFrame(
        np.array(cells, dtype="float64").reshape(len(stamps), len(names)),
        index=pd.DatetimeIndex(stamps, name="date").as_unit("ns"),
        columns=names,
    )
    for j in range(len(names)):  # every asset has at least one price
        if frame.iloc[:, j].isna().all():
            frame.iloc[draw(st.integers(0, len(frame) - 1)), j] = 1.0
    return frame


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=wide_frames(), suffix=st.sampled_from([".csv", ".parquet"]), seed=st.integers(0, 99))
def test_property_written_frame_reads_back_equal_even_shuffled(frame, suffix, seed):
    expected = frame.loc[frame.notna().any(axis=1)]
    shuffled = frame.sample(frac=1.0, random_state=seed)
    with tempfile.TemporaryDirectory() as folder:
        for number, version in enumerate([frame, shuffled]):
            path = Path(folder) / f"prices{number}{suffix}"
            if suffix == ".csv":
                version.to_csv(path)
            else:
                version.to_parquet(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                got = read_price_file(path)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-15)


@settings(max_examples=25, deadline=None)
@given(frame=wide_frames())
def test_property_long_layout_equals_wide(frame):
    expected = frame.loc[frame.notna().any(axis=1)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.csv"
        to_long(frame).to_csv(path, index=False)
        got = read_price_file(path, layout="long")
    pd.testing.assert_frame_equal(got[list(frame.columns)], expected)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["31/01/2020,1", "01/02/2020,2"], ["2020-01-31", "2020-02-01"]),  # a day above 12
        (["01/31/2020,1", "02/01/2020,2"], ["2020-01-31", "2020-02-01"]),  # a month second
        (["13.01.2020 10:00,1", "14.01.2020 11:00,2"], ["2020-01-13 10:00", "2020-01-14 11:00"]),
    ],
)
def test_day_and_month_order_is_read_from_the_dates_that_tell(tmp_path, rows, expected):
    frame = read_price_file(write(tmp_path / "dm.csv", "date,X\n" + "\n".join(rows) + "\n"))
    assert list(frame.index) == [pd.Timestamp(e) for e in expected]


def test_dates_whose_day_and_month_are_all_12_or_less_are_refused_without_date_format(tmp_path):
    path = write(tmp_path / "dm.csv", "date,X\n01/02/2020,1\n02/02/2020,2\n03/02/2020,3\n")
    with pytest.raises(DataError, match=r"ambiguous dates such as '01/02/2020'") as caught:
        read_price_file(path)
    assert "dm.csv" in str(caught.value) and "%d/%m/%Y" in str(caught.value)
    frame = read_price_file(path, date_format="%d/%m/%Y")
    assert list(frame.index.month) == [2, 2, 2]
    frame = read_price_file(path, date_format="%m/%d/%Y")
    assert list(frame.index.month) == [1, 2, 3]
