"""Groups of equity lines to be held as one rebalanced portfolio."""

from __future__ import annotations

from dataclasses import dataclass

from aisfolio.ensemble.weights import TargetWeights
from aisfolio.strategies.schedule import FREQUENCIES

__all__ = ["ALL_ASSETS", "EnsembleGroup", "check_rebalance", "line_name"]

#: The asset label of a line over every asset (``"all/<combiner>"``, type II ensembles).
ALL_ASSETS = "all"


def check_rebalance(rebalance: str, cost_rate: float | None) -> None:
    """Refuse an unknown rebalance calendar or a negative cost rate."""
    if rebalance not in FREQUENCIES:
        raise ValueError(f"rebalance must be one of {FREQUENCIES}, got '{rebalance}'")
    if cost_rate is not None and cost_rate < 0:
        raise ValueError(f"cost_rate must be >= 0, got {cost_rate}")


def line_name(asset: str, strategy: str) -> str:
    """Name of the equity line of ``strategy`` on ``asset``."""
    return f"{asset}/{strategy}"


@dataclass(frozen=True)
class EnsembleGroup:
    """Lines combined into one rebalanced portfolio.

    Attributes
    ----------
    name : str
        Name of the resulting line.
    kind : str
        ``"ensemble_I"``, ``"ensemble_II"``, ``"hedge"`` or ``"combiner"``.
    asset : str
        The asset(s) it covers (``"SP500"``, ``"SP500+WTI"``, ``"all"``).
    strategy : str
        The strategy it covers (``"ensemble_I"`` for a type I group, hedged or not).
    members : tuple of str
        Names of the member lines.
    targets : TargetWeights
        Gives the members' target weights at each rebalance (a fresh object per group).
    rebalance : str
        Rebalance calendar (see :data:`aisfolio.strategies.FREQUENCIES`).
    every : int
        Bars between rebalances for ``"every_k"``.
    cost_rate : float or None
        Cost per unit of weight traded; None takes the backtest's rate.
    """

    name: str
    kind: str
    asset: str
    strategy: str
    members: tuple[str, ...]
    targets: TargetWeights
    rebalance: str = "quarterly"
    every: int = 1
    cost_rate: float | None = None
