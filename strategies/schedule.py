"""Calendars of refits and rebalances: which bars start a new period.

Shared by the walk-forward engine (refit calendars) and by ensembles and portfolios
(rebalance calendars), so that "quarterly" means the same thing everywhere: the first
bar of January, April, July and October present in the series' own calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FREQUENCIES", "period_starts", "schedule_positions"]

_PERIOD_CODES = {"weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y"}
FREQUENCIES = ("every_bar", "every_k", "weekly", "monthly", "quarterly", "yearly", "never")


def _check_frequency(frequency: str, every: int) -> None:
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency '{frequency}'; choose one of {', '.join(FREQUENCIES)}")
    if frequency == "every_k" and (not isinstance(every, int) or every < 1):
        raise ValueError(f"'every' must be a positive integer for every_k, got {every!r}")


def period_starts(index: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Flag the first bar of each calendar period.

    Parameters
    ----------
    index : DatetimeIndex
        The series' own sorted calendar.
    frequency : {"weekly", "monthly", "quarterly", "yearly"}
        Calendar period. Quarters start in January, April, July and October.

    Returns
    -------
    ndarray of bool
        True where the bar's period differs from the previous bar's. The first bar is
        False: without an earlier bar it is unknown whether it opens a period.
    """
    if frequency not in _PERIOD_CODES:
        raise ValueError(
            f"'{frequency}' is not a calendar period; use one of {list(_PERIOD_CODES)}"
        )
    periods = pd.DatetimeIndex(index).to_period(_PERIOD_CODES[frequency]).asi8
    starts = np.zeros(len(periods), dtype=bool)
    starts[1:] = periods[1:] != periods[:-1]
    return starts


def schedule_positions(
    index: pd.DatetimeIndex, frequency: str, first: int = 0, every: int = 1
) -> np.ndarray:
    """Positions of the bars at which a refit or a rebalance happens.

    Parameters
    ----------
    index : DatetimeIndex
        The series' own sorted calendar.
    frequency : str
        One of :data:`FREQUENCIES`. ``"never"`` schedules only ``first``.
    first : int, default 0
        Position of the first decision bar; it is always scheduled.
    every : int, default 1
        Bars between events for ``"every_k"``.

    Returns
    -------
    ndarray of int
        Sorted positions, all ``>= first``.
    """
    _check_frequency(frequency, every)
    n = len(index)
    if first >= n:
        return np.empty(0, dtype=int)
    if frequency == "never":
        return np.array([first])
    if frequency in ("every_bar", "every_k"):
        step = 1 if frequency == "every_bar" else every
        return np.arange(first, n, step)
    starts = np.flatnonzero(period_starts(index, frequency))
    return np.concatenate(([first], starts[starts > first]))
