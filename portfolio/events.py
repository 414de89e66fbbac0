"""What went wrong but did not stop a run: warnings logged and failed fits recorded.

Generators report trouble in two ways, and a run keeps both for its report:

- warnings logged under the project's packages (``aisfolio.strategies``, ``aisfolio.ensemble``,
  ``aisfolio.portfolio``), e.g. the LSTM's diverged models or ARIMA-GARCH fallbacks, become rows of
  :attr:`aisfolio.portfolio.results.RunResult.events`;
- a generator that records its failed fits in a ``failure_log_`` frame (columns
  ``asset``, ``date``, ``kind``, ``count``: one row per date and kind of fallback, as
  :class:`aisfolio.strategies.arima_garch.ArimaGarch` and
  :class:`aisfolio.strategies.lstm.LSTMGenerator` do), or counts them in a ``failures_``
  frame (rows: assets, columns: kinds, no dates),
  has them copied to :attr:`aisfolio.portfolio.results.RunResult.fit_failure_log` under its
  strategy label, and counted in :attr:`aisfolio.portfolio.results.RunResult.fit_failures`.

Models that did not learn (:mod:`aisfolio.portfolio.training`) are counted in a warning, so in
the events too. :func:`collect_events` wraps :meth:`aisfolio.portfolio.Pipeline.run`; nothing
else changes.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

from aisfolio.strategies.execution.warning_counts import counting_warnings, describe

__all__ = [
    "EVENT_COLUMNS",
    "FAILURE_COLUMNS",
    "FAILURE_LOG_COLUMNS",
    "EventCollector",
    "collect_events",
    "empty_events",
    "failure_log",
    "failure_table",
]

log = logging.getLogger(__name__)

#: Columns of an events frame.
EVENT_COLUMNS = ("time", "level", "source", "message")

#: Columns of a failure log: one row per strategy, asset, date and kind of failure.
FAILURE_LOG_COLUMNS = ("strategy", "asset", "date", "kind", "count")

#: Columns of a failure table: counts per strategy, asset and kind, first and last date.
FAILURE_COLUMNS = ("strategy", "asset", "kind", "count", "first", "last")

#: Loggers whose warnings a run records.
WATCHED = ("aisfolio.strategies", "aisfolio.ensemble", "aisfolio.portfolio")


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


def failure_log(generators: dict[str, Any]) -> pd.DataFrame:
    """The failed fits recorded by generators, one row per (strategy, asset, date, kind).

    Parameters
    ----------
    generators : dict of str to Generator
        Strategy label -> its generator after the run. A ``failure_log_`` is taken as
        it is; a ``failures_`` (assets x kinds of failure) gives undated rows (NaT).

    Returns
    -------
    DataFrame
        Columns :data:`FAILURE_LOG_COLUMNS`, rows with a non-zero count.
    """
    frames = []
    for label, generator in generators.items():
        log_ = getattr(generator, "failure_log_", None)
        counts = getattr(generator, "failures_", None)
        if isinstance(log_, pd.DataFrame):
            frame = log_.assign(strategy=label)
        elif isinstance(counts, pd.DataFrame):
            frame = (
                counts.rename_axis(index="asset", columns="kind")
                .stack()
                .rename("count")
                .reset_index()
                .assign(strategy=label, date=pd.NaT)
            )
        else:
            continue
        frames.append(frame[list(FAILURE_LOG_COLUMNS)])
    if not frames:
        return pd.DataFrame(columns=list(FAILURE_LOG_COLUMNS))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["count"].notna() & (rows["count"] != 0)]
    return rows.astype({"asset": str, "kind": str, "count": int}).reset_index(drop=True)


def failure_table(log_: pd.DataFrame, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Counts of failed fits per (strategy, asset, kind), with their first and last dates.

    Parameters
    ----------
    log_ : DataFrame
        A :func:`failure_log`.
    since : Timestamp, optional
        Count only failures dated after it (undated ones are then left out).

    Returns
    -------
    DataFrame
        Columns :data:`FAILURE_COLUMNS`, in the order of first appearance.
    """
    rows = log_ if since is None else log_[log_["date"] > since]
    if rows.empty:
        return pd.DataFrame(columns=list(FAILURE_COLUMNS))
    grouped = rows.groupby(["strategy", "asset", "kind"], sort=False)
    table = grouped.agg(count=("count", "sum"), first=("date", "min"), last=("date", "max"))
    return table.reset_index()[list(FAILURE_COLUMNS)]


def collect_events(run: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``Pipeline.run``: record warnings logged and generators' failed fits."""

    @functools.wraps(run)
    def wrapper(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
        from aisfolio.portfolio.stacking_log import stacking_table
        from aisfolio.portfolio.training import training_table, warn_untrained

        collector = EventCollector()
        loggers = [logging.getLogger(name) for name in WATCHED]
        for logger in loggers:
            logger.addHandler(collector)
        try:
            with counting_warnings() as counts:
                result = run(pipeline, *args, **kwargs)
            for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
                log.warning("%s (counted, not printed)", describe(kind, count))
            strategies = {**pipeline.strategies, **pipeline.stacked}
            generators = {label: strategy.generator for label, strategy in strategies.items()}
            training = training_table(generators)
            warn_untrained(training)  # counted in the events (also when the fits were cached)
        finally:
            for logger in loggers:
                logger.removeHandler(collector)
        log_ = failure_log(generators)
        return dataclasses.replace(
            result,
            events=collector.frame(),
            fit_failures=failure_table(log_),
            fit_failure_log=log_,
            training=training,
            stacking=stacking_table(generators),
        )

    return wrapper
