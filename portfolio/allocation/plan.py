"""Where allocators act in the pipeline: hedges of a base asset, or one portfolio."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from aisfolio.ensemble.groups import (
    ALL_ASSETS,
    EnsembleGroup,
    LineKind,
    check_rebalance,
    line_name,
    pair_name,
)
from aisfolio.portfolio.allocation.allocator import Allocator

__all__ = ["SCOPES", "Allocation"]

#: Where an allocation is applied.
SCOPES = ("hedges", "portfolio")


class Allocation:
    """An allocator applied to groups of lines, rebalanced on a calendar.

    Parameters
    ----------
    allocator : Allocator
        Gives target weights at each rebalance; each group gets its own copy.
    scope : {"hedges", "portfolio"}, default "hedges"
        ``"hedges"``: the base asset's line of each label with the same line of each
        other asset (the paper's hedges, optimized), named
        ``"<name>/<base>+<partner>/<label>"``. ``"portfolio"``: every asset's lines of
        the labels in one portfolio, ``"<name>/all/<labels joined by +>"``.
    lines : list of str, default ["ensemble_I"]
        Strategy labels of the lines allocated (strategies, ``"ensemble_I"`` or stacked
        strategies); each must exist for every asset.
    hedge_base : str, optional
        The hedged asset (default: the first asset of the data).
    rebalance : str, default "quarterly"
        Rebalance calendar (see :data:`aisfolio.strategies.FREQUENCIES`).
    every : int, default 1
        Bars between rebalances for ``"every_k"``.
    cost_rate : float, optional
        Cost per unit of weight traded; None takes the backtest's rate.

    Notes
    -----
    In the allocator's stream patterns (``hedge_target``, ``hedge_streams``,
    ``bounds``, ``groups``), ``{base}`` stands for the hedged asset and ``{partner}``
    for the other asset of a hedge, so one setting reads ``hedge_target: "{base}/*"``.
    """

    def __init__(
        self,
        allocator: Allocator,
        scope: str = "hedges",
        lines: Sequence[str] = ("ensemble_I",),
        hedge_base: str | None = None,
        rebalance: str = "quarterly",
        every: int = 1,
        cost_rate: float | None = None,
    ):
        check_rebalance(rebalance, cost_rate)
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got '{scope}'")
        if not hasattr(allocator, "weights_at"):
            raise ValueError(f"{type(allocator).__name__} has no weights_at(history) method")
        if not lines:
            raise ValueError("lines must name at least one strategy label")
        self.allocator = allocator
        self.scope = scope
        self.lines = list(lines)
        self.hedge_base = hedge_base
        self.rebalance = rebalance
        self.every = every
        self.cost_rate = cost_rate

    def groups(
        self, name: str, assets: Sequence[str], available: Sequence[str]
    ) -> list[EnsembleGroup]:
        """The groups this allocation builds.

        Parameters
        ----------
        name : str
            Label of the allocation (``"min_variance"``).
        assets : sequence of str
            Assets, in data order.
        available : sequence of str
            Strategy labels whose lines exist for every asset.

        Returns
        -------
        list of EnsembleGroup

        Raises
        ------
        ValueError
            A label without lines, or a base that is not an asset.
        """
        missing = [label for label in self.lines if label not in available]
        if missing:
            raise ValueError(f"no lines for {missing}; available: {list(available)}")
        if self.scope == "portfolio":
            members = tuple(line_name(a, label) for a in assets for label in self.lines)
            strategy = "+".join(self.lines)
            line = line_name(name, ALL_ASSETS, strategy)
            return [self._group(line, ALL_ASSETS, strategy, members, {})]
        if len(assets) < 2:
            return []
        base = self.hedge_base if self.hedge_base is not None else assets[0]
        if base not in assets:
            raise ValueError(f"hedge_base '{base}' is not an asset; assets are {list(assets)}")
        return [
            self._group(
                line_name(name, pair_name(base, partner), label),
                f"{base}+{partner}",
                label,
                (line_name(base, label), line_name(partner, label)),
                {"base": base, "partner": partner},
            )
            for partner in assets
            if partner != base
            for label in self.lines
        ]

    def _group(
        self,
        name: str,
        asset: str,
        strategy: str,
        members: tuple[str, ...],
        names: dict[str, str],
    ) -> EnsembleGroup:
        return EnsembleGroup(
            name=name,
            kind=LineKind.ALLOCATION,
            asset=asset,
            strategy=strategy,
            members=members,
            targets=_bound(self.allocator, names),
            rebalance=self.rebalance,
            every=self.every,
            cost_rate=self.cost_rate,
        )


def _bound(allocator: Allocator, names: dict[str, str]) -> Allocator:
    """A fresh copy of ``allocator`` with ``{base}``/``{partner}`` filled in its patterns."""
    fresh = copy.deepcopy(allocator)
    if names:
        fresh.settings = fresh.settings.with_patterns(
            lambda pattern: pattern.format(**names) if "{" in pattern else pattern
        )
    return fresh
