"""Groups of equity lines to be held as one rebalanced portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aisfolio.ensemble.weights import TargetWeights
from aisfolio.strategies.schedule import FREQUENCIES

__all__ = [
    "ALL_ASSETS",
    "EnsembleGroup",
    "LineKind",
    "check_rebalance",
    "group_prefix",
    "line_name",
    "pair_name",
]

#: The asset label of a line over every asset (``"all/<combiner>"``, type II ensembles).
ALL_ASSETS = "all"


def check_rebalance(rebalance: str, cost_rate: float | None) -> None:
    """Refuse an unknown rebalance calendar or a negative cost rate."""
    if rebalance not in FREQUENCIES:
        raise ValueError(f"rebalance must be one of {FREQUENCIES}, got '{rebalance}'")
    if cost_rate is not None and cost_rate < 0:
        raise ValueError(f"cost_rate must be >= 0, got {cost_rate}")


class LineKind(StrEnum):
    """What an equity line of a run is: the ``kind`` column of its metrics.

    The values are the strings the outputs show; a member compares equal to its value.
    """

    AIS = "AIS"
    ENSEMBLE_I = "ensemble_I"
    ENSEMBLE_II = "ensemble_II"
    HEDGE = "hedge"
    COMBINER = "combiner"
    ALLOCATION = "allocation"


def line_name(*parts: str) -> str:
    """The name of a line from its parts: ``line_name("SP500", "momentum")`` is
    ``"SP500/momentum"`` (asset, strategy); groups put their kind or method first
    (``"hedge/SP500+WTI/momentum"``)."""
    return "/".join(parts)


def group_prefix(name: str) -> tuple[str, str]:
    """A group line's name split into its first part, the kind or method that built it
    (``"hedge"``, ``"min_variance"``), and the rest. Asset names may hold ``/``; the
    first part of a group line's name never does."""
    first, _, rest = name.partition("/")
    return first, rest


def pair_name(base: str, partner: str) -> str:
    """The assets of a hedge: ``"SP500+WTI"``."""
    return f"{base}+{partner}"


@dataclass(frozen=True)
class EnsembleGroup:
    """Lines combined into one rebalanced portfolio.

    Attributes
    ----------
    name : str
        Name of the resulting line.
    kind : LineKind
        Any kind but ``LineKind.AIS``.
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
    kind: LineKind
    asset: str
    strategy: str
    members: tuple[str, ...]
    targets: TargetWeights
    rebalance: str = "quarterly"
    every: int = 1
    cost_rate: float | None = None
