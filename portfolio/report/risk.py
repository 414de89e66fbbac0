"""Risk of a portfolio line as the report shows it: frames built on the pure measures of
:mod:`aisfolio.portfolio.measures` (one definition of volatility, CVaR and risk
contributions for the report and the allocator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.portfolio import measures

__all__ = [
    "beta",
    "risk_contributions",
    "rolling_information_ratio",
]


def beta(returns: pd.Series, target: pd.Series) -> float:
    """Slope of ``returns`` on ``target`` over their common dates: cov / var(target)."""
    both = pd.concat([returns, target], axis=1, join="inner").dropna()
    if len(both) < 3:
        return float("nan")
    x, y = both.iloc[:, 1].to_numpy(), both.iloc[:, 0].to_numpy()
    variance = float(np.var(x, ddof=1))
    return float(np.cov(y, x, ddof=1)[0, 1] / variance) if variance > 0 else float("nan")


def risk_contributions(
    weights: pd.Series, returns: pd.DataFrame, periods_per_year: float
) -> pd.DataFrame:
    """Each stream's share of the portfolio's volatility (Euler allocation).

    ``contribution_i = w_i (Σ w)_i / sqrt(w' Σ w)``, annualized; contributions add up to
    the portfolio's volatility and ``share``
    (:func:`aisfolio.portfolio.measures.risk_contributions`) to 1. A stream held at zero
    weight contributes nothing; a portfolio without volatility (nothing held) has zero
    contributions and no shares (NaN).

    Parameters
    ----------
    weights : Series
        Weight (or net exposure) per stream, indexed like ``returns``' columns.
    returns : DataFrame
        Simple returns of the streams (rows with a missing value are dropped).
    periods_per_year : float
        For annualization.

    Returns
    -------
    DataFrame
        Index: the streams; columns ``weight``, ``volatility`` (of the stream alone),
        ``contribution`` and ``share``.
    """
    frame = returns[list(weights.index)].dropna()
    w = weights.to_numpy(dtype=float)
    cov = np.atleast_2d(np.cov(frame.to_numpy(), rowvar=False, ddof=1)) * periods_per_year
    shares = measures.risk_contributions(w, cov)
    total = float(np.sqrt(max(w @ cov @ w, 0.0)))
    return pd.DataFrame(
        {
            "weight": w,
            "volatility": np.sqrt(np.diag(cov)),
            "contribution": np.nan_to_num(shares) * total,
            "share": shares,
        },
        index=weights.index,
    )


def rolling_information_ratio(equity: pd.Series, window: int, periods_per_year: float) -> pd.Series:
    """IR* over a trailing window of ``window`` returns, at each bar.

    At bar t, :func:`aisfolio.portfolio.metrics.information_ratio` of the ``window + 1`` points
    ``E[t - window .. t]``: ``((E_t / E_{t-window}) ** (s / (window + 1)) - 1) /
    (std(returns in the window) * sqrt(s))``, the paper's aRC and aSD on that stretch;
    NaN until a full window exists or where the window's returns do not move.
    """
    returns = equity.pct_change()
    growth = (equity / equity.shift(window)) ** (periods_per_year / (window + 1)) - 1.0
    volatility = returns.rolling(window).std(ddof=1) * np.sqrt(periods_per_year)
    return (growth / volatility.where(volatility > 0)).rename(equity.name)
