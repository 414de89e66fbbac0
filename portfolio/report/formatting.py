"""Numbers for people: percent, sensible decimals, a dash for what is missing.

Every table of a report goes through :func:`format_frame`, which picks a format per
column from its name (:data:`COLUMN_FORMATS`); machine-readable files keep full
precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "COLUMN_FORMATS",
    "MISSING",
    "date",
    "format_frame",
    "format_value",
    "integer",
    "money",
    "number",
    "percent",
    "probability",
    "ratio",
    "years",
]

#: What a missing or undefined value shows as.
MISSING = "–"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def percent(value: object, digits: int = 2) -> str:
    """``0.1035`` -> ``"10.35%"``."""
    return MISSING if _missing(value) else f"{_fixed(100 * float(value), digits)}%"  # type: ignore[arg-type]


def _fixed(value: float, digits: int, separator: str = "") -> str:
    """``value`` with ``digits`` decimals (and a thousands ``separator``), a value that
    rounds to zero shown as zero (``"0.000"``, not ``"-0.000"``)."""
    shown = f"{value:{separator}.{digits}f}"
    zero = float(shown.replace(separator, "") if separator else shown) == 0
    return shown[1:] if shown.startswith("-") and zero else shown


def ratio(value: object, digits: int = 3) -> str:
    """A ratio with ``digits`` decimals (``IR*``, Sharpe, beta, correlation)."""
    return MISSING if _missing(value) else _fixed(float(value), digits)  # type: ignore[arg-type]


def probability(value: object) -> str:
    """A probability or p-value: 3 decimals, ``"<0.001"`` below what they show."""
    if _missing(value):
        return MISSING
    x = float(value)  # type: ignore[arg-type]
    return "<0.001" if 0 < x < 0.0005 else _fixed(x, 3)


def number(value: object) -> str:
    """A plain number with as many decimals as its size needs (4 significant digits)."""
    if _missing(value):
        return MISSING
    x = float(value)  # type: ignore[arg-type]
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    digits = max(0, 3 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}"


def years(value: object) -> str:
    """A duration in years, 2 decimals."""
    return MISSING if _missing(value) else _fixed(float(value), 2)  # type: ignore[arg-type]


def integer(value: object) -> str:
    """A count."""
    return MISSING if _missing(value) else f"{round(float(value)):,d}"  # type: ignore[arg-type]


def money(value: object) -> str:
    """A notional amount with a thousands separator and 2 decimals."""
    return MISSING if _missing(value) else _fixed(float(value), 2, ",")  # type: ignore[arg-type]


def date(value: object) -> str:
    """A date as ``YYYY-MM-DD``."""
    return MISSING if _missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def text(value: object) -> str:
    """Anything else, as text."""
    return MISSING if _missing(value) else str(value)


#: Column name -> formatter; other numeric columns get :func:`number`.
COLUMN_FORMATS: Mapping[str, Callable[[object], str]] = {
    **dict.fromkeys(
        [
            "aRC",
            "aSD",
            "MD",
            "turnover",
            "weight",
            "held",
            "target",
            "current",
            "order",
            "volatility",
            "CVaR",
            "contribution",
            "share",
            "exposure",
            "position",
            "traded",
            "agreement",
            "cost",
            "expected turnover",
            "expected cost",
            "net exposure",
            "min trade",
            "recent volatility",
            "recent CVaR",
            "mean position",
            "largest weight",
        ],
        percent,
    ),
    **dict.fromkeys(["MLD"], years),
    **dict.fromkeys(
        [
            "IR*",
            "IR**",
            "IR***",
            "Sharpe",
            "Sortino",
            "Calmar",
            "beta",
            "recent beta",
            "correlation",
            "skew",
            "kurtosis",
        ],
        ratio,
    ),
    **dict.fromkeys(["SPA p", "MCS p", "PSR", "p", "p-value"], probability),
    **dict.fromkeys(
        [
            "trades",
            "count",
            "bars",
            "periods_per_year",
            "long",
            "short",
            "flat",
            "orders",
            "rebalances",
            "failures",
        ],
        integer,
    ),
    **dict.fromkeys(["notional", "order notional", "capital", "cost notional"], money),
    **dict.fromkeys(["start", "end", "date", "as of"], date),
}


def format_value(column: str, value: object) -> str:
    """Format one value as the column named ``column`` is formatted."""
    formatter = COLUMN_FORMATS.get(column)
    if formatter is not None:
        return formatter(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float | np.floating):
        return number(value)
    return text(value)


def format_frame(
    frame: pd.DataFrame, formats: Mapping[str, Callable[[object], str]] | None = None
) -> pd.DataFrame:
    """Every cell as text, index included (as columns), formatted by column name.

    Parameters
    ----------
    frame : DataFrame
        Numbers and labels.
    formats : mapping, optional
        Formatters that take precedence over :data:`COLUMN_FORMATS` for these columns.

    Returns
    -------
    DataFrame
        Strings, the index reset into leading columns when it is named.
    """
    flat = frame.reset_index() if any(name is not None for name in frame.index.names) else frame
    own = dict(formats or {})
    out = pd.DataFrame(index=range(len(flat)))
    for column in flat.columns:
        name = str(column)
        values = flat[column].tolist()
        formatter = own.get(name)
        out[name] = [formatter(v) if formatter else format_value(name, v) for v in values]
    return out
