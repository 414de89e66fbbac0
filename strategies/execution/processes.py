"""Worker processes that the execution layer grants a job for its own inner parallelism.

A job runs inside :func:`granted_processes`; code in it (a generator) that has
independent pieces of work asks :func:`process_map` for a ``map`` to run them with. With
``n > 1`` processes granted, that ``map`` runs on the job's own process and a pool of
``n - 1`` more, which the job starts on first use and shuts down when it ends;
otherwise it is the builtin ``map``. Either way the
results are the same, in the same order: a generator never decides its parallelism
itself, so a run with ``n_jobs=1`` stays sequential.

The pool's processes are forked from the job's process, so they start in milliseconds
with its modules imported (a ``forkserver`` or ``spawn`` child imports SciPy and the
generator again: about a second of CPU each), and run one BLAS thread each. They only run the
mapped function (NumPy). Fork is used only on Linux (unsafe on macOS); elsewhere
:func:`process_map` is the builtin ``map``.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["granted_processes", "process_map"]

_FORK = sys.platform.startswith("linux")


@dataclass
class _Grant:
    """``processes`` granted: this one and a pool of ``processes - 1`` started on first use."""

    processes: int
    pool: ProcessPoolExecutor | None = field(default=None)

    def map(self, function: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        items = list(items)
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.processes - 1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_one_thread,
            )
        futures = [self.pool.submit(function, item) for item in items]
        here: dict[int, Any] = {}
        # The pool takes the items from the first, this process from the last, each one
        # it can still cancel in the pool (not yet sent): no item waits for a process,
        # and those done here are not pickled.
        for position in reversed(range(len(items))):
            if not futures[position].cancel():
                break
            here[position] = function(items[position])
        return [
            here[position] if position in here else future.result()
            for position, future in enumerate(futures)
        ]


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


def process_map() -> Callable[[Callable[..., Any], Iterable[Any]], Iterable[Any]]:
    """``map(function, items)`` over the processes granted to the running job.

    The builtin ``map`` outside :func:`granted_processes`, with one process granted, or
    off Linux.
    Otherwise the function and the items are pickled to the pool's processes: the
    function must be importable (a module-level function or a ``functools.partial``
    of one) and the items small.
    """
    grant = _grant.get()
    return map if grant is None or not _FORK else grant.map
