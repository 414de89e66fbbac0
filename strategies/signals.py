"""Signal rules: forecasts to positions in [-1, 1]."""

from __future__ import annotations

import numpy as np

__all__ = ["RULES", "SignalRule"]

RULES = ("long_short", "long_only", "short_only", "threshold")
TIES = ("long", "short", "flat")
_TIE_POSITION = {"long": 1.0, "short": -1.0, "flat": 0.0}


class SignalRule:
    """Map forecasts to positions.

    Parameters
    ----------
    rule : {"long_short", "long_only", "short_only", "threshold"}
        ``long_short``: +1 when the forecast is above zero, -1 below.
        ``long_only``: +1 above zero, else flat. ``short_only``: -1 below zero, else
        flat. ``threshold``: +1 above ``threshold``, -1 below ``-threshold``, else flat.
    threshold : float, default 0.0
        Dead band of the ``threshold`` rule (must be >= 0).
    on_tie : {"long", "short", "flat"}, default "short"
        Position for a forecast of exactly zero under the sign rules, as far as the rule
        allows it (``long_only`` never goes short). The paper's ARIMA rule (+1 if the
        forecast is > 0, else -1) is ``on_tie="short"``; its momentum rule (long if the
        last return is >= 0) is ``on_tie="long"``.

    Notes
    -----
    A missing forecast (NaN: before the first decision) gives a missing position, which
    the backtest treats as flat.
    """

    def __init__(self, rule: str = "long_short", threshold: float = 0.0, on_tie: str = "short"):
        if rule not in RULES:
            raise ValueError(f"signal rule must be one of {RULES}, got '{rule}'")
        if on_tie not in TIES:
            raise ValueError(f"on_tie must be one of {TIES}, got '{on_tie}'")
        if not threshold >= 0:
            raise ValueError(f"threshold must be >= 0, got {threshold}")
        self.rule = rule
        self.threshold = float(threshold)
        self.on_tie = on_tie

    def __call__(self, forecasts: np.ndarray) -> np.ndarray:
        """Positions for an array of forecasts (NaN stays NaN)."""
        f = np.asarray(forecasts, dtype=float)
        tie = _TIE_POSITION[self.on_tie]
        if self.rule == "threshold":
            positions = np.where(f > self.threshold, 1.0, np.where(f < -self.threshold, -1.0, 0.0))
        else:
            positions = np.where(f > 0, 1.0, np.where(f < 0, -1.0, tie))
            if self.rule == "long_only":
                positions = np.maximum(positions, 0.0)
            elif self.rule == "short_only":
                positions = np.minimum(positions, 0.0)
        return np.where(np.isnan(f), np.nan, positions)

    def __repr__(self) -> str:
        return (
            f"SignalRule(rule={self.rule!r}, threshold={self.threshold!r}, on_tie={self.on_tie!r})"
        )
