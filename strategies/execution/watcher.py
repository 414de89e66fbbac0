"""Progress that moves as workers store chunks in the cache, not only when jobs return."""

from __future__ import annotations

import threading

from aisfolio.strategies.execution.cache import ChunkCache
from aisfolio.strategies.execution.jobs import Job
from aisfolio.strategies.execution.progress import Progress

__all__ = ["CacheWatcher"]


class CacheWatcher:
    """Advances the progress as workers store chunks in the cache, not only when whole
    jobs come back (on Ray, or in this process, a job is a whole asset's chain for
    ``carry`` generators)."""

    def __init__(self, store: ChunkCache, jobs: list[Job], progress: Progress, every: float = 1.0):
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

    def finished(self, job: Job) -> None:
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
