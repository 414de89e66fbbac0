"""Embedded real price data sets, loaded by name.

The prices ship inside the ``arch`` package (``arch.data``), so the project runs and
tests without network access or extra files. Every data set goes through
:func:`aisfolio.portfolio.validation.validate_prices`, exactly like a price file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.validation import validate_prices

__all__ = ["list_datasets", "load_dataset"]

_START, _END = "1999-01-01", "2018-12-31"


@dataclass(frozen=True)
class _Dataset:
    description: str
    build: Callable[[], pd.DataFrame]  # raw table: a "date" column plus one column per asset


def _arch_series(module: str, column: str, asset: str) -> pd.Series:
    """One column of an ``arch.data`` data set as a float series named ``asset``."""
    from importlib import import_module

    frame = import_module(f"arch.data.{module}").load()
    return frame[column].astype("float64").rename(asset)


def _table(series: list[pd.Series], start: str | None, end: str | None) -> pd.DataFrame:
    """Join series on the union of their dates (no filling) and cut to [start, end]."""
    frame = pd.concat(series, axis=1, join="outer", sort=True)
    frame = frame.loc[start:end]
    return frame.rename_axis("date").reset_index()


def _us_markets() -> pd.DataFrame:
    return _table(
        [
            _arch_series("sp500", "Close", "SP500"),
            _arch_series("nasdaq", "Close", "NASDAQ"),
            _arch_series("wti", "DCOILWTICO", "WTI"),
        ],
        _START,
        _END,
    )


_DATASETS: dict[str, _Dataset] = {
    "us_markets": _Dataset(
        "S&P 500 and NASDAQ Composite closes and WTI crude spot (FRED), daily, "
        "1999-01-04..2018-12-31, each asset on its own trading days",
        _us_markets,
    ),
    "sp500": _Dataset(
        "S&P 500 index close, daily exchange days, 1999-01-04..2018-12-31",
        lambda: _table([_arch_series("sp500", "Close", "SP500")], None, None),
    ),
    "nasdaq": _Dataset(
        "NASDAQ Composite index close, daily exchange days, 1999-01-04..2018-12-31",
        lambda: _table([_arch_series("nasdaq", "Close", "NASDAQ")], None, None),
    ),
    "wti": _Dataset(
        "WTI crude oil spot price (FRED DCOILWTICO), daily, 1986-01-02..2019-01-03",
        lambda: _table([_arch_series("wti", "DCOILWTICO", "WTI")], None, None),
    ),
}


def list_datasets() -> dict[str, str]:
    """List the embedded data sets.

    Returns
    -------
    dict of str to str
        Data set name -> one-line description.
    """
    return {name: dataset.description for name, dataset in _DATASETS.items()}


def load_dataset(name: str) -> pd.DataFrame:
    """Load an embedded data set as a validated price frame.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`: ``"us_markets"`` (columns ``SP500``, ``NASDAQ``,
        ``WTI``), ``"sp500"``, ``"nasdaq"`` or ``"wti"``.

    Returns
    -------
    pandas.DataFrame
        Dates (the union of the assets' trading days, normalized to midnight, sorted,
        ``datetime64[ns]``, named ``"date"``) x assets (``float64``). ``NaN`` marks a day
        on which an asset has no price (for WTI this includes the holidays that the
        source file lists without a value); nothing is forward-filled. Dates on which no
        asset has a price are left out. A fresh copy is returned on every call.

    Raises
    ------
    DataError
        If ``name`` is not an embedded data set; the message lists the available names.
    """
    if name not in _DATASETS:
        raise DataError(
            f"unknown data set {name!r}; available: {', '.join(sorted(_DATASETS))}",
            file=str(name),
        )
    return _load(name).copy()


@cache
def _load(name: str) -> pd.DataFrame:
    return validate_prices(
        _DATASETS[name].build(),
        source=f"{name} (embedded data set)",
        row_kind="row",
        normalize_dates=True,
    )
