"""The project's one time convention, applied in one place.

A value stamped ``t`` is decided at the close of ``t`` with data up to and including
``t`` and earns the return from ``t`` to ``t + 1``. :func:`apply_decision_lag` is the
only function that moves a series in time; every backtest goes through it.
"""

from __future__ import annotations

from typing import TypeVar

import pandas as pd

__all__ = ["apply_decision_lag"]

SeriesOrFrame = TypeVar("SeriesOrFrame", pd.Series, pd.DataFrame)


def apply_decision_lag(decisions: SeriesOrFrame, fill_value: float = 0.0) -> SeriesOrFrame:
    """Move decisions stamped ``t`` onto the bar ``t + 1`` whose return they earn.

    Parameters
    ----------
    decisions : Series or DataFrame
        Positions, weights or costs stamped by decision date, on the calendar of the
        returns they will be multiplied with.
    fill_value : float, default 0.0
        What is in force on the first bar, before any decision (flat).

    Returns
    -------
    Series or DataFrame
        Same shape and index: row ``t + 1`` holds the decision of row ``t``.
    """
    return decisions.shift(1, fill_value=fill_value)
