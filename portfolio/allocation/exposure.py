"""Net exposure of a line to each underlying asset: the sum of weight x position, held
over each bar or decided at each close (the one recursion through groups of lines)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["net_exposure"]


def net_exposure(
    name: str,
    weights: Mapping[str, pd.DataFrame],
    members: Mapping[str, tuple[str, str]],
    positions: pd.DataFrame,
    calendars: Mapping[str, pd.DatetimeIndex],
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
        or targets (row ``t``: decided at the close of ``t``).
    members : mapping of str to (str, str)
        AIS line -> ``(asset, strategy)``.
    positions : DataFrame
        Positions by ``(asset, strategy)``, stamped by decision date.
    calendars : mapping of str to DatetimeIndex
        Each line's own calendar (its evaluation period).
    held : bool, default True
        Held exposures, or decided ones.

    Returns
    -------
    DataFrame
        Dates of the line's calendar (groups: of their weights) by asset; held, the
        first row is NaN (nothing is held before the first bar).
    """
    if name not in weights:
        asset, strategy = members[name]
        decided = positions[(asset, strategy)].reindex(calendars[name]).ffill()
        return (decided.shift(1) if held else decided).to_frame(asset)
    group = weights[name]
    total: pd.DataFrame | None = None
    for member in group.columns:
        own = net_exposure(str(member), weights, members, positions, calendars, held)
        part = own.reindex(group.index).ffill().fillna(0.0).mul(group[member], axis=0)
        total = part if total is None else total.add(part, fill_value=0.0)
    assert total is not None
    return total.reindex(columns=sorted(total.columns))
