"""Performance measures of the reference paper and common companions.

Pure functions: an equity line (or positions) as a 1-D array in, a float out. ``E`` is
an equity line of ``N`` points and ``s`` the number of periods per year of its
calendar (252 for exchange days, 365 for 7-day markets).

The paper's measures (Michankow, Sakowski, Slepaczuk):

- aRC  = (E_N / E_1) ** (s / N) - 1
- aSD  = std(simple returns, ddof=1) * sqrt(s)
- MD   = maximum drawdown, a fraction of the running peak
- MLD  = longest time below a previous peak, in years (bars / s)
- IR*  = aRC / aSD
- IR** = IR* * aRC * sign(aRC) / MD
- IR***= aRC ** 3 / (aSD * MD * MLD)

A ratio whose denominator is zero (a line that never draws down, never moves) is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aisfolio.portfolio.measures import drawdown, traded_notional, volatility

__all__ = [
    "METRIC_LABELS",
    "annualized_return",
    "annualized_volatility",
    "calmar_ratio",
    "information_ratio",
    "information_ratio_2",
    "information_ratio_3",
    "max_drawdown",
    "max_loss_duration",
    "number_of_trades",
    "period_returns",
    "sharpe_ratio",
    "sortino_ratio",
    "summarize",
    "turnover",
]

#: Column labels of :func:`summarize`, in the paper's order first.
METRIC_LABELS = (
    "aRC",
    "aSD",
    "MD",
    "MLD",
    "IR*",
    "IR**",
    "IR***",
    "Sharpe",
    "Sortino",
    "Calmar",
    "turnover",
    "trades",
)


def _equity(equity: Sequence[float] | np.ndarray) -> np.ndarray:
    e = np.asarray(equity, dtype=float)
    if e.ndim != 1 or len(e) < 2:
        raise ValueError(f"an equity line needs at least 2 points, got shape {e.shape}")
    if np.isnan(e).any():
        raise ValueError("an equity line must not contain NaN")
    return e


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator != 0 else float("nan")


def period_returns(equity: Sequence[float] | np.ndarray) -> np.ndarray:
    """Simple returns between consecutive points of an equity line (N - 1 values)."""
    e = _equity(equity)
    return e[1:] / e[:-1] - 1.0


def annualized_return(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """aRC: compound annual return, ``(E_N / E_1) ** (s / N) - 1``.

    Parameters
    ----------
    equity : array-like
        Equity line of N points.
    periods_per_year : float
        s.

    Returns
    -------
    float
    """
    e = _equity(equity)
    ratio = e[-1] / e[0]
    if ratio <= 0:
        return -1.0
    return float(ratio ** (periods_per_year / len(e)) - 1.0)


def annualized_volatility(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """aSD: sample standard deviation (ddof=1) of simple returns times ``sqrt(s)``."""
    return volatility(period_returns(equity), periods_per_year)


def max_drawdown(equity: Sequence[float] | np.ndarray) -> float:
    """MD: the largest fall from a running peak, as a positive fraction of that peak."""
    return float(-np.min(drawdown(_equity(equity))))


def max_loss_duration(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """MLD: the longest time spent below a previous peak, in years.

    The longest run of consecutive bars whose equity is below the running peak,
    divided by ``s``; a run still open at the last bar counts as it stands.
    """
    e = _equity(equity)
    underwater = e < np.maximum.accumulate(e)
    if not underwater.any():
        return 0.0
    # Length of each run of True: the position minus the position of the last dry bar.
    positions = np.arange(len(e))
    last_dry = np.maximum.accumulate(np.where(underwater, -1, positions))
    return float(np.max(positions - last_dry) / periods_per_year)


def information_ratio(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """IR*: ``aRC / aSD``."""
    return _ratio(
        annualized_return(equity, periods_per_year), annualized_volatility(equity, periods_per_year)
    )


def information_ratio_2(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """IR**: ``IR* * aRC * sign(aRC) / MD`` (negative whenever aRC is negative)."""
    arc = annualized_return(equity, periods_per_year)
    return _ratio(information_ratio(equity, periods_per_year) * abs(arc), max_drawdown(equity))


def information_ratio_3(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """IR***: ``aRC ** 3 / (aSD * MD * MLD)``."""
    arc = annualized_return(equity, periods_per_year)
    denominator = (
        annualized_volatility(equity, periods_per_year)
        * max_drawdown(equity)
        * max_loss_duration(equity, periods_per_year)
    )
    return _ratio(arc**3, denominator)


def sharpe_ratio(
    equity: Sequence[float] | np.ndarray, periods_per_year: float, risk_free: float = 0.0
) -> float:
    """Annualized Sharpe ratio of simple returns over a per-period risk-free rate."""
    excess = period_returns(equity) - risk_free
    return _ratio(np.mean(excess) * np.sqrt(periods_per_year), np.std(excess, ddof=1))


def sortino_ratio(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """Annualized mean return over the downside deviation (root mean square of losses)."""
    r = period_returns(equity)
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    return _ratio(np.mean(r) * np.sqrt(periods_per_year), downside)


def calmar_ratio(equity: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """``aRC / MD``."""
    return _ratio(annualized_return(equity, periods_per_year), max_drawdown(equity))


def turnover(traded: Sequence[float] | np.ndarray, periods_per_year: float) -> float:
    """Average traded notional per year: ``sum(traded) / years``.

    Parameters
    ----------
    traded : array-like
        Notional traded at each bar, e.g. ``|change of position|`` for an AIS (the first
        position counts as a trade from flat) or the weight traded at a rebalance.
    periods_per_year : float
        s; the span in years is ``len(traded) / s``.
    """
    t = np.asarray(traded, dtype=float)
    return float(t.sum() / (len(t) / periods_per_year)) if len(t) else float("nan")


def number_of_trades(positions: Sequence[float] | np.ndarray) -> int:
    """Number of bars on which the position changes (entering from flat included)."""
    return int(np.count_nonzero(traded_notional(positions)))


def summarize(
    equity: Sequence[float] | np.ndarray,
    periods_per_year: float,
    traded: Sequence[float] | np.ndarray | None = None,
    trades: int | None = None,
) -> dict[str, float]:
    """Every measure of :data:`METRIC_LABELS` for one equity line.

    Parameters
    ----------
    equity : array-like
        Equity line.
    periods_per_year : float
        Periods per year of its calendar.
    traded : array-like, optional
        Notional traded at each bar (see :func:`turnover`); turnover is NaN without it.
    trades : int, optional
        Number of trades; NaN when not given.

    Returns
    -------
    dict
        Label -> value.
    """
    s = periods_per_year
    return {
        "aRC": annualized_return(equity, s),
        "aSD": annualized_volatility(equity, s),
        "MD": max_drawdown(equity),
        "MLD": max_loss_duration(equity, s),
        "IR*": information_ratio(equity, s),
        "IR**": information_ratio_2(equity, s),
        "IR***": information_ratio_3(equity, s),
        "Sharpe": sharpe_ratio(equity, s),
        "Sortino": sortino_ratio(equity, s),
        "Calmar": calmar_ratio(equity, s),
        "turnover": turnover(traded, s) if traded is not None else float("nan"),
        "trades": float(trades) if trades is not None else float("nan"),
    }
