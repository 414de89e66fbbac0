"""Row-wise summaries of base predictions, appended to them as meta-features."""

from __future__ import annotations

import numpy as np

from aisfolio.ensemble.rowwise import rowwise_sum

__all__ = ["META_FEATURES", "meta_features"]

#: Names of the columns returned by :func:`meta_features`, in order.
META_FEATURES = ("mean", "std", "median", "range", "mean_x_std", "range_x_std")


def meta_features(predictions: np.ndarray) -> np.ndarray:
    """Mean, std, median, range, mean*std and range*std of each row.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples, n_predictors)
        Base predictions, one row per sample (at least one column).

    Returns
    -------
    ndarray of shape (n_samples, 6)
        Columns in the order of :data:`META_FEATURES`. The standard deviation is the
        population one (``ddof=0``); range is max minus min. Each row's values come
        from that row alone, bit for bit (:mod:`aisfolio.ensemble.rowwise`).
    """
    p = np.asarray(predictions, dtype=float)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"need a 2-D array with at least one column, got shape {p.shape}")
    mean = rowwise_sum(p) / p.shape[1]
    std = np.sqrt(rowwise_sum((p - mean[:, None]) ** 2) / p.shape[1])
    spread = p.max(axis=1) - p.min(axis=1)
    return np.column_stack([mean, std, np.median(p, axis=1), spread, mean * std, spread * std])
