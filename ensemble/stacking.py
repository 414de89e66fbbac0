"""The regularized meta-learner: de-duplicate, add meta-features, fit three linear models, blend.

A stacker of base predictions for time series. The columns of ``X`` are forecasts of
``y`` made by base models (out-of-fold or walk-forward, so that each is an honest
forecast of its row), rows in time order.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from aisfolio.ensemble.dedup import DroppedPredictor, deduplicate
from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.meta_features import meta_features
from aisfolio.ensemble.meta_models import (
    META_MODELS,
    candidate_grids,
    fit_meta_models,
    search_meta_models,
)
from aisfolio.ensemble.rowwise import rowwise_dot

__all__ = ["MIN_FOR_META_FEATURES", "RegularizedStacker"]

log = logging.getLogger(__name__)

#: Kept predictors needed before meta-features are appended: with one or two, the mean,
#: median, std and range are copies or multiples of each other and of the inputs, which
#: only makes the meta-models' design matrix singular.
MIN_FOR_META_FEATURES = 3


class RegularizedStacker(RegressorMixin, BaseEstimator):
    """Stack base predictions with de-duplication, meta-features and a blend of linear models.

    Four stages:

    1. De-duplication (:func:`aisfolio.ensemble.dedup.deduplicate`): base predictors ranked by
       their own error against the target; a predictor correlated at ``>= tau_corr``
       with an already kept one and within ``tau_mse`` of it in mean squared difference
       is dropped, as is any predictor with variance at or below the floor.
    2. Meta-features (:func:`aisfolio.ensemble.meta_features.meta_features`): row-wise mean,
       std, median, range, mean*std and range*std of the kept predictions, appended.
    3. Meta-models: Ridge, Lasso and ElasticNet, each ``Pipeline(StandardScaler(),
       model)`` with its regularization chosen on chronological, purged folds, the
       scaler fitted inside each fold (:mod:`aisfolio.ensemble.meta_models`).
    4. Blend: the meta-models' predictions weighted by inverse out-of-fold RMSE.

    Parameters
    ----------
    tau_corr : float, default 0.95
        Correlation at or above which a predictor may duplicate a kept one.
    tau_mse : float, default 0.01
        Largest mean squared difference to a kept predictor, as a fraction of the
        target's variance, for a correlated predictor to count as its duplicate: by
        default two predictions whose RMS difference is within 10% of the target's
        standard deviation (0.05 dropped useful predictors in the Friedman benchmark,
        ``benchmarks/meta_learner.py``).
    var_floor : float, default 1e-8
        Predictors whose variance is at most ``var_floor * var(y)`` are dropped.
    add_meta_features : bool, default True
        Append the six row-wise meta-features (stage 2), when at least
        :data:`MIN_FOR_META_FEATURES` predictors are kept.
    meta_models : tuple of str, default ("ridge", "lasso", "elasticnet")
        Meta-models fitted and blended (stage 3).
    cv : int or splitter, default 5
        Folds of stage 3: an int is the number of folds of a
        :class:`~aisfolio.ensemble.folds.ChronologicalSplit` (expanding window, purge ``gap``);
        a splitter object is used as given (never shuffle a time series).
    gap : int, default 1
        Rows purged between training and validation rows when ``cv`` is an int.
    n_alphas : int, default 12
        Grid points of each regularization path.
    eps : float, default 1e-3
        Lasso and ElasticNet grids run from ``alpha_max`` down to ``eps * alpha_max``.
    ridge_alphas : array-like, optional
        Ridge grid; by default ``n_samples * logspace(-6, 1, n_alphas)``.
    l1_ratios : tuple of float, default (0.1, 0.5, 0.9)
        ElasticNet mixing parameters tried.
    search : {"path", "grid"}, default "path"
        How the grid is cross-validated: regularization paths per fold, or
        ``GridSearchCV`` over the pipelines (same fold errors, slower).
    max_iter : int, default 10000
        Coordinate-descent iterations (Lasso, ElasticNet).
    tol : float, default 1e-4
        Coordinate-descent tolerance.
    n_jobs : int, optional
        Workers of the ``"grid"`` search.

    Attributes
    ----------
    base_rmse_ : ndarray of shape (n_features_in_,)
        Each base predictor's RMSE against the target on the training rows (the
        de-duplication ranking).
    kept_ : ndarray of int
        Positions of the predictors kept by stage 1, in input order.
    kept_names_ : ndarray of str
        Their names (``feature_names_in_`` when given, else ``"x<position>"``).
    dropped_ : list of DroppedPredictor
        What stage 1 dropped and why (name or position, reason, kept partner).
    condition_number_before_, condition_number_after_ : float
        Condition number of the correlation matrix of the base predictions before and
        after stage 1 (columns with zero variance left out).
    cv_ : splitter
        The folds used.
    searches_ : dict of str to MetaModelSearch
        Fold errors of every grid point, per meta-model.
    estimators_ : dict of str to Pipeline
        Each meta-model refitted on all training rows with its chosen regularization.
    alphas_ : dict of str to float
        The chosen ``alpha`` of each meta-model.
    l1_ratio_ : float or None
        The chosen ElasticNet mixing parameter (None without ElasticNet).
    oof_rmse_ : dict of str to float
        Out-of-fold RMSE of each meta-model at its chosen regularization.
    blend_weights_ : dict of str to float
        Weights of the blend, proportional to ``1 / oof_rmse_``, summing to 1.
    n_iter_ : int
        Most coordinate-descent iterations of a final Lasso or ElasticNet fit (1 when
        only the closed-form Ridge is fitted).
    not_converged_ : dict of str to int
        Coordinate-descent fits that stopped at ``max_iter`` before their tolerance:
        ``"search"`` (the fold fits of the regularization search; expected at the
        small-alpha end of a grid) and ``"final"`` (the chosen models refitted on every
        row). scikit-learn's ``ConvergenceWarning`` of each is counted here, not shown.
    mean_ : float
        Training mean of ``y`` (the fallback prediction).
    fallback_ : str or None
        Why the stacker predicts the training mean of ``y`` instead (every predictor
        fell below the variance floor), else None. A warning is raised too.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Notes
    -----
    *Out of fold, in time.* The folds are chronological: each validation block is
    predicted by a model trained only on earlier rows, ``gap`` rows before it. The rows
    before the first validation block are never predicted out of fold, so every
    out-of-fold error (the choice of each alpha, ``oof_rmse_`` and the blend weights) is
    measured on the validation blocks only, the same rows for all three meta-models.
    The chosen model's error is slightly optimistic (it won the grid on those rows),
    equally for all three.

    *What sees the whole training window.* Stage 1 and the grids' ``alpha_max`` are
    computed once on all training rows, as in the source method, not inside each fold:
    they use no information after the last training row, so the stacker never looks
    ahead of its fit date; only the fold errors of stage 3 are mildly optimistic for it.

    Deterministic: no randomness anywhere (cyclic coordinate descent).
    """

    def __init__(
        self,
        *,
        tau_corr: float = 0.95,
        tau_mse: float = 0.01,
        var_floor: float = 1e-8,
        add_meta_features: bool = True,
        meta_models: tuple[str, ...] = META_MODELS,
        cv: Any = 5,
        gap: int = 1,
        n_alphas: int = 12,
        eps: float = 1e-3,
        ridge_alphas: Any = None,
        l1_ratios: tuple[float, ...] = (0.1, 0.5, 0.9),
        search: str = "path",
        max_iter: int = 10_000,
        tol: float = 1e-4,
        n_jobs: int | None = None,
    ):
        self.tau_corr = tau_corr
        self.tau_mse = tau_mse
        self.var_floor = var_floor
        self.add_meta_features = add_meta_features
        self.meta_models = meta_models
        self.cv = cv
        self.gap = gap
        self.n_alphas = n_alphas
        self.eps = eps
        self.ridge_alphas = ridge_alphas
        self.l1_ratios = l1_ratios
        self.search = search
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    def _splitter(self) -> Any:
        if isinstance(self.cv, int | np.integer):
            return ChronologicalSplit(n_splits=int(self.cv), gap=self.gap)
        if not (hasattr(self.cv, "split") and hasattr(self.cv, "get_n_splits")):
            raise ValueError(f"cv must be an int or a splitter with split(), got {self.cv!r}")
        return self.cv

    def _design(self, X: np.ndarray) -> np.ndarray:
        """Kept base predictions, with the meta-features appended."""
        kept = X[:, self.kept_]
        if not self.add_meta_features or kept.shape[1] < MIN_FOR_META_FEATURES:
            return kept
        return np.hstack([kept, meta_features(kept)])

    def fit(self, X, y) -> Self:
        """Fit the four stages on base predictions ``X`` of target ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
            Base predictions, rows in time order.
        y : array-like of shape (n_samples,)
            Target.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        y = y.astype(float)
        unknown = set(self.meta_models) - set(META_MODELS)
        if not self.meta_models or unknown:
            raise ValueError(
                f"meta_models must be a non-empty subset of {META_MODELS}, got {self.meta_models!r}"
            )
        cv = self._splitter()
        list(cv.split(X))  # fail early, with the splitter's message, when folds do not fit
        names = getattr(self, "feature_names_in_", None)
        dedup = deduplicate(
            X,
            y,
            tau_corr=self.tau_corr,
            tau_mse=self.tau_mse,
            var_floor=self.var_floor,
            names=list(names) if names is not None else None,
        )
        self.base_rmse_ = dedup.rmse
        self.kept_ = dedup.kept
        labels = names if names is not None else np.array([f"x{j}" for j in range(X.shape[1])])
        self.kept_names_ = np.asarray(labels, dtype=object)[self.kept_]
        self.dropped_: list[DroppedPredictor] = dedup.dropped
        self.condition_number_before_ = dedup.condition_number_before
        self.condition_number_after_ = dedup.condition_number_after
        self.cv_ = cv
        self.searches_, self.estimators_ = {}, {}
        self.alphas_, self.oof_rmse_, self.blend_weights_ = {}, {}, {}
        self.l1_ratio_: float | None = None
        self.fallback_: str | None = None
        self.mean_ = float(y.mean())
        self.n_iter_ = 1
        self.not_converged_ = {"search": 0, "final": 0}
        if self.kept_.size == 0:
            self.fallback_ = "every base predictor is at or below the variance floor"
            warnings.warn(
                f"RegularizedStacker: {self.fallback_}; predicting the training mean",
                UserWarning,
                stacklevel=2,
            )
            return self

        design = self._design(X)
        models = [m for m in META_MODELS if m in self.meta_models]
        grids = candidate_grids(
            models,
            design,
            y,
            n_alphas=self.n_alphas,
            eps=self.eps,
            ridge_alphas=self.ridge_alphas,
            l1_ratios=tuple(self.l1_ratios),
        )
        with _counted_convergence_warnings() as searched:
            self.searches_ = search_meta_models(
                design,
                y,
                cv,
                grids,
                search=self.search,
                max_iter=self.max_iter,
                tol=self.tol,
                n_jobs=self.n_jobs,
            )
        for name, result in self.searches_.items():
            self.alphas_[name] = result.best_params["alpha"]
            if name == "elasticnet":
                self.l1_ratio_ = result.best_params["l1_ratio"]
            self.oof_rmse_[name] = result.oof_rmse
        with _counted_convergence_warnings() as final:
            self.estimators_ = fit_meta_models(
                design,
                y,
                {name: result.best_params for name, result in self.searches_.items()},
                max_iter=self.max_iter,
                tol=self.tol,
            )
        self.not_converged_ = {"search": len(searched), "final": len(final)}
        self.n_iter_ = max(
            [int(getattr(est[-1], "n_iter_", None) or 1) for est in self.estimators_.values()]
        )
        tiny = np.finfo(float).tiny
        inverse = {name: 1.0 / max(rmse, tiny) for name, rmse in self.oof_rmse_.items()}
        total = sum(inverse.values())
        self.blend_weights_ = {name: value / total for name, value in inverse.items()}
        return self

    def predict(self, X) -> np.ndarray:
        """Blend of the meta-models' predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_predictors)
            Base predictions, same columns as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Each row's prediction depends on that row alone, bit for bit, whatever the
            other rows (:mod:`aisfolio.ensemble.rowwise`); it equals the pipelines' own
            ``predict`` up to rounding.
        """
        check_is_fitted(self, "kept_")
        X = validate_data(self, X, reset=False)
        if self.fallback_ is not None:
            return np.full(X.shape[0], self.mean_)
        design = self._design(X)
        blend = np.zeros(X.shape[0])
        for name, weight in self.blend_weights_.items():
            scaler, model = self.estimators_[name]
            standardized = (design - scaler.mean_) / scaler.scale_
            blend = blend + weight * rowwise_dot(standardized, model.coef_, model.intercept_)
        return blend

    def summary(self) -> pd.DataFrame:
        """One row per meta-model: chosen alpha and l1_ratio, OOF RMSE, blend weight.

        Returns
        -------
        DataFrame
        """
        check_is_fitted(self, "kept_")
        rows = {
            name: {
                "alpha": self.alphas_[name],
                "l1_ratio": self.l1_ratio_ if name == "elasticnet" else np.nan,
                "oof_rmse": self.oof_rmse_[name],
                "weight": self.blend_weights_[name],
                "nonzero_coefs": int(np.count_nonzero(self.estimators_[name][-1].coef_)),
            }
            for name in self.estimators_
        }
        return pd.DataFrame.from_dict(rows, orient="index")


@contextlib.contextmanager
def _counted_convergence_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record scikit-learn's ``ConvergenceWarning`` (one per fit that stopped at
    ``max_iter``) instead of printing it. Other warnings raised meanwhile are logged
    once per distinct message in this process (also when the block raises), not once
    per refit."""
    counted: list[warnings.WarningMessage] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            yield counted
        finally:
            for message in caught:
                if issubclass(message.category, ConvergenceWarning):
                    counted.append(message)
                else:
                    _log_once(message)


#: Messages of other warnings already logged by :func:`_log_once`.
_LOGGED: set[tuple[str, str]] = set()


def _log_once(message: warnings.WarningMessage) -> None:
    key = (message.category.__name__, str(message.message))
    if key not in _LOGGED:
        _LOGGED.add(key)
        log.warning("%s in a meta-model fit: %s (shown once)", *key)
