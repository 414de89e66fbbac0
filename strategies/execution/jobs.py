"""A job: chunks of walk-forwards computed together, wherever it runs, and how it runs.

:func:`run_job` computes a job's chunks on the thread count and the processes it is
given; each chunk's entry is pickled (and stored in the cache) as soon as it is done.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aisfolio.strategies.base import ChunkTask, Generator
from aisfolio.strategies.execution.cache import ChunkCache
from aisfolio.strategies.execution.pool import worker_environment
from aisfolio.strategies.execution.processes import granted_processes
from aisfolio.strategies.execution.warning_counts import WarningKind, counting_warnings
from aisfolio.strategies.run_context import logging_into

__all__ = ["Job", "JobOutput", "chain_steps", "job_threads", "run_job", "run_sent"]


@dataclass
class Job:
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
class JobOutput:
    """A finished job: its chunks' entries (key, pickled value), in the job's order, and
    the fitted generators it stored on the side (independent chunks)."""

    entries: list[tuple[str | None, bytes]]
    fits: list[tuple[str, bytes]] = field(default_factory=list)
    warnings: dict[WarningKind, int] = field(default_factory=dict)


def chain_steps(job: Job) -> list[Job]:
    """A chain's chunks as jobs of one chunk each; the first starts from the chain's
    carried state, the others from the state their predecessor returns."""
    return [
        Job(
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


def run_sent(
    job: Job,
    share: int,
    store: ChunkCache | None,
    log_dir: str | None,
    threads: int,
    fixed: int | None = None,
) -> JobOutput:
    """A job sent to a worker, on the processes it was offered (``share``) unless
    ``processes_per_job`` fixed them."""
    return run_job(job, store, log_dir, threads, fixed or share)


def run_job(
    job: Job,
    store: ChunkCache | None,
    log_dir: str | None,
    threads: int,
    processes: int = 1,
) -> JobOutput:
    """Compute a job's chunks with ``threads`` BLAS/torch threads and ``processes``
    granted (see :mod:`aisfolio.strategies.execution.processes`), its generator's side
    outputs going to ``log_dir``; each entry is pickled (and stored) as soon as it is
    done."""
    with logging_into(log_dir), granted_processes(processes), job_threads(threads):
        with counting_warnings(propagate=False) as counts:
            output = _compute(job, store)
        output.warnings = dict(counts)
        return output


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


def _compute(job: Job, store: ChunkCache | None) -> JobOutput:
    output = JobOutput([])

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
