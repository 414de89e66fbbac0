"""Generators and inputs shared by the execution tests (importable by worker processes)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aisfolio.portfolio.datasets import load_dataset
from aisfolio.strategies import Generator, Momentum, WalkForward
from aisfolio.strategies.arima_garch import ArimaGarch
from aisfolio.strategies.base import ChunkTask
from aisfolio.strategies.execution.processes import process_dataflow, run_in_process


class CountingMomentum(Momentum):
    """Momentum that counts its fits in this process."""

    fits = 0

    def fit(self, train: pd.Series) -> CountingMomentum:
        type(self).fits += 1
        return self


class MeanOfBatch(Generator):
    """A ``batch`` generator: each forecast uses the whole batch (the mean training
    return over all tasks), so only one call on every task gives its results."""

    min_history = 5

    def fit_predict_batch(self, tasks: Sequence[ChunkTask]) -> list[np.ndarray]:
        level = float(np.mean([np.log(t.train.iloc[-1] / t.train.iloc[0]) for t in tasks]))
        return [np.log(t.history.iloc[-t.n :].to_numpy() / t.train.iloc[0]) - level for t in tasks]


class ThreadReporting(Generator):
    """A ``batch`` generator whose forecasts are the threads its job ran with: torch's
    intra-op threads and ``OMP_NUM_THREADS``, as ``100 * torch + omp``."""

    min_history = 5

    def fit_predict_batch(self, tasks: Sequence[ChunkTask]) -> list[np.ndarray]:
        import os

        import torch

        threads = 100 * torch.get_num_threads() + int(os.environ.get("OMP_NUM_THREADS", "0"))
        return [np.full(t.n, float(threads)) for t in tasks]


def small_arima() -> ArimaGarch:
    """The ARIMA-GARCH protocol, small: orders up to (1, 1), 2-year windows."""
    return ArimaGarch(max_p=1, max_q=1, window_years=2, refit_every=10, min_observations=100)


class PoolReportingArima(ArimaGarch):
    """``small_arima`` whose ``pooled_`` (set by ``collect``) says, per decision, whether
    its chunk ran with worker processes granted (its order searches spread over them)."""

    def __init__(self):
        super().__init__(max_p=1, max_q=1, window_years=2, refit_every=10, min_observations=100)

    def fit_predict_carried(self, task, carry):
        forecasts, rows, chain = super().fit_predict_carried(task, carry)
        pooled = process_dataflow() is not run_in_process
        return forecasts, [{**row, "pooled": pooled} for row in rows], chain

    def collect(self, records):
        self.pooled_ = [row["pooled"] for rows in records for row in rows]
        super().collect(records)


def assets(start: str = "2001-01-01", end: str = "2005-06-30") -> list[pd.Series]:
    """The embedded assets on their own calendars."""
    prices = load_dataset("us_markets").loc[start:end]
    return [prices[column].dropna() for column in prices]


def quarterly_from(inputs: list[pd.Series], first: str) -> WalkForward:
    """Quarterly refits, the first decision on the first bar from ``first``."""
    position = int(np.searchsorted(inputs[0].index, pd.Timestamp(first)))
    return WalkForward(min_train=position, refit="quarterly")


def same(left: Sequence[pd.Series], right: Sequence[pd.Series]) -> bool:
    """Bit-identical forecasts (NaN where NaN)."""
    return len(left) == len(right) and all(
        a.index.equals(b.index) and np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
        for a, b in zip(left, right, strict=True)
    )


class WarningMomentum(Momentum):
    """Momentum that raises the same UserWarning at every fit (a noisy dependency)."""

    def fit(self, train: pd.Series) -> WarningMomentum:
        import warnings

        warnings.warn("noisy fit", UserWarning, stacklevel=1)
        return self
