"""What the blending stages did: the online combiners' and the allocations' weights over
time, the allocations' net exposures and solver outcomes (numbers only; the report's
sections and figures show them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.ensemble.groups import LineKind
from aisfolio.portfolio.results import RunResult

__all__ = ["SHOWN_MEMBERS", "allocation_summary", "blend_lines", "combiner_summary", "top_members"]

#: Members drawn one by one in a weights figure; the others are summed.
SHOWN_MEMBERS = 8


def blend_lines(result: RunResult, kind: LineKind) -> list[str]:
    """The run's lines of one kind that have weights over time."""
    kinds = result.metrics["kind"]
    return [str(name) for name in kinds.index[kinds == kind] if name in result.weights]


def _effective_members(weights: pd.DataFrame) -> pd.Series:
    """``1 / sum(w^2)`` of the absolute weights at each bar (NaN where nothing is held)."""
    magnitude = weights.abs()
    total = magnitude.sum(axis=1)
    shares = magnitude.div(total.where(total > 0), axis=0)
    return 1.0 / (shares**2).sum(axis=1, min_count=1)


def combiner_summary(result: RunResult) -> pd.DataFrame:
    """One row per combiner line: how concentrated it was and what it holds now.

    Columns: ``members``; ``effective members`` (``1 / sum(w^2)``), mean over the bars
    and now; ``largest weight`` now and its ``largest member``; ``traded`` (mean weight
    traded per bar that traded); ``rebalances``.
    """
    rows = {}
    for name in blend_lines(result, LineKind.COMBINER):
        weights = result.weights[name].dropna(how="all")
        last = weights.iloc[-1]
        effective = _effective_members(weights)
        traded = np.asarray(result.lines[name].traded, dtype=float)
        moved = traded[traded > 0]
        rows[name] = {
            "members": weights.shape[1],
            "effective members (mean)": float(effective.mean()),
            "effective members (now)": float(effective.iloc[-1]),
            "largest member": str(last.abs().idxmax()),
            "largest weight": float(last.loc[last.abs().idxmax()]),
            "traded": float(moved.mean()) if moved.size else 0.0,
            "rebalances": int(moved.size),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("line")


def allocation_summary(result: RunResult) -> pd.DataFrame:
    """One row per allocation line: its decisions and how the solver fared.

    Columns: ``decisions``; ``optimal`` (solved without a fallback), ``fallbacks``
    (decisions that needed another solver or a fallback rule), ``failed``; the
    ``solvers`` used; mean ``seconds`` per decision; ``effective members`` now.
    """
    rows = {}
    for name, decisions in result.allocations.items():
        solved = decisions[decisions["status"].astype(str) != "warm_up"]
        fallback = solved["fallbacks"].fillna("").astype(str) != ""
        failed = solved["failed"].astype(bool)
        weights = result.weights.get(name)
        effective = (
            float(_effective_members(weights.dropna(how="all")).iloc[-1])
            if weights is not None
            else float("nan")
        )
        rows[name] = {
            "decisions": len(solved),
            "optimal": int((~fallback & ~failed).sum()),
            "fallbacks": int(fallback.sum()),
            "failed": int(failed.sum()),
            "solvers": ", ".join(sorted(solved["solver"].dropna().astype(str).unique())),
            "seconds": float(solved["seconds"].mean()) if len(solved) else float("nan"),
            "effective members": effective,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("line")


def top_members(weights: pd.DataFrame, count: int = SHOWN_MEMBERS) -> pd.DataFrame:
    """``weights`` with its ``count`` largest members by mean absolute weight, the rest
    summed into one column named ``"N others"``."""
    order = weights.abs().mean().sort_values(ascending=False).index
    kept = weights[order[:count]]
    rest = order[count:]
    if len(rest):
        kept = kept.assign(**{f"{len(rest)} others": weights[rest].sum(axis=1)})
    return kept
