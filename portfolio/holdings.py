"""Reading a holdings file: what the portfolio holds now, before a rebalance.

A CSV file (``.csv``, ``.csv.gz``, ``.txt``; UTF-8, comma-separated) with one row per
position:

- ``asset`` (net exposure per asset) or ``stream`` (weight per line of the run, e.g.
  ``SP500/ensemble_I``): exactly one of the two;
- ``weight``: the current weight, a fraction of the portfolio's value (negative = short);
- optionally ``units`` and ``price`` (for ``asset`` rows the price defaults to the last
  price in the data) or ``notional``: they let orders be given in units and notional.

Errors name the file, the line (the header is line 1, blank lines count) and the column,
as price files do. A row whose weight and money value contradict each other (a long
weight with a short notional, a zero weight with units held, or the reverse) is refused;
weights that add up to more than 100% of the portfolio, or money values that disagree
with the weights by more than :data:`WEIGHT_TOLERANCE`, are noted in the orders' summary
and logged as warnings.
"""

from __future__ import annotations

import csv
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aisfolio.portfolio.errors import DataError
from aisfolio.portfolio.price_files import open_text
from aisfolio.portfolio.validation import check_file

__all__ = ["HOLDING_COLUMNS", "WEIGHT_TOLERANCE", "Holdings", "read_holdings"]

log = logging.getLogger(__name__)

#: Columns a holdings file may have.
HOLDING_COLUMNS = ("asset", "stream", "weight", "units", "price", "notional")

#: Largest difference, in weight, between a row's weight and its money value over the
#: portfolio's value before it is noted (prices move between the file and the data).
WEIGHT_TOLERANCE = 0.02

#: Rows named in the notes; more are counted.
_NOTED_ROWS = 5


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

    def check_worth(self, worth: pd.Series) -> None:
        """Refuse a row whose weight and money value contradict each other.

        Parameters
        ----------
        worth : Series
            What each row is worth in money (``notional``, or ``units * price``); NaN
            where the file does not say.

        Raises
        ------
        DataError
            Naming the line: a zero weight with a position worth money, a weight with a
            position worth nothing, a weight whose sign is not the position's.
        """
        column = "notional" if "notional" in self.table else "units"
        for name, value in worth.dropna().items():
            weight = float(self.table.loc[name, "weight"])
            if np.sign(weight) == np.sign(value):
                continue
            if weight == 0:
                problem = f"weight 0, but the position is worth {value:.6g}"
            elif value == 0:
                problem = f"weight {weight:g}, but the position is worth 0"
            else:
                problem = (
                    f"weight {weight:g} is {_side(weight)}, but the position is worth "
                    f"{value:.6g} ({_side(value)})"
                )
            raise DataError(
                f"{name}: {problem}",
                file=self.source,
                column=column,
                row=int(self.table.loc[name, "line"]),
            )

    def notes(self, worth: pd.Series | None = None, capital: float | None = None) -> list[str]:
        """What looks wrong without being a contradiction, each also logged as a warning.

        Parameters
        ----------
        worth : Series, optional
            What each row is worth in money, NaN where unknown.
        capital : float, optional
            The portfolio's value.

        Returns
        -------
        list of str
            Weights adding up to more than 100% (net), and rows whose money value over
            ``capital`` differs from their weight by more than :data:`WEIGHT_TOLERANCE`.
        """
        found = []
        net = float(self.table["weight"].sum())
        if abs(net) > 1.0 + 1e-9:
            found.append(
                f"the current weights add up to {net:g}: more than the portfolio's value "
                "(weights are fractions of it, 0.5 = 50%)"
            )
        if worth is not None and capital is not None:
            implied = worth / capital
            gap = (implied - self.table["weight"]).abs().dropna()
            far = [str(name) for name in gap.index[gap > WEIGHT_TOLERANCE]]
            found.extend(
                f"line {int(self.table.loc[name, 'line'])} ({name}): weight "
                f"{self.table.loc[name, 'weight']:g}, but its position is "
                f"{implied[name]:.4g} of the portfolio's value {capital:.6g}"
                for name in far[:_NOTED_ROWS]
            )
            if len(far) > _NOTED_ROWS:
                found.append(f"{len(far) - _NOTED_ROWS} more rows like these")
        for note in found:
            log.warning("holdings %s: %s", self.source, note)
        return found


def _side(value: float) -> str:
    return "long" if value > 0 else "short"


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
    header, records = _records(check_file(path), label)
    raw = pd.DataFrame([fields for _, fields in records], columns=header, dtype=str)
    lines = [line for line, _ in records]
    twice = [column for column in header if header.count(column) > 1]
    if twice:
        raise DataError("two columns have this name", file=label, column=twice[0])
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
    for line, record in zip(lines, raw.to_dict("records"), strict=True):
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


def _records(file: Path, label: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (lower-cased) and each record with the line it starts on; blank lines
    are skipped but counted, and a record with more or fewer fields than the header is
    refused."""
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    try:
        with open_text(file) as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            starts = 1
            for fields in reader:
                line, starts = starts, reader.line_num + 1
                if not any(field.strip() for field in fields):
                    continue
                if header is None:
                    header = [field.strip().lower() for field in fields]
                elif len(fields) != len(header):
                    raise DataError(
                        f"{len(fields)} fields, but the header has {len(header)}",
                        file=label,
                        row=line,
                    )
                else:
                    records.append((line, fields))
    except (UnicodeDecodeError, EOFError, OSError, csv.Error, zlib.error) as exc:
        raise DataError(f"cannot read the file as CSV: {exc}", file=label) from None
    if header is None:
        raise DataError("the file is empty: no header", file=label)
    return header, records
