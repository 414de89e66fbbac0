"""A walk-forward generator that stacks first-stage strategies' forecasts into one.

The walk-forward engine hands it one asset's frame: a ``"price"`` column and one column
per first-stage strategy's forecast, stamped by decision date (NaN before that
strategy's first forecast). At each refit it learns to map the forecasts of bar ``t`` to
the asset's return from ``t`` to ``t + 1``, using only targets already known at the
refit date; between refits it applies that map to each new bar's forecasts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from aisfolio.ensemble.stacking import RegularizedStacker
from aisfolio.strategies.base import Generator
from aisfolio.strategies.returns import simple_returns

__all__ = [
    "FAILURE_KINDS",
    "FINAL_STOPPED",
    "PRICE",
    "SEARCH_STOPPED",
    "StackedForecaster",
    "stopped_fits",
]

log = logging.getLogger(__name__)

#: Name of the price column of the frames the generator is given.
PRICE = "price"


class StackedForecaster(Generator):
    """Forecast the next-bar return from the forecasts of other strategies.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        The meta-learner, cloned at every fit; None means
        :class:`~aisfolio.ensemble.stacking.RegularizedStacker` with its defaults.
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
    refits_ : DataFrame
        After a walk-forward (:meth:`collect`): one row per refit, indexed by asset and
        refit date: training rows, the components kept and dropped (with the reason),
        each meta-model's alpha, out-of-fold RMSE and blend weight, and the counts of
        coordinate-descent fits that stopped at ``max_iter``. The asset is the input
        frame's ``columns.name`` (the pipeline sets it), else the position of the input.
    failure_log_ : DataFrame
        After a walk-forward: the refits that abstained or fell back, and the fits that
        did not converge, per asset, date and kind (see :mod:`aisfolio.portfolio.events`).

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
        self.asset_ = train.columns.name
        self.refit_date_ = train.index[-1]
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

    def fit_record(self) -> dict[str, Any]:
        """This refit's state: one row of :attr:`refits_`.

        Returns
        -------
        dict
        """
        record: dict[str, Any] = {
            "asset": self.asset_,
            "date": self.refit_date_,
            "training rows": self.n_train_,
            "abstained": self.fallback_ or "",
        }
        fitted = self.estimator_
        if fitted is None or not hasattr(fitted, "kept_names_"):
            return record
        record["kept"] = ", ".join(map(str, fitted.kept_names_))
        record["dropped"] = "; ".join(_dropped(entry) for entry in fitted.dropped_)
        record["fallback"] = fitted.fallback_ or ""
        for name in fitted.estimators_:
            record[f"alpha {name}"] = fitted.alphas_[name]
            record[f"oof rmse {name}"] = fitted.oof_rmse_[name]
            record[f"weight {name}"] = fitted.blend_weights_[name]
        record[SEARCH_STOPPED] = fitted.not_converged_["search"]
        record[FINAL_STOPPED] = fitted.not_converged_["final"]
        return record

    def collect(self, records: Sequence[Any]) -> None:
        """Set :attr:`refits_` and :attr:`failure_log_` from every refit's record, and
        warn once of fits that did not converge.

        Parameters
        ----------
        records : sequence of dict
            :meth:`fit_record` of each refit, in walk-forward order.
        """
        rows = [
            {**record, "asset": record["asset"] if record["asset"] is not None else source}
            for source, record in _by_source(records)
        ]
        self.refits_ = pd.DataFrame(rows).set_index(["asset", "date"])
        failures = []
        for (asset, date), row in self.refits_.iterrows():
            for kind, count in _failure_counts(row).items():
                failures.append({"asset": asset, "date": date, "kind": kind, "count": count})
        self.failure_log_ = pd.DataFrame(failures, columns=["asset", "date", "kind", "count"])
        search, final = stopped_fits(self.refits_)
        if search or final:
            log.warning(
                "stacking: %d coordinate-descent fits stopped at max_iter before their "
                "tolerance (%d in the regularization searches, %d of the chosen models, "
                "over %d refits); counted per refit in the stacking table",
                search + final,
                search,
                final,
                len(self.refits_),
            )

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


#: Columns of :attr:`StackedForecaster.refits_` counting the coordinate-descent fits
#: that stopped at ``max_iter``: in the regularization searches, and of the chosen models.
SEARCH_STOPPED = "not converged (search)"
FINAL_STOPPED = "not converged (final)"

#: Kinds of the failure log, by the column of :attr:`StackedForecaster.refits_` that
#: counts them.
FAILURE_KINDS = {
    "abstained": "abstained (too few training rows)",
    "fallback": "predicts the training mean",
    SEARCH_STOPPED: "search fits stopped at max_iter",
    FINAL_STOPPED: "final fits stopped at max_iter",
}


def stopped_fits(refits: pd.DataFrame) -> tuple[int, int]:
    """Fits stopped at ``max_iter`` over the refits of a table with the columns of
    :attr:`StackedForecaster.refits_`: (in the searches, of the chosen models)."""
    search, final = (
        int(refits[column].sum()) if column in refits else 0
        for column in (SEARCH_STOPPED, FINAL_STOPPED)
    )
    return search, final


def _failure_counts(row: pd.Series) -> dict[str, int]:
    """Kind -> count of one refit's row of ``refits_`` (text columns count once)."""
    counts = {}
    for column, kind in FAILURE_KINDS.items():
        value = row.get(column)
        if isinstance(value, str):
            count = int(bool(value))
        elif value is None or pd.isna(value):
            count = 0
        else:
            count = int(value)
        if count:
            counts[kind] = count
    return counts


def _by_source(records: Sequence[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Each record with the position of its input: a new input starts where the refit
    dates stop increasing (the records come input by input, in date order)."""
    source, previous, out = 0, None, []
    for record in records:
        if previous is not None and record["date"] <= previous:
            source += 1
        previous = record["date"]
        out.append((source, record))
    return out


def _dropped(entry: Any) -> str:
    partner = f" of {entry.partner}" if entry.partner is not None else ""
    return f"{entry.column} ({entry.reason}{partner})"
