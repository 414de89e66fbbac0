"""Where an online combiner is applied: per asset and across assets."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from aisfolio.ensemble.groups import ALL_ASSETS, EnsembleGroup, LineKind, check_rebalance, line_name
from aisfolio.ensemble.weights import TargetWeights

__all__ = ["Combination"]


class Combination:
    """Hold a combiner's weights over component AIS lines, rebalanced on a calendar.

    Parameters
    ----------
    combiner : TargetWeights
        Gives weights from the components' past returns (``weights_at``); each group
        gets its own copy, so stateful online combiners never mix groups.
    rebalance : str, default "every_bar"
        Rebalance calendar (see :data:`aisfolio.strategies.FREQUENCIES`).
    every : int, default 1
        Bars between rebalances for ``"every_k"``.
    cost_rate : float, optional
        Cost per unit of weight traded; None takes the backtest's rate.
    per_asset : bool, default True
        One line per asset over its component strategies (``"<asset>/<name>"``).
    across_assets : bool, default True
        One line over every component AIS of every asset (``"all/<name>"``).
    """

    def __init__(
        self,
        combiner: TargetWeights,
        rebalance: str = "every_bar",
        every: int = 1,
        cost_rate: float | None = None,
        per_asset: bool = True,
        across_assets: bool = True,
    ):
        check_rebalance(rebalance, cost_rate)
        if not hasattr(combiner, "weights_at"):
            raise ValueError(f"{type(combiner).__name__} has no weights_at(history) method")
        self.combiner = combiner
        self.rebalance = rebalance
        self.every = every
        self.cost_rate = cost_rate
        self.per_asset = per_asset
        self.across_assets = across_assets

    def groups(
        self, name: str, assets: Sequence[str], members: Sequence[str]
    ) -> list[EnsembleGroup]:
        """The groups this combination builds.

        Parameters
        ----------
        name : str
            Label of the combination (``"combiner"``).
        assets : sequence of str
            Assets, in data order.
        members : sequence of str
            Component strategy labels.

        Returns
        -------
        list of EnsembleGroup
        """
        if not members:
            return []
        scopes: list[tuple[str, str, tuple[str, ...]]] = []
        if self.per_asset and len(members) > 1:
            scopes += [
                (line_name(asset, name), asset, tuple(line_name(asset, m) for m in members))
                for asset in assets
            ]
        if self.across_assets and len(assets) > 1:
            everything = tuple(line_name(asset, m) for asset in assets for m in members)
            scopes.append((line_name(ALL_ASSETS, name), ALL_ASSETS, everything))
        return [
            EnsembleGroup(
                name=line,
                kind=LineKind.COMBINER,
                asset=asset,
                strategy=name,
                members=lines,
                targets=copy.deepcopy(self.combiner),
                rebalance=self.rebalance,
                every=self.every,
                cost_rate=self.cost_rate,
            )
            for line, asset, lines in scopes
        ]
