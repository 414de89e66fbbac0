"""The paper's simple generators: buy-and-hold, momentum and contrarian."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.strategies.base import Generator
from aisfolio.strategies.returns import simple_returns

__all__ = ["BuyAndHold", "Contrarian", "Momentum"]


class BuyAndHold(Generator):
    """The benchmark: a constant long view (forecast +1 on every bar)."""

    min_history = 1

    def predict_block(self, history: pd.Series, n: int) -> np.ndarray:
        """``n`` forecasts of +1."""
        return np.ones(n)


class Momentum(Generator):
    """Follow the last move: the forecast is the return over the last ``lookback`` bars.

    With the signal rule ``long_short, on_tie="long"`` this is the paper's momentum AIS:
    long if the last return is >= 0, else short.

    Parameters
    ----------
    lookback : int, default 1
        Bars over which the last return is measured.
    """

    def __init__(self, lookback: int = 1):
        if not isinstance(lookback, int | np.integer) or lookback < 1:
            raise ValueError(f"lookback must be a positive integer, got {lookback!r}")
        self.lookback = int(lookback)

    @property
    def min_history(self) -> int:  # type: ignore[override]
        """``lookback + 1`` prices make one lookback return."""
        return self.lookback + 1

    def predict_block(self, history: pd.Series, n: int) -> np.ndarray:
        """The last ``lookback``-bar return at each of the last ``n`` bars."""
        return simple_returns(history, self.lookback).to_numpy()[len(history) - n :]


class Contrarian(Momentum):
    """Bet on reversal: the forecast is minus the last ``lookback``-bar return.

    With ``long_short, on_tie="short"`` this is the paper's contrarian AIS, the exact
    opposite of momentum: short if the last return is >= 0, else long.

    Parameters
    ----------
    lookback : int, default 1
        Bars over which the last return is measured.
    """

    def predict_block(self, history: pd.Series, n: int) -> np.ndarray:
        """Minus the last ``lookback``-bar return at each of the last ``n`` bars."""
        return -super().predict_block(history, n)
