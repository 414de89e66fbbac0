"""Fixed-rule target weights over streams: equal weights and given weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

__all__ = ["EqualWeight", "FixedWeights", "TargetWeights"]


class TargetWeights(Protocol):
    """Anything that gives target weights at a rebalance date from the past only.

    A rule whose ``weights_at`` changes its own state (an online combiner, an allocator
    keeping its decisions) also provides ``preview_at(history)``: the same weights,
    leaving the rule as it was. :func:`portfolio.rebalance_streams` asks it for the
    targets at the last close (what a rebalance today trades to); a rule without
    ``preview_at`` is taken to be stateless and asked ``weights_at``.
    """

    def weights_at(self, history: pd.DataFrame) -> np.ndarray:
        """Target weights of the streams (columns of ``history``: returns up to today)."""
        ...


class EqualWeight:
    """Equal target weights over all streams: the paper's ensembles."""

    def weights_at(self, history: pd.DataFrame) -> np.ndarray:
        """``1 / K`` for each of the K columns of ``history``.

        Parameters
        ----------
        history : DataFrame
            Stream returns up to the rebalance date (only its width is used).

        Returns
        -------
        ndarray of shape (K,)
        """
        k = history.shape[1]
        return np.full(k, 1.0 / k)

    def __repr__(self) -> str:
        return "EqualWeight()"


class FixedWeights:
    """Constant target weights, in the order of the streams.

    Parameters
    ----------
    weights : sequence of float
        Target weights; they must be finite and sum to 1.
    """

    def __init__(self, weights: Sequence[float]):
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or not np.isfinite(w).all() or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"fixed weights must be finite and sum to 1, got {list(weights)}")
        self.weights = w

    def weights_at(self, history: pd.DataFrame) -> np.ndarray:
        """The fixed weights (their number must match the streams)."""
        if history.shape[1] != len(self.weights):
            raise ValueError(f"{len(self.weights)} weights for {history.shape[1]} streams")
        return self.weights.copy()

    def __repr__(self) -> str:
        return f"FixedWeights({self.weights.tolist()})"
