"""Validation of price tables: one set of rules for price files and embedded data sets.

Every reader (:func:`aisfolio.portfolio.price_files.read_price_file`,
:func:`aisfolio.portfolio.datasets.load_dataset`) hands its raw table to :func:`validate_prices`,
which either returns the canonical price frame or raises
:class:`~aisfolio.portfolio.errors.DataError` naming the file, the column and the row at fault.

The canonical price frame
-------------------------
* index: a sorted, unique, timezone-naive ``DatetimeIndex`` named ``"date"`` with dtype
  ``datetime64[ns]``; times of day are kept (intraday bars work);
* columns: one ``float64`` column per asset, in the order of the file (or of the
  ``columns`` mapping when one is given);
* ``NaN`` means "no price that day" (the asset did not trade); nothing is filled;
* every row has at least one price and every asset at least one price.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aisfolio.portfolio.errors import ConfigError, DataError

__all__ = [
    "LAYOUTS",
    "MISSING_TOKENS",
    "check_file",
    "check_observations",
    "validate_prices",
]

#: Cell texts read as an empty cell (no price that day), compared case-insensitively
#: after stripping white space. ``"."`` is FRED's marker for a missing value.
MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "."})

#: The table layouts :func:`validate_prices` understands.
LAYOUTS = ("wide", "long")

_NS_MIN = pd.Timestamp.min
_NS_MAX = pd.Timestamp.max


@dataclass(frozen=True)
class _Where:
    """Where rows come from: builds errors that name file, column and row."""

    source: str
    row_number: Callable[[int], int]
    row_kind: str

    def error(
        self, problem: str, *, column: str | None = None, position: int | None = None
    ) -> DataError:
        row = None if position is None else self.row_number(int(position))
        return DataError(problem, file=self.source, column=column, row=row, row_kind=self.row_kind)

    def label(self, position: int) -> str:
        return f"{self.row_kind} {self.row_number(int(position))}"


@dataclass(frozen=True)
class _Numbers:
    """One column of cells parsed to float64, with its problems found but not raised."""

    values: np.ndarray  # float64, NaN where missing or bad
    missing: np.ndarray  # bool: the cell is empty (no price)
    bad: np.ndarray  # bool: the cell holds a non-numeric or non-finite value
    cells: pd.Series  # the cells as read, to quote in messages

    def first_bad(self, keep: np.ndarray) -> int | None:
        """Position of the first bad cell among the kept records, if any."""
        found = np.flatnonzero(self.bad & keep)
        return int(found[0]) if found.size else None

    def problem(self, position: int) -> str:
        """Describe the bad cell at ``position``."""
        text = str(self.cells.iloc[position]).strip()
        try:
            number = float(text)
        except ValueError:
            return f"non-numeric value {text!r}"
        return f"non-finite value {text!r}" if not np.isfinite(number) else f"bad value {text!r}"


def check_file(path: str | Path) -> Path:
    """Check that ``path`` names an existing, readable file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to check; ``~`` is expanded.

    Returns
    -------
    pathlib.Path
        The expanded path.

    Raises
    ------
    DataError
        If the file does not exist, is a directory or cannot be opened; the message names
        the path as given and, for a missing file, the absolute path that was looked for.
    """
    label = str(path)
    file = Path(path).expanduser()
    if not file.exists():
        raise DataError(f"file not found (looked for {file.absolute()})", file=label)
    if file.is_dir():
        raise DataError("is a directory, not a file", file=label)
    try:
        with file.open("rb"):
            pass
    except OSError as exc:
        raise DataError(f"cannot open the file: {exc.strerror or exc}", file=label) from exc
    return file


def check_observations(
    prices: pd.DataFrame, min_observations: int, *, source: str, within: str = ""
) -> None:
    """Require at least ``min_observations`` prices for every asset.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price frame (dates x assets, ``NaN`` = no price).
    min_observations : int
        The fewest non-missing prices an asset may have.
    source : str
        The file or data set the prices came from, for the error message.
    within : str, optional
        Words describing the date window, appended to the count (``" between 2010-01-01
        and 2012-12-31"``).

    Raises
    ------
    DataError
        Naming the first asset with too few prices, how many it has and the minimum.
    """
    counts = prices.notna().sum()
    for asset, count in counts.items():
        if count == 0:
            raise DataError(
                f"no prices{within}; at least {min_observations} needed (min_observations)",
                file=source,
                column=str(asset),
            )
        if count < min_observations:
            raise DataError(
                f"only {count} price{'s' if count != 1 else ''}{within}; at least "
                f"{min_observations} needed "
                "(min_observations)",
                file=source,
                column=str(asset),
            )


def validate_prices(
    raw: pd.DataFrame,
    *,
    source: str,
    layout: str = "wide",
    date_column: str = "date",
    asset_column: str = "asset",
    price_column: str = "price",
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    allow_non_positive: Iterable[str] | None = None,
    min_observations: int = 1,
    row_number: Callable[[int], int] | None = None,
    row_kind: str = "line",
    normalize_dates: bool = False,
) -> pd.DataFrame:
    """Check a raw price table and turn it into the canonical price frame.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read, one row per record in file order. Cells may be text (as read
        from CSV) or typed (Parquet, embedded data). A named index (or an unnamed
        ``DatetimeIndex``, taken as the date column) is turned back into a column.
    source : str
        The file path or data set name, used in every error message.
    layout : {"wide", "long"}
        ``"wide"``: a date column plus one column per asset. ``"long"``: one price per
        row in columns ``date_column``, ``asset_column`` and ``price_column``, pivoted
        to wide; other columns are ignored.
    date_column, asset_column, price_column : str
        Column names. A name that matches no column exactly but exactly one column when
        case is ignored (``"Date"`` for ``"date"``) uses that column.
    columns : mapping of str to str, optional
        ``{source name: asset name}``. Wide layout: the file columns to use and their asset
        names; long layout: the values of ``asset_column`` to use and their asset names.
        Only the listed ones are kept, in the mapping's order.
    date_format : str, optional
        A ``strftime`` format for the dates. By default the format is inferred from the
        first date (ISO 8601 variants are accepted throughout); give it for day-first
        dates such as ``31/12/2020``.
    allow_non_positive : iterable of str, optional
        Asset names (after ``columns`` renaming) whose prices may be zero or negative.
        This is for instruments that can trade at or below zero, such as the WTI crude
        future, which settled at -37.63 USD on 2020-04-20. Returns of such assets are
        computed as the price change over the absolute previous price,
        ``(p[t] - p[t-1]) / |p[t-1]|``. Every other asset must have prices > 0.
    min_observations : int, default 1
        The fewest prices an asset may have. An asset with no prices at all is always an
        error of its own ("no prices: every cell is empty").
    row_number : callable, optional
        Maps the 0-based position of a record in ``raw`` to the number shown in messages.
        By default ``position + 2`` for ``row_kind="line"`` (a text file whose header is
        line 1) and ``position + 1`` for ``row_kind="row"``.
    row_kind : {"line", "row"}
        Whether row numbers count lines of a text file or records.
    normalize_dates : bool, default False
        Set the time of every date to midnight (for daily data stamped with a time).

    Returns
    -------
    pandas.DataFrame
        The canonical price frame (see the module docstring).

    Raises
    ------
    DataError
        For an empty table, a missing date column, a missing or unparsable date,
        a duplicate date (in the long layout: a duplicate (date, asset) pair; both rows
        are named), a non-numeric or non-finite value, a non-positive price, an asset
        column with no prices, fewer than ``min_observations`` prices, or a ``columns``
        entry that names a column absent from the table.
    ConfigError
        For an unknown ``layout`` or a ``columns`` mapping that gives two sources the
        same asset name.

    Warns
    -----
    UserWarning
        When the dates are not in increasing order; they are sorted.

    Notes
    -----
    * Empty cells (and the texts in :data:`MISSING_TOKENS`) mean "no price". A record
      where every asset is empty is dropped silently.
    * Timezone-aware dates are converted to UTC and then made naive, so a file mixing
      offsets yields one consistent UTC clock; naive dates are kept as they are (a naive
      date in a file that also holds aware ones is read as UTC).
    * Dates are not normalized unless ``normalize_dates`` is set, so intraday bars keep
      their times.
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"layout must be 'wide' or 'long', got {layout!r}", key="layout")
    if row_number is None:
        offset = 2 if row_kind == "line" else 1
        row_number = lambda position: position + offset  # noqa: E731
    where = _Where(source=str(source), row_number=row_number, row_kind=row_kind)
    allowed = _name_set(allow_non_positive)
    mapping = _check_mapping(columns)

    raw = _with_plain_index(raw, date_column)
    raw = raw.set_axis([str(name).strip() for name in raw.columns], axis=1)
    if raw.shape[1] == 0:
        raise where.error("the table is empty: no columns")
    twice = raw.columns[raw.columns.duplicated()]
    if len(twice):
        raise where.error("two columns have this name", column=twice[0])
    date_name = _find_column(raw, date_column, "date", where)

    if layout == "wide":
        prices = _wide(raw, date_name, mapping, allowed, date_format, normalize_dates, where)
    else:
        asset_name = _find_column(raw, asset_column, "asset", where)
        price_name = _find_column(raw, price_column, "price", where)
        prices = _long(
            raw, date_name, asset_name, price_name, mapping, allowed, date_format,
            normalize_dates, where,
        )  # fmt: skip
    check_observations(prices, min_observations, source=where.source)
    return prices


# --------------------------------------------------------------------------- layouts


def _wide(
    raw: pd.DataFrame,
    date_name: str,
    mapping: dict[str, str] | None,
    allowed: set[str],
    date_format: str | None,
    normalize_dates: bool,
    where: _Where,
) -> pd.DataFrame:
    """Validate a wide table (date column + one column per asset)."""
    if mapping is None:
        sources = [name for name in raw.columns if name != date_name]
        assets = list(sources)
    else:
        for name in mapping:
            if name not in raw.columns:
                raise where.error(
                    f"column {name!r} named in columns is not in the table; columns present: "
                    f"{_listing(raw.columns)}",
                    column=name,
                )
            if name == date_name:
                raise ConfigError(
                    f"columns maps the date column {name!r} to an asset", key="columns"
                )
        sources, assets = list(mapping), list(mapping.values())
    if not sources:
        raise where.error(f"no asset columns: the table has only the date column {date_name!r}")
    if raw.shape[0] == 0:
        raise where.error("no data rows: the table has column names but no records")

    parsed = [_parse_numbers(raw[name]) for name in sources]
    keep = ~np.logical_and.reduce([numbers.missing for numbers in parsed])
    if not keep.any():
        raise where.error("no data rows: every record is empty")
    positions = np.flatnonzero(keep)

    dates = _parse_dates(raw[date_name].iloc[positions], date_format, date_name, where, positions)
    if normalize_dates:
        dates = dates.normalize()

    _raise_first_bad(sources, parsed, keep, where)
    values = np.column_stack([numbers.values[positions] for numbers in parsed])

    duplicated = dates.duplicated(keep="first")
    if duplicated.any():
        second = int(np.flatnonzero(duplicated)[0])
        first = int(np.flatnonzero(dates == dates[second])[0])
        raise where.error(
            f"duplicate date {_show_date(dates[second])}; first on {where.label(positions[first])}",
            column=date_name,
            position=positions[second],
        )

    _check_positive(values, sources, assets, allowed, positions, where)
    for j, name in enumerate(sources):
        if np.isnan(values[:, j]).all():
            raise where.error("no prices: every cell of this column is empty", column=name)

    if not dates.is_monotonic_increasing:
        _warn_unsorted(where)
        order = np.argsort(dates.asi8, kind="stable")
        dates, values = dates[order], values[order]
    return _frame(dates, values, assets)


def _long(
    raw: pd.DataFrame,
    date_name: str,
    asset_name: str,
    price_name: str,
    mapping: dict[str, str] | None,
    allowed: set[str],
    date_format: str | None,
    normalize_dates: bool,
    where: _Where,
) -> pd.DataFrame:
    """Validate a long table (date, asset, price) and pivot it to wide."""
    if raw.shape[0] == 0:
        raise where.error("no data rows: the table has column names but no records")
    names = _as_text(raw[asset_name]).to_numpy(dtype=object)
    numbers = _parse_numbers(raw[price_name])
    named = names != ""
    present = list(dict.fromkeys(names[named]))  # order of first appearance

    unnamed = np.flatnonzero(~named & ~numbers.missing)
    if unnamed.size:
        raise where.error("a price without an asset name", column=asset_name, position=unnamed[0])

    if mapping is None:
        chosen, assets = present, present
    else:
        for name in mapping:
            if name not in present:
                raise where.error(
                    f"asset {name!r} named in columns does not occur in column {asset_name!r}; "
                    f"assets present: {_listing(present)}",
                    column=asset_name,
                )
        chosen, assets = list(mapping), list(mapping.values())

    keep = ~numbers.missing & np.isin(names, chosen)
    if not keep.any():
        if chosen:
            raise where.error(
                f"no prices for asset {chosen[0]!r}: every {price_name!r} cell is empty",
                column=asset_name,
            )
        raise where.error("no data rows: every record is empty")
    positions = np.flatnonzero(keep)

    dates = _parse_dates(raw[date_name].iloc[positions], date_format, date_name, where, positions)
    if normalize_dates:
        dates = dates.normalize()
    bad = numbers.first_bad(keep)
    if bad is not None:
        raise where.error(
            f"{numbers.problem(bad)} (asset {names[bad]!r})", column=price_name, position=bad
        )

    codes = pd.Index(chosen).get_indexer(names[positions])
    prices = numbers.values[positions]

    pairs = pd.DataFrame({"date": dates.asi8, "asset": codes})
    duplicated = pairs.duplicated(keep="first").to_numpy()
    if duplicated.any():
        second = int(np.flatnonzero(duplicated)[0])
        same = (pairs["date"].to_numpy() == pairs["date"].iat[second]) & (codes == codes[second])
        first = int(np.flatnonzero(same)[0])
        raise where.error(
            f"duplicate date {_show_date(dates[second])} for asset {chosen[codes[second]]!r}; "
            f"first on {where.label(positions[first])}",
            column=date_name,
            position=positions[second],
        )

    counts = np.bincount(codes, minlength=len(chosen))
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise where.error(
            f"no prices for asset {chosen[empty[0]]!r}: every {price_name!r} cell is empty",
            column=asset_name,
        )
    checked = np.array([asset not in allowed for asset in assets], dtype=bool)
    bad = np.flatnonzero(checked[codes] & (prices <= 0))
    if bad.size:
        raise where.error(
            f"non-positive price {_show_number(prices[bad[0]])} for asset "
            f"{chosen[codes[bad[0]]]!r} (only assets listed in allow_non_positive may be zero "
            "or negative)",
            column=price_name,
            position=positions[bad[0]],
        )

    unsorted = not pairs.groupby("asset", sort=False)["date"].is_monotonic_increasing.all()
    if unsorted:
        _warn_unsorted(where)
    unique_dates, rows = np.unique(dates.asi8, return_inverse=True)
    grid = np.full((unique_dates.size, len(chosen)), np.nan)
    grid[rows, codes] = prices
    index = pd.DatetimeIndex(unique_dates.view("datetime64[ns]"))
    return _frame(index, grid, assets)


# --------------------------------------------------------------------------- cells


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; missing cells become ``""``."""
    if isinstance(values.dtype, pd.StringDtype):
        text = values.fillna("")
    else:
        text = values.astype(object).where(values.notna(), "").map(str)
    return text.str.strip()


def _parse_numbers(values: pd.Series) -> _Numbers:
    """Parse one column of cells to float64 without raising."""
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(floats)
        bad = np.isinf(floats)
    else:
        text = _as_text(values)
        missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
        floats = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        bad = ~np.isfinite(floats) & ~missing
    floats = np.where(bad | missing, np.nan, floats)
    return _Numbers(floats, missing, bad, values)


def _raise_first_bad(
    sources: list[str], parsed: list[_Numbers], keep: np.ndarray, where: _Where
) -> None:
    """Raise for the earliest bad cell (then the leftmost column) among kept records."""
    found = [
        (position, j)
        for j, numbers in enumerate(parsed)
        if (position := numbers.first_bad(keep)) is not None
    ]
    if found:
        position, j = min(found)
        raise where.error(parsed[j].problem(position), column=sources[j], position=position)


def _check_positive(
    values: np.ndarray,
    sources: list[str],
    assets: list[str],
    allowed: set[str],
    positions: np.ndarray,
    where: _Where,
) -> None:
    """Raise for the earliest non-positive price of an asset not in ``allowed``."""
    checked = [j for j, asset in enumerate(assets) if asset not in allowed]
    if not checked:
        return
    with np.errstate(invalid="ignore"):
        bad = values[:, checked] <= 0
    if not bad.any():
        return
    row, k = np.argwhere(bad)[0]
    j = checked[k]
    raise where.error(
        f"non-positive price {_show_number(values[row, j])} (only assets listed in "
        "allow_non_positive may be zero or negative)",
        column=sources[j],
        position=positions[row],
    )


# --------------------------------------------------------------------------- dates


def _parse_dates(
    values: pd.Series,
    date_format: str | None,
    column: str,
    where: _Where,
    positions: np.ndarray,
) -> pd.DatetimeIndex:
    """Parse the date cells of the kept records to naive ``datetime64[ns]``."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_localize(None)  # the local wall-clock time: a bar keeps its day
        blank = parsed.isna().to_numpy()
        text = None
    elif pd.api.types.is_datetime64_dtype(dtype):
        parsed = values
        blank = parsed.isna().to_numpy()
        text = None
    else:
        text = _as_text(values)
        blank = text.str.lower().isin(MISSING_TOKENS).to_numpy()
        if date_format is None:
            date_format = _day_month_order(text[~blank], column, where, positions)
        parsed = _to_datetime(text, date_format, blank)

    if blank.any():
        raise where.error("missing date", column=column, position=positions[np.argmax(blank)])
    failed = parsed.isna().to_numpy()
    if failed.any():
        i = int(np.argmax(failed))
        shown = text.iat[i] if text is not None else str(values.iloc[i])
        hint = (
            f"does not match date_format {date_format!r}"
            if date_format
            else "set date_format (e.g. '%d/%m/%Y') if the dates are valid"
        )
        raise where.error(
            f"unparsable date {shown!r}: {hint}", column=column, position=positions[i]
        )
    outside = ((parsed < _NS_MIN) | (parsed > _NS_MAX)).to_numpy()
    if outside.any():
        i = int(np.argmax(outside))
        raise where.error(
            f"date {str(values.iloc[i]).strip()!r} is outside the supported range "
            f"{_NS_MIN.year}-{_NS_MAX.year}",
            column=column,
            position=positions[i],
        )
    return pd.DatetimeIndex(parsed.astype("datetime64[ns]").to_numpy(), name="date")


#: Dates written day and month first, in either order, then the year ("01/02/2020").
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[ T])")


def _day_month_order(
    text: pd.Series, column: str, where: _Where, positions: np.ndarray
) -> str | None:
    """The strftime format of dates written ``a/b/year``: day-first when some ``a``
    exceeds 12, month-first when some ``b`` does; neither is an ambiguity the user
    must settle with ``date_format`` (None: not such dates)."""
    parts = text.str.extract(_DAY_MONTH)
    if parts.empty or parts[0].isna().any():
        return None
    first, second = parts[0].astype(int), parts[2].astype(int)
    separator, year = parts[1].iloc[0], "%Y" if len(parts[3].iloc[0]) == 4 else "%y"
    time = " %H:%M:%S" if text.str.contains(r"\d:\d{2}:\d{2}").all() else ""
    time = time or (" %H:%M" if text.str.contains(r"\d:\d{2}").all() else "")
    day_first, month_first = (first > 12).any(), (second > 12).any()
    if day_first != month_first:
        order = ("%d", "%m") if day_first else ("%m", "%d")
        return separator.join([*order, year]) + time
    example = text.iloc[0].strip()
    reason = (
        "every day and month is 12 or less, so the order cannot be told"
        if not day_first
        else "some dates read day-first and others month-first"
    )
    raise where.error(
        f"ambiguous dates such as {example!r}: {reason}; set date_format "
        f"('%d{separator}%m{separator}{year}' or '%m{separator}%d{separator}{year}')",
        column=column,
        position=positions[0],
    )


#: A time of day followed by a UTC offset or zone name ("00:00:00+01:00", "09:30Z").
_ZONE_SUFFIX = re.compile(
    r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:[+-]\d{2}(?::?\d{2})?|Z|UTC|GMT)$",
    re.IGNORECASE,
)


def _to_datetime(text: pd.Series, date_format: str | None, blank: np.ndarray) -> pd.Series:
    """Parse date texts to naive timestamps in their own local time.

    A timezone-aware stamp keeps its wall-clock date and time (its offset is dropped,
    not applied): ``2015-01-02 00:00:00+01:00`` is the bar of 2015-01-02, as the file
    means it, not 2015-01-01 23:00 UTC. Naive and aware stamps may be mixed.
    """
    if date_format and ("%z" in date_format or "%Z" in date_format):
        return _with_zone_format(text, date_format, blank)
    local = text.str.strip().str.replace(_ZONE_SUFFIX, r"\1", regex=True)
    attempts = [date_format] if date_format else [None, "ISO8601"]
    best = None
    for fmt in attempts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                parsed = pd.to_datetime(local.where(~blank), format=fmt, utc=True, errors="coerce")
            except (ValueError, TypeError, OverflowError):
                continue
        failures = int((parsed.isna().to_numpy() & ~blank).sum())
        if best is None or failures < best[0]:
            best = (failures, parsed)
        if failures == 0:
            break
    if best is None:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    return best[1].dt.tz_localize(None)


def _with_zone_format(text: pd.Series, date_format: str, blank: np.ndarray) -> pd.Series:
    """Parse with a format that reads the zone (``%z``), keeping the local time."""

    def local(cell: str) -> pd.Timestamp:
        try:
            return pd.Timestamp(
                dt.datetime.strptime(cell.strip(), date_format).replace(tzinfo=None)
            )
        except (ValueError, TypeError, OverflowError):
            return pd.NaT

    return pd.Series(
        [pd.NaT if skip else local(cell) for cell, skip in zip(text, blank, strict=True)],
        index=text.index,
        dtype="datetime64[ns]",
    )


# --------------------------------------------------------------------------- helpers


def _with_plain_index(raw: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """Turn a meaningful index (named, or an unnamed DatetimeIndex) back into a column."""
    index = raw.index
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return raw
    if isinstance(index, pd.DatetimeIndex) and index.name is None:
        index = index.rename(date_column)
        raw = raw.set_axis(index, axis=0)
    if index.name is None and not isinstance(index, pd.MultiIndex):
        return raw.reset_index(drop=True)
    return raw.reset_index()


def _find_column(raw: pd.DataFrame, wanted: str, role: str, where: _Where) -> str:
    """The column called ``wanted`` (or its unique case-insensitive match)."""
    wanted = str(wanted).strip()
    if wanted in raw.columns:
        return wanted
    folded = [name for name in raw.columns if name.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    option = f"{role}_column"
    raise where.error(
        f"no {role} column {wanted!r}; columns present: {_listing(raw.columns)} "
        f"(set {option} to the right one)",
        column=wanted,
    )


def _check_mapping(columns: Mapping[str, str] | None) -> dict[str, str] | None:
    if columns is None:
        return None
    if not isinstance(columns, Mapping):
        raise ConfigError(
            f"must map source column names to asset names, got {type(columns).__name__}",
            key="columns",
        )
    mapping = {str(k).strip(): str(v).strip() for k, v in columns.items()}
    if not mapping:
        raise ConfigError("is empty; leave it unset to use every column", key="columns")
    seen: dict[str, str] = {}
    for source, asset in mapping.items():
        if not asset:
            raise ConfigError(f"maps {source!r} to an empty asset name", key="columns")
        if asset in seen:
            raise ConfigError(
                f"maps both {seen[asset]!r} and {source!r} to asset {asset!r}", key="columns"
            )
        seen[asset] = source
    return mapping


def _name_set(names: Iterable[str] | None) -> set[str]:
    if names is None:
        return set()
    if isinstance(names, str):
        return {names}
    return {str(name) for name in names}


def _listing(names: Iterable[object]) -> str:
    return ", ".join(repr(str(name)) for name in names) or "(none)"


def _show_date(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)


def _show_number(value: float) -> str:
    return f"{value:.10g}"


def _warn_unsorted(where: _Where) -> None:
    warnings.warn(
        f"{where.source}: dates are not in increasing order; they were sorted",
        UserWarning,
        stacklevel=4,
    )


def _frame(dates: pd.DatetimeIndex, values: np.ndarray, assets: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex(dates, name="date")
    data = {
        asset: np.ascontiguousarray(values[:, j], dtype="float64") for j, asset in enumerate(assets)
    }
    return pd.DataFrame(data, index=index)
