"""The walk-forward engine: the only place that slices time.

It splits one asset's calendar into chunks (one refit followed by the decision dates
up to the next refit), fits a fresh copy of the generator on the chunk's training
window and asks it for the chunk's forecasts. Each chunk is a pure function of the
generator's parameters and the prices it is given, so chunks can be cached and run in
parallel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.strategies.base import ChunkTask, Generator, chunk_dependency
from aisfolio.strategies.schedule import FREQUENCIES, schedule_positions

__all__ = ["Chunk", "WalkForward", "chunk_task", "run_chunk"]

WINDOWS = ("expanding", "rolling")


@dataclass(frozen=True)
class Chunk:
    """One refit and the decisions that use it, as bar positions on the asset's calendar.

    Attributes
    ----------
    train_start : int
        First bar of the training window.
    refit : int
        The refit bar: the last bar of the training window and the first decision.
    stop : int
        One past the last decision bar of the chunk.
    """

    train_start: int
    refit: int
    stop: int

    @property
    def n_decisions(self) -> int:
        """Number of decision dates served by this fit."""
        return self.stop - self.refit


def chunk_task(prices: pd.Series | pd.DataFrame, chunk: Chunk, source: int = 0) -> ChunkTask:
    """Cut the rows a chunk may see: its training window and its decisions' history."""
    return ChunkTask(
        train=prices.iloc[chunk.train_start : chunk.refit + 1],
        history=prices.iloc[chunk.train_start : chunk.stop],
        n=chunk.n_decisions,
        source=source,
    )


def run_chunk(generator: Generator, prices: pd.Series | pd.DataFrame, chunk: Chunk) -> np.ndarray:
    """Fit a fresh copy of ``generator`` on the chunk's window and forecast its decisions.

    Parameters
    ----------
    generator : Generator
        Unfitted template; it is cloned, never modified.
    prices : Series or DataFrame
        The asset's prices (or a frame of inputs) on its own calendar.
    chunk : Chunk
        Which bars to train on and to forecast.

    Returns
    -------
    ndarray of shape (chunk.n_decisions,)
    """
    return _checked(
        generator, generator.fit_predict_batch([chunk_task(prices, chunk)])[0], chunk.n_decisions
    )


def _checked(generator: Generator, forecasts: np.ndarray, n: int) -> np.ndarray:
    values = np.asarray(forecasts, dtype=float)
    if values.shape != (n,):
        raise ValueError(
            f"{type(generator).__name__}.predict_block returned shape {values.shape}, "
            f"expected ({n},)"
        )
    return values


@dataclass(frozen=True)
class WalkForward:
    """Windows and refit calendar of a walk-forward run.

    Parameters
    ----------
    window : {"expanding", "rolling"}
        Expanding windows start at the first bar; rolling windows hold the last
        ``train_size`` bars up to the refit date.
    train_size : int, optional
        Length of a rolling window in bars (required for ``"rolling"``).
    min_train : int, default 1
        Bars of history before the first decision (raised to the generator's own
        ``min_history`` when that is larger).
    refit : str, default "yearly"
        When to refit: ``"every_bar"``, ``"every_k"`` (every ``every`` bars),
        ``"weekly"``, ``"monthly"``, ``"quarterly"`` (first bar of Jan/Apr/Jul/Oct),
        ``"yearly"`` or ``"never"`` (once, at the first decision).
    every : int, default 1
        Bars between refits for ``refit="every_k"``.
    """

    window: str = "expanding"
    train_size: int | None = None
    min_train: int = 1
    refit: str = "yearly"
    every: int = 1

    def __post_init__(self) -> None:
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got '{self.window}'")
        if self.refit not in FREQUENCIES:
            raise ValueError(f"refit must be one of {FREQUENCIES}, got '{self.refit}'")
        if self.window == "rolling" and (self.train_size is None or self.train_size < 1):
            raise ValueError("a rolling window needs train_size >= 1 (bars)")
        if self.min_train < 1:
            raise ValueError(f"min_train must be >= 1, got {self.min_train}")
        if self.every < 1:
            raise ValueError(f"every must be >= 1, got {self.every}")

    def first_decision(self, generator: Generator) -> int:
        """Bar position of the first forecast."""
        return max(self.min_train, generator.min_history) - 1

    def plan(self, index: pd.DatetimeIndex, generator: Generator) -> list[Chunk]:
        """Chunks covering every decision date of ``index`` from the first possible one.

        Parameters
        ----------
        index : DatetimeIndex
            The asset's own calendar.
        generator : Generator
            Supplies ``min_history``.

        Returns
        -------
        list of Chunk
        """
        first = self.first_decision(generator)
        refits = schedule_positions(index, self.refit, first=first, every=self.every)
        if refits.size == 0:
            return []
        stops = np.append(refits[1:], len(index))
        chunks = []
        for refit, stop in zip(refits, stops, strict=True):
            start = 0
            if self.window == "rolling":
                start = max(0, refit + 1 - int(self.train_size or 0))
            chunks.append(Chunk(int(start), int(refit), int(stop)))
        return chunks

    def run(self, generator: Generator, prices: pd.Series | pd.DataFrame) -> pd.Series:
        """Forecasts stamped by decision date, NaN before the first decision.

        Parameters
        ----------
        generator : Generator
            Unfitted template.
        prices : Series or DataFrame
            One asset's prices on its own calendar (no missing values), or a frame of
            inputs on that calendar; chunks slice its rows.

        Returns
        -------
        Series
            Same index as ``prices``.
        """
        return self.run_many(generator, [prices])[0]

    def run_many(
        self, generator: Generator, inputs: Sequence[pd.Series | pd.DataFrame]
    ) -> list[pd.Series]:
        """:meth:`run` on several assets at once: every chunk of every asset is handed to
        ``generator.fit_predict_batch`` together, so batched generators train them as one.

        Parameters
        ----------
        generator : Generator
            Unfitted template.
        inputs : sequence of Series or DataFrame
            One per asset, each on its own calendar.

        Returns
        -------
        list of Series
            Forecasts per asset, on each input's index.
        """
        plans = [self.plan(prices.index, generator) for prices in inputs]
        tasks = [
            chunk_task(prices, chunk, source)
            for source, (prices, plan) in enumerate(zip(inputs, plans, strict=True))
            for chunk in plan
        ]
        results = iter(_fit_predict(generator, tasks) if tasks else [])
        outputs = []
        for prices, plan in zip(inputs, plans, strict=True):
            forecasts = np.full(len(prices), np.nan)
            for chunk in plan:
                forecasts[chunk.refit : chunk.stop] = _checked(
                    generator, next(results), chunk.n_decisions
                )
            outputs.append(
                pd.Series(forecasts, index=prices.index, name=getattr(prices, "name", None))
            )
        return outputs


def _fit_predict(generator: Generator, tasks: list[ChunkTask]) -> list[np.ndarray]:
    """``generator.fit_predict_batch(tasks)``; an ``"independent"`` generator also has
    its fits' records collected, as the execution layer does."""
    if chunk_dependency(generator) != "independent":
        return generator.fit_predict_batch(tasks)
    fitted = generator.fit_batch([task.train for task in tasks])
    records = [model.fit_record() for model in fitted]
    if any(record is not None for record in records):
        generator.collect(records)
    return generator.predict_batch(tasks, fitted)
