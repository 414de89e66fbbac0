"""Where the jobs of a run go: this process, the loky workers as a dataflow
(:mod:`aisfolio.strategies.execution.pool`), or a Ray cluster through joblib."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from aisfolio.strategies.execution.cache import ChunkCache
from aisfolio.strategies.execution.jobs import Job, JobOutput, chain_steps, run_job, run_sent
from aisfolio.strategies.execution.pool import pool_dataflow
from aisfolio.strategies.execution.processes import Piece

__all__ = ["Dispatch"]


@dataclass(frozen=True)
class Dispatch:
    """How the jobs of one run are sent (see :class:`~aisfolio.strategies.execution.Executor`).

    Attributes
    ----------
    backend : {"loky", "ray", "sequential"}
    workers : int
        Worker processes (1 with ``sequential``).
    threads : int
        BLAS/torch threads of every job.
    alone : int
        Processes a job run alone in this process may use.
    n_jobs : int
        joblib's ``n_jobs`` (Ray).
    processes_per_job : int, optional
        A fixed number of processes per job sent to the workers.
    min_parallel_seconds : float
        Below this estimate, independent chunks stay in this process.
    log_dir : str, optional
        Where the jobs' generators write side outputs (training logs).
    address : str, optional
        The Ray cluster.
    """

    backend: str
    workers: int
    threads: int
    alone: int
    n_jobs: int
    processes_per_job: int | None
    min_parallel_seconds: float
    address: str | None
    log_dir: str | None = None

    def run(self, jobs: list[Job], store: ChunkCache | None) -> Iterator[tuple[Job, JobOutput]]:
        """Each job with its output, as they finish."""
        log_dir = self.log_dir
        alone, threads = self.alone, self.threads
        if self.backend == "sequential" or self.workers == 1 or len(jobs) <= 1:
            for job in jobs:
                yield job, run_job(job, store, log_dir, threads, alone)
            return
        heavy = [job for job in jobs if job.kind != "independent"]
        light = [job for job in jobs if job.kind == "independent"]
        if light and self.min_parallel_seconds > 0:
            started = time.perf_counter()
            probe = light.pop(0)
            yield probe, run_job(probe, store, log_dir, threads)
            spent = time.perf_counter() - started
            left = sum(len(job.tasks) for job in light)
            if spent / len(probe.tasks) * left < self.min_parallel_seconds:
                for job in light:
                    yield job, run_job(job, store, log_dir, threads)
                light = []
        remote = heavy + light
        if len(remote) == 1:
            yield remote[0], run_job(remote[0], store, log_dir, threads, alone)
        elif remote:
            yield from self._parallel(remote, store, log_dir)

    def _parallel(
        self, jobs: list[Job], store: ChunkCache | None, log_dir: str | None
    ) -> Iterator[tuple[Job, JobOutput]]:
        threads = self.threads
        run = partial(
            run_sent, store=store, log_dir=log_dir, threads=threads, fixed=self.processes_per_job
        )
        if self.backend == "loky":
            return self._pooled(jobs, run, threads)
        return self._ray(jobs, run)

    def _pooled(
        self, jobs: list[Job], run: Callable[[Job, int], JobOutput], threads: int
    ) -> Iterator[tuple[Job, JobOutput]]:
        """The jobs on the loky workers as a dataflow (:mod:`aisfolio.strategies.execution.pool`):
        a chain is sent one chunk at a time, each chunk when the one before is back, so
        every chain shares every worker. Long indivisible jobs (batches) go first, then
        chain chunks (the longest chains first), then independent chunks."""
        steps: dict[int, list[Job]] = {}

        def chain_piece(index: int, position: int) -> Piece:
            chain = steps[index]  # the chunks left first: the longest chain leads
            return (1, position - len(chain)), (index, position), chain[position]

        pieces: list[Piece] = []
        for index, job in enumerate(jobs):
            if job.kind == "carry":
                steps[index] = chain_steps(job)
                pieces.append(chain_piece(index, 0))
            else:
                rank = 2 if job.kind == "independent" else 0
                pieces.append(((rank, 0), (index, 0), job))

        def release(key: tuple[int, int], output: JobOutput) -> list[Piece]:
            index, position = key
            if index not in steps or position + 1 == len(steps[index]):
                return []
            following = steps[index][position + 1]
            following.carry = pickle.loads(output.entries[-1][1])["carry"]
            return [chain_piece(index, position + 1)]

        for (index, position), output in pool_dataflow(run, pieces, release, self.workers, threads):
            job = steps[index][position] if index in steps else jobs[index]
            yield job, output

    def _ray(
        self, jobs: list[Job], run: Callable[[Job, int], JobOutput]
    ) -> Iterator[tuple[Job, JobOutput]]:
        """The jobs through Ray's joblib backend (a chain is one job). It returns results
        only as a list, at the end; its workers still store each chunk as they finish
        when they share this machine's disk."""
        from joblib import Parallel, delayed, parallel_config

        _connect_ray(self.address)
        with parallel_config(backend="ray", n_jobs=self.n_jobs):  # one process offered
            outputs = Parallel(return_as="list")(delayed(run)(job, 1) for job in jobs)
        yield from zip(jobs, outputs, strict=True)


def _connect_ray(address: str | None) -> None:
    """Join (or start) Ray and register its joblib backend."""
    import ray
    from ray.util.joblib import register_ray

    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    register_ray()
