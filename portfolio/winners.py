"""Which lines of a run beat their benchmark: bootstrap tests per group of lines.

Lines are grouped by what they compete on, each group against one benchmark line, the
buy-and-hold of its (first) asset:

- per asset: its AIS and its type I ensemble, against that asset's buy-and-hold;
- type II ensembles, hedges, combiners and allocations: each kind against the
  buy-and-hold of the first asset of its lines (the hedged asset of a hedge).

Per group, Hansen's SPA test asks whether any line beats the benchmark (the p-value
accounts for having picked the best of the group: a data-snooping check), its stepwise
selection names the lines that do, and the model confidence set (benchmark included)
keeps the lines that cannot be told apart from the best. Per line, the probabilistic
Sharpe ratio is the probability that its true Sharpe ratio is above zero. Net returns
(costs included) on the evaluation period; see :mod:`aisfolio.portfolio.significance`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.ensemble.groups import LineKind, line_name
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.significance import (
    model_confidence_set,
    probabilistic_sharpe_ratio,
    spa_test,
)
from aisfolio.strategies.execution import ChunkCache
from aisfolio.strategies.execution.progress import StageProgress, quiet_stage

log = logging.getLogger(__name__)

__all__ = ["SIGNIFICANCE_COLUMNS", "SignificanceSettings", "significance_table"]

#: Columns of :func:`significance_table` shown next to the paper's metrics.
SIGNIFICANCE_COLUMNS = ("SPA p", "beats benchmark", "MCS p", "in MCS", "PSR")


@dataclass(frozen=True)
class SignificanceSettings:
    """The ``significance`` config node: how the winners are tested.

    Parameters
    ----------
    enabled : bool, default True
        Test the lines of every run (a few seconds per group of lines).
    reps : int, default 500
        Bootstrap replications (p-values within about 0.02 of their limit).
    size : float, default 0.05
        Level of the SPA test's stepwise selection of lines that beat the benchmark.
    mcs_size : float, default 0.10
        The model confidence set holds the best line with probability ``1 - mcs_size``.
    block_size : int, optional
        Mean block length of the stationary bootstrap; default Politis and White's.
    seed : int, default 0
        Seed of the bootstraps (same seed, same p-values).
    benchmark : str, default "buy_and_hold"
        Strategy label of the benchmark lines.
    """

    enabled: bool = True
    reps: int = 500
    size: float = 0.05
    mcs_size: float = 0.10
    block_size: int | None = None
    seed: int = 0
    benchmark: str = "buy_and_hold"

    def __post_init__(self) -> None:
        if self.reps < 10:
            raise ConfigError(f"must be >= 10, got {self.reps}", key="reps")
        for key, value in (("size", self.size), ("mcs_size", self.mcs_size)):
            if not 0.0 < value < 1.0:
                raise ConfigError(f"must be in (0, 1), got {value}", key=f"{key}")
        if self.block_size is not None and self.block_size < 1:
            raise ConfigError(f"must be >= 1, got {self.block_size}", key="block_size")


def _groups(
    metrics: pd.DataFrame, benchmark: str
) -> tuple[dict[str, tuple[str, list[str]]], dict[str, list[str]]]:
    """Group name -> (benchmark line, candidate lines), in the order of ``metrics``; and
    the lines left untested, under the missing benchmark line they would be tested
    against."""
    # The asset a kind of line is measured against: that of its first line (a hedge's
    # hedged asset; the run's first asset for type II ensembles, which cover them all).
    first_of_kind = {
        kind: str(asset).split("+")[0] if asset != "all" else str(metrics["asset"].iloc[0])
        for kind, asset in metrics.groupby("kind", sort=False)["asset"].first().items()
    }
    groups: dict[str, tuple[str, list[str]]] = {}
    untested: dict[str, list[str]] = {}
    for line, row in metrics.iterrows():
        if row["strategy"] == benchmark and row["kind"] == LineKind.AIS:
            continue
        if row["kind"] in (LineKind.AIS, LineKind.ENSEMBLE_I):
            name = first = str(row["asset"])
        else:
            name, first = str(row["kind"]), first_of_kind[row["kind"]]
        reference = line_name(first, benchmark)
        if reference not in metrics.index:
            untested.setdefault(reference, []).append(str(line))
            continue
        groups.setdefault(name, (reference, []))[1].append(str(line))
    return groups, untested


def _group_key(
    name: str, benchmark: str, lines: list[str], returns: Mapping[str, pd.Series], settings: object
) -> str:
    """Cache key of one group's tests: the settings and every return series they read."""
    digest = hashlib.sha256(f"significance|1|{settings!r}|{name}|{benchmark}".encode())
    for line in [benchmark, *lines]:
        series = returns[line]
        digest.update(line.encode())
        digest.update(series.index.asi8.tobytes())
        digest.update(series.to_numpy(dtype=float).tobytes())
    return digest.hexdigest()


def significance_table(
    metrics: pd.DataFrame,
    returns: Mapping[str, pd.Series],
    settings: SignificanceSettings | None = None,
    store: ChunkCache | None = None,
    stage: StageProgress = quiet_stage,
) -> pd.DataFrame:
    """Test every line against its group's benchmark.

    Parameters
    ----------
    metrics : DataFrame
        :attr:`aisfolio.portfolio.results.RunResult.metrics` (kind, asset, strategy per line).
    returns : mapping of str to Series
        Net simple returns of each line on its own calendar, over the evaluation.
    settings : SignificanceSettings, optional
    store : ChunkCache, optional
        Result cache: a group whose settings and returns were tested before is read
        back instead of bootstrapped again.
    stage : callable, default shows nothing
        Opens the progress of the tests, advanced group by group
        (:func:`aisfolio.strategies.execution.progress.stage`).

    Returns
    -------
    DataFrame
        Indexed by line (benchmark lines and lines without a benchmark left out):
        ``group``, ``benchmark``, :data:`SIGNIFICANCE_COLUMNS` (``SPA p`` is the
        group's consistent p-value, repeated on each of its lines).
    """
    settings = settings or SignificanceSettings()
    rows: dict[str, dict[str, object]] = {}
    groups, untested = _groups(metrics, settings.benchmark)
    if untested:
        log.warning(
            "significance: %d lines not tested, because the run has no benchmark "
            "line %s; add the strategy %r to the run, or name another with "
            "significance.benchmark",
            sum(map(len, untested.values())),
            ", ".join(f"'{line}'" for line in untested),
            settings.benchmark,
        )
    with stage("significance", len(groups), "group") as progress:
        for name, (benchmark, lines) in groups.items():
            key = _group_key(name, benchmark, lines, returns, settings)
            cached = store.load(key) if store is not None else None
            if cached is None:
                cached = _test_group(name, benchmark, lines, returns, settings)
                if store is not None:
                    store.store(key, cached)
            rows.update(cached)
            progress.advance(1)
    columns = ["group", "benchmark", *SIGNIFICANCE_COLUMNS]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("line")


def _test_group(
    name: str,
    benchmark: str,
    lines: list[str],
    returns: Mapping[str, pd.Series],
    settings: SignificanceSettings,
) -> dict[str, dict[str, object]]:
    """The rows of one group: SPA, model confidence set and PSR of each line."""
    frame = pd.DataFrame({line: returns[line] for line in lines})
    reference = returns[benchmark]
    spa = spa_test(
        frame,
        reference,
        size=settings.size,
        reps=settings.reps,
        block_size=settings.block_size,
        seed=settings.seed,
    )
    mcs = model_confidence_set(
        frame.join(reference.rename(benchmark), how="inner"),
        size=settings.mcs_size,
        reps=settings.reps,
        block_size=settings.block_size,
        seed=settings.seed,
    )
    return {
        line: {
            "group": name,
            "benchmark": benchmark,
            "SPA p": spa.pvalue,
            "beats benchmark": line in spa.better,
            "MCS p": float(mcs.loc[line, "pvalue"]),
            "in MCS": bool(mcs.loc[line, "included"]),
            "PSR": _psr(returns[line]),
        }
        for line in lines
    }


def _psr(returns: pd.Series) -> float:
    try:
        return probabilistic_sharpe_ratio(returns)
    except ValueError:  # too short, or constant (a line that never trades)
        return float(np.nan)
