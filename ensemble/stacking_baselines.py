"""Baselines of the meta-learner, with the same interface: regressors over base predictions.

Each takes base predictions ``X`` (one column per base model, rows in time order) and a
target ``y``: simple average, inverse-RMSE weighted average, plain Ridge stacking and
greedy forward selection with replacement (hill climbing, Caruana et al. 2004).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import RidgeCV
from sklearn.utils.validation import check_is_fitted, validate_data

from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.rowwise import rowwise_dot

__all__ = ["HillClimbing", "InverseRMSEAverage", "RidgeStack", "SimpleAverage"]


class _WeightedAverage(RegressorMixin, BaseEstimator):
    """Predict ``X @ weights_`` (weights summing to 1)."""

    def predict(self, X) -> np.ndarray:
        """Weighted average of the base predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)

        Returns
        -------
        ndarray of shape (n_samples,)
            Row by row, bit for bit independent of the other rows.
        """
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, reset=False)
        return rowwise_dot(X, self.weights_)


class _FixedFormAverage(_WeightedAverage):
    """A weighted average whose weights do not fit the target's scale."""

    def __sklearn_tags__(self):
        # An average of the columns cannot fit an arbitrary target: the estimator
        # checks' generic regression data (features, not predictions) scores poorly by
        # design.
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SimpleAverage(_FixedFormAverage):
    """The mean of the base predictions, row by row (learns nothing but the width).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_,)
        ``1 / n_features_in_`` each.
    n_features_in_ : int
    """

    def fit(self, X, y) -> Self:
        """Record the number of base predictors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        self.weights_ = np.full(X.shape[1], 1.0 / X.shape[1])
        return self


class InverseRMSEAverage(_FixedFormAverage):
    """Weighted average with weights proportional to ``1 / RMSE`` of each base predictor.

    Attributes
    ----------
    rmse_ : ndarray of shape (n_features_in_,)
        Each predictor's RMSE against the target on the training rows.
    weights_ : ndarray of shape (n_features_in_,)
        ``(1 / rmse_) / sum(1 / rmse_)``; predictors with zero error share all the
        weight when there are any.
    n_features_in_ : int
    """

    def fit(self, X, y) -> Self:
        """Weight each base predictor by its inverse training RMSE.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
            Base predictions (out of fold), rows in time order.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        self.rmse_ = np.sqrt(np.mean((X - np.asarray(y, dtype=float)[:, None]) ** 2, axis=0))
        perfect = self.rmse_ == 0
        inverse = perfect.astype(float) if perfect.any() else 1.0 / self.rmse_
        self.weights_ = inverse / inverse.sum()
        return self


class RidgeStack(RegressorMixin, BaseEstimator):
    """Plain Ridge stacking: ``RidgeCV`` on the raw base predictions.

    No de-duplication, no meta-features, no standardization: the usual stacking
    baseline, with its penalty chosen by mean squared error on chronological folds.

    Parameters
    ----------
    alphas : tuple of float, default (0.1, 1.0, 10.0)
        Penalties tried (scikit-learn's ``RidgeCV`` default).
    cv : int or splitter, default 5
        An int is the number of folds of a :class:`~aisfolio.ensemble.folds.ChronologicalSplit`
        with purge ``gap``; a splitter is used as given.
    gap : int, default 1
        Rows purged between training and validation when ``cv`` is an int.

    Attributes
    ----------
    estimator_ : RidgeCV
        The fitted model.
    alpha_ : float
        The chosen penalty.
    coef_ : ndarray of shape (n_features_in_,)
    intercept_ : float
    n_features_in_ : int
    """

    def __init__(self, alphas: tuple[float, ...] = (0.1, 1.0, 10.0), cv: Any = 5, gap: int = 1):
        self.alphas = alphas
        self.cv = cv
        self.gap = gap

    def fit(self, X, y) -> Self:
        """Fit ``RidgeCV`` on the base predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        cv = self.cv
        if isinstance(cv, int | np.integer):
            cv = ChronologicalSplit(n_splits=int(cv), gap=self.gap)
        self.estimator_ = RidgeCV(alphas=self.alphas, cv=cv, scoring="neg_mean_squared_error").fit(
            X, y
        )
        self.alpha_ = float(self.estimator_.alpha_)
        self.coef_ = self.estimator_.coef_
        self.intercept_ = float(self.estimator_.intercept_)
        return self

    def predict(self, X) -> np.ndarray:
        """Ridge prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)

        Returns
        -------
        ndarray of shape (n_samples,)
            Row by row, bit for bit independent of the other rows.
        """
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False)
        return rowwise_dot(X, self.coef_, self.intercept_)


class HillClimbing(_WeightedAverage):
    """Greedy forward selection with replacement (Caruana et al., 2004).

    Start from the ``n_init`` base predictors with the lowest RMSE (sorted ensemble
    initialization); at each of ``n_iter`` steps add the predictor, possibly one already
    in, whose inclusion gives the average with the lowest RMSE against the target; keep
    the ensemble of the best step. Weights are selection counts over their total.

    Parameters
    ----------
    n_iter : int, default 100
        Selection steps after the initialization.
    n_init : int, default 1
        Best single predictors the ensemble starts from (at least 1).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_,)
        Selection counts of the best ensemble, divided by their sum.
    counts_ : ndarray of int, shape (n_features_in_,)
        Selection counts of the best ensemble.
    path_ : ndarray of int
        Predictor chosen at each step (the initialization first).
    scores_ : ndarray of float
        Training RMSE of the ensemble after each entry of ``path_``.
    n_features_in_ : int

    Notes
    -----
    Each step scores every candidate at once: with ``S`` the running sum of the ``c``
    selected predictions, the candidate ``j`` gives
    ``mean(((S + x_j) / (c + 1) - y) ** 2)``, whose ranking over ``j`` only needs
    ``x_j' (S - (c + 1) y)`` and ``x_j' x_j``: one matrix-vector product per step. Ties
    go to the lowest column.
    """

    def __init__(self, n_iter: int = 100, n_init: int = 1):
        self.n_iter = n_iter
        self.n_init = n_init

    def fit(self, X, y) -> Self:
        """Select the ensemble on base predictions ``X`` of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
            Base predictions (out of fold), rows in time order.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        if not isinstance(self.n_iter, int | np.integer) or self.n_iter < 0:
            raise ValueError(f"n_iter must be a non-negative integer, got {self.n_iter!r}")
        if not isinstance(self.n_init, int | np.integer) or self.n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {self.n_init!r}")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        rmse = np.sqrt(np.mean((X - y[:, None]) ** 2, axis=0))
        path = list(np.argsort(rmse, kind="stable")[: self.n_init])
        total = X[:, path].sum(axis=1)
        scores = [
            float(np.sqrt(np.mean((X[:, path[: i + 1]].mean(axis=1) - y) ** 2)))
            for i in range(len(path))
        ]
        squares = np.einsum("ij,ij->j", X, X)
        for _ in range(self.n_iter):
            c = len(path)
            residual = total - (c + 1) * y
            j = int(np.argmin(2.0 * (X.T @ residual) + squares))
            path.append(j)
            total += X[:, j]
            scores.append(float(np.sqrt(np.mean((total / (c + 1) - y) ** 2))))
        best = int(np.argmin(scores))
        self.path_ = np.array(path, dtype=int)
        self.scores_ = np.array(scores)
        self.counts_ = np.bincount(self.path_[: best + 1], minlength=X.shape[1])
        self.weights_ = self.counts_ / self.counts_.sum()
        return self
