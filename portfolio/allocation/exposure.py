"""Net exposure of a line to each underlying asset: the sum of weight x position, held
over each bar or decided at each close (the one recursion through groups of lines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from aisfolio.portfolio.results import Line

__all__ = ["decided_exposure", "net_exposure"]


def net_exposure(
    name: str,
    weights: Mapping[str, pd.DataFrame],
    lines: Mapping[str, Line],
    positions: pd.DataFrame | Mapping[tuple[str, str], pd.Series],
    held: bool = True,
) -> pd.DataFrame:
    """Exposure of line ``name`` to each asset, recursively through its members.

    Held (the default), like the weights of :class:`aisfolio.portfolio.RebalancedPortfolio`:
    the row of bar ``t`` is what the line holds over the return from the previous bar
    to ``t`` (decided at the previous close): for an AIS its position decided at the
    previous bar; for a portfolio of lines (ensemble, hedge, combiner, allocation) the
    sum over its members of the weight it holds over that return times the member's
    own exposure. Not held (``held=False``, with each group's target weights in
    ``weights``): the row of ``t`` is what was decided at the close of ``t``, the
    exposure a rebalance at that close trades to.

    Parameters
    ----------
    name : str
        A line.
    weights : mapping of str to DataFrame
        Weights of each portfolio line: held (row ``t``: over the return of bar ``t``),
        or targets (row ``t``: decided at the close of ``t``). A line without weights
        is an AIS.
    lines : mapping of str to Line
        The run's lines: an AIS's asset, strategy and calendar (its equity's dates).
    positions : DataFrame or mapping of (str, str) to Series
        Positions by ``(asset, strategy)``, stamped by decision date.
    held : bool, default True
        Held exposures, or decided ones.

    Returns
    -------
    DataFrame
        Dates of the line's calendar (groups: of their weights) by asset; held, the
        first row is NaN (nothing is held before the first bar).
    """
    if name not in weights:
        line = lines[name]
        decided = positions[(line.asset, line.strategy)].reindex(line.equity.index).ffill()
        return (decided.shift(1) if held else decided).to_frame(line.asset)
    group = weights[name]
    total: pd.DataFrame | None = None
    for member in group.columns:
        own = net_exposure(str(member), weights, lines, positions, held)
        part = own.reindex(group.index).ffill().fillna(0.0).mul(group[member], axis=0)
        total = part if total is None else total.add(part, fill_value=0.0)
    assert total is not None
    return total.reindex(columns=sorted(total.columns))


def decided_exposure(
    name: str,
    lines: Mapping[str, Line],
    positions: pd.DataFrame | Mapping[tuple[str, str], pd.Series],
) -> pd.DataFrame:
    """Exposure of line ``name`` decided at each close of its calendar, as orders trade it.

    Every group (this line and the groups inside it) holds the targets of its last
    rebalance until the next one, and on the last row the weights its rule gives at
    the last close (:attr:`aisfolio.portfolio.results.Line.targets`), times its members'
    own decided exposures: the exposure a rebalance at each close trades to, so its last
    row is what :func:`aisfolio.portfolio.targets.asset_exposure` gives for the line.

    Parameters
    ----------
    name : str
        A line.
    lines : mapping of str to Line
        The run's lines (groups with their targets).
    positions : DataFrame or mapping of (str, str) to Series
        Positions by ``(asset, strategy)``, stamped by decision date.

    Returns
    -------
    DataFrame
        Dates of the line's calendar by asset.
    """
    # Only the groups inside this line: a run nets every group line, each call must not
    # touch every other group's targets.
    targets: dict[str, pd.DataFrame] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        line = lines[current]
        if line.targets is None or current in targets:
            continue
        targets[current] = line.targets.reindex(line.equity.index).ffill()
        pending.extend(str(member) for member in line.targets.columns)
    return net_exposure(name, targets, lines, positions, held=False)
