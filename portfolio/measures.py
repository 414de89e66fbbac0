"""Pure measures of returns, equity and weights: one definition each, used by the
metrics, the allocator and the report alike.

Returns of prices are :func:`aisfolio.strategies.returns.simple_returns` (they handle
prices at or below zero); everything here takes returns, equity or weights as numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:  # numpy alone at run time: importing the metrics stays light
    import pandas as pd

__all__ = [
    "cvar",
    "drawdown",
    "risk_contributions",
    "traded_notional",
    "volatility",
]

Equity = TypeVar("Equity", np.ndarray, "pd.Series")


def drawdown(equity: Equity) -> Equity:
    """The fall below the running peak at each point, ``E_t / max(E_1..E_t) - 1`` (<= 0)."""
    if hasattr(equity, "cummax"):  # a Series keeps its index
        return equity / equity.cummax() - 1.0
    values = np.asarray(equity, dtype=float)
    return values / np.maximum.accumulate(values) - 1.0


def volatility(returns: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """Annualized volatility: the sample standard deviation (``ddof=1``) of per-bar
    returns times ``sqrt(s)``; NaN with fewer than two returns. Missing returns are
    skipped."""
    r = np.asarray(returns, dtype=float)
    r = r[~np.isnan(r)]
    if len(r) < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year))


def cvar(losses: np.ndarray, level: float, probabilities: np.ndarray | None = None) -> float:
    """Conditional value at risk of ``losses``: ``min_a a + E[(loss - a)+] / (1 - level)``.

    The Rockafellar-Uryasev definition, which the ``min_cvar`` allocator minimizes. The
    minimum of that convex, piecewise-linear function of ``a`` is at one of the losses,
    so it is evaluated exactly there. With equal probabilities it is the mean of the
    worst ``k = T (1 - level)`` losses, the last one weighted by the fraction of ``k``
    when ``k`` is not an integer. Missing losses are skipped; NaN without any.

    Parameters
    ----------
    losses : array-like
        Losses (negative returns for the CVaR of returns).
    level : float
        Confidence level in (0, 1), e.g. 0.95.
    probabilities : array-like, optional
        Scenario probabilities (default equal).

    Returns
    -------
    float
        A loss: positive when the tail loses.
    """
    losses = np.asarray(losses, dtype=float)
    if probabilities is None:
        losses = losses[~np.isnan(losses)]
        if len(losses) == 0:
            return float("nan")
        probabilities = np.full(len(losses), 1.0 / len(losses))
    candidates = losses[probabilities > 0]
    excess = np.maximum(losses[None, :] - candidates[:, None], 0.0) @ probabilities
    return float(np.min(candidates + excess / (1.0 - level)))


def risk_contributions(
    w: np.ndarray, covariance: np.ndarray | None, marginal: np.ndarray | None = None
) -> np.ndarray:
    """Shares of the portfolio variance, ``w_i (S w)_i / w' S w`` (they sum to 1).

    They are also the shares of the volatility (Euler allocation). ``marginal`` is
    ``S w`` when already known (then ``covariance`` may be None). NaN when the portfolio
    has no variance (no exposure, or streams that do not move).
    """
    if marginal is None:
        assert covariance is not None
        marginal = covariance @ w
    total = float(w @ marginal)
    if not total > 0:
        return np.full(len(w), np.nan)
    return w * marginal / total + 0.0  # + 0.0: a stream at zero weight has 0, not -0


def traded_notional(positions: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """``|change of position|`` at each bar, from flat before the first (NaN is flat)."""
    p = np.nan_to_num(np.asarray(positions, dtype=float))
    return np.abs(np.diff(p, prepend=0.0))
