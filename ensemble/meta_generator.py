"""A walk-forward generator that stacks first-stage strategies' forecasts into one.

The walk-forward engine hands it one asset's frame: a ``"price"`` column and one column
per first-stage strategy's forecast, stamped by decision date (NaN before that
strategy's first forecast). At each refit it learns to map the forecasts of bar ``t`` to
the asset's return from ``t`` to ``t + 1``, using only targets already known at the
refit date; between refits it applies that map to each new bar's forecasts.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from ensemble.stacking import RegularizedStacker
from strategies.base import Generator
from strategies.returns import simple_returns

__all__ = ["PRICE", "StackedForecaster"]

#: Name of the price column of the frames the generator is given.
PRICE = "price"


class StackedForecaster(Generator):
    """Forecast the next-bar return from the forecasts of other strategies.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        The meta-learner, cloned at every fit; None means
        :class:`~ensemble.stacking.RegularizedStacker` with its defaults.
    min_train : int, default 252
        Fewest complete training rows (every forecast present and a known target) to
        fit on; with fewer, the generator abstains (NaN forecasts) until the next refit
        and records why in ``fallback_``.

    Attributes
    ----------
    features_ : list of str
        The forecast columns, in the order the estimator sees them.
    estimator_ : regressor or None
        The fitted meta-learner (None when the generator abstains).
    n_train_ : int
        Complete training rows used.
    fallback_ : str or None
        Why the generator abstains, else None.

    Notes
    -----
    The target of row ``t`` is ``simple_returns(price)`` at ``t + 1``. In a training
    window whose last bar is the refit date, the last row's target lies after the refit
    date and is never used: only rows ``< `` the last one can be training rows. Rows
    with any missing forecast or target are left out. Deterministic as long as the
    estimator is (the default one is).
    """

    def __init__(self, estimator: Any = None, min_train: int = 252):
        if not isinstance(min_train, int | np.integer) or min_train < 1:
            raise ValueError(f"min_train must be a positive integer, got {min_train!r}")
        self.estimator = estimator
        self.min_train = int(min_train)

    @property
    def min_history(self) -> int:  # type: ignore[override]
        """``min_train`` rows with known targets need ``min_train + 1`` bars."""
        return self.min_train + 1

    @staticmethod
    def _features(frame: pd.DataFrame) -> list[str]:
        if PRICE not in frame.columns:
            raise ValueError(
                f"StackedForecaster needs a '{PRICE}' column, got columns {list(frame.columns)}"
            )
        features = [c for c in frame.columns if c != PRICE]
        if not features:
            raise ValueError("StackedForecaster needs at least one forecast column")
        return features

    def fit(self, train: pd.DataFrame) -> Self:  # type: ignore[override]
        """Fit the meta-learner on the complete rows of the training window.

        Parameters
        ----------
        train : DataFrame
            ``"price"`` and forecast columns on the asset's calendar, the last bar being
            the refit date.

        Returns
        -------
        self
        """
        self.features_ = self._features(train)
        target = simple_returns(train[PRICE]).shift(-1)
        # The refit bar's next return is in the future: NaN after the shift already, and
        # set so explicitly that no change of how ``train`` is cut can let it in.
        target.iloc[-1:] = np.nan
        rows = train[self.features_].notna().all(axis=1) & target.notna()
        self.n_train_ = int(rows.sum())
        self.estimator_ = None
        self.fallback_: str | None = None
        if self.n_train_ < self.min_train:
            self.fallback_ = (
                f"{self.n_train_} complete training rows up to {train.index[-1]}, "
                f"fewer than min_train={self.min_train}: no forecast until the next refit"
            )
            return self
        estimator = RegularizedStacker() if self.estimator is None else self.estimator
        self.estimator_ = clone(estimator).fit(
            train.loc[rows, self.features_].astype(float), target[rows].to_numpy(dtype=float)
        )
        return self

    def predict_block(self, history: pd.DataFrame, n: int) -> np.ndarray:  # type: ignore[override]
        """The meta-learner's forecasts for the last ``n`` rows of ``history``.

        Parameters
        ----------
        history : DataFrame
            Same columns as the training window, up to the last decision date.
        n : int
            Number of decision dates at the end of ``history``.

        Returns
        -------
        ndarray of shape (n,)
            NaN where a forecast column is missing, or everywhere when the generator
            abstains (see ``fallback_``).
        """
        forecasts = np.full(n, np.nan)
        if self.estimator_ is None or n == 0:
            return forecasts
        block = history[self.features_].iloc[len(history) - n :].astype(float)
        complete = block.notna().all(axis=1).to_numpy()
        if complete.any():
            forecasts[complete] = self.estimator_.predict(block[complete])
        return forecasts
