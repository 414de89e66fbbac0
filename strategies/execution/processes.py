"""Worker processes that the execution layer grants a job for its own inner parallelism.

A job runs inside :func:`granted_processes`; code in it (a generator) that has
independent pieces of work asks :func:`process_dataflow` for a way to run them. With
``n > 1`` processes granted, the pieces run on the job's own process and on a pool of
``n - 1`` more, which the job starts on first use and shuts down when it ends;
otherwise they run one after the other in the job's process. Either way the results
are the same: a generator never decides its parallelism itself, so a run with
``n_jobs=1`` stays sequential.

The work is a *dataflow*: pieces are given with a priority, and each finished piece may
release new ones (an order search fits an order as soon as the smaller orders it starts
from are done, rather than waiting for all orders of the same size).

The pool's processes are forked from the job's process, so they start in milliseconds
with its modules imported (a ``forkserver`` or ``spawn`` child imports SciPy and the
generator again: about a second of CPU each), and run one BLAS thread each. They only
run the given function (NumPy). Fork is used only on Linux (unsafe on macOS); elsewhere
:func:`process_dataflow` runs everything in the job's process.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Dataflow", "Piece", "granted_processes", "process_dataflow", "run_in_process"]

_FORK = sys.platform.startswith("linux")

#: A piece of work: ``(priority, key, item)``; smaller priorities run first.
Piece = tuple[Any, Hashable, Any]

#: ``dataflow(function, pieces, finished)`` calls ``function(item)`` for every piece
#: given or released, and ``finished(key, result)`` with each result, which returns
#: the pieces it releases. ``finished`` is called in this process, one call at a time.
Dataflow = Callable[
    [Callable[[Any], Any], Iterable[Piece], Callable[[Hashable, Any], Iterable[Piece]]], None
]


class _Ready:
    """Pieces ready to run, by priority (then in the order given)."""

    def __init__(self) -> None:
        self._heap: list[tuple[Any, int, Hashable, Any]] = []
        self._counter = itertools.count()

    def add(self, pieces: Iterable[Piece]) -> None:
        for priority, key, item in pieces:
            heapq.heappush(self._heap, (priority, next(self._counter), key, item))

    def pop(self) -> tuple[Hashable, Any]:
        _, _, key, item = heapq.heappop(self._heap)
        return key, item

    def __bool__(self) -> bool:
        return bool(self._heap)


def run_in_process(
    function: Callable[[Any], Any],
    pieces: Iterable[Piece],
    finished: Callable[[Hashable, Any], Iterable[Piece]],
) -> None:
    """The dataflow in this process: the ready piece of smallest priority, one by one."""
    ready = _Ready()
    ready.add(pieces)
    while ready:
        key, item = ready.pop()
        ready.add(finished(key, function(item)))


@dataclass
class _Grant:
    """``processes`` granted: this one and a pool of ``processes - 1`` started on first use."""

    processes: int
    pool: ProcessPoolExecutor | None = field(default=None)

    def dataflow(
        self,
        function: Callable[[Any], Any],
        pieces: Iterable[Piece],
        finished: Callable[[Hashable, Any], Iterable[Piece]],
    ) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.processes - 1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_one_thread,
            )
        # Each pool process has one piece running and one waiting, so it never idles
        # while this process runs a piece itself; the rest waits here, by priority.
        depth = 2 * (self.processes - 1)
        ready = _Ready()
        ready.add(pieces)
        running: dict[Future[Any], Hashable] = {}
        while ready or running:
            while ready and len(running) < depth:
                key, item = ready.pop()
                running[self.pool.submit(function, item)] = key
            done = {future for future in running if future.done()}
            if not done and ready:
                key, item = ready.pop()
                ready.add(finished(key, function(item)))
                continue
            if not done:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                ready.add(finished(running.pop(future), future.result()))


_grant: ContextVar[_Grant | None] = ContextVar("granted_processes", default=None)


def _one_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


@contextmanager
def granted_processes(processes: int) -> Iterator[None]:
    """Let the code run inside use up to ``processes`` processes, this one included
    (1: this one only).

    The pool of the others, if it was started, is shut down on exit.
    """
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    grant = _Grant(processes)
    token = _grant.set(grant if processes > 1 else None)
    try:
        yield
    finally:
        _grant.reset(token)
        if grant.pool is not None:
            grant.pool.shutdown(wait=True, cancel_futures=True)


def process_dataflow() -> Dataflow:
    """A :data:`Dataflow` runner over the processes granted to the running job.

    :func:`run_in_process` outside :func:`granted_processes`, with one process granted,
    or off Linux. Otherwise the function and the items are pickled to the pool's
    processes: the function must be importable (a module-level function or a
    ``functools.partial`` of one) and the items small.
    """
    grant = _grant.get()
    return run_in_process if grant is None or not _FORK else grant.dataflow
