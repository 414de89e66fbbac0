"""The generator protocol: configured in ``__init__``, driven by the walk-forward engine."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

__all__ = ["DEPENDENCIES", "ChunkTask", "Generator", "chunk_dependency", "fits_per_window"]

#: Values of :attr:`Generator.chunk_dependency`.
DEPENDENCIES = ("independent", "carry", "batch")


@dataclass(frozen=True)
class ChunkTask:
    """One unit of walk-forward work, cut by the engine.

    Attributes
    ----------
    train : Series or DataFrame
        The training window; its last bar is the refit date.
    history : Series or DataFrame
        From the start of the training window to the chunk's last decision date.
    n : int
        Number of decision dates at the end of ``history``.
    source : int
        Which input (asset) of the batch the task comes from; tasks of one source come
        in chronological order.
    """

    train: pd.Series | pd.DataFrame
    history: pd.Series | pd.DataFrame
    n: int
    source: int = 0


class Generator:
    """Base class of forecast generators.

    A generator turns one asset's prices into forecasts of its next-bar return. The
    walk-forward engine calls :meth:`fit` on a training window and :meth:`predict_block`
    on the history that follows; a generator never chooses which dates it sees.
    Parameters are stored unchanged by ``__init__``; learned state ends in ``_``.

    Notes
    -----
    Forecasts are in return units where the generator has a return model; only their
    sign and size relative to the signal rule's threshold matter for positions.
    """

    #: Bars of history a single forecast needs (the engine starts no earlier).
    min_history: int = 1

    #: How the chunks of one walk-forward depend on each other, for the execution layer
    #: (:mod:`aisfolio.strategies.execution`): ``"independent"`` (each chunk is a pure function of
    #: its task), ``"carry"`` (chunks of one source run in order, each starting from the
    #: state the previous one left: implement :meth:`fit_predict_carried`) or
    #: ``"batch"`` (the windows' fits are computed together: implement :meth:`fit_batch`,
    #: and :meth:`predict_batch` when a window's forecasts may use earlier fits; a
    #: generator overriding only :meth:`fit_predict_batch` is run as one unit). None:
    #: ``"batch"`` if the class overrides :meth:`fit_batch` or :meth:`fit_predict_batch`,
    #: else ``"independent"``.
    chunk_dependency: str | None = None

    def fit(self, train: pd.Series) -> Self:
        """Learn from a training window of prices (stateless generators keep nothing).

        Parameters
        ----------
        train : Series or DataFrame
            Prices of one asset on its own calendar (a frame of inputs for second-stage
            generators), the last bar being the refit date.

        Returns
        -------
        self
        """
        return self

    def predict(self, history: pd.Series) -> float:
        """Forecast the return of the bar after the last one in ``history``.

        Parameters
        ----------
        history : Series
            Prices up to and including the decision date.

        Returns
        -------
        float
        """
        raise NotImplementedError(f"{type(self).__name__} must implement predict or predict_block")

    def predict_block(self, history: pd.Series, n: int) -> np.ndarray:
        """Forecasts for the last ``n`` bars of ``history``, each from data up to that bar.

        The default calls :meth:`predict` on growing prefixes; generators override it
        with a vectorized form that must give the same numbers.

        Parameters
        ----------
        history : Series
            Prices from the start of the training window to the last decision date.
        n : int
            Number of decision dates at the end of ``history``.

        Returns
        -------
        ndarray of shape (n,)
        """
        stop = len(history)
        return np.array([self.predict(history.iloc[: stop - n + i + 1]) for i in range(n)])

    def fit_batch(self, trains: Sequence[pd.Series | pd.DataFrame]) -> list[Self]:
        """Fitted copies of this generator, one per training window, in order.

        The default fits a fresh clone per window. Generators whose fits are expensive
        override it to fit every window together; each copy must equal what
        ``clone().fit(train)`` would learn (up to floating-point rounding) and must not
        depend on the other windows of the call, so that the execution layer can cache
        and reuse each window's fit on its own.

        Parameters
        ----------
        trains : sequence of Series or DataFrame
            Training windows, possibly of several assets.

        Returns
        -------
        list of Generator
        """
        return [self.clone().fit(train) for train in trains]

    def predict_batch(self, tasks: Sequence[ChunkTask], fitted: Sequence[Self]) -> list[np.ndarray]:
        """Forecasts of many chunks from their windows' fitted generators, in order.

        The default is each fitted generator's :meth:`predict_block`. A generator may
        override it to let a chunk whose fit failed use an earlier chunk of the same
        source (the tasks of one source come in chronological order).

        Parameters
        ----------
        tasks : sequence of ChunkTask
        fitted : sequence of Generator
            :meth:`fit_batch` of the tasks' training windows.

        Returns
        -------
        list of ndarray
            One array of ``task.n`` forecasts per task.
        """
        return [
            model.predict_block(task.history, task.n)
            for task, model in zip(tasks, fitted, strict=True)
        ]

    def fit_predict_batch(self, tasks: Sequence[ChunkTask]) -> list[np.ndarray]:
        """Forecasts of many independent chunks (windows, assets), in order.

        The default is :meth:`predict_batch` on :meth:`fit_batch` of the tasks' training
        windows. Overriding this method instead makes the walk-forward one unit of work
        for the execution layer (no per-window cache).

        Parameters
        ----------
        tasks : sequence of ChunkTask
            Independent chunks, possibly of several assets.

        Returns
        -------
        list of ndarray
            One array of ``task.n`` forecasts per task.
        """
        return self.predict_batch(tasks, self.fit_batch([task.train for task in tasks]))

    def fit_predict_carried(self, task: ChunkTask, carry: Any) -> tuple[np.ndarray, Any, Any]:
        """One chunk of a ``"carry"`` generator: forecasts from the state the previous
        chunk of the same source left.

        Parameters
        ----------
        task : ChunkTask
            The chunk.
        carry : object or None
            What the previous chunk of ``task.source`` returned as its carry (None for
            the first chunk). It may be modified in place.

        Returns
        -------
        forecasts : ndarray of shape (task.n,)
        record : object
            Side output of the chunk (e.g. diagnostics), handed to :meth:`collect`.
        carry : object
            The state the next chunk of the source starts from (picklable).
        """
        raise NotImplementedError(f"{type(self).__name__} does not carry state across chunks")

    def fit_record(self) -> Any:
        """What this fitted copy keeps for :meth:`collect` (default None: nothing).

        Called on each training window's fitted copy of an ``"independent"``
        generator (the execution layer caches it with the chunk, and
        :meth:`aisfolio.strategies.WalkForward.run_many` calls it too); a generator that returns
        something gets the records of the whole walk-forward in :meth:`collect`, e.g.
        to report every refit's state.

        Returns
        -------
        object or None
            Picklable.
        """
        return None

    def collect(self, records: Sequence[Any]) -> None:
        """Keep the side outputs of a walk-forward, one record per task in task order
        (default: nothing to keep).

        Parameters
        ----------
        records : sequence
            The records :meth:`fit_predict_carried` returned (``"carry"``
            generators), or :meth:`fit_record` of each task's fitted copy (the others,
            when any is not None).
        """

    def clone(self) -> Self:
        """An unfitted copy with the same parameters."""
        fresh = copy.copy(self)
        for name in [key for key in vars(fresh) if key.endswith("_") and not key.startswith("_")]:
            delattr(fresh, name)
        return copy.deepcopy(fresh)

    def get_params(self) -> dict[str, object]:
        """The constructor parameters, as stored."""
        return {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _overrides(generator: Generator, method: str) -> bool:
    return getattr(type(generator), method) is not getattr(Generator, method)


def fits_per_window(generator: Generator) -> bool:
    """Whether a ``batch`` generator's fits are per window (it implements
    ``fit_batch``), so that each can be cached on its own."""
    return not _overrides(generator, "fit_predict_batch")


def chunk_dependency(generator: Generator) -> str:
    """How a generator's chunks depend on each other: its declared
    :attr:`Generator.chunk_dependency`, else ``"batch"`` when it overrides
    :meth:`Generator.fit_batch` or :meth:`Generator.fit_predict_batch`, else
    ``"independent"``."""
    declared = generator.chunk_dependency
    if declared is None:
        overridden = _overrides(generator, "fit_predict_batch") or _overrides(
            generator, "fit_batch"
        )
        declared = "batch" if overridden else "independent"
    if declared not in DEPENDENCIES:
        raise ValueError(
            f"{type(generator).__name__}.chunk_dependency must be one of {DEPENDENCIES}, "
            f"got '{declared}'"
        )
    return declared
