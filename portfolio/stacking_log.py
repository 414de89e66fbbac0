"""What the meta-learner did at each refit: the run's stacking table.

A stacked generator that keeps a ``refits_`` frame (one row per asset and refit date:
:class:`aisfolio.ensemble.StackedForecaster` does) has it copied here under its strategy label,
for ``stacking.csv`` and the report's "Meta-learner" section.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["latest_refits", "stacking_table"]


def stacking_table(generators: dict[str, Any]) -> pd.DataFrame:
    """Every refit of the run's stacked generators, one row each.

    Parameters
    ----------
    generators : dict of str to Generator
        Strategy label -> its generator after the run; those with a ``refits_`` frame
        are kept.

    Returns
    -------
    DataFrame
        ``strategy``, ``asset``, ``date`` then the generators' ``refits_`` columns (empty
        when the run stacks nothing).
    """
    frames = [
        refits.reset_index().assign(strategy=label)
        for label, generator in generators.items()
        if isinstance(refits := getattr(generator, "refits_", None), pd.DataFrame)
        and not refits.empty
    ]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    first = ["strategy", "asset", "date"]
    return table[first + [c for c in table.columns if c not in first]]


def latest_refits(stacking: pd.DataFrame) -> pd.DataFrame:
    """The last refit of each strategy and asset, indexed by both.

    Parameters
    ----------
    stacking : DataFrame
        From :func:`stacking_table`.

    Returns
    -------
    DataFrame
    """
    last = stacking.sort_values("date").groupby(["strategy", "asset"], sort=False).tail(1)
    return last.set_index(["strategy", "asset"]).sort_index()
