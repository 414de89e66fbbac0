"""Where prices come from: the ``data`` config group's target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import pandas as pd

from aisfolio.portfolio.datasets import list_datasets, load_dataset
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.price_files import read_price_file
from aisfolio.portfolio.validation import LAYOUTS, check_observations

__all__ = ["PriceSource", "load_prices"]


class PriceSource:
    """A price source: an embedded data set or a price file, with a selection on top.

    This is the Hydra ``_target_`` of the ``data`` config group. The constructor only
    stores its arguments, unchanged; they are checked by :meth:`load` (and
    :meth:`describe`), so a bad value surfaces as a :class:`~aisfolio.portfolio.errors.ConfigError`
    naming the key ``data.<argument>`` rather than as a Hydra instantiation error.

    Parameters
    ----------
    dataset : str or None, default "us_markets"
        An embedded data set (see :func:`aisfolio.portfolio.datasets.list_datasets`).
    path : str or None
        A price file (CSV or Parquet, see :func:`aisfolio.portfolio.price_files.read_price_file`).
        When given it wins over ``dataset``.
    layout : {"wide", "long"}
        File layout (files only).
    date_column, asset_column, price_column : str
        File column names (files only; ``asset_column`` and ``price_column`` for the long
        layout).
    columns : dict of str to str, optional
        ``{source name: asset name}``: use only these file columns (or long-layout asset
        values), renamed. With a data set it selects and renames the data set's columns.
    assets : list of str, optional
        Asset names (after renaming) to keep, in this order; by default all of them.
    start, end : str, optional
        Inclusive date window. An ``end`` at midnight (a plain date such as
        ``"2018-12-31"``) includes every bar of that day.
    min_observations : int, default 260
        The fewest prices each selected asset must have inside the window (at least 2).
    allow_non_positive : list of str, optional
        Assets allowed zero or negative prices (see
        :func:`aisfolio.portfolio.validation.validate_prices`); each must be an asset of the
        source.
    date_format : str, optional
        ``strftime`` format of the file's dates (files only).
    """

    def __init__(
        self,
        dataset: str | None = "us_markets",
        path: str | None = None,
        layout: str = "wide",
        date_column: str = "date",
        asset_column: str = "asset",
        price_column: str = "price",
        columns: dict[str, str] | None = None,
        assets: list[str] | None = None,
        start: str | None = None,
        end: str | None = None,
        min_observations: int = 260,
        allow_non_positive: list[str] | None = None,
        date_format: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.path = path
        self.layout = layout
        self.date_column = date_column
        self.asset_column = asset_column
        self.price_column = price_column
        self.columns = columns
        self.assets = assets
        self.start = start
        self.end = end
        self.min_observations = min_observations
        self.allow_non_positive = allow_non_positive
        self.date_format = date_format

    def __repr__(self) -> str:
        defaults = PriceSource()
        changed = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if value != getattr(defaults, name)
        ]
        return f"PriceSource({', '.join(changed)})"

    def describe(self) -> str:
        """Say where the prices come from.

        Returns
        -------
        str
            The file path, or ``"<name> (embedded)"`` for a data set.

        Raises
        ------
        ConfigError
            If neither ``path`` nor ``dataset`` is set.
        """
        if self.path is not None:
            return str(self.path)
        if self.dataset is None:
            raise ConfigError("set dataset or path", key="dataset")
        return f"{self.dataset} (embedded)"

    def load(self) -> pd.DataFrame:
        """Load, validate and select the prices.

        Returns
        -------
        pandas.DataFrame
            The canonical price frame (dates x assets, ``float64``, ``NaN`` = no price;
            see :mod:`aisfolio.portfolio.validation`), restricted to ``assets`` and to the
            ``start``..``end`` window. Dates on which no selected asset has a price are
            left out.

        Raises
        ------
        ConfigError
            For an invalid argument, naming it (the CLI reports it under ``data.``).
        DataError
            For a bad file or data set, an unknown asset in ``assets``, an empty window or
            an asset with fewer than ``min_observations`` prices in the window.
        """
        options = self._checked()
        source = self.describe()
        if self.path is not None:
            prices = read_price_file(
                self.path,
                layout=self.layout,
                date_column=self.date_column,
                asset_column=self.asset_column,
                price_column=self.price_column,
                columns=options["columns"],
                date_format=self.date_format,
                allow_non_positive=options["allow_non_positive"],
            )
        else:
            prices = _rename(load_dataset(self.dataset), options["columns"], source)

        unknown = [name for name in options["allow_non_positive"] if name not in prices.columns]
        if unknown:
            raise ConfigError(
                f"names {_listing(unknown)}, not an asset of {source}; assets: "
                f"{_listing(prices.columns)}",
                key="allow_non_positive",
            )
        if options["assets"] is not None:
            missing = [name for name in options["assets"] if name not in prices.columns]
            if missing:
                raise DataError(
                    f"unknown asset {_listing(missing)} in data.assets; available: "
                    f"{_listing(prices.columns)}",
                    file=source,
                    column=missing[0],
                )
            prices = prices[options["assets"]]

        start, end = options["start"], options["end"]
        if start is not None:
            prices = prices.loc[prices.index >= start]
        if end is not None:
            if end == end.normalize():  # a plain date: the whole day
                prices = prices.loc[prices.index < end + pd.Timedelta(days=1)]
            else:
                prices = prices.loc[prices.index <= end]
        prices = prices.loc[prices.notna().any(axis=1)]
        within = _window_words(start, end)
        if prices.empty:
            raise DataError(f"no prices{within}", file=source)
        check_observations(prices, options["min_observations"], source=source, within=within)
        return prices

    # ------------------------------------------------------------------ checks

    def _checked(self) -> dict[str, Any]:
        """Check every argument; return the normalized ones."""
        self.describe()
        if self.path is None and self.dataset not in list_datasets():
            raise ConfigError(
                f"unknown data set {self.dataset!r}; available: {_listing(list_datasets())}",
                key="dataset",
            )
        if self.layout not in LAYOUTS:
            raise ConfigError(
                f"must be one of {_listing(LAYOUTS)}, got {self.layout!r}", key="layout"
            )
        for name in ("date_column", "asset_column", "price_column"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"must be a column name, got {value!r}", key=f"{name}")
        if self.date_format is not None and not isinstance(self.date_format, str):
            raise ConfigError(
                f"must be a strftime format string, got {self.date_format!r}",
                key="date_format",
            )
        minimum = self.min_observations
        if isinstance(minimum, bool) or not isinstance(minimum, Integral) or minimum < 2:
            raise ConfigError(f"must be an integer >= 2, got {minimum!r}", key="min_observations")
        start = _timestamp(self.start, "start")
        end = _timestamp(self.end, "end")
        if start is not None and end is not None and start > end:
            raise ConfigError(f"start {self.start!s} is after end {self.end!s}", key="start")
        return {
            "columns": _mapping(self.columns),
            "assets": _names(self.assets, "assets", allow_empty=False),
            "allow_non_positive": _names(self.allow_non_positive, "allow_non_positive") or [],
            "min_observations": int(minimum),
            "start": start,
            "end": end,
        }


def _timestamp(value: object, name: str) -> pd.Timestamp | None:
    """A window bound as a naive timestamp (aware ones converted to UTC)."""
    if value is None:
        return None
    if not isinstance(value, str | dt.date | pd.Timestamp):
        raise ConfigError(f"must be a date such as '2010-01-31', got {value!r}", key=f"{name}")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"cannot parse {value!r} as a date (use e.g. '2010-01-31')", key=f"{name}"
        ) from exc
    if stamp is pd.NaT:
        raise ConfigError(f"cannot parse {value!r} as a date", key=f"{name}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)  # its own wall-clock date, as for the files
    return stamp


def _mapping(columns: object) -> dict[str, str] | None:
    if columns is None:
        return None
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ConfigError(
            f"must map source column names to asset names, got {columns!r}", key="columns"
        )
    if not columns:
        raise ConfigError("is empty; leave it unset to use every column", key="columns")
    return dict(columns)


def _names(values: object, name: str, *, allow_empty: bool = True) -> list[str] | None:
    if values is None:
        return None
    if (
        isinstance(values, str)
        or not isinstance(values, Sequence)
        or not all(isinstance(v, str) for v in values)
    ):
        raise ConfigError(f"must be a list of asset names, got {values!r}", key=f"{name}")
    names = list(values)
    if not names and not allow_empty:
        raise ConfigError("is empty; leave it unset to keep every asset", key=f"{name}")
    twice = sorted({v for v in names if names.count(v) > 1})
    if twice:
        raise ConfigError(f"lists {_listing(twice)} more than once", key=f"{name}")
    return names


def _rename(prices: pd.DataFrame, columns: dict[str, str] | None, source: str) -> pd.DataFrame:
    """Apply a ``{column: asset}`` selection-and-renaming to a loaded frame."""
    if columns is None:
        return prices
    for name in columns:
        if name not in prices.columns:
            raise DataError(
                f"column {name!r} named in columns is not in the data; columns present: "
                f"{_listing(prices.columns)}",
                file=source,
                column=name,
            )
    targets = list(columns.values())
    if len(set(targets)) != len(targets):
        raise ConfigError("maps two columns to the same asset name", key="columns")
    selected = prices[list(columns)]
    return selected.set_axis(targets, axis=1).loc[selected.notna().any(axis=1)]


def _window_words(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    if start is None and end is None:
        return ""
    first = "the start" if start is None else _show(start)
    last = "the end" if end is None else _show(end)
    return f" between {first} and {last}"


def _show(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)


def _listing(names: object) -> str:
    return ", ".join(repr(str(name)) for name in names)


def load_prices(path: str, **options: object) -> pd.DataFrame:
    """Load and validate a price file (CSV or Parquet); see :class:`PriceSource`.

    Parameters
    ----------
    path : str
        The file.
    **options
        Any other :class:`PriceSource` argument (``layout="long"``, ``columns=...``).

    Returns
    -------
    DataFrame
        Dates (union of the assets' calendars) by asset, NaN where an asset has no price.
    """
    return PriceSource(dataset=None, path=path, **options).load()  # type: ignore[arg-type]
