"""Planning: a walk-forward's chunks, what the cache holds of them, and the jobs for
the rest, by how the generator's chunks depend on each other
(:func:`aisfolio.strategies.base.chunk_dependency`; see
:mod:`aisfolio.strategies.execution.executor`)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aisfolio.strategies.base import ChunkTask, Generator, chunk_dependency, fits_per_window
from aisfolio.strategies.execution.cache import ChunkCache
from aisfolio.strategies.execution.jobs import Job
from aisfolio.strategies.execution.keys import chunk_key, fit_key, generator_digest
from aisfolio.strategies.walk_forward import Chunk, WalkForward, chunk_task

__all__ = ["JOBS_PER_WORKER", "SpecPlan", "WalkForwardSpec", "batch_key", "plan_walk_forward"]

#: Jobs per worker for independent chunks (smaller jobs balance better, cost more trips).
JOBS_PER_WORKER = 4


@dataclass(frozen=True)
class WalkForwardSpec:
    """One walk-forward to run: a generator, its windows, one input per asset."""

    generator: Generator
    walk_forward: WalkForward
    inputs: Sequence[pd.Series | pd.DataFrame]
    label: str = ""


@dataclass
class SpecPlan:
    """A spec's tasks and the results known so far."""

    tasks: list[ChunkTask]
    chunks: list[tuple[int, Chunk]]
    forecasts: list[np.ndarray | None]
    records: list[Any]
    fitted: list[Any] = field(default_factory=list)  # per-window fits of "batch" generators
    forecasts_key: str | None = None  # where the forecasts made from those fits are stored


def plan_walk_forward(
    number: int, spec: WalkForwardSpec, store: ChunkCache | None, workers: int
) -> tuple[SpecPlan, list[Job]]:
    """The spec's tasks with what the cache already holds, and the jobs for the rest."""
    generator = spec.generator
    kind = chunk_dependency(generator)
    chunks = [
        (source, chunk)
        for source, prices in enumerate(spec.inputs)
        for chunk in spec.walk_forward.plan(prices.index, generator)
    ]
    tasks = [chunk_task(spec.inputs[source], chunk, source) for source, chunk in chunks]
    plan = SpecPlan(tasks, chunks, [None] * len(tasks), [None] * len(tasks))
    if not tasks:
        return plan, []
    digest = generator_digest(generator) if store is not None else ""
    return plan, _PLANNERS[kind](_Context(number, generator, plan, store, workers, digest))


@dataclass
class _Context:
    """What every planner works on: one spec's tasks and the cache."""

    number: int
    generator: Generator
    plan: SpecPlan
    store: ChunkCache | None
    workers: int
    digest: str  # of the generator, when there is a cache


def _plan_batch(c: _Context) -> list[Job]:
    """Windows fitted together: per-window fits (each its own entry, then the forecasts
    made from them as one more), or one entry for a whole ``fit_predict_batch``."""
    plan, store, tasks = c.plan, c.store, c.plan.tasks
    if fits_per_window(c.generator):
        if store is not None:
            plan.forecasts_key = batch_key("forecasts", c.digest, tasks)
            entry = store.load(plan.forecasts_key)
            if entry is not None:
                plan.forecasts[:] = entry["forecasts"]
                vars(c.generator).update(entry["learned"])
                return []
        return _fit_jobs(c.number, c.generator, plan, c.digest, store)
    keys = None
    if store is not None:
        keys = [batch_key("batch", c.digest, tasks)]
        entry = store.load(keys[0])
        if entry is not None:
            plan.forecasts[:] = entry["forecasts"]
            return []
    return [Job(c.number, "batch", c.generator, tasks, list(range(len(tasks))), keys)]


def _plan_independent(c: _Context) -> list[Job]:
    """Every chunk its own entry; the missing ones in a few jobs per worker."""
    plan, store = c.plan, c.store
    missing = []
    keys_of: dict[int, str] = {}
    for slot, task in enumerate(plan.tasks):
        if store is not None:
            keys_of[slot] = chunk_key(c.digest, task)
            entry = store.load(keys_of[slot])
            if entry is not None:
                plan.forecasts[slot] = entry["forecasts"]
                plan.records[slot] = entry["record"]
                continue
        missing.append(slot)
    return _independent_jobs(
        c.number, c.generator, plan.tasks, missing, keys_of, c.digest, c.workers
    )


def _plan_chains(c: _Context) -> list[Job]:
    """Per source, a chain resumed at its first chunk the cache does not hold."""
    plan, store, tasks = c.plan, c.store, c.plan.tasks
    jobs = []
    for source in sorted({source for source, _ in plan.chunks}):
        chain = [slot for slot, (owner, _) in enumerate(plan.chunks) if owner == source]
        keys: list[str] = []
        carry, start = None, 0
        for position, slot in enumerate(chain):
            if store is None:
                break
            keys.append(chunk_key(c.digest, tasks[slot], keys[-1] if keys else None))
            if start == position:
                entry = store.load(keys[-1])
                if entry is not None:
                    plan.forecasts[slot] = entry["forecasts"]
                    plan.records[slot] = entry["record"]
                    carry, start = entry["carry"], position + 1
        if start < len(chain):
            rest = chain[start:]
            jobs.append(
                Job(
                    c.number,
                    "carry",
                    c.generator,
                    [tasks[slot] for slot in rest],
                    rest,
                    keys[start:] if store is not None else None,
                    carry,
                )
            )
    return jobs


#: The planner of each chunk dependency.
_PLANNERS: dict[str, Callable[[_Context], list[Job]]] = {
    "batch": _plan_batch,
    "independent": _plan_independent,
    "carry": _plan_chains,
}


def _fit_jobs(
    number: int,
    generator: Generator,
    plan: SpecPlan,
    digest: str,
    store: ChunkCache | None,
) -> list[Job]:
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
    return [Job(number, "fits", generator, tasks, missing, keys if store is not None else None)]


def _independent_jobs(
    number: int,
    generator: Generator,
    tasks: list[ChunkTask],
    missing: list[int],
    keys_of: dict[int, str],
    digest: str,
    workers: int,
) -> list[Job]:
    size = max(1, math.ceil(len(missing) / (workers * JOBS_PER_WORKER)))
    jobs = []
    for begin in range(0, len(missing), size):
        part = missing[begin : begin + size]
        keys = [keys_of[slot] for slot in part] if keys_of else None
        fits = [fit_key(digest, tasks[slot]) for slot in part] if keys_of else None
        jobs.append(
            Job(
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


def batch_key(kind: str, digest: str, tasks: Sequence[ChunkTask]) -> str:
    """One key for a result that depends on every task of a batch generator."""
    parts = "|".join(f"{task.source}:{chunk_key(digest, task)}" for task in tasks)
    return hashlib.sha256(f"{kind}|{parts}".encode()).hexdigest()
