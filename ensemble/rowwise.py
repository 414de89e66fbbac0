"""Row-wise arithmetic whose result for a row does not depend on the other rows.

A matrix product or a reduction along rows may take a different summation order (BLAS
kernel, NumPy's pairwise sums) depending on how many rows there are, so the same row
can come out one unit in the last place apart in a block of 2 rows and in a block of
90. A walk-forward forecast must not depend on how many later rows share its block
(the no-look-ahead harness compares bit for bit), so predictions accumulate column by
column: the same IEEE operations for every row, whatever the block.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rowwise_dot", "rowwise_sum"]


def rowwise_sum(X: np.ndarray) -> np.ndarray:
    """Sum of each row, added up left to right.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    total = np.zeros(X.shape[0])
    for j in range(X.shape[1]):
        total = total + X[:, j]
    return total


def rowwise_dot(X: np.ndarray, coef: np.ndarray, intercept: float = 0.0) -> np.ndarray:
    """``X @ coef + intercept``, accumulated column by column.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    coef : ndarray of shape (n_columns,)
    intercept : float, default 0.0

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    total = np.full(X.shape[0], float(intercept))
    for j in range(X.shape[1]):
        total = total + X[:, j] * coef[j]
    return total
