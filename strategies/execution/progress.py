"""Progress of a long stage of a run (a walk-forward's chunks, the ensembles' groups, the
significance tests' groups, the report's figures): a bar with an ETA on a terminal, log
lines elsewhere, and a closing line with the stage's time and the peak memory so far."""

from __future__ import annotations

import logging
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["PROGRESS_MODES", "Progress", "StageProgress", "peak_memory_gb", "quiet_stage", "stage"]

log = logging.getLogger("aisfolio.strategies.execution")

PROGRESS_MODES = ("auto", "bar", "log", "off")

#: Shortest wait of the background thread between two looks, in seconds.
MIN_BEAT = 0.1


class Progress:
    """Count finished units of work (chunks by default) out of ``total``.

    Parameters
    ----------
    total : int
        Chunks to compute.
    mode : {"auto", "bar", "log", "off"}
        ``bar``: a tqdm bar on stderr (rate and ETA); ``log``: an INFO line every
        ``interval`` seconds and at the end; ``auto``: ``bar`` when stderr is a
        terminal, else ``log``. A background thread keeps both alive while no chunk
        finishes (a long job in this process): the bar's elapsed time moves every
        second, and a line says "still running" every ``interval`` seconds.
    description : str
        Label of the bar and of the lines.
    interval : float
        Seconds between log lines.
    unit : str, default "chunk"
        What is counted (singular), in the bar and the lines.
    """

    def __init__(
        self,
        total: int,
        mode: str,
        description: str,
        interval: float = 30.0,
        unit: str = "chunk",
    ):
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.total = total
        self.mode = mode if total > 0 else "off"
        self.description = description
        self.interval = interval
        self.unit = unit
        self.done = 0
        self._start = self._last = time.monotonic()
        self._bar = None
        self._redirect = None
        if self.mode == "bar":
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr)
            # Log records of the run (and of generators) print above the bar, not through it.
            self._redirect = logging_redirect_tqdm()
            self._redirect.__enter__()
        self._lock = threading.Lock()  # the count and the lines, between two threads
        self._stopped = threading.Event()
        self._heartbeat: threading.Thread | None = None
        if self.mode in ("bar", "log"):
            self._heartbeat = threading.Thread(
                target=self._beat, name="aisfolio-progress", daemon=True
            )
            self._heartbeat.start()

    def _beat(self) -> None:
        """Refresh the bar every second, or log a line when none came for ``interval``."""
        tick = 1.0 if self._bar is not None else max(self.interval, MIN_BEAT)
        while not self._stopped.wait(tick):
            with self._lock:
                if self._stopped.is_set():
                    return
                if self._bar is not None:
                    self._bar.refresh()
                    continue
                now = time.monotonic()
                if now - self._last >= self.interval:
                    self._last = now
                    line = self.line(now - self._start)
                    log.info("%s: %s, still running", self.description, line)

    def advance(self, count: int) -> None:
        """Record ``count`` more finished chunks."""
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(count)
            elif self.mode == "log":
                now = time.monotonic()
                if now - self._last >= self.interval or self.done >= self.total:
                    self._last = now
                    log.info("%s: %s", self.description, self.line(now - self._start))

    def line(self, elapsed: float) -> str:
        """``done/total units, elapsed, eta``."""
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        counted = _counted(self.total, self.unit)
        return f"{self.done}/{counted}, {elapsed:.0f} s elapsed, ETA {eta:.0f} s"

    def close(self) -> None:
        """End the bar and the background thread."""
        self._stopped.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        if self._redirect is not None:
            self._redirect.__exit__(None, None, None)
            self._redirect = None
        if self._bar is not None:
            self._bar.close()


def _counted(count: int, unit: str) -> str:
    """``1 group``, ``2 groups``."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far, in GB (10^9 bytes)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return kilobytes / 1e6 if sys.platform != "darwin" else kilobytes / 1e9


@contextmanager
def stage(
    description: str, total: int, mode: str = "auto", interval: float = 30.0, unit: str = "step"
) -> Iterator[Progress]:
    """Show the progress of one stage of a run and log its end.

    Yields a :class:`Progress` to :meth:`~Progress.advance` as the stage's units finish.
    At the end, unless ``mode`` is ``off`` or there was nothing to do, an INFO line
    ``<description>: <total> <unit>s in <s> s, peak memory <GB> GB`` (the process's
    peak so far), bar or not, so a run's log tells where its time and memory went.
    """
    start = time.monotonic()
    progress = Progress(total, mode, description, interval, unit=unit)
    try:
        yield progress
    finally:
        progress.close()
    if mode == "off" or total == 0:
        return
    log.info(
        "%s: %s in %.1f s, peak memory %.2f GB",
        description,
        _counted(total, unit),
        time.monotonic() - start,
        peak_memory_gb(),
    )


#: Opens the progress of one stage: ``(description, total, unit) -> context of Progress``.
StageProgress = Callable[[str, int, str], AbstractContextManager[Progress]]


def quiet_stage(description: str, total: int, unit: str) -> AbstractContextManager[Progress]:
    """A :data:`StageProgress` that shows nothing."""
    return stage(description, total, "off", unit=unit)
