"""Bad price files, one per validation error, for the data-layer and CLI tests.

Each :class:`BadInput` is a file (written from real S&P 500 and NASDAQ closes, with
one fault planted at a known line) plus the extra :class:`~aisfolio.portfolio.sources.PriceSource`
arguments that load it, and the substrings its error message must contain (file name,
column, ``line N``). Loading any of them must raise :class:`~aisfolio.portfolio.errors.DataError`
(the CLI: exit code 2, no output).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from aisfolio.portfolio.datasets import load_dataset

__all__ = ["ROWS", "BadInput", "make_bad_inputs"]

#: Data records in each generated file (enough for the default min_observations of 260).
ROWS = 300


@dataclass(frozen=True)
class BadInput:
    """A bad price file and what its error message must say.

    Attributes
    ----------
    name : str
        Short identifier of the error case (usable as a pytest id).
    path : pathlib.Path
        The file (it may deliberately not exist).
    options : dict
        Extra ``PriceSource`` keyword arguments besides ``path`` (``{"date_column": ...}``).
    expected : list of str
        Substrings the error message must contain.
    """

    name: str
    path: Path
    options: dict[str, object] = field(default_factory=dict)
    expected: list[str] = field(default_factory=list)


def _real_rows() -> list[tuple[str, str, str]]:
    """(date, SP500, NASDAQ) texts of the first ``ROWS`` days both indices traded."""
    prices = load_dataset("us_markets")[["SP500", "NASDAQ"]].dropna().iloc[:ROWS]
    return [
        (stamp.strftime("%Y-%m-%d"), repr(float(spx)), repr(float(ndx)))
        for stamp, spx, ndx in zip(prices.index, prices["SP500"], prices["NASDAQ"], strict=True)
    ]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_bad_inputs(directory: Path) -> list[BadInput]:
    """Write one bad price file per validation error into ``directory``.

    Parameters
    ----------
    directory : pathlib.Path
        An existing, writable folder (pytest's ``tmp_path``).

    Returns
    -------
    list of BadInput
        The cases, in the order of the validation rules. Line numbers count the header
        as line 1, so the data record at index ``i`` (0-based) is on line ``i + 2``.
    """
    directory = Path(directory)
    base = [list(row) for row in _real_rows()]
    header = ["date", "SP500", "NASDAQ"]
    cases: list[BadInput] = []

    def add(name: str, path: Path, expected: list[str], **options: object) -> None:
        cases.append(BadInput(name, path, dict(options), expected))

    def at_line(line: int) -> int:  # index into base of the record on ``line``
        return line - 2

    add("missing_file", directory / "missing_prices.csv", ["missing_prices.csv", "not found"])

    path = _write(directory / "no_date_column.csv", ["day", "SP500", "NASDAQ"], base)
    add("no_date_column", path, ["no_date_column.csv", "no date column 'date'", "'day'"])

    path = _write(directory / "unknown_date_column.csv", header, base)
    add(
        "unknown_date_column",
        path,
        ["unknown_date_column.csv", "column 'Timestamp'", "'date', 'SP500', 'NASDAQ'"],
        date_column="Timestamp",
    )

    rows = [list(row) for row in base]
    rows[at_line(17)][0] = "1999-13-45"
    path = _write(directory / "unparsable_date.csv", header, rows)
    add(
        "unparsable_date",
        path,
        ["unparsable_date.csv", "line 17", "column 'date'", "unparsable date '1999-13-45'"],
    )

    rows = [list(row) for row in base]
    rows[at_line(12)][0] = rows[at_line(11)][0]
    path = _write(directory / "duplicate_date.csv", header, rows)
    add(
        "duplicate_date",
        path,
        ["duplicate_date.csv", "line 12", "first on line 11", "column 'date'", base[9][0]],
    )

    rows = [list(row) for row in base]
    rows[at_line(17)][2] = "abc"
    path = _write(directory / "non_numeric.csv", header, rows)
    add(
        "non_numeric",
        path,
        ["non_numeric.csv", "line 17", "column 'NASDAQ'", "non-numeric value 'abc'"],
    )

    rows = [list(row) for row in base]
    rows[at_line(20)][1] = "-5.5"
    path = _write(directory / "non_positive.csv", header, rows)
    add(
        "non_positive",
        path,
        ["non_positive.csv", "line 20", "column 'SP500'", "non-positive price -5.5"],
    )

    rows = [list(row) for row in base]
    for row in rows[100:]:
        row[2] = ""
    path = _write(directory / "too_few_observations.csv", header, rows)
    add(
        "too_few_observations",
        path,
        ["too_few_observations.csv", "column 'NASDAQ'", "only 100 prices", "260 needed"],
    )

    rows = [[*row, ""] for row in base]
    path = _write(directory / "all_empty_column.csv", [*header, "GOLD"], rows)
    add(
        "all_empty_column",
        path,
        ["all_empty_column.csv", "column 'GOLD'", "every cell of this column is empty"],
    )

    path = directory / "empty_file.csv"
    path.write_bytes(b"")
    add("empty_file", path, ["empty_file.csv", "the file is empty"])

    # Further cases, beyond one per validation rule.
    path = _write(directory / "header_only.csv", header, [])
    add("header_only", path, ["header_only.csv", "no data rows"])

    path = _write(directory / "no_asset_columns.csv", ["date"], [[row[0]] for row in base])
    add("no_asset_columns", path, ["no_asset_columns.csv", "no asset columns"])

    path = directory / "prices.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    add("unsupported_suffix", path, ["prices.xlsx", "unsupported file type '.xlsx'", ".parquet"])

    rows = [list(row) for row in base]
    rows[at_line(30)].append("7")
    path = _write(directory / "too_many_fields.csv", header, rows)
    add("too_many_fields", path, ["too_many_fields.csv", "line 30", "4 fields", "header has 3"])

    path = _write(directory / "missing_mapped_column.csv", header, base)
    add(
        "missing_mapped_column",
        path,
        ["missing_mapped_column.csv", "column 'SPX'", "'date', 'SP500', 'NASDAQ'"],
        columns={"SPX": "SP500"},
    )

    long_rows = [[row[0], "SP500", row[1]] for row in base] + [
        [row[0], "NASDAQ", row[2]] for row in base
    ]
    long_rows.insert(40, list(long_rows[5]))  # record 41 = line 42 repeats line 7
    path = _write(directory / "long_duplicate.csv", ["date", "asset", "price"], long_rows)
    add(
        "long_duplicate",
        path,
        ["long_duplicate.csv", "line 42", "first on line 7", "asset 'SP500'"],
        layout="long",
    )

    frame = pd.DataFrame(
        {
            "date": pd.to_datetime([row[0] for row in base]),
            "SP500": [row[1] for row in base],
            "NASDAQ": [float(row[2]) for row in base],
        }
    )
    frame.loc[16, "SP500"] = "n.a.?"
    path = directory / "non_numeric.parquet"
    frame.to_parquet(path, index=False)
    add(
        "parquet_non_numeric",
        path,
        ["non_numeric.parquet", "row 17", "column 'SP500'", "non-numeric value 'n.a.?'"],
    )
    return cases
