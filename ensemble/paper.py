"""The paper's ensembles and hedges, as groups of equity lines to combine.

Type I: per asset, the component strategies' lines (the pipeline leaves benchmarks
out). Type II: per component strategy, its lines across assets. Hedges: a base asset's
line (a strategy or its type I ensemble) held 50/50 with the same line of each other
asset. Every group is
rebalanced to its target weights on one calendar (first trading day of Jan/Apr/Jul/Oct
by default).
"""

from __future__ import annotations

from collections.abc import Sequence

from aisfolio.ensemble.groups import (
    ALL_ASSETS,
    EnsembleGroup,
    LineKind,
    check_rebalance,
    line_name,
    pair_name,
)
from aisfolio.ensemble.weights import EqualWeight, FixedWeights

__all__ = ["ENSEMBLE_I", "ENSEMBLE_II", "HEDGE", "PaperEnsembles"]

#: Strategy label of a type I ensemble line (and its kind).
ENSEMBLE_I = str(LineKind.ENSEMBLE_I)

#: Kind, and first part of the name, of a type II ensemble line ("ensemble_II/momentum").
ENSEMBLE_II = str(LineKind.ENSEMBLE_II)

#: Kind, and first part of the name, of a hedge line ("hedge/SP500+WTI/momentum").
HEDGE = str(LineKind.HEDGE)


class PaperEnsembles:
    """Which ensembles and hedges to build, and how to rebalance them.

    Parameters
    ----------
    rebalance : str, default "quarterly"
        Rebalance calendar of every group (see :data:`aisfolio.strategies.FREQUENCIES`).
    every : int, default 1
        Bars between rebalances for ``"every_k"``.
    cost_rate : float, optional
        Cost per unit of weight traded at a rebalance; None takes the backtest's rate.
    type_one, type_two, hedges : bool, default True
        Which families to build.
    hedge_base : str, optional
        The asset hedged (default: the first asset of the data).
    hedge_weight : float, default 0.5
        Weight of the base line in each hedge; the partner gets the rest.
    """

    def __init__(
        self,
        rebalance: str = "quarterly",
        every: int = 1,
        cost_rate: float | None = None,
        type_one: bool = True,
        type_two: bool = True,
        hedges: bool = True,
        hedge_base: str | None = None,
        hedge_weight: float = 0.5,
    ):
        check_rebalance(rebalance, cost_rate)
        if not 0.0 <= hedge_weight <= 1.0:
            raise ValueError(f"hedge_weight must be within [0, 1], got {hedge_weight}")
        self.rebalance = rebalance
        self.every = every
        self.cost_rate = cost_rate
        self.type_one = type_one
        self.type_two = type_two
        self.hedges = hedges
        self.hedge_base = hedge_base
        self.hedge_weight = hedge_weight

    def _group(self, **fields: object) -> EnsembleGroup:
        return EnsembleGroup(
            rebalance=self.rebalance,
            every=self.every,
            cost_rate=self.cost_rate,
            **fields,  # type: ignore[arg-type]
        )

    def type_one_groups(self, assets: Sequence[str], members: Sequence[str]) -> list[EnsembleGroup]:
        """Per asset, the equal-weight mix of the member strategies."""
        if not self.type_one or len(members) < 2:
            return []
        return [
            self._group(
                name=line_name(asset, ENSEMBLE_I),
                kind=LineKind.ENSEMBLE_I,
                asset=asset,
                strategy=ENSEMBLE_I,
                members=tuple(line_name(asset, s) for s in members),
                targets=EqualWeight(),
            )
            for asset in assets
        ]

    def type_two_groups(self, assets: Sequence[str], members: Sequence[str]) -> list[EnsembleGroup]:
        """Per strategy, the equal-weight mix of its lines across assets."""
        if not self.type_two or len(assets) < 2:
            return []
        return [
            self._group(
                name=line_name(ENSEMBLE_II, strategy),
                kind=LineKind.ENSEMBLE_II,
                asset=ALL_ASSETS,
                strategy=strategy,
                members=tuple(line_name(asset, strategy) for asset in assets),
                targets=EqualWeight(),
            )
            for strategy in members
        ]

    def hedge_groups(self, assets: Sequence[str], lines: Sequence[str]) -> list[EnsembleGroup]:
        """The base asset's line of each kind, mixed with the same line of each other asset.

        Parameters
        ----------
        assets : sequence of str
            Assets, in data order.
        lines : sequence of str
            Strategy labels that exist for every asset (strategies and, when built,
            ``"ensemble_I"``).
        """
        if not self.hedges or len(assets) < 2:
            return []
        base = self.hedge_base if self.hedge_base is not None else assets[0]
        if base not in assets:
            raise ValueError(f"hedge_base '{base}' is not an asset; assets are {list(assets)}")
        targets = FixedWeights([self.hedge_weight, 1.0 - self.hedge_weight])
        return [
            self._group(
                name=line_name(HEDGE, pair_name(base, partner), strategy),
                kind=LineKind.HEDGE,
                asset=pair_name(base, partner),
                strategy=strategy,
                members=(line_name(base, strategy), line_name(partner, strategy)),
                targets=targets,
            )
            for partner in assets
            if partner != base
            for strategy in lines
        ]
