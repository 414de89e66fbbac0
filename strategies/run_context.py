"""Where a run's side outputs (training logs) go, shared without importing heavy modules.

The executor runs each job inside :func:`logging_into` its ``log_dir``; a generator that
logs (the LSTM's Lightning logger) asks :func:`log_directory` where to write. Results
and cache keys do not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["TRAINING_LOGS", "log_directory", "logging_into"]

#: Folder of the log directory that generators' training logs go into.
TRAINING_LOGS = "lightning_logs"

_LOG_DIRECTORY: ContextVar[str | None] = ContextVar("aisfolio_log_directory", default=None)


def log_directory() -> str | None:
    """The directory the running job's side outputs go to (None: nowhere)."""
    return _LOG_DIRECTORY.get()


@contextmanager
def logging_into(directory: str | None) -> Iterator[None]:
    """Run the block with ``directory`` as :func:`log_directory`."""
    token = _LOG_DIRECTORY.set(directory)
    try:
        yield
    finally:
        _LOG_DIRECTORY.reset(token)
