"""Returns of price series, robust to instruments that trade at or below zero."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simple_returns"]


def simple_returns(prices: pd.Series | pd.DataFrame, periods: int = 1) -> pd.Series | pd.DataFrame:
    """Price change over ``periods`` bars divided by the absolute earlier price.

    For positive prices this is the ordinary simple return ``p_t / p_{t-k} - 1``; for
    instruments that can trade negative (a futures contract) it is the return on the
    notional ``|p_{t-k}|``, so a move from 10 to -37 is -470%, not +470%.

    Parameters
    ----------
    prices : Series or DataFrame
        Prices on one calendar (no missing values inside a column's own dates).
    periods : int, default 1
        Lookback in bars.

    Returns
    -------
    Series or DataFrame
        Returns stamped at the later bar; the first ``periods`` bars are NaN.
    """
    earlier = prices.shift(periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (prices - earlier) / earlier.abs()
