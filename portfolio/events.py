"""What went wrong but did not stop a run: warnings logged and failed fits recorded.

Generators report trouble in two ways, and a run keeps both for its report:

- warnings logged under the project's packages (``strategies``, ``ensemble``,
  ``portfolio``), e.g. the LSTM's diverged models or ARIMA-GARCH fallbacks, become rows of
  :attr:`portfolio.results.RunResult.events`;
- a generator that counts failures in a ``failures_`` frame (rows: assets, columns:
  kinds of failure, as :class:`strategies.arima_garch.ArimaGarch` does) has it copied to
  :attr:`portfolio.results.RunResult.fit_failures`, under its strategy label.

:func:`collect_events` wraps :meth:`portfolio.Pipeline.run`; nothing else changes.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["EVENT_COLUMNS", "EventCollector", "collect_events", "empty_events", "failure_table"]

#: Columns of an events frame.
EVENT_COLUMNS = ("time", "level", "source", "message")

#: Loggers whose warnings a run records.
WATCHED = ("strategies", "ensemble", "portfolio")


def empty_events() -> pd.DataFrame:
    """An events frame with no rows."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in EVENT_COLUMNS})


class EventCollector(logging.Handler):
    """A logging handler that keeps warnings and errors as rows.

    Parameters
    ----------
    level : int, default logging.WARNING
        The least severe level kept.
    """

    def __init__(self, level: int = logging.WARNING):
        super().__init__(level)
        self.rows: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.rows.append(
            {
                "time": pd.Timestamp(record.created, unit="s"),
                "level": record.levelname.lower(),
                "source": record.name,
                "message": record.getMessage(),
            }
        )

    def frame(self) -> pd.DataFrame:
        """The rows kept, oldest first."""
        return pd.DataFrame(self.rows, columns=list(EVENT_COLUMNS)) if self.rows else empty_events()


def failure_table(failures: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Counts of failed fits, one row per (strategy, asset, kind) with a non-zero count.

    Parameters
    ----------
    failures : dict of str to DataFrame
        Strategy label -> a generator's ``failures_`` (assets x kinds of failure).

    Returns
    -------
    DataFrame
        Columns ``strategy``, ``asset``, ``kind``, ``count``.
    """
    rows = [
        {"strategy": label, "asset": str(asset), "kind": str(kind), "count": int(count)}
        for label, table in failures.items()
        for asset, row in table.iterrows()
        for kind, count in row.items()
        if pd.notna(count) and count
    ]
    return pd.DataFrame(rows, columns=["strategy", "asset", "kind", "count"])


def collect_events(run: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``Pipeline.run``: record warnings logged and generators' ``failures_``."""

    @functools.wraps(run)
    def wrapper(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
        collector = EventCollector()
        loggers = [logging.getLogger(name) for name in WATCHED]
        for logger in loggers:
            logger.addHandler(collector)
        try:
            result = run(pipeline, *args, **kwargs)
        finally:
            for logger in loggers:
                logger.removeHandler(collector)
        strategies = {**pipeline.strategies, **pipeline.stacked}
        failures = {
            label: strategy.generator.failures_
            for label, strategy in strategies.items()
            if isinstance(getattr(strategy.generator, "failures_", None), pd.DataFrame)
        }
        return dataclasses.replace(
            result, events=collector.frame(), fit_failures=failure_table(failures)
        )

    return wrapper
