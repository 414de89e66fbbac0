"""Metrics tables in the paper's layout, numeric and formatted for people."""

from __future__ import annotations

import pandas as pd

from aisfolio.ensemble.groups import LineKind, group_prefix
from aisfolio.portfolio.report.formatting import format_value

__all__ = [
    "PAPER_COLUMNS",
    "SIGNIFICANCE_IN_TABLES",
    "TABLES",
    "allocation_table",
    "format_table",
    "paper_table",
]

#: Metric columns of the paper's tables, in order.
PAPER_COLUMNS = ("aRC", "aSD", "MD", "MLD", "IR*", "IR**", "IR***", "trades")

#: Significance columns shown in the tables when the run tested its lines
#: (:mod:`aisfolio.portfolio.winners`): the group's SPA p-value and the line's verdicts.
SIGNIFICANCE_IN_TABLES = ("SPA p", "beats benchmark", "in MCS")

#: Table name -> (kinds of lines, index columns, file stem).
TABLES = {
    "ais": ((LineKind.AIS,), ["asset", "strategy"], "table2_ais"),
    "ensembles": (
        (LineKind.ENSEMBLE_I, LineKind.ENSEMBLE_II),
        ["kind", "asset", "strategy"],
        "table3_ensembles",
    ),
    "hedges": ((LineKind.HEDGE,), ["strategy", "asset"], "table5_hedges"),
    "combiners": ((LineKind.COMBINER,), ["asset", "strategy"], "combiners"),
    "allocations": (
        (LineKind.HEDGE, LineKind.ALLOCATION),
        ["strategy", "asset", "method"],
        "allocations",
    ),
}


def paper_table(metrics: pd.DataFrame, which: str) -> pd.DataFrame:
    """Rows of one kind of line, indexed as in the paper, with its metric columns.

    Parameters
    ----------
    metrics : DataFrame
        :attr:`aisfolio.portfolio.results.RunResult.metrics`.
    which : {"ais", "ensembles", "hedges", "combiners"}
        Which table.

    Returns
    -------
    DataFrame
        Rows in the order of the run (assets and strategies as configured).
    """
    if which not in TABLES:
        raise KeyError(f"unknown table '{which}'; choose one of {', '.join(TABLES)}")
    kinds, index, _ = TABLES[which]
    rows = metrics[metrics["kind"].isin(kinds)]
    return rows.set_index(index)[_columns(metrics)]


def _columns(metrics: pd.DataFrame) -> list[str]:
    """The paper's columns, then the significance columns the metrics have."""
    return [*PAPER_COLUMNS, *[c for c in SIGNIFICANCE_IN_TABLES if c in metrics.columns]]


def allocation_table(metrics: pd.DataFrame, decisions: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Allocation lines next to the fixed-weight hedges of the same lines.

    Parameters
    ----------
    metrics : DataFrame
        :attr:`aisfolio.portfolio.results.RunResult.metrics`.
    decisions : dict of str to DataFrame
        :attr:`aisfolio.portfolio.results.RunResult.allocations`.

    Returns
    -------
    DataFrame
        Indexed by strategy, asset and method (``"hedge"`` for the fixed weights of
        ``ensemble.hedge_weight``, else the allocation's label), with the paper's
        columns plus ``rebalances`` and ``failures`` (decisions for which every solver
        failed). Empty without allocations.
    """
    columns = [*_columns(metrics), "rebalances", "failures"]
    chosen = metrics[metrics.index.isin(list(decisions))]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    order: list[str] = []
    for strategy, asset in dict.fromkeys(zip(chosen["strategy"], chosen["asset"], strict=True)):
        same = (metrics["strategy"] == strategy) & (metrics["asset"] == asset)
        order += list(metrics.index[same & (metrics["kind"] == LineKind.HEDGE)])
        order += list(chosen.index[(chosen["strategy"] == strategy) & (chosen["asset"] == asset)])
    rows = metrics.loc[order]
    table = rows[_columns(metrics)].copy()
    table["rebalances"] = [len(decisions[n]) if n in decisions else None for n in rows.index]
    table["failures"] = [
        int(decisions[n]["failed"].sum()) if n in decisions else None for n in rows.index
    ]
    table.index = pd.MultiIndex.from_arrays(
        [rows["strategy"], rows["asset"], [group_prefix(str(n))[0] for n in rows.index]],
        names=["strategy", "asset", "method"],
    )
    return table


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Strings for people, formatted by column as every report table is
    (:data:`aisfolio.portfolio.report.formatting.COLUMN_FORMATS`: aRC, aSD and MD in
    percent, MLD in years, ratios to 3 decimals, p-values and probabilities to 3 with
    ``<0.001`` below); missing values are blank."""
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        name = str(column)
        out[column] = ["" if pd.isna(v) else format_value(name, v) for v in table[column].tolist()]
    return out
