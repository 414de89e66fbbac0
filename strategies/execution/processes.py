"""Worker processes that the execution layer grants a job for its own inner parallelism.

A job runs inside :func:`granted_processes`; code in it (a generator) that has
independent pieces of work asks :func:`process_dataflow` for a way to run them. With
``n > 1`` processes granted, the pieces run on the job's own process and on
``n - 1`` more, which the job starts on first use and stops when it ends;
otherwise they run one after the other in the job's process. Either way the results
are the same: a generator never decides its parallelism itself, so a run with
``n_jobs=1`` stays sequential.

The work is a *dataflow*: pieces are given with a priority, and each finished piece may
release new ones (an order search fits an order as soon as the smaller orders it starts
from are done, rather than waiting for all orders of the same size).

The other processes are forked from the job's process, so they start in milliseconds
with its modules imported (a ``forkserver`` or ``spawn`` child imports SciPy and the
generator again: about a second of CPU each), and run one BLAS thread each. They only
run the given function (NumPy). Fork is used only on Linux (unsafe on macOS); elsewhere
:func:`process_dataflow` runs everything in the job's process.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import multiprocessing.connection
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Dataflow",
    "Piece",
    "ReadyPieces",
    "granted_processes",
    "process_dataflow",
    "run_in_process",
]

_FORK = sys.platform.startswith("linux")

#: A piece of work: ``(priority, key, item)``; smaller priorities run first.
Piece = tuple[Any, Hashable, Any]

#: ``dataflow(function, pieces, finished)`` calls ``function(item)`` for every piece
#: given or released, and ``finished(key, result)`` with each result, which returns
#: the pieces it releases. ``finished`` is called in this process, one call at a time.
Dataflow = Callable[
    [Callable[[Any], Any], Iterable[Piece], Callable[[Hashable, Any], Iterable[Piece]]], None
]


class ReadyPieces:
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

    def __len__(self) -> int:
        return len(self._heap)


def run_in_process(
    function: Callable[[Any], Any],
    pieces: Iterable[Piece],
    finished: Callable[[Hashable, Any], Iterable[Piece]],
) -> None:
    """The dataflow in this process: the ready piece of smallest priority, one by one."""
    ready = ReadyPieces()
    ready.add(pieces)
    while ready:
        key, item = ready.pop()
        ready.add(finished(key, function(item)))


class _Worker:
    """A forked process that runs the pieces it is sent, one at a time, over a pipe.

    No thread of this process takes part: the pieces and results go through the pipe
    when the dataflow's loop sends and reads them. (A ``ProcessPoolExecutor`` moves
    them with a thread of this process, which waits for the GIL while this process
    computes a piece itself: up to the interpreter's switch interval, 5 ms, per piece,
    as long as the pieces themselves; the pool's processes then idle a third of the
    time.)
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), daemon=True)
        self.process.start()
        theirs.close()
        self.function: Callable[[Any], Any] | None = None
        self.sent: list[Hashable] = []  # keys of the pieces sent, oldest first

    def send(self, function: Callable[[Any], Any], key: Hashable, item: Any) -> None:
        if function is not self.function:
            self.connection.send(("function", function))
            self.function = function
        self.connection.send(("piece", item))
        self.sent.append(key)

    def receive(self) -> tuple[Hashable, Any]:
        status, value = self.connection.recv()
        key = self.sent.pop(0)
        if status == "error":
            raise value
        return key, value

    def close(self) -> None:
        try:
            self.connection.send(("stop", None))
        except OSError:  # pragma: no cover - the process is gone already
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():  # pragma: no cover - stuck in a piece
            self.process.kill()
            self.process.join()
        self.connection.close()


def _serve(connection: Any) -> None:
    """A worker's loop: keep the function it is sent, run it on each piece sent."""
    _one_thread()
    function: Callable[[Any], Any] | None = None
    while True:
        try:
            kind, value = connection.recv()
        except EOFError:  # the job's process is gone
            return
        if kind == "stop":
            return
        if kind == "function":
            function = value
            continue
        assert function is not None
        try:
            connection.send(("ok", function(value)))
        except Exception as error:  # sent back and raised in the job's process
            connection.send(("error", error))


@dataclass
class _Grant:
    """``processes`` granted: this one and ``processes - 1`` workers started on first use."""

    processes: int
    workers: list[_Worker] = field(default_factory=list)

    def dataflow(
        self,
        function: Callable[[Any], Any],
        pieces: Iterable[Piece],
        finished: Callable[[Hashable, Any], Iterable[Piece]],
    ) -> None:
        if not self.workers:
            self.workers = [_Worker() for _ in range(self.processes - 1)]
        ready = ReadyPieces()
        ready.add(pieces)
        try:
            self._drain(function, ready, finished)
        except BaseException:
            self.close()  # pieces still in the pipes would answer the next dataflow
            raise

    def _drain(
        self,
        function: Callable[[Any], Any],
        ready: ReadyPieces,
        finished: Callable[[Hashable, Any], Iterable[Piece]],
    ) -> None:
        # Each worker has one piece running and one waiting in its pipe, so it never
        # idles while this process runs a piece itself; the rest waits here, by priority.
        by_connection = {worker.connection: worker for worker in self.workers}
        while ready or any(worker.sent for worker in self.workers):
            for worker in self.workers:
                while ready and len(worker.sent) < 2:
                    worker.send(function, *ready.pop())
            busy = [worker.connection for worker in self.workers if worker.sent]
            answered = multiprocessing.connection.wait(busy, timeout=0) if busy else []
            if not answered and ready:
                key, item = ready.pop()
                ready.add(finished(key, function(item)))
                continue
            if not answered:
                answered = multiprocessing.connection.wait(busy)
            for connection in answered:
                ready.add(finished(*by_connection[connection].receive()))

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []


_grant: ContextVar[_Grant | None] = ContextVar("granted_processes", default=None)


def _one_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


@contextmanager
def granted_processes(processes: int) -> Iterator[None]:
    """Let the code run inside use up to ``processes`` processes, this one included
    (1: this one only).

    The other processes, if they were started, are stopped on exit.
    """
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    grant = _Grant(processes)
    token = _grant.set(grant if processes > 1 else None)
    try:
        yield
    finally:
        _grant.reset(token)
        grant.close()


def process_dataflow() -> Dataflow:
    """A :data:`Dataflow` runner over the processes granted to the running job.

    :func:`run_in_process` outside :func:`granted_processes`, with one process granted,
    or off Linux. Otherwise the function and the items are pickled to the other
    processes: the function must be importable (a module-level function or a
    ``functools.partial`` of one) and the items small.
    """
    grant = _grant.get()
    return run_in_process if grant is None or not _FORK else grant.dataflow
