"""Risk measures of a portfolio line: pure functions of returns and weights.

Volatilities are annualized with ``sqrt(periods_per_year)``; CVaR is historical (the
mean loss over the worst ``1 - level`` share of bars), a positive fraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "beta",
    "historical_cvar",
    "risk_contributions",
    "rolling_information_ratio",
]


def historical_cvar(returns: np.ndarray | pd.Series, level: float = 0.95) -> float:
    """Expected shortfall: the mean loss over the worst ``1 - level`` share of returns.

    Parameters
    ----------
    returns : array-like
        Simple returns of one bar.
    level : float, default 0.95
        Confidence level; the tail holds ``ceil((1 - level) * N)`` returns (at least one).

    Returns
    -------
    float
        A loss as a positive fraction (negative when even the tail gains); NaN without data.
    """
    r = np.sort(np.asarray(returns, dtype=float)[np.isfinite(np.asarray(returns, dtype=float))])
    if len(r) == 0:
        return float("nan")
    tail = max(1, int(np.ceil(round((1.0 - level) * len(r), 9))))  # 0.05 * 20 is 1.0000000000000009
    return float(-r[:tail].mean())


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
    the portfolio's volatility and ``share`` to 1.

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
    total = float(np.sqrt(max(w @ cov @ w, 0.0)))
    marginal = cov @ w
    contribution = w * marginal / total if total > 0 else np.full(len(w), np.nan)
    return pd.DataFrame(
        {
            "weight": w,
            "volatility": np.sqrt(np.diag(cov)),
            "contribution": contribution,
            "share": contribution / total if total > 0 else np.full(len(w), np.nan),
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
