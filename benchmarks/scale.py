"""Benchmark of the execution layer (issue 9): cores, and the result cache.

Part 1, the ARIMA-GARCH protocol of the paper (orders p, q <= 5 selected by AIC on the
first trading day of each quarter, parameters re-estimated every day on the last
3 x 365 calendar days) on S&P 500, NASDAQ and WTI over ``--span`` (default: every
decision the embedded data allow, 2002 to 2018), run by the execution layer in one
process twice: ``n_jobs=1`` (sequential, one asset at a time to measure each chain's
CPU time) and ``n_jobs=--cores`` (loky, default every core), no cache. It prints both
wall times, their ratio, checks that the forecasts are identical, and two bounds from
the chains' CPU times. The generator carries warm starts from one quarter to the next
of an asset, so each quarter's chunk starts from the state the one before left. As
indivisible jobs (one per chain, scheduled longest first), 3 chains on 2 cores cannot
exceed 3 / 2. The execution layer sends a chain one chunk at a time instead
(:mod:`aisfolio.strategies.execution.pool`), so the three chains share both cores to the end,
and a chain alone spreads its order searches over the cores
(:mod:`aisfolio.strategies.execution.processes`): the second bound keeps every core busy, only
each chain's work outside its searches (daily re-estimations and forecasts, timed in
the sequential run) staying serial.

Part 2, the default ``aisfolio`` run (the packaged config, embedded data: buy-and-hold,
momentum, contrarian and the LSTM), as a user runs it (a subprocess) with an empty
result cache (cold), then again (warm): wall times.

Run from the repository root (one BLAS thread per process unless set)::

    python benchmarks/scale.py                        # span 2002-01-01:2018-12-31
    python benchmarks/scale.py --span 2017-01-01:2018-12-31 --no-cli
    python benchmarks/scale.py --no-arima             # part 2 only
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import aisfolio.portfolio as pf  # noqa: E402
from aisfolio.strategies import WalkForward  # noqa: E402
from aisfolio.strategies.arima_garch import ArimaGarch  # noqa: E402
from aisfolio.strategies.arima_garch.engines import FastTrack, Selection  # noqa: E402
from aisfolio.strategies.execution import Executor, WalkForwardSpec  # noqa: E402

PAPER = {"max_p": 5, "max_q": 5, "criterion": "aic", "window_years": 3, "refit_every": 1}


def _specs(start: str, end: str) -> list[WalkForwardSpec]:
    prices = pf.load_dataset("us_markets").loc[:end]
    specs = []
    for asset in prices.columns:
        series = prices[asset].dropna()
        first = int(np.searchsorted(series.index, pd.Timestamp(start)))
        walk = WalkForward(window="expanding", min_train=first + 1, refit="quarterly")
        specs.append(WalkForwardSpec(ArimaGarch(**PAPER), walk, [series], asset))
    return specs


def _makespan(costs: list[float], cores: int) -> float:
    """Wall time of indivisible jobs on ``cores`` workers, longest first (LPT)."""
    loads = [0.0] * cores
    for cost in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


def _divisible_makespan(costs: list[float], serial: list[float], cores: int) -> float:
    """Least wall time of chains whose work but the ``serial`` part of each spreads over
    ``cores``: every core busy, and no chain faster than its serial part then the rest on
    every core."""
    tightest = max(s + (c - s) / cores for c, s in zip(costs, serial, strict=True))
    return max(sum(costs) / cores, tightest)


@contextmanager
def _timed_searches() -> Iterator[list[float]]:
    """CPU seconds of each order search run in this process, while inside."""
    times: list[float] = []
    select = FastTrack.select

    def timed(track: FastTrack, x: np.ndarray) -> Selection:
        begin = time.process_time()
        try:
            return select(track, x)
        finally:
            times.append(time.process_time() - begin)

    FastTrack.select = timed  # type: ignore[method-assign]
    try:
        yield times
    finally:
        FastTrack.select = select  # type: ignore[method-assign]


def part_one(start: str, end: str, cores: int) -> None:
    print(f"\n## Part 1: ARIMA-GARCH protocol, 3 assets, {start} to {end}, {cores} cores")
    sequential, cpu, searched = [], [], []
    wall = time.perf_counter()
    for spec in _specs(start, end):
        begin = time.process_time()
        with _timed_searches() as searches:
            sequential.extend(Executor(backend="sequential", progress="off").run_specs([spec]))
        cpu.append(time.process_time() - begin)
        searched.append(sum(searches))
    one = time.perf_counter() - wall
    print(f"n_jobs=1 (sequential): {one:7.1f} s wall, CPU per asset chain (s): {cpu_list(cpu)}")
    every = Executor(backend="loky", n_jobs=cores, progress="off", min_parallel_seconds=0)
    wall = time.perf_counter()
    parallel = every.run_specs(_specs(start, end))
    many = time.perf_counter() - wall
    print(f"n_jobs={cores} (loky):      {many:7.1f} s wall ({every.stats.jobs} jobs)")
    same = all(
        np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
        for left, right in zip(sequential, parallel, strict=True)
        for a, b in zip(left, right, strict=True)
    )
    chunks = every.stats.chunks
    print(f"measured ratio: {one / many:.2f}x ({chunks} chunks in 3 chains); identical: {same}")
    chains = sum(cpu) / _makespan(cpu, cores)
    serial = [c - s for c, s in zip(cpu, searched, strict=True)]
    spread = sum(cpu) / _divisible_makespan(cpu, serial, cores)
    shares = [100 * s / c for s, c in zip(searched, cpu, strict=True)]
    print(
        f"bounds on {cores} cores from the chains' CPU times (no overhead, no other load): "
        f"{chains:.2f}x with each chain one job, {spread:.2f}x with the chains' chunks and "
        f"searches shared over the cores (searches: {cpu_list(shares)}% of each chain's CPU)"
    )


def cpu_list(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def part_two() -> None:
    print("\n## Part 2: the default `aisfolio` run, cold then warm cache (subprocess)")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "AISFOLIO_CACHE_DIR": os.path.join(folder, "cache")}
        for label in ("cold", "warm"):
            wall = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "aisfolio", f"hydra.run.dir={folder}/{label}"],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
            )
            print(f"{label}: {time.perf_counter() - wall:6.1f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--span", default="2002-01-01:2018-12-31", help="START:END")
    parser.add_argument("--no-cli", action="store_true", help="skip part 2")
    parser.add_argument("--no-arima", action="store_true", help="skip part 1")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="n_jobs")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"load average at start: {load[0]:.2f}")
    start, end = args.span.split(":")
    if not args.no_arima:
        part_one(start, end, args.cores)
    if not args.no_cli:
        part_two()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"\nload average at the end: {load[0]:.2f}")


if __name__ == "__main__":
    main()
