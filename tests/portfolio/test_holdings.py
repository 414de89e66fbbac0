"""Holdings files: read as given, refused with the file, line and column named."""

from __future__ import annotations

import pytest

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.holdings import read_holdings


def write(tmp_path, text, name="current.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_asset_holdings_with_units_and_prices(tmp_path):
    holdings = read_holdings(
        write(tmp_path, "asset,weight,units,price\nSP500,0.6,10,\nWTI,-0.2,-5,30\n")
    )
    assert holdings.level == "asset"
    assert holdings.table.loc["SP500", "weight"] == 0.6
    assert holdings.table.loc["WTI", "units"] == -5 and holdings.table.loc["WTI", "price"] == 30
    assert holdings.table.loc["WTI", "line"] == 3


def test_stream_holdings(tmp_path):
    holdings = read_holdings(write(tmp_path, "stream,weight\nSP500/ensemble_I,0.5\n"))
    assert holdings.level == "stream" and list(holdings.table.index) == ["SP500/ensemble_I"]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("asset,weight\nSP500,abc\n", ["line 2", "column 'weight'", "not a number: 'abc'"]),
        ("asset,weight\nSP500,0.1\nSP500,0.2\n", ["line 3", "column 'asset'", "given twice"]),
        ("asset,weight\n,0.1\n", ["line 2", "empty asset name"]),
        ("asset,weight,price\nSP500,0.1,-3\n", ["line 2", "column 'price'", "must be > 0"]),
        ("asset,units\nSP500,3\n", ["no 'weight' column"]),
        ("asset,stream,weight\nSP500,x,1\n", ["exactly one of the columns"]),
        ("asset,weight,colour\nSP500,1,red\n", ["column 'colour'", "unknown column"]),
        ("asset,weight,units,notional\nSP500,1,2,3\n", ["'units' (and 'price') or 'notional'"]),
    ],
)
def test_bad_holdings_name_file_line_and_column(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        read_holdings(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_holdings(tmp_path / "nothing.csv")


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    text = 'asset,weight\n\nSP500,0.2\n\n\n"NAS\nDAQ",0.1\nWTI,abc\n'
    with pytest.raises(DataError, match="line 8, column 'weight': not a number: 'abc'"):
        read_holdings(write(tmp_path, text))
    holdings = read_holdings(write(tmp_path, "asset,weight\n\nSP500,0.2\n\nWTI,0.1\n", "ok.csv"))
    assert holdings.table["line"].to_dict() == {"SP500": 3, "WTI": 5}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("asset,weight\nSP500,0.5,9\n", ["line 2", "3 fields, but the header has 2"]),
        ("asset,weight\nSP500\n", ["line 2", "1 fields, but the header has 2"]),
        ("asset,weight,weight\nSP500,0.5,0.2\n", ["column 'weight'", "two columns"]),
        ("", ["the file is empty"]),
    ],
)
def test_records_that_do_not_fit_the_header_are_refused(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        read_holdings(path)
    for fragment in [str(path), *fragments]:
        assert fragment in str(error.value), (fragment, str(error.value))


def test_gzipped_holdings_are_read(tmp_path):
    import gzip

    path = tmp_path / "current.csv.gz"
    path.write_bytes(gzip.compress(b"asset,weight\nSP500,0.4\n"))
    assert read_holdings(path).table.loc["SP500", "weight"] == 0.4
