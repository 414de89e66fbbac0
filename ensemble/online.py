"""The online combiner protocol: strategies' period returns in, weights for the next period out.

Each component strategy is a synthetic asset whose gross period return is
``1 + r``. After the returns of period ``t`` (the close of ``t``), a combiner gives the
fraction of wealth held in each component over period ``t + 1``; it uses nothing else.

Three ways to feed a combiner, all equivalent:

- :meth:`OnlineCombiner.update` with one period (``K`` returns) or several (``T x K``),
  then :attr:`OnlineCombiner.weights`;
- :meth:`OnlineCombiner.update_many`, which also returns the weights decided after
  each period;
- :meth:`OnlineCombiner.weights_at` with the history of stream returns up to today (the
  :class:`aisfolio.portfolio.rebalance.TargetWeights` protocol of ``rebalance_streams``): only the
  rows it has not seen yet are processed, so a run over growing prefixes costs O(T); a
  history that does not extend the one seen before restarts the combiner from scratch.

State (:meth:`OnlineCombiner.get_state`, :meth:`OnlineCombiner.set_state`, and the
``.npz`` files of :meth:`OnlineCombiner.save_state` / :meth:`OnlineCombiner.load_state`)
round-trips exactly: a combiner resumed mid-stream gives bit-for-bit the weights of one
that ran uninterrupted when both receive the periods in the same chunks, and a run cut
short agrees exactly with a longer one up to the cut when the calls before the cut are
the same (as in ``rebalance_streams``, or one period per call). Other chunkings of the
same periods agree to rounding: the universal combiners multiply blocks of periods with
matrix-matrix products, whose last bits depend on the block's shape.

A period in which every component returns -100% carries no information about their
relative merits (the combination's wealth is 0 whatever the weights): every combiner
ignores it.
"""

from __future__ import annotations

import copy
import inspect
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any, Self

import numpy as np
import pandas as pd

__all__ = ["OnlineCombiner", "row_sums"]

State = dict[str, Any]

#: Rows of a history compared with those seen before, to recognize an extension.
_CHECKPOINTS = 9


class OnlineCombiner(ABC):
    """Base class of online combiners of strategies.

    Subclasses store their constructor parameters unchanged, and implement
    :meth:`_start` (fresh state for ``K`` components), :meth:`_advance` (gross returns of
    several periods in, weights after each out), :meth:`_arrays` and :meth:`_load_arrays`
    (their learned state).

    Attributes
    ----------
    n_components_ : int or None
        Number of components, None before the first period.
    periods_ : int
        Periods processed since the start.
    log_wealth_ : float
        Log of the combination's wealth over those periods, before rebalancing costs
        (``sum log(weights . gross)``).
    """

    n_components_: int | None = None
    periods_: int = 0
    log_wealth_: float = 0.0

    # -- public protocol --------------------------------------------------------------

    def reset(self, n_components: int) -> Self:
        """Start afresh with ``n_components`` components and no history."""
        if n_components < 1:
            raise ValueError(f"a combiner needs at least 1 component, got {n_components}")
        self.n_components_ = int(n_components)
        self.periods_ = 0
        self.log_wealth_ = 0.0
        self._seen: _Seen | None = None
        self._weights = self._start(self.n_components_)
        return self

    @property
    def weights(self) -> np.ndarray:
        """Fractions of wealth per component for the next period (a copy)."""
        self._check_started()
        return self._weights.copy()

    def update(self, period_returns: Sequence[float] | np.ndarray) -> Self:
        """Take in the simple returns of one period (``K`` values) or several (``T x K``).

        Parameters
        ----------
        period_returns : array-like of shape (K,) or (T, K)
            Simple returns ``r`` (gross ``1 + r``), at least -1, finite. The first call
            fixes ``K``.

        Returns
        -------
        self
        """
        self.update_many(np.atleast_2d(np.asarray(period_returns, dtype=float)))
        return self

    def update_many(self, returns: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Take in several periods; return the weights decided after each.

        Parameters
        ----------
        returns : array-like or DataFrame of shape (T, K)
            Simple returns, one row per period, in time order.

        Returns
        -------
        ndarray of shape (T, K)
            Row ``t``: the weights for period ``t + 1``, decided after row ``t``.
        """
        if isinstance(returns, pd.DataFrame):
            values = returns.to_numpy(dtype=float)
            rows, columns = list(returns.index), list(returns.columns)
        else:
            values = np.asarray(returns, dtype=float)
            rows = columns = None
        if values.ndim != 2:
            raise ValueError(f"returns must be a (periods x components) array, got {values.shape}")
        if self.n_components_ is None:
            self.reset(values.shape[1])
        self._seen = None  # fed directly: weights_at restarts from its own history
        return self._consume(values, rows, columns)

    def weights_at(self, history: pd.DataFrame) -> np.ndarray:
        """Weights for the next period, from the stream returns up to and including today.

        Incremental: only rows not seen by the previous call are processed. A history
        that does not extend the previous one restarts the combiner on the whole
        history; "extends" is checked in O(1): at least as many rows, the same columns,
        and the same values and index labels at 9 rows spread over those seen (the first
        and the last included). Give a history edited elsewhere to a fresh combiner, or
        call :meth:`reset` first.

        Parameters
        ----------
        history : DataFrame
            Simple returns of the streams (one column per component), oldest first.

        Returns
        -------
        ndarray of shape (K,)
        """
        n, k = history.shape
        if n == 0:
            raise ValueError("the history of stream returns is empty")
        if not self._extends(history):
            self.reset(k)
        start = 0 if self._seen is None else self._seen.rows
        if n > start:
            tail = history.iloc[start:]
            self._consume(tail.to_numpy(dtype=float), list(tail.index), list(history.columns))
            self._seen = _Seen.of(history)
        return self.weights

    def preview_at(self, history: pd.DataFrame) -> np.ndarray:
        """The weights :meth:`weights_at` would give, leaving this combiner as it was
        (computed by a copy).

        Parameters
        ----------
        history : DataFrame
            Simple returns of the streams, oldest first.

        Returns
        -------
        ndarray of shape (K,)
        """
        return copy.deepcopy(self).weights_at(history)

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as given."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def get_state(self) -> State:
        """Everything needed to resume: parameters, counters, learned arrays.

        Returns
        -------
        dict
            Plain values and numpy arrays (copies); see :meth:`set_state`.
        """
        self._check_started()
        state: State = {
            "combiner": type(self).__name__,
            "params": json.dumps(self.get_params(), sort_keys=True),
            "n_components": self.n_components_,
            "periods": self.periods_,
            "log_wealth": self.log_wealth_,
            "weights": self._weights.copy(),
        }
        if self._seen is not None:
            state.update(self._seen.to_state())
        state.update({f"learned_{k}": np.array(v, copy=True) for k, v in self._arrays().items()})
        return state

    def set_state(self, state: Mapping[str, Any]) -> Self:
        """Resume from :meth:`get_state` of a combiner of the same class and parameters.

        Raises
        ------
        ValueError
            If the state comes from another class or other parameters.
        """
        name, params = str(state["combiner"]), str(state["params"])
        if name != type(self).__name__:
            raise ValueError(f"state of a {name} cannot resume a {type(self).__name__}")
        mine = json.dumps(self.get_params(), sort_keys=True)
        if params != mine:
            raise ValueError(f"state saved with parameters {params}, this combiner has {mine}")
        self.reset(int(state["n_components"]))
        self.periods_ = int(state["periods"])
        self.log_wealth_ = float(state["log_wealth"])
        self._weights = np.array(state["weights"], dtype=float, copy=True)
        self._seen = _Seen.from_state(state)
        prefix = "learned_"
        self._load_arrays(
            {k[len(prefix) :]: np.array(v) for k, v in state.items() if k.startswith(prefix)}
        )
        return self

    def save_state(self, path: str | PathLike[str]) -> None:
        """Write :meth:`get_state` to an ``.npz`` file (no pickles)."""
        np.savez(path, **{k: np.asarray(v) for k, v in self.get_state().items()})

    def load_state(self, path: str | PathLike[str]) -> Self:
        """Resume from a file written by :meth:`save_state`."""
        with np.load(path, allow_pickle=False) as data:
            state = {k: data[k] for k in data.files}
        return self.set_state(state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- subclass hooks -----------------------------------------------------------------

    @abstractmethod
    def _start(self, k: int) -> np.ndarray:
        """Initialize the learned state for ``k`` components; return the first weights."""

    @abstractmethod
    def _advance(self, gross: np.ndarray) -> np.ndarray:
        """Take in gross returns ``(T, K)`` (no row all zero); return weights after each row."""

    @abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]:
        """The learned state as named arrays."""

    @abstractmethod
    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Restore the learned state from :meth:`_arrays`."""

    # -- internals ----------------------------------------------------------------------

    def _check_started(self) -> None:
        if self.n_components_ is None:
            raise ValueError(f"{type(self).__name__} has no components yet: update it first")

    def _extends(self, history: pd.DataFrame) -> bool:
        seen = getattr(self, "_seen", None)
        return seen is not None and self.n_components_ == history.shape[1] and seen.matches(history)

    def _consume(
        self, returns: np.ndarray, rows: list[Any] | None, columns: list[Any] | None
    ) -> np.ndarray:
        gross = _gross(returns, self.n_components_, rows, columns)
        out = np.empty_like(gross)
        dead = ~(gross > 0.0).any(axis=1)
        start = 0
        # Runs of informative rows go to the subclass; all-zero rows change nothing.
        for stop in [*np.flatnonzero(dead), len(gross)]:
            if stop > start:
                block = gross[start:stop]
                weights = self._advance(block)
                held = np.vstack([self._weights, weights[:-1]])
                with np.errstate(divide="ignore"):
                    growth = np.log(row_sums(held * block))
                for value in growth.tolist():  # in time order, as one period at a time
                    self.log_wealth_ += value
                self._weights = weights[-1].copy()
                out[start:stop] = weights
            if stop < len(gross):
                out[stop] = self._weights
                self.log_wealth_ = -np.inf
            start = stop + 1
        self.periods_ += len(gross)
        return out


class _Seen:
    """What :meth:`OnlineCombiner.weights_at` saw last: enough to recognize an extension.

    The number of rows and :data:`_CHECKPOINTS` rows spread over them (the first and the
    last included), values and index labels: an O(1) test per call.
    """

    def __init__(self, rows: int, values: np.ndarray, labels: list[str]):
        self.rows, self.values, self.labels = rows, values, labels

    @staticmethod
    def _positions(rows: int) -> list[int]:
        return sorted({int(p) for p in np.linspace(0, rows - 1, _CHECKPOINTS)})

    @classmethod
    def _read(cls, history: pd.DataFrame, rows: int) -> tuple[np.ndarray, list[str]]:
        points = history.iloc[cls._positions(rows)]
        return points.to_numpy(dtype=float), [str(label) for label in points.index]

    @classmethod
    def of(cls, history: pd.DataFrame) -> _Seen:
        return cls(len(history), *cls._read(history, len(history)))

    def matches(self, history: pd.DataFrame) -> bool:
        if len(history) < self.rows:
            return False
        values, labels = self._read(history, self.rows)
        return labels == self.labels and np.array_equal(values, self.values)

    def to_state(self) -> State:
        return {
            "seen_rows": self.rows,
            "seen_values": self.values.copy(),
            "seen_labels": np.array(self.labels),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> _Seen | None:
        if "seen_rows" not in state:
            return None
        return cls(
            int(state["seen_rows"]),
            np.array(state["seen_values"], dtype=float),
            [str(x) for x in np.asarray(state["seen_labels"])],
        )


def _gross(
    returns: np.ndarray, k: int | None, rows: list[Any] | None, columns: list[Any] | None
) -> np.ndarray:
    """``1 + returns``, checked: shape, finite, at least -100%; errors name row and column."""
    if returns.ndim != 2 or returns.shape[1] != k:
        raise ValueError(f"expected returns of {k} components, got shape {returns.shape}")
    bad = ~np.isfinite(returns) | (returns < -1.0)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        row = rows[i] if rows is not None else i
        column = columns[j] if columns is not None else j
        value = returns[i, j]
        why = "is not finite" if not np.isfinite(value) else "is below -100%"
        raise ValueError(f"return of component {column!r} at row {row} {why}: {value}")
    return 1.0 + returns


def row_sums(values: np.ndarray) -> np.ndarray:
    """Sum of each row, by the same operations whatever the array's shape or alignment.

    numpy's and BLAS's reductions may add in an order that depends on memory alignment;
    here a few columns are added one by one (element-wise, across rows) and many are
    summed exactly (``math.fsum``), so a row's sum depends on that row only.
    """
    rows, columns = values.shape
    if columns > 32:
        return np.array([math.fsum(row) for row in values.tolist()], dtype=float)
    if rows <= 4:  # the same left-to-right additions, without numpy's call overhead
        sums = []
        for row in values.tolist():
            total = row[0]
            for value in row[1:]:
                total += value
            sums.append(total)
        return np.array(sums, dtype=float)
    total = values[:, 0].copy()
    for column in range(1, columns):
        total += values[:, column]
    return total
