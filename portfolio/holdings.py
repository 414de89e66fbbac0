"""Reading a holdings file: what the portfolio holds now, before a rebalance.

A CSV file (``.csv``, ``.csv.gz``, ``.txt``; UTF-8, comma-separated) with one row per
position:

- ``asset`` (net exposure per asset) or ``stream`` (weight per line of the run, e.g.
  ``SP500/ensemble_I``): exactly one of the two;
- ``weight``: the current weight, a fraction of the portfolio's value (negative = short);
- optionally ``units`` and ``price`` (for ``asset`` rows the price defaults to the last
  price in the data) or ``notional``: they let orders be given in units and notional.

Errors name the file, the line (the header is line 1) and the column, as price files do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from portfolio.errors import DataError
from portfolio.validation import check_file

__all__ = ["HOLDING_COLUMNS", "Holdings", "read_holdings"]

#: Columns a holdings file may have.
HOLDING_COLUMNS = ("asset", "stream", "weight", "units", "price", "notional")


@dataclass(frozen=True)
class Holdings:
    """Current holdings.

    Attributes
    ----------
    level : {"asset", "stream"}
        What the rows are.
    table : DataFrame
        Index: asset or stream names; columns ``weight`` and, when the file gives them,
        ``units``, ``price``, ``notional``; ``line`` is the row's line in the file.
    source : str
        The file name (for messages).
    """

    level: str
    table: pd.DataFrame
    source: str

    @classmethod
    def empty(cls, level: str = "asset") -> Holdings:
        """No holdings (a portfolio in cash)."""
        table = pd.DataFrame({"weight": pd.Series(dtype=float), "line": pd.Series(dtype=int)})
        return cls(level, table.rename_axis(level), "(no holdings: all cash)")

    def check_names(self, known: list[str]) -> None:
        """Refuse a name that is not an asset (stream) of the run, naming its line."""
        for name, line in self.table["line"].items():
            if name not in known:
                raise DataError(
                    f"unknown {self.level} '{name}'; known: {', '.join(known)}",
                    file=self.source,
                    column=self.level,
                    row=int(line),
                )


def _number(raw: str, *, file: str, column: str, line: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise DataError(f"not a number: {raw!r}", file=file, column=column, row=line) from None
    if not np.isfinite(value):
        raise DataError(f"not a finite number: {raw!r}", file=file, column=column, row=line)
    return value


def read_holdings(path: str | Path) -> Holdings:
    """Read and check a holdings file.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    Holdings

    Raises
    ------
    DataError
        Naming the file, line and column: missing file, no ``asset``/``stream`` column or
        both, no ``weight`` column, an unknown column, an empty name, a name given twice,
        a value that is not a number, a price that is not positive.
    """
    label = str(path)
    file = check_file(path)
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the file as CSV: {exc}", file=label) from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in HOLDING_COLUMNS]
    if unknown:
        raise DataError(
            f"unknown column; a holdings file has {', '.join(HOLDING_COLUMNS)}",
            file=label,
            column=unknown[0],
        )
    keys = [c for c in ("asset", "stream") if c in raw.columns]
    if len(keys) != 1:
        raise DataError("needs exactly one of the columns 'asset' or 'stream'", file=label)
    if "weight" not in raw.columns:
        raise DataError("no 'weight' column", file=label)
    if "notional" in raw.columns and "units" in raw.columns:
        raise DataError("give 'units' (and 'price') or 'notional', not both", file=label)
    level = keys[0]
    rows: dict[str, dict[str, float]] = {}
    for position, record in enumerate(raw.to_dict("records")):
        line = position + 2
        name = record[level].strip()
        if not name:
            raise DataError(f"empty {level} name", file=label, column=level, row=line)
        if name in rows:
            raise DataError(f"'{name}' given twice", file=label, column=level, row=line)
        values: dict[str, float] = {"line": line}
        for column in ("weight", "units", "price", "notional"):
            if column not in raw.columns:
                continue
            text = record[column].strip()
            if not text:
                if column == "weight":
                    raise DataError("empty weight", file=label, column=column, row=line)
                values[column] = np.nan
                continue
            values[column] = _number(text, file=label, column=column, line=line)
            if column == "price" and values[column] <= 0:
                raise DataError(
                    f"price must be > 0, got {text}", file=label, column=column, row=line
                )
        rows[name] = values
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis(level)
    if table.empty:
        return Holdings.empty(level)
    table["line"] = table["line"].astype(int)
    return Holdings(level, table, label)
