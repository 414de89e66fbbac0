"""De-duplication of base predictors before stacking: near-duplicates and flat columns.

The columns of the matrix are base predictions of one target (out-of-fold or
walk-forward forecasts). Predictors are ranked by their own error against the target;
walking down that ranking, a predictor is dropped when it is nearly a copy of one already
kept (correlation >= ``tau_corr`` *and* mean squared difference <= ``tau_mse``). Columns
whose variance is below a floor are dropped first. Both thresholds on squared scales are
fractions of the target's variance, so they do not depend on its units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Deduplication", "DroppedPredictor", "condition_number", "deduplicate"]


@dataclass(frozen=True)
class DroppedPredictor:
    """A base predictor left out, and why.

    Attributes
    ----------
    column : int or str
        The predictor's name when the input had column names, else its position.
    reason : {"variance", "duplicate"}
        ``"variance"``: its variance is at or below the floor. ``"duplicate"``: it is a
        near-copy of ``partner``, which has a lower error against the target.
    partner : int or str or None
        The kept predictor it duplicates (the most correlated one), None for
        ``"variance"``.
    correlation : float
        Correlation with ``partner`` (NaN for ``"variance"``).
    mse : float
        Mean squared difference to ``partner`` (for ``"variance"``: the variance), in the
        target's units squared.
    """

    column: int | str
    reason: str
    partner: int | str | None
    correlation: float
    mse: float


@dataclass(frozen=True)
class Deduplication:
    """Outcome of :func:`deduplicate`.

    Attributes
    ----------
    kept : ndarray of int
        Positions of the kept predictors, in input order.
    dropped : list of DroppedPredictor
        Dropped predictors in the order they were dropped (variance floor first).
    rmse : ndarray of float
        Each predictor's root mean squared error against the target (its ranking key).
    condition_number_before, condition_number_after : float
        Condition number of the correlation matrix of the predictors with non-zero
        variance, and of the kept ones.
    """

    kept: np.ndarray
    dropped: list[DroppedPredictor]
    rmse: np.ndarray
    condition_number_before: float
    condition_number_after: float


def condition_number(predictions: np.ndarray) -> float:
    """2-norm condition number of the correlation matrix of the columns.

    Columns with zero variance have no correlation and are left out; with fewer than two
    columns left the matrix is 1x1 (or empty) and the condition number is 1.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples, n_predictors)

    Returns
    -------
    float
        ``inf`` for a singular matrix (exact duplicates).
    """
    p = np.asarray(predictions, dtype=float)
    p = p[:, p.std(axis=0) > 0]
    if p.shape[1] < 2:
        return 1.0
    return _correlation_condition(np.corrcoef(p, rowvar=False))


def _correlation_condition(corr: np.ndarray) -> float:
    return 1.0 if corr.shape[0] < 2 else float(np.linalg.cond(corr))


def deduplicate(
    predictions: np.ndarray,
    target: np.ndarray,
    *,
    tau_corr: float = 0.95,
    tau_mse: float = 0.01,
    var_floor: float = 1e-8,
    names: Sequence[str] | None = None,
) -> Deduplication:
    """Greedily drop near-duplicate and flat base predictors.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples, n_predictors)
        Base predictions (each column out-of-fold or walk-forward).
    target : ndarray of shape (n_samples,)
        What they predict.
    tau_corr : float, default 0.95
        A predictor is a duplicate candidate of a kept one when their correlation is at
        least this.
    tau_mse : float, default 0.01
        ... and their mean squared difference is at most ``tau_mse * var(target)``.
    var_floor : float, default 1e-8
        Predictors with variance ``<= var_floor * var(target)`` are dropped.
    names : sequence of str, optional
        Column names used in the record of dropped predictors.

    Returns
    -------
    Deduplication

    Notes
    -----
    Predictors are visited by increasing error against the target (ties by position),
    so of two near-identical predictors the better one is kept. A predictor that is not
    correlated at ``tau_corr`` with any kept one is always kept: only the variance floor
    can drop a unique predictor. When the target is constant, ``var(target)`` is
    replaced by 1.
    """
    p = np.asarray(predictions, dtype=float)
    y = np.asarray(target, dtype=float)
    if not 0 <= tau_corr <= 1:
        raise ValueError(f"tau_corr must be in [0, 1], got {tau_corr!r}")
    if tau_mse < 0 or var_floor < 0:
        raise ValueError(f"tau_mse and var_floor must be >= 0, got {tau_mse!r}, {var_floor!r}")
    label = list(names) if names is not None else list(range(p.shape[1]))
    scale = float(y.var()) if y.var() > 0 else 1.0
    # One pass over the rows: every mean, variance, covariance and error below comes
    # from the second moments of [predictions, target].
    n = p.shape[0]
    means = p.mean(axis=0)
    centered = p - means
    target_centered = y - y.mean()
    covariance = centered.T @ centered / n
    variance = np.diag(covariance).copy()
    cross = centered.T @ target_centered / n
    rmse = np.sqrt(
        np.maximum(variance - 2 * cross + target_centered @ target_centered / n, 0.0)
        + (means - y.mean()) ** 2
    )

    dropped: list[DroppedPredictor] = []
    candidates = []
    for j in range(p.shape[1]):
        if variance[j] <= var_floor * scale:
            dropped.append(DroppedPredictor(label[j], "variance", None, np.nan, float(variance[j])))
        else:
            candidates.append(j)

    varying = np.flatnonzero(variance > 0)
    spread = np.sqrt(variance[varying])
    corr_all = covariance[np.ix_(varying, varying)] / np.outer(spread, spread)
    column = {j: i for i, j in enumerate(varying)}

    def mean_squared_difference(j: int, k: int) -> float:
        return float(variance[j] + variance[k] - 2 * covariance[j, k] + (means[j] - means[k]) ** 2)

    kept: list[int] = []
    for j in sorted(candidates, key=lambda c: (rmse[c], c)):
        partner, best_corr = None, -np.inf
        for k in kept:
            c = corr_all[column[j], column[k]]
            if c >= tau_corr and c > best_corr and mean_squared_difference(j, k) <= tau_mse * scale:
                partner, best_corr = k, c
        if partner is None:
            kept.append(j)
        else:
            exact = float(np.mean((p[:, j] - p[:, partner]) ** 2))
            dropped.append(
                DroppedPredictor(label[j], "duplicate", label[partner], float(best_corr), exact)
            )
    kept_sorted = np.array(sorted(kept), dtype=int)
    kept_varying = [column[j] for j in kept_sorted if j in column]
    return Deduplication(
        kept=kept_sorted,
        dropped=dropped,
        rmse=rmse,
        condition_number_before=_correlation_condition(corr_all),
        condition_number_after=_correlation_condition(corr_all[np.ix_(kept_varying, kept_varying)]),
    )
