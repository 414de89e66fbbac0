"""The execution layer: walk-forwards cut into jobs, run on a joblib backend, cached.

Work is planned per generator by how its chunks depend on each other
(:attr:`aisfolio.strategies.Generator.chunk_dependency`):

``independent``
    every chunk is its own cache entry; missing chunks are grouped into jobs (a few per
    worker) and run anywhere.
``carry``
    the chunks of one source (asset) form a chain: chunk ``k`` starts from the state
    chunk ``k - 1`` left. Each chunk's entry stores its forecasts, its record and that
    state, keyed by its data and the previous chunk's key, so a rerun resumes each chain
    at its first missing chunk. With ``loky`` each chunk is a job, sent when the one
    before it is back; in this process or on Ray, one job per unfinished chain.
``batch``
    the windows' fits are computed together (``fit_batch``): every training window's
    fitted generator is its own entry, the missing ones are fitted in one job, and
    ``predict_batch`` turns them into forecasts (cheap) in the driver. New days appended
    to the prices then cost only the fits of the new windows. The forecasts of all the
    tasks, with the learned attributes ``predict_batch`` left on the generator (its
    ``failure_log_``), are one more entry: a rerun on the same data loads them and no
    fit at all (an LSTM's fits would import torch). A generator that overrides
    ``fit_predict_batch`` is run as one job with one entry for all its tasks.

With ``loky``, the jobs are a dataflow over the workers
(:mod:`aisfolio.strategies.execution.pool`): a chain goes out one chunk at a time, each chunk
when the one before it is back with its state, so the chains of all assets share all
the workers to the end. A job may also run on a few processes of its own (see
:mod:`aisfolio.strategies.execution.processes` and ``processes_per_job``): its share of the
workers when it is sent, so the last chain of a run still uses every core.

Every path calls the same generator methods on the same tasks in the same order as
:meth:`aisfolio.strategies.WalkForward.run_many`, so results do not depend on the backend, the
number of workers or what the cache held. Workers write each finished chunk's entry
as soon as it is done (a killed run keeps them); the driver also writes the entries it
receives that are missing (workers of a remote cluster do not share its disk).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aisfolio.strategies.base import (
    DEPENDENCIES,
    Generator,
    chunk_dependency,
)
from aisfolio.strategies.execution.cache import ChunkCache, default_cache_dir
from aisfolio.strategies.execution.dispatch import Dispatch
from aisfolio.strategies.execution.jobs import (
    Job,
    JobOutput,
    job_threads,
)
from aisfolio.strategies.execution.planning import SpecPlan, WalkForwardSpec, plan_walk_forward
from aisfolio.strategies.execution.progress import PROGRESS_MODES, Progress, stage
from aisfolio.strategies.execution.warning_counts import record
from aisfolio.strategies.execution.watcher import CacheWatcher
from aisfolio.strategies.walk_forward import WalkForward

__all__ = ["BACKENDS", "DEPENDENCIES", "ExecutionStats", "Executor"]

log = logging.getLogger("aisfolio.strategies.execution")

BACKENDS = ("loky", "ray", "sequential")


@dataclass
class ExecutionStats:
    """Chunks of the walk-forwards run so far.

    Attributes
    ----------
    chunks : int
        Chunks planned.
    computed : int
        Chunks whose results were computed (``batch`` generators: windows fitted).
    cached : int
        Chunks served by the cache.
    jobs : int
        Jobs run, here or on the workers (with ``loky`` every chunk of a chain is one).
    fits : int
        Training windows fitted (a ``carry`` chunk or a whole ``batch`` walk-forward
        counts its tasks): what a rerun on longer prices should limit to the new windows.
    """

    chunks: int = 0
    computed: int = 0
    cached: int = 0
    jobs: int = 0
    fits: int = 0

    def add(self, other: ExecutionStats) -> None:
        """Accumulate ``other``."""
        self.chunks += other.chunks
        self.computed += other.computed
        self.cached += other.cached
        self.jobs += other.jobs
        self.fits += other.fits


@dataclass
class Executor:
    """Runs walk-forwards on a joblib backend, with a result cache and progress.

    Parameters
    ----------
    backend : {"loky", "ray", "sequential"}, default "sequential"
        ``loky``: worker processes on this machine; ``ray``: tasks on a Ray cluster
        through Ray's joblib backend (``address`` says which); ``sequential``: in this
        process, in order (debugging). Results are identical whatever the backend.
    n_jobs : int, default -1
        Workers (joblib's convention: -1 all cores, or all CPUs of the Ray cluster).
    cache : bool, default False
        Store and reuse chunk results.
    cache_dir : str, optional
        Cache location; default ``$AISFOLIO_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/aisfolio``, else ``~/.cache/aisfolio``.
    progress : {"auto", "bar", "log", "off"}, default "auto"
        A tqdm bar with ETA on a terminal, INFO log lines otherwise (see
        :class:`~aisfolio.strategies.execution.progress.Progress`).
    log_interval : float, default 30.0
        Seconds between progress log lines.
    address : str, optional
        Ray cluster to join (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``);
        default ``$RAY_ADDRESS``, else a new local Ray instance. Only for ``ray``.
    threads_per_job : int, optional
        BLAS/torch threads of every job, whether it runs in a worker or in this
        process; default the cores divided by the workers (at least 1), so parallel
        jobs do not oversubscribe the CPU. A job never runs with the thread counts it
        happens to find (the user's ``OMP_NUM_THREADS``, torch's default): numerical
        libraries round differently with other thread counts (torch's reductions), so
        the same settings on the same machine give the same forecasts.
    processes_per_job : int, optional
        Processes a job may run on for its own parallelism, its own included (see
        :mod:`aisfolio.strategies.execution.processes`: ARIMA-GARCH spreads each order search's
        fits over them). Default with ``loky``: the job's share of the workers when it
        is sent (the workers divided by the jobs running or waiting, at least 1), so
        jobs do not oversubscribe the cores while there is work for every worker and a
        job alone at the end of a run uses them all; with ``sequential``, ``ray`` or
        one worker: 1 (none). Results do not depend on it.
    min_parallel_seconds : float, default 2.0
        Independent chunks are cheap for most generators: the first job of them runs in
        this process, and the rest goes to the workers only when it is estimated to take
        longer than this (starting workers costs seconds). 0: always to the workers.
        Chains (``carry``) and batches always go to the workers when there are several.
    log_dir : str, optional
        Where generators write side outputs of the run (the LSTM's training logs, under
        ``lightning_logs``); None: nowhere. The CLI sets it to the run's folder. Results
        and cache keys do not depend on it.
    """

    backend: str = "sequential"
    n_jobs: int = -1
    cache: bool = False
    cache_dir: str | None = None
    progress: str = "auto"
    log_interval: float = 30.0
    address: str | None = None
    threads_per_job: int | None = None
    processes_per_job: int | None = None
    min_parallel_seconds: float = 2.0
    log_dir: str | None = None
    stats: ExecutionStats = field(default_factory=ExecutionStats, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got '{self.backend}'")
        if self.backend == "ray" and importlib.util.find_spec("ray") is None:
            raise ValueError(
                "backend 'ray' needs Ray, which is not installed: pip install 'aisfolio[cluster]'"
            )
        if self.progress not in PROGRESS_MODES:
            raise ValueError(f"progress must be one of {PROGRESS_MODES}, got '{self.progress}'")
        if self.n_jobs == 0 or not isinstance(self.n_jobs, int):
            raise ValueError(f"n_jobs must be a non-zero integer, got {self.n_jobs!r}")
        if self.threads_per_job is not None and self.threads_per_job < 1:
            raise ValueError(f"threads_per_job must be >= 1, got {self.threads_per_job}")
        if self.processes_per_job is not None and self.processes_per_job < 1:
            raise ValueError(f"processes_per_job must be >= 1, got {self.processes_per_job}")
        if self.min_parallel_seconds < 0:
            raise ValueError(f"min_parallel_seconds must be >= 0, got {self.min_parallel_seconds}")
        if self.log_interval <= 0:
            raise ValueError(f"log_interval must be > 0, got {self.log_interval}")

    # -- public ----------------------------------------------------------------------

    @property
    def store(self) -> ChunkCache | None:
        """The cache in use (None when caching is off)."""
        if not self.cache:
            return None
        return ChunkCache(Path(self.cache_dir) if self.cache_dir else default_cache_dir())

    def stage(self, description: str, total: int, unit: str) -> AbstractContextManager[Progress]:
        """The progress of another long stage of a run (ensembles, significance tests,
        outputs), shown as the walk-forward's (``progress``, ``log_interval``); a
        :data:`~aisfolio.strategies.execution.progress.StageProgress`."""
        return stage(description, total, self.progress, self.log_interval, unit)

    def run(
        self, generator: Generator, walk_forward: WalkForward, inputs: Sequence[pd.Series]
    ) -> list[pd.Series]:
        """Forecasts of one walk-forward, as :meth:`WalkForward.run_many` returns them."""
        return self.run_specs([WalkForwardSpec(generator, walk_forward, inputs)])[0]

    def run_specs(self, specs: Sequence[WalkForwardSpec]) -> list[list[pd.Series]]:
        """Forecasts of several walk-forwards, their jobs run together.

        Parameters
        ----------
        specs : sequence of WalkForwardSpec

        Returns
        -------
        list of list of Series
            Per spec, per input: forecasts on the input's index, NaN before the first
            decision (as :meth:`aisfolio.strategies.WalkForward.run_many`).
        """
        store = self.store
        stats = ExecutionStats()
        plans, jobs = [], []
        for number, spec in enumerate(specs):
            plan, spec_jobs = plan_walk_forward(number, spec, store, self._workers())
            plans.append(plan)
            jobs.extend(spec_jobs)
            stats.chunks += len(plan.tasks)
        todo = sum(len(job.tasks) for job in jobs)
        stats.computed, stats.cached = todo, stats.chunks - todo
        label = ", ".join(dict.fromkeys(spec.label for spec in specs if spec.label))
        title = f"walk-forward {label}".strip()
        with self.stage(title, todo, "chunk") as progress:
            watcher = None
            try:
                watcher = CacheWatcher(store, jobs, progress) if store is not None else None
                for job, output in self._dispatcher().run(jobs, store):
                    stats.jobs += 1
                    stats.fits += self._absorb(plans[job.spec], job, output, store)
                    if watcher is None:
                        progress.advance(len(job.tasks))
                    else:
                        watcher.finished(job)
            finally:
                if watcher is not None:
                    watcher.stop()
        self.stats.add(stats)
        log.info(
            "%s: %d chunks, %d computed in %d jobs (%s, n_jobs=%d), %d cached",
            title,
            stats.chunks,
            stats.computed,
            stats.jobs,
            self.backend,
            self.n_jobs,
            stats.cached,
        )
        return [self._assemble(spec, plan, store) for spec, plan in zip(specs, plans, strict=True)]

    # -- running -----------------------------------------------------------------------

    def _workers(self) -> int:
        if self.backend == "sequential":
            return 1
        if self.n_jobs > 0:
            return self.n_jobs
        return max(1, (os.cpu_count() or 1) + 1 + self.n_jobs)

    def _threads(self) -> int:
        """BLAS/torch threads of every job: ``threads_per_job``, else the cores divided
        by the workers."""
        return self.threads_per_job or max(1, (os.cpu_count() or 1) // self._workers())

    def _processes_alone(self) -> int:
        """Processes a job run alone in this process may use (its own included):
        ``processes_per_job`` if set, else with ``loky`` every worker, else 1. (Jobs
        sent to the loky workers are offered their share by
        :func:`~aisfolio.strategies.execution.pool.pool_dataflow`; on Ray they get
        ``processes_per_job`` or 1.)"""
        if self.processes_per_job is not None:
            return self.processes_per_job
        return self._workers() if self.backend == "loky" else 1

    def _dispatcher(self) -> Dispatch:
        return Dispatch(
            backend=self.backend,
            workers=self._workers(),
            threads=self._threads(),
            alone=self._processes_alone(),
            n_jobs=self.n_jobs,
            processes_per_job=self.processes_per_job,
            min_parallel_seconds=self.min_parallel_seconds,
            address=self.address,
            log_dir=self.log_dir,
        )

    def _absorb(
        self,
        plan: SpecPlan,
        job: Job,
        output: JobOutput,
        store: ChunkCache | None,
    ) -> int:
        """Keep a finished job's results; returns the windows it fitted."""
        record(output.warnings)
        for key, blob in [*output.entries, *output.fits]:
            if store is not None and key is not None and not store.path(key).exists():
                store.store_bytes(key, blob)
        values = [pickle.loads(blob) for _, blob in output.entries]
        if job.kind == "fits":
            for slot, fitted in zip(job.slots, values, strict=True):
                plan.fitted[slot] = fitted
            return len(job.tasks)
        if job.kind == "independent":
            fitted = len(output.fits) if job.fit_keys is not None else len(job.tasks)
        else:
            fitted = len(job.tasks)
        if job.kind == "batch":
            for slot, forecasts in zip(job.slots, values[0]["forecasts"], strict=True):
                plan.forecasts[slot] = forecasts
            return fitted
        for slot, value in zip(job.slots, values, strict=True):
            plan.forecasts[slot], plan.records[slot] = value["forecasts"], value["record"]
        return fitted

    def _assemble(
        self, spec: WalkForwardSpec, plan: SpecPlan, store: ChunkCache | None
    ) -> list[pd.Series]:
        generator = spec.generator
        carried = chunk_dependency(generator) == "carry"
        if plan.tasks and (carried or any(record is not None for record in plan.records)):
            generator.collect(plan.records)
        if plan.fitted:
            with job_threads(self._threads()):  # the fits' forward passes, here
                plan.forecasts[:] = generator.predict_batch(plan.tasks, plan.fitted)
            if store is not None and plan.forecasts_key is not None:
                learned = {
                    name: value
                    for name, value in vars(generator).items()
                    if name.endswith("_") and not name.startswith("_")
                }
                store.store(
                    plan.forecasts_key, {"forecasts": list(plan.forecasts), "learned": learned}
                )
        outputs = [np.full(len(prices), np.nan) for prices in spec.inputs]
        for (source, chunk), forecasts in zip(plan.chunks, plan.forecasts, strict=True):
            values = np.asarray(forecasts, dtype=float)
            if values.shape != (chunk.n_decisions,):
                raise ValueError(
                    f"{type(generator).__name__} returned shape {values.shape}, "
                    f"expected ({chunk.n_decisions},)"
                )
            outputs[source][chunk.refit : chunk.stop] = values
        return [
            pd.Series(values, index=prices.index, name=getattr(prices, "name", None))
            for values, prices in zip(outputs, spec.inputs, strict=True)
        ]
