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

import contextlib
import hashlib
import importlib.util
import logging
import math
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aisfolio.strategies.base import (
    DEPENDENCIES,
    ChunkTask,
    Generator,
    chunk_dependency,
    fits_per_window,
)
from aisfolio.strategies.execution.cache import ChunkCache, default_cache_dir
from aisfolio.strategies.execution.keys import chunk_key, fit_key, generator_digest
from aisfolio.strategies.execution.pool import pool_dataflow, worker_environment
from aisfolio.strategies.execution.processes import Piece, granted_processes
from aisfolio.strategies.execution.progress import PROGRESS_MODES, Progress
from aisfolio.strategies.run_context import RUN_DIR_VARIABLE
from aisfolio.strategies.walk_forward import Chunk, WalkForward, chunk_task

__all__ = ["BACKENDS", "DEPENDENCIES", "ExecutionStats", "Executor", "WalkForwardSpec"]

log = logging.getLogger("aisfolio.strategies.execution")

BACKENDS = ("loky", "ray", "sequential")
#: Jobs per worker for independent chunks (smaller jobs balance better, cost more trips).
_JOBS_PER_WORKER = 4


@dataclass(frozen=True)
class WalkForwardSpec:
    """One walk-forward to run: a generator, its windows, one input per asset."""

    generator: Generator
    walk_forward: WalkForward
    inputs: Sequence[pd.Series | pd.DataFrame]
    label: str = ""


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
class _Job:
    """Chunks computed together: what a worker receives."""

    spec: int
    kind: str  # the dependency, or "fits": windows of a batch generator to fit
    generator: Generator
    tasks: list[ChunkTask]
    slots: list[int]  # positions of the tasks in the spec's task list
    keys: list[str] | None  # one per task (one for the whole batch with kind "batch")
    carry: Any = None
    fit_keys: list[str] | None = None  # independent chunks: the fitted generators


@dataclass
class _Output:
    """A finished job: its chunks' entries (key, pickled value), in the job's order, and
    the fitted generators it stored on the side (independent chunks)."""

    entries: list[tuple[str | None, bytes]]
    fits: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class _Plan:
    """A spec's tasks and the results known so far."""

    tasks: list[ChunkTask]
    chunks: list[tuple[int, Chunk]]
    forecasts: list[np.ndarray | None]
    records: list[Any]
    fitted: list[Any] = field(default_factory=list)  # per-window fits of "batch" generators
    forecasts_key: str | None = None  # where the forecasts made from those fits are stored


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
            plan, spec_jobs = self._plan(number, spec, store)
            plans.append(plan)
            jobs.extend(spec_jobs)
            stats.chunks += len(plan.tasks)
        todo = sum(len(job.tasks) for job in jobs)
        stats.computed, stats.cached = todo, stats.chunks - todo
        label = ", ".join(dict.fromkeys(spec.label for spec in specs if spec.label))
        title = f"walk-forward {label}".strip()
        progress = Progress(todo, self.progress, title, self.log_interval)
        watcher = None
        try:
            watcher = _Watcher(store, jobs, progress) if store is not None else None
            for job, output in self._dispatch(jobs, store):
                stats.jobs += 1
                stats.fits += self._absorb(plans[job.spec], job, output, store)
                if watcher is None:
                    progress.advance(len(job.tasks))
                else:
                    watcher.finished(job)
        finally:
            if watcher is not None:
                watcher.stop()
            progress.close()
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

    # -- planning ----------------------------------------------------------------------

    def _plan(
        self, number: int, spec: WalkForwardSpec, store: ChunkCache | None
    ) -> tuple[_Plan, list[_Job]]:
        generator = spec.generator
        kind = chunk_dependency(generator)
        chunks = [
            (source, chunk)
            for source, prices in enumerate(spec.inputs)
            for chunk in spec.walk_forward.plan(prices.index, generator)
        ]
        tasks = [chunk_task(spec.inputs[source], chunk, source) for source, chunk in chunks]
        plan = _Plan(tasks, chunks, [None] * len(tasks), [None] * len(tasks))
        if not tasks:
            return plan, []
        digest = generator_digest(generator) if store is not None else ""
        slots = list(range(len(tasks)))
        if kind == "batch" and fits_per_window(generator):
            if store is not None:
                plan.forecasts_key = _batch_key("forecasts", digest, tasks)
                entry = store.load(plan.forecasts_key)
                if entry is not None:
                    plan.forecasts[:] = entry["forecasts"]
                    vars(generator).update(entry["learned"])
                    return plan, []
            return plan, self._fit_jobs(number, generator, plan, digest, store)
        if kind == "batch":
            keys = None
            if store is not None:
                keys = [_batch_key("batch", digest, tasks)]
                entry = store.load(keys[0])
                if entry is not None:
                    plan.forecasts[:] = entry["forecasts"]
                    return plan, []
            return plan, [_Job(number, kind, generator, tasks, slots, keys)]
        if kind == "independent":
            missing = []
            keys_of: dict[int, str] = {}
            for slot, task in enumerate(tasks):
                if store is not None:
                    keys_of[slot] = chunk_key(digest, task)
                    entry = store.load(keys_of[slot])
                    if entry is not None:
                        plan.forecasts[slot] = entry["forecasts"]
                        plan.records[slot] = entry["record"]
                        continue
                missing.append(slot)
            return plan, self._independent_jobs(number, generator, tasks, missing, keys_of, digest)
        jobs = []
        for source in range(len(spec.inputs)):
            chain = [slot for slot in slots if chunks[slot][0] == source]
            keys: list[str] = []
            carry, start = None, 0
            for position, slot in enumerate(chain):
                if store is None:
                    break
                keys.append(chunk_key(digest, tasks[slot], keys[-1] if keys else None))
                if start == position:
                    entry = store.load(keys[-1])
                    if entry is not None:
                        plan.forecasts[slot] = entry["forecasts"]
                        plan.records[slot] = entry["record"]
                        carry, start = entry["carry"], position + 1
            if start < len(chain):
                rest = chain[start:]
                jobs.append(
                    _Job(
                        number,
                        kind,
                        generator,
                        [tasks[slot] for slot in rest],
                        rest,
                        keys[start:] if store is not None else None,
                        carry,
                    )
                )
        return plan, jobs

    @staticmethod
    def _fit_jobs(
        number: int,
        generator: Generator,
        plan: _Plan,
        digest: str,
        store: ChunkCache | None,
    ) -> list[_Job]:
        """Load the windows' stored fits; one job fits the missing ones together."""
        plan.fitted = [None] * len(plan.tasks)
        missing, keys = [], []
        for slot, task in enumerate(plan.tasks):
            if store is not None:
                key = fit_key(digest, task)
                fitted = store.load(key)
                if fitted is not None:
                    plan.fitted[slot] = fitted
                    continue
                keys.append(key)
            missing.append(slot)
        if not missing:
            return []
        tasks = [plan.tasks[slot] for slot in missing]
        return [
            _Job(number, "fits", generator, tasks, missing, keys if store is not None else None)
        ]

    def _independent_jobs(
        self,
        number: int,
        generator: Generator,
        tasks: list[ChunkTask],
        missing: list[int],
        keys_of: dict[int, str],
        digest: str,
    ) -> list[_Job]:
        size = max(1, math.ceil(len(missing) / (self._workers() * _JOBS_PER_WORKER)))
        jobs = []
        for begin in range(0, len(missing), size):
            part = missing[begin : begin + size]
            keys = [keys_of[slot] for slot in part] if keys_of else None
            fits = [fit_key(digest, tasks[slot]) for slot in part] if keys_of else None
            jobs.append(
                _Job(
                    number,
                    "independent",
                    generator,
                    [tasks[s] for s in part],
                    part,
                    keys,
                    fit_keys=fits,
                )
            )
        return jobs

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

    def _dispatch(
        self, jobs: list[_Job], store: ChunkCache | None
    ) -> Iterator[tuple[_Job, _Output]]:
        env = {RUN_DIR_VARIABLE: os.environ.get(RUN_DIR_VARIABLE)}
        alone = self._processes_alone()
        threads = self._threads()
        if self.backend == "sequential" or self._workers() == 1 or len(jobs) <= 1:
            for job in jobs:
                yield job, _run_job(job, store, env, threads, alone)
            return
        heavy = [job for job in jobs if job.kind != "independent"]
        light = [job for job in jobs if job.kind == "independent"]
        if light and self.min_parallel_seconds > 0:
            started = time.perf_counter()
            probe = light.pop(0)
            yield probe, _run_job(probe, store, env, threads)
            spent = time.perf_counter() - started
            left = sum(len(job.tasks) for job in light)
            if spent / len(probe.tasks) * left < self.min_parallel_seconds:
                for job in light:
                    yield job, _run_job(job, store, env, threads)
                light = []
        remote = heavy + light
        if len(remote) == 1:
            yield remote[0], _run_job(remote[0], store, env, threads, alone)
        elif remote:
            yield from self._parallel(remote, store, env)

    def _parallel(
        self, jobs: list[_Job], store: ChunkCache | None, env: dict[str, str | None]
    ) -> Iterator[tuple[_Job, _Output]]:
        threads = self._threads()
        run = partial(
            _run_sent, store=store, env=env, threads=threads, fixed=self.processes_per_job
        )
        if self.backend == "loky":
            return self._pooled(jobs, run, threads)
        return self._ray(jobs, run)

    def _pooled(
        self, jobs: list[_Job], run: Callable[[_Job, int], _Output], threads: int
    ) -> Iterator[tuple[_Job, _Output]]:
        """The jobs on the loky workers as a dataflow (:mod:`aisfolio.strategies.execution.pool`):
        a chain is sent one chunk at a time, each chunk when the one before is back, so
        every chain shares every worker. Long indivisible jobs (batches) go first, then
        chain chunks (the longest chains first), then independent chunks."""
        steps: dict[int, list[_Job]] = {}

        def chain_piece(index: int, position: int) -> Piece:
            chain = steps[index]  # the chunks left first: the longest chain leads
            return (1, position - len(chain)), (index, position), chain[position]

        pieces: list[Piece] = []
        for index, job in enumerate(jobs):
            if job.kind == "carry":
                steps[index] = _chain_steps(job)
                pieces.append(chain_piece(index, 0))
            else:
                rank = 2 if job.kind == "independent" else 0
                pieces.append(((rank, 0), (index, 0), job))

        def release(key: tuple[int, int], output: _Output) -> list[Piece]:
            index, position = key
            if index not in steps or position + 1 == len(steps[index]):
                return []
            following = steps[index][position + 1]
            following.carry = pickle.loads(output.entries[-1][1])["carry"]
            return [chain_piece(index, position + 1)]

        for (index, position), output in pool_dataflow(
            run, pieces, release, self._workers(), threads
        ):
            job = steps[index][position] if index in steps else jobs[index]
            yield job, output

    def _ray(
        self, jobs: list[_Job], run: Callable[[_Job, int], _Output]
    ) -> Iterator[tuple[_Job, _Output]]:
        """The jobs through Ray's joblib backend (a chain is one job). It returns results
        only as a list, at the end; its workers still store each chunk as they finish
        when they share this machine's disk."""
        from joblib import Parallel, delayed, parallel_config

        _connect_ray(self.address)
        with parallel_config(backend="ray", n_jobs=self.n_jobs):  # one process offered
            outputs = Parallel(return_as="list")(delayed(run)(job, 1) for job in jobs)
        yield from zip(jobs, outputs, strict=True)

    def _absorb(
        self,
        plan: _Plan,
        job: _Job,
        output: _Output,
        store: ChunkCache | None,
    ) -> int:
        """Keep a finished job's results; returns the windows it fitted."""
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
        self, spec: WalkForwardSpec, plan: _Plan, store: ChunkCache | None
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


class _Watcher:
    """Advances the progress as workers store chunks in the cache, not only when whole
    jobs come back (on Ray, or in this process, a job is a whole asset's chain for
    ``carry`` generators)."""

    def __init__(self, store: ChunkCache, jobs: list[_Job], progress: Progress, every: float = 1.0):
        self.store, self.progress, self.every = store, progress, every
        self.pending = [key for job in jobs if job.kind != "batch" and job.keys for key in job.keys]
        self.counted: set[str] = set()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        if self.pending and progress.mode != "off":
            self.thread.start()

    def _poll(self) -> None:
        while not self.done.wait(self.every):
            found = [key for key in self.pending if self.store.path(key).exists()]
            with self.lock:
                new = [key for key in found if key not in self.counted]
                self.counted.update(new)
                self.pending = [key for key in self.pending if key not in self.counted]
                if new:
                    self.progress.advance(len(new))

    def finished(self, job: _Job) -> None:
        """Count what a returned job did that the polling has not seen yet."""
        with self.lock:
            if job.kind == "batch" or not job.keys:
                self.progress.advance(len(job.tasks))
                return
            new = [key for key in job.keys if key not in self.counted]
            self.counted.update(new)
            self.progress.advance(len(new))

    def stop(self) -> None:
        """End the polling."""
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


def _batch_key(kind: str, digest: str, tasks: Sequence[ChunkTask]) -> str:
    """One key for a result that depends on every task of a batch generator."""
    parts = "|".join(f"{task.source}:{chunk_key(digest, task)}" for task in tasks)
    return hashlib.sha256(f"{kind}|{parts}".encode()).hexdigest()


def _connect_ray(address: str | None) -> None:
    """Join (or start) Ray and register its joblib backend."""
    import ray
    from ray.util.joblib import register_ray

    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    register_ray()


def _chain_steps(job: _Job) -> list[_Job]:
    """A chain's chunks as jobs of one chunk each; the first starts from the chain's
    carried state, the others from the state their predecessor returns."""
    return [
        _Job(
            job.spec,
            job.kind,
            job.generator,
            [task],
            [slot],
            None if job.keys is None else [job.keys[position]],
            job.carry if position == 0 else None,
        )
        for position, (task, slot) in enumerate(zip(job.tasks, job.slots, strict=True))
    ]


def _run_sent(
    job: _Job,
    share: int,
    store: ChunkCache | None,
    env: dict[str, str | None],
    threads: int,
    fixed: int | None = None,
) -> _Output:
    """A job sent to a worker, on the processes it was offered (``share``) unless
    ``processes_per_job`` fixed them."""
    return _run_job(job, store, env, threads, fixed or share)


def _run_job(
    job: _Job,
    store: ChunkCache | None,
    env: dict[str, str | None],
    threads: int,
    processes: int = 1,
) -> _Output:
    """Compute a job's chunks with ``threads`` BLAS/torch threads and ``processes``
    granted (see :mod:`aisfolio.strategies.execution.processes`), in the environment ``env``
    names; each entry is pickled (and stored) as soon as it is done."""
    _set_environment(env)
    with granted_processes(processes), job_threads(threads):
        return _compute(job, store)


@contextlib.contextmanager
def job_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` threads in every numerical library: the libraries
    already loaded are limited directly, and those the block loads (torch, imported by
    the LSTM's first fit) read the thread variables set here for its duration. torch's
    own count is given back when torch was loaded before; a torch first loaded inside
    keeps ``threads`` (it read them at import)."""
    from threadpoolctl import threadpool_limits

    saved = {name: os.environ.get(name) for name in worker_environment(threads)}
    os.environ.update(worker_environment(threads))
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        _set_environment(saved)
        if torch is not None and previous is not None:
            torch.set_num_threads(previous)


def _set_environment(values: dict[str, str | None]) -> None:
    """Set each variable to its value, unset those whose value is None."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _compute(job: _Job, store: ChunkCache | None) -> _Output:
    output = _Output([])

    def keep(position: int, value: dict[str, Any]) -> None:
        key = job.keys[position] if job.keys is not None else None
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if store is not None and key is not None:
            store.store_bytes(key, blob)
        output.entries.append((key, blob))

    generator = job.generator
    if job.kind == "batch":
        keep(0, {"forecasts": generator.fit_predict_batch(job.tasks), "record": None})
    elif job.kind == "fits":
        for position, fitted in enumerate(generator.fit_batch([task.train for task in job.tasks])):
            keep(position, fitted)
    elif job.kind == "independent":
        # What Generator.fit_predict_batch does per task (clone, fit, predict_block), with
        # the fitted clone stored under its training window: a longer decision block
        # (new days appended to the prices) is then forecast without a new fit.
        for position, task in enumerate(job.tasks):
            fitted = None
            if store is not None and job.fit_keys is not None:
                fitted = store.load(job.fit_keys[position])
            if fitted is None:
                fitted = generator.clone().fit(task.train)
                if job.fit_keys is not None:
                    blob = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
                    if store is not None:
                        store.store_bytes(job.fit_keys[position], blob)
                    output.fits.append((job.fit_keys[position], blob))
            forecasts = fitted.predict_block(task.history, task.n)
            keep(position, {"forecasts": forecasts, "record": fitted.fit_record()})
    else:
        carry = job.carry
        for position, task in enumerate(job.tasks):
            forecasts, record, carry = generator.fit_predict_carried(task, carry)
            keep(position, {"forecasts": forecasts, "record": record, "carry": carry})
    return output
