"""Validation rules: every bad input raises DataError naming file, column and row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio.errors import AisfolioError, ConfigError, DataError
from aisfolio.portfolio.price_files import read_price_file
from aisfolio.portfolio.sources import PriceSource
from aisfolio.portfolio.validation import check_file, check_observations, validate_prices
from tests.portfolio.bad_inputs import ROWS, BadInput, make_bad_inputs

CASE_NAMES = [
    "missing_file",
    "no_date_column",
    "unknown_date_column",
    "unparsable_date",
    "duplicate_date",
    "non_numeric",
    "non_positive",
    "too_few_observations",
    "all_empty_column",
    "empty_file",
    "header_only",
    "no_asset_columns",
    "unsupported_suffix",
    "too_many_fields",
    "missing_mapped_column",
    "long_duplicate",
    "parquet_non_numeric",
]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BadInput]:
    cases = make_bad_inputs(tmp_path_factory.mktemp("bad_inputs"))
    return {case.name: case for case in cases}


def test_bad_inputs_cover_every_rule(bad_inputs):
    assert list(bad_inputs) == CASE_NAMES


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_raises_data_error_naming_where(bad_inputs, name):
    case = bad_inputs[name]
    with pytest.raises(DataError) as caught:
        PriceSource(path=str(case.path), **case.options).load()
    message = str(caught.value)
    for part in case.expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert caught.value.file == str(case.path)


EXACT = {
    "unparsable_date": ("date", 17, "line"),
    "duplicate_date": ("date", 12, "line"),
    "non_numeric": ("NASDAQ", 17, "line"),
    "non_positive": ("SP500", 20, "line"),
    "too_few_observations": ("NASDAQ", None, "line"),
    "all_empty_column": ("GOLD", None, "line"),
    "too_many_fields": (None, 30, "line"),
    "long_duplicate": ("date", 42, "line"),
    "parquet_non_numeric": ("SP500", 17, "row"),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_bad_input_error_attributes(bad_inputs, name):
    column, row, kind = EXACT[name]
    with pytest.raises(DataError) as caught:
        PriceSource(path=str(bad_inputs[name].path), **bad_inputs[name].options).load()
    assert (caught.value.column, caught.value.row) == (column, row)
    if row is not None:
        assert caught.value.row_kind == kind


def test_bad_input_files_are_otherwise_valid(bad_inputs):
    """The healthy base of every file loads: only the planted fault is at fault."""
    case = bad_inputs["unknown_date_column"]
    prices = PriceSource(path=str(case.path)).load()
    assert prices.shape == (ROWS, 2)


def test_all_empty_column_is_not_reported_as_too_few(bad_inputs):
    case = bad_inputs["all_empty_column"]
    with pytest.raises(DataError) as caught:
        PriceSource(path=str(case.path), min_observations=2).load()
    assert "only" not in str(caught.value) and "empty" in str(caught.value)


# --------------------------------------------------------------------------- frames


def raw_frame(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_typed_frame_is_accepted():
    raw = raw_frame(date=pd.date_range("2020-01-01", periods=3), A=[1, 2, 3])
    prices = validate_prices(raw, source="mem")
    assert prices.index.dtype == np.dtype("datetime64[ns]") and prices.index.name == "date"
    assert prices["A"].dtype == np.float64


def test_frame_with_datetime_index_is_accepted():
    index = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=3), name="date")
    prices = validate_prices(pd.DataFrame({"A": [1.0, 2.0, 3.0]}, index=index), source="mem")
    assert prices.index.equals(index.as_unit("ns"))
    unnamed = pd.DataFrame({"A": [1.0, 2.0, 3.0]}, index=index.rename(None))
    assert validate_prices(unnamed, source="mem").index.name == "date"


def test_default_row_numbers_are_lines_after_the_header():
    raw = raw_frame(date=["2020-01-01", "2020-01-02", "2020-01-03"], A=["1", "x", "2"])
    with pytest.raises(DataError) as caught:
        validate_prices(raw, source="f.csv")
    assert str(caught.value) == "f.csv, line 3, column 'A': non-numeric value 'x'"
    with pytest.raises(DataError, match="row 2"):
        validate_prices(raw, source="f.parquet", row_kind="row")


def test_first_bad_cell_is_the_earliest_row_then_leftmost_column():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], A=["1", "y"], B=["x", "2"])
    with pytest.raises(DataError) as caught:
        validate_prices(raw, source="f.csv")
    assert (caught.value.column, caught.value.row) == ("B", 2)


def test_missing_tokens_are_empty_cells():
    raw = raw_frame(
        date=["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06"],
        A=["1", "NA", "#N/A", "null"],
        B=["n/a", ".", "2", " "],
    )
    prices = validate_prices(raw, source="f.csv")
    assert prices["A"].count() == 1 and prices["B"].count() == 1
    assert len(prices) == 2  # the two records with no price at all are dropped


def test_missing_date_is_named():
    raw = raw_frame(date=["2020-01-01", ""], A=["1", "2"])
    with pytest.raises(DataError, match=r"line 3, column 'date': missing date"):
        validate_prices(raw, source="f.csv")


def test_date_outside_supported_range():
    raw = raw_frame(date=["2020-01-01", "2400-01-01"], A=["1", "2"])
    with pytest.raises(DataError, match=r"line 3, column 'date': date '2400-01-01' is outside"):
        validate_prices(raw, source="f.csv")


def test_non_finite_text_value():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], A=["1", "-inf"])
    with pytest.raises(DataError, match=r"line 3, column 'A': non-finite value '-inf'"):
        validate_prices(raw, source="f.csv")


def test_zero_price_is_non_positive():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], A=["1", "0.0"])
    with pytest.raises(DataError, match=r"line 3, column 'A': non-positive price 0"):
        validate_prices(raw, source="f.csv")
    prices = validate_prices(raw, source="f.csv", allow_non_positive=["A"])
    assert prices["A"].tolist() == [1.0, 0.0]


def test_allow_non_positive_uses_renamed_asset_names():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], CL=["1", "-2"])
    prices = validate_prices(raw, source="f", columns={"CL": "WTI"}, allow_non_positive=["WTI"])
    assert prices["WTI"].tolist() == [1.0, -2.0]


def test_duplicate_names_both_rows():
    raw = raw_frame(date=["2020-01-01", "2020-01-02", "2020-01-01"], A=["1", "2", "3"])
    with pytest.raises(DataError) as caught:
        validate_prices(raw, source="f.csv")
    assert caught.value.row == 4
    assert "duplicate date 2020-01-01; first on line 2" in str(caught.value)


def test_intraday_duplicates_show_the_time():
    raw = raw_frame(date=["2020-01-01 10:00", "2020-01-01 10:00"], A=["1", "2"])
    with pytest.raises(DataError, match=r"duplicate date 2020-01-01 10:00:00"):
        validate_prices(raw, source="f.csv")


def test_normalize_dates_only_when_asked():
    raw = raw_frame(date=["2020-01-01 16:00", "2020-01-02 16:00"], A=["1", "2"])
    assert validate_prices(raw, source="f").index[0].hour == 16
    assert validate_prices(raw, source="f", normalize_dates=True).index[0].hour == 0


def test_min_observations_in_validate():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], A=["1", "2"], B=["3", ""])
    with pytest.raises(DataError, match=r"column 'B': only 1 price; at least 2 needed"):
        validate_prices(raw, source="f", min_observations=2)


def test_long_price_without_asset_name():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], asset=["A", ""], price=["1", "2"])
    with pytest.raises(DataError, match=r"line 3, column 'asset': a price without an asset"):
        validate_prices(raw, source="f.csv", layout="long")


def test_long_asset_with_only_empty_prices():
    raw = raw_frame(date=["2020-01-01", "2020-01-02"], asset=["A", "B"], price=["1", ""])
    with pytest.raises(DataError, match=r"no prices for asset 'B'"):
        validate_prices(raw, source="f.csv", layout="long")


def test_long_bad_price_names_line_and_asset():
    raw = raw_frame(
        date=["2020-01-01", "2020-01-01", "2020-01-02"],
        asset=["A", "B", "B"],
        price=["1", "2", "z"],
    )
    with pytest.raises(DataError) as caught:
        validate_prices(raw, source="f.csv", layout="long")
    assert str(caught.value) == "f.csv, line 4, column 'price': non-numeric value 'z' (asset 'B')"


def test_long_missing_asset_column_lists_columns():
    raw = raw_frame(date=["2020-01-01"], ticker=["A"], price=["1"])
    with pytest.raises(DataError, match=r"no asset column 'asset'; columns present: 'date', "):
        validate_prices(raw, source="f.csv", layout="long")


def test_unknown_layout_and_bad_mapping_are_config_errors():
    raw = raw_frame(date=["2020-01-01"], A=["1"], B=["2"])
    with pytest.raises(ConfigError, match=r"config key 'layout'"):
        validate_prices(raw, source="f", layout="tall")
    with pytest.raises(ConfigError, match=r"config key 'columns'"):
        validate_prices(raw, source="f", columns={"A": "X", "B": "X"})
    with pytest.raises(ConfigError, match=r"config key 'columns'"):
        validate_prices(raw, source="f", columns={"date": "X"})


def test_unsorted_warning_names_the_source():
    raw = raw_frame(date=["2020-01-02", "2020-01-01"], A=["1", "2"])
    with pytest.warns(UserWarning, match="frame.csv"):
        prices = validate_prices(raw, source="frame.csv")
    assert prices["A"].tolist() == [2.0, 1.0]


def test_check_observations_and_check_file(tmp_path):
    prices = pd.DataFrame({"A": [1.0, np.nan], "B": [np.nan, np.nan]})
    with pytest.raises(DataError, match=r"src, column 'B': no prices in 2019"):
        check_observations(prices, 1, source="src", within=" in 2019")
    check_observations(prices[["A"]], 1, source="src")
    with pytest.raises(DataError, match="not found"):
        check_file(tmp_path / "absent.csv")
    assert check_file(__file__).is_file()


def test_errors_are_aisfolio_errors():
    assert issubclass(DataError, AisfolioError) and issubclass(ConfigError, AisfolioError)


def test_long_non_positive_reports_the_earliest_row_across_assets():
    raw = raw_frame(
        date=["2020-01-01", "2020-01-01", "2020-01-02", "2020-01-02"],
        asset=["A", "B", "B", "A"],
        price=["1", "2", "-1", "0"],
    )
    with pytest.raises(DataError) as caught:
        validate_prices(raw, source="f.csv", layout="long")
    assert caught.value.row == 4 and "asset 'B'" in str(caught.value)
    prices = validate_prices(raw, source="f.csv", layout="long", allow_non_positive=["A", "B"])
    assert prices.loc["2020-01-02"].tolist() == [0.0, -1.0]


def test_unterminated_quote_is_a_data_error(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('date,A\n2020-01-01,1\n"2020-01-02,2\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"quote\.csv: cannot parse the file as CSV"):
        read_price_file(path)
