"""Backtest of a portfolio of return streams with periodic rebalancing, drift and costs.

Used for the paper's equal-weight ensembles and hedges, and for any allocator that
gives target weights from the streams' past returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.ensemble.weights import TargetWeights
from aisfolio.strategies.schedule import schedule_positions

__all__ = ["RebalancedPortfolio", "rebalance_streams", "union_equity"]


@dataclass(frozen=True)
class RebalancedPortfolio:
    """Result of :func:`rebalance_streams`.

    Attributes
    ----------
    equity : Series
        Portfolio equity, 1.0 on the first bar.
    returns : Series
        Net portfolio returns (0 on the first bar).
    weights : DataFrame
        Weights held over each bar's return (after the previous close's rebalance,
        drifted by earlier returns).
    costs : Series
        Rebalancing costs booked on each bar.
    traded : Series
        Weight traded at each bar's close, ``sum |target - drifted|`` (never negative).
    rebalances : DatetimeIndex
        Decision dates of the rebalances, the initial allocation first.
    targets : DataFrame
        Target weights decided at each rebalance (rows: :attr:`rebalances`) and, on the
        last row, the weights the rule gives at the last close: what a rebalance on the
        last date would trade to (:mod:`aisfolio.portfolio.orders` reads it). A rule that cannot
        be deep-copied (an allocator holding a compiled solver problem) is not asked
        again: its last row is then its last rebalance's targets.
    """

    equity: pd.Series
    returns: pd.Series
    weights: pd.DataFrame
    costs: pd.Series
    traded: pd.Series
    rebalances: pd.DatetimeIndex
    targets: pd.DataFrame | None = None


def union_equity(lines: dict[str, pd.Series]) -> pd.DataFrame:
    """Equity lines on the union of their calendars.

    A line is carried unchanged over dates on which its asset does not trade (no
    trading, zero return) and left NaN before its first date.
    """
    return pd.DataFrame(lines).sort_index().ffill()


def rebalance_streams(
    equity: pd.DataFrame,
    targets: TargetWeights,
    frequency: str = "quarterly",
    every: int = 1,
    cost_rate: float = 0.0005,
) -> RebalancedPortfolio:
    """Hold streams at target weights reset on a calendar, drifting in between.

    The initial allocation is made at the close of the first bar at no cost (each
    stream's own trading costs are already in its returns). At the close of each later
    scheduled bar the drifted weights are traded back to the targets, costing
    ``cost_rate * sum |target - drifted|``, booked in the next bar's return.

    Parameters
    ----------
    equity : DataFrame
        Equity lines of the streams on one calendar, no missing values.
    targets : TargetWeights
        Gives target weights from the streams' returns up to the rebalance date.
    frequency : str, default "quarterly"
        Rebalance calendar (see :func:`aisfolio.strategies.schedule.schedule_positions`).
    every : int, default 1
        Bars between rebalances for ``"every_k"``.
    cost_rate : float, default 0.0005
        Cost per unit of weight traded.

    Returns
    -------
    RebalancedPortfolio
    """
    if cost_rate < 0:
        raise ValueError(f"cost_rate must be >= 0, got {cost_rate}")
    if equity.isna().any().any():
        raise ValueError("stream equity lines must have no missing values on the common calendar")
    stream_returns = equity.pct_change().fillna(0.0)
    r = stream_returns.to_numpy()
    n, k = r.shape
    scheduled = np.zeros(n, dtype=bool)
    scheduled[schedule_positions(equity.index, frequency, first=0, every=every)] = True

    held = np.zeros((n, k))
    returns = np.zeros(n)
    costs = np.zeros(n)
    traded = np.zeros(n)
    weights = _checked(targets.weights_at(stream_returns.iloc[:1]), k)
    decided = {0: weights}
    pending_cost = 0.0
    for t in range(1, n):
        held[t] = weights
        gross = float(weights @ r[t])
        costs[t] = pending_cost
        returns[t] = gross - pending_cost
        growth = 1.0 + gross
        drifted = weights * (1.0 + r[t]) / growth if growth != 0 else weights
        pending_cost = 0.0
        if scheduled[t] and t < n - 1:
            target = _checked(targets.weights_at(stream_returns.iloc[: t + 1]), k)
            traded[t] = float(np.abs(target - drifted).sum())
            pending_cost = cost_rate * traded[t]
            weights = decided[t] = target
        else:
            weights = drifted
    held[0] = np.nan
    index = equity.index
    if n > 1:
        # The rule's weights at the last close (what a rebalance today trades to); a
        # stateful rule previews them and stays as it was.
        preview = getattr(targets, "preview_at", targets.weights_at)
        decided[n - 1] = _checked(preview(stream_returns), k)
    return RebalancedPortfolio(
        equity=pd.Series(np.cumprod(1.0 + returns), index=index),
        returns=pd.Series(returns, index=index),
        weights=pd.DataFrame(held, index=index, columns=equity.columns),
        costs=pd.Series(costs, index=index),
        traded=pd.Series(traded, index=index),
        rebalances=index[:-1][scheduled[:-1]],
        targets=pd.DataFrame(
            list(decided.values()), index=index[list(decided)], columns=equity.columns
        ),
    )


def _checked(weights: np.ndarray, k: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != (k,) or not np.isfinite(w).all():
        raise ValueError(f"target weights must be {k} finite numbers, got {w!r}")
    return w
