"""Progress of a walk-forward over chunks: a bar with an ETA on a terminal, log lines
elsewhere."""

from __future__ import annotations

import logging
import sys
import threading
import time

__all__ = ["PROGRESS_MODES", "Progress"]

log = logging.getLogger("aisfolio.strategies.execution")

PROGRESS_MODES = ("auto", "bar", "log", "off")

#: Shortest wait of the background thread between two looks, in seconds.
MIN_BEAT = 0.1


class Progress:
    """Count finished chunks out of ``total``.

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
    """

    def __init__(self, total: int, mode: str, description: str, interval: float = 30.0):
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.total = total
        self.mode = mode if total > 0 else "off"
        self.description = description
        self.interval = interval
        self.done = 0
        self._start = self._last = time.monotonic()
        self._bar = None
        self._redirect = None
        if self.mode == "bar":
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = tqdm(total=total, desc=description, unit="chunk", file=sys.stderr)
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
        """``done/total chunks, elapsed, eta``."""
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        return f"{self.done}/{self.total} chunks, {elapsed:.0f} s elapsed, ETA {eta:.0f} s"

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
