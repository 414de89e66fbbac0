"""Reading price files (CSV and Parquet) into the canonical price frame.

The file is read as it is, then handed to :func:`aisfolio.portfolio.validation.validate_prices`,
so every file obeys the same rules as the embedded data sets. Errors name the file,
the column and the row: for text files the row is the 1-based line number in the file
(the header is line 1, the first data record line 2); for Parquet files it is the
1-based record number.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.validation import check_file, validate_prices

__all__ = [
    "PARQUET_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "open_text",
    "read_price_file",
]

#: Text (CSV) suffixes; ``.gz`` files are decompressed on the fly.
TEXT_SUFFIXES = (".csv", ".csv.gz", ".txt")
#: Parquet suffixes.
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Every suffix :func:`read_price_file` accepts (compared case-insensitively).
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + PARQUET_SUFFIXES

_DELIMITERS = (",", ";", "\t", "|")
_UNNAMED = "\x00unnamed column "


def read_price_file(
    path: str | Path,
    *,
    layout: str = "wide",
    date_column: str = "date",
    asset_column: str = "asset",
    price_column: str = "price",
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    allow_non_positive: list[str] | None = None,
    min_observations: int = 1,
) -> pd.DataFrame:
    """Read and validate a price file.

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV file (``.csv``, ``.csv.gz``, ``.txt``) or a Parquet file (``.parquet``,
        ``.pq``). Text files are UTF-8 (a byte-order mark is allowed); the delimiter is
        the one of ``,`` ``;`` tab ``|`` that occurs most often in the header line
        (``,`` on a tie or when none occurs). Parquet files written from a frame with a
        named index (``prices.to_parquet(...)``) get that index back as a column.
    layout : {"wide", "long"}
        ``"wide"``: a date column plus one column per asset. ``"long"``: columns
        ``date_column``, ``asset_column`` and ``price_column``, one price per row,
        pivoted to wide.
    date_column, asset_column, price_column : str
        Column names (matched case-insensitively when there is no exact match).
    columns : mapping of str to str, optional
        ``{source name: asset name}``: only these columns (wide) or these values of
        ``asset_column`` (long) are used, renamed and in this order.
    date_format : str, optional
        ``strftime`` format of the dates; inferred from the first date when omitted.
    allow_non_positive : list of str, optional
        Assets whose prices may be zero or negative; see
        :func:`~aisfolio.portfolio.validation.validate_prices`.
    min_observations : int, default 1
        The fewest prices each asset must have.

    Returns
    -------
    pandas.DataFrame
        Dates (the union of every asset's dates, sorted, ``datetime64[ns]``, named
        ``"date"``) x assets (``float64``); ``NaN`` where an asset has no price.

    Raises
    ------
    DataError
        If the file is missing, has an unsupported suffix, cannot be parsed, or breaks
        a rule of :func:`~aisfolio.portfolio.validation.validate_prices`.
    ConfigError
        For an unknown ``layout`` or an inconsistent ``columns`` mapping.

    Warns
    -----
    UserWarning
        When the dates are not in increasing order (they are sorted).
    """
    label = str(path)
    file = check_file(path)
    suffix = _suffix(file)
    if suffix is None:
        raise DataError(
            f"unsupported file type {''.join(file.suffixes) or '(no suffix)'!r}; supported: "
            f"{', '.join(SUPPORTED_SUFFIXES)}",
            file=label,
        )
    options = {
        "source": label,
        "layout": layout,
        "date_column": date_column,
        "asset_column": asset_column,
        "price_column": price_column,
        "columns": columns,
        "date_format": date_format,
        "allow_non_positive": allow_non_positive,
        "min_observations": min_observations,
    }
    if suffix in PARQUET_SUFFIXES:
        return validate_prices(_read_parquet(file, label), row_kind="row", **options)
    raw, lines = _read_text(file, label)
    return validate_prices(raw, row_number=lines, row_kind="line", **options)


def _suffix(file: Path) -> str | None:
    name = file.name.lower()
    matches = [suffix for suffix in SUPPORTED_SUFFIXES if name.endswith(suffix)]
    return max(matches, key=len) if matches else None


# --------------------------------------------------------------------------- Parquet


def _read_parquet(file: Path, label: str) -> pd.DataFrame:
    import pyarrow

    try:
        raw = pd.read_parquet(file)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise DataError(f"cannot read the file as Parquet: {exc}", file=label) from exc
    if isinstance(raw.columns, pd.MultiIndex):
        raise DataError("nested (multi-level) column names are not supported", file=label)
    return raw


# --------------------------------------------------------------------------- CSV


class _Lines:
    """Maps the position of a data record to the line of the file where it starts.

    Scans the file with :mod:`csv` only when asked (that is, when an error is reported),
    so quoted fields spanning lines and blank lines (skipped by the reader) are counted
    exactly.
    """

    def __init__(self, file: Path, delimiter: str) -> None:
        self.file = file
        self.delimiter = delimiter
        self._starts: list[int] | None = None
        self._widths: list[int] | None = None

    def _scan(self) -> None:
        starts, widths = [], []
        with open_text(self.file) as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            start = 1
            for record in reader:
                if not _is_blank(record):
                    starts.append(start)
                    widths.append(len(record))
                start = reader.line_num + 1
        self._starts, self._widths = starts, widths

    def header_line(self) -> int:
        if self._starts is None:
            self._scan()
        return self._starts[0] if self._starts else 1

    def __call__(self, position: int) -> int:
        if self._starts is None:
            self._scan()
        if position + 1 < len(self._starts):
            return self._starts[position + 1]
        return position + 2  # the csv module and pandas disagree: fall back to no blank lines

    def first_too_wide(self) -> tuple[int, int, int] | None:
        """(line, fields, header fields) of the first record wider than the header."""
        if self._starts is None:
            self._scan()
        if not self._widths:
            return None
        expected = self._widths[0]
        for line, width in zip(self._starts[1:], self._widths[1:], strict=True):
            if width > expected:
                return line, width, expected
        return None


def _is_blank(record: list[str]) -> bool:
    return len(record) <= 1 and all(not field.strip() for field in record)


def open_text(file: Path) -> io.TextIOBase:
    """A text file (gzipped when its name ends in ``.gz``) opened as UTF-8, a byte-order
    mark dropped, line endings left to the csv module."""
    if file.name.lower().endswith(".gz"):
        return gzip.open(file, "rt", encoding="utf-8-sig", newline="")
    return file.open(encoding="utf-8-sig", newline="")


def _read_header(file: Path, label: str) -> tuple[list[str], str]:
    """The header fields and the delimiter, from the first non-blank line."""
    try:
        with open_text(file) as handle:
            for line in handle:
                if line.strip():
                    break
            else:
                raise DataError("the file is empty", file=label)
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=label) from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"not a valid gzip file: {exc}", file=label) from exc
    counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    if counts[delimiter] == 0:
        delimiter = ","
    fields = next(csv.reader([line], delimiter=delimiter))
    return [field.strip() for field in fields], delimiter


def _read_text(file: Path, label: str) -> tuple[pd.DataFrame, _Lines]:
    header, delimiter = _read_header(file, label)
    lines = _Lines(file, delimiter)
    seen: dict[str, int] = {}
    names = []
    for number, name in enumerate(header, start=1):
        if not name:
            names.append(f"{_UNNAMED}{number}")
            continue
        if name in seen:
            raise DataError(
                f"column name used twice in the header (columns {seen[name]} and {number})",
                file=label,
                column=name,
                row=lines.header_line(),
            )
        seen[name] = number
        names.append(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                file,
                sep=delimiter,
                header=0,
                names=names,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                encoding="utf-8-sig",
                compression="infer",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise _parse_error(lines, label, exc) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", file=label) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read the file: {exc}", file=label) from exc
    return _drop_unnamed(raw, label, lines), lines


def _parse_error(lines: _Lines, label: str, exc: Exception) -> DataError:
    try:
        wide = lines.first_too_wide()
    except (csv.Error, UnicodeDecodeError):
        wide = None
    if wide is not None:
        line, width, expected = wide
        return DataError(f"{width} fields but the header has {expected}", file=label, row=line)
    return DataError(f"cannot parse the file as CSV: {exc}", file=label)


def _drop_unnamed(raw: pd.DataFrame, label: str, lines: _Lines) -> pd.DataFrame:
    """Drop columns without a header name that hold nothing; reject those that hold data."""
    unnamed = [name for name in raw.columns if name.startswith(_UNNAMED)]
    for name in unnamed:
        if raw[name].str.strip().ne("").any():
            number = name.removeprefix(_UNNAMED)
            raise DataError(
                f"column {number} has values but no name in the header",
                file=label,
                row=lines.header_line(),
            )
    return raw.drop(columns=unnamed)
