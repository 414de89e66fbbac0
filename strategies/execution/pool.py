"""A dataflow of jobs over a pool of loky worker processes on this machine.

The execution layer's jobs are not all known in advance: the next chunk of an
ARIMA-GARCH chain can start only from the state the previous chunk left. Joblib's
``Parallel`` takes a fixed list of calls, so with it a chain had to be one job, and
three chains on two workers left one worker idle while the third chain ran alone.
:func:`pool_dataflow` sends jobs to the same loky workers as joblib's ``loky`` backend
one at a time as they become ready: each finished job may release new ones (the
chain's next chunk), and the waiting jobs go out by priority whenever a worker is free,
so the chains of every asset share every worker until the end.

Each job is told how many processes it may use for its own parallelism (see
:mod:`aisfolio.strategies.execution.processes`): the workers divided by the jobs running or
waiting when it is sent, at least 1. Jobs never oversubscribe the cores while there is
work for every worker, and the last job of a run still uses them all.

The jobs are pickled to the workers whole: unlike joblib's ``Parallel``, large arrays in
them are not memory-mapped. The execution layer's jobs are small (a chunk's prices and
the state it starts from: a few hundred kB).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from aisfolio.strategies.execution.processes import Piece, ReadyPieces

__all__ = ["pool_dataflow", "worker_environment"]

#: Environment variables that set the thread pools of numerical libraries (joblib's
#: ``loky`` backend sets the same ones in its workers). torch reads ``OMP_NUM_THREADS``
#: when a job first imports it.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
#: Seconds an idle worker waits for a job before it exits (joblib's default).
IDLE_TIMEOUT = 300


def worker_environment(threads: int) -> dict[str, str]:
    """Thread settings of the workers: ``threads`` for every numerical library, whatever
    this process sets (a job's rounding may depend on its thread count)."""
    return dict.fromkeys(THREAD_VARIABLES, str(threads))


def pool_dataflow(
    function: Callable[[Any, int], Any],
    pieces: Iterable[Piece],
    release: Callable[[Hashable, Any], Iterable[Piece]],
    workers: int,
    threads: int,
) -> Iterator[tuple[Hashable, Any]]:
    """Run ``function(item, processes)`` for every piece on ``workers`` loky processes.

    Parameters
    ----------
    function : callable
        Importable (a module-level function or a ``functools.partial`` of one): it is
        pickled to the workers with the items.
    pieces : iterable of (priority, key, item)
        The jobs ready at the start; smaller priorities are sent first.
    release : callable
        ``release(key, result)`` returns the pieces a finished job makes ready; called in
        this process, before the result is yielded.
    workers : int
        Worker processes; at most this many jobs are sent at a time, so that the waiting
        ones keep their priorities.
    threads : int
        Threads of numerical libraries in each worker (see :func:`worker_environment`).

    Yields
    ------
    (key, result)
        In the order the jobs finish. An exception in a job is raised here, after the
        jobs still waiting are dropped and the workers stopped.
    """
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(
        max_workers=workers, timeout=IDLE_TIMEOUT, env=worker_environment(threads)
    )
    ready = ReadyPieces()
    ready.add(pieces)
    running: dict[Future[Any], Hashable] = {}

    def send() -> None:
        while ready and len(running) < workers:
            share = max(1, workers // (len(running) + len(ready)))
            key, item = ready.pop()
            running[executor.submit(function, item, share)] = key

    try:
        send()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            finished = []
            for future in done:
                key = running.pop(future)
                result = future.result()
                ready.add(release(key, result))
                finished.append((key, result))
            send()  # before the caller takes its time with the results
            yield from finished
    except BaseException:
        for future in running:
            future.cancel()
        executor.shutdown(wait=False, kill_workers=True)
        raise
