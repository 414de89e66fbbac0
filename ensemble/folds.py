"""Chronological cross-validation folds with a purge gap, for meta-learners on time series.

Rows are in time order. Each fold validates on one block of consecutive rows and trains
only on rows before it, leaving ``gap`` rows out between the two (the purge), so that no
fold ever trains on data from or after its validation block. Nothing is shuffled.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import BaseCrossValidator

__all__ = ["WINDOWS", "ChronologicalSplit"]

#: Training windows of :class:`ChronologicalSplit`.
WINDOWS = ("expanding", "rolling")


class ChronologicalSplit(BaseCrossValidator):
    """Walk-forward folds: validate on a block, train on what came before it, purged.

    The last ``n_splits * test_size`` rows are cut into ``n_splits`` consecutive
    validation blocks; fold ``k`` validates on block ``k`` and trains on the rows before
    it, less the ``gap`` rows just before the block. An expanding window trains on all of
    them, a rolling one on the last ``train_size``. A scikit-learn splitter (``split``,
    ``get_n_splits``): pass it as ``cv=`` to any search or ``*CV`` estimator.

    Parameters
    ----------
    n_splits : int, default 5
        Number of folds (validation blocks).
    gap : int, default 0
        Rows purged between the end of each training window and its validation block
        (at least the forecast horizon minus one: a target spanning ``h`` bars needs
        ``gap >= h - 1``).
    window : {"expanding", "rolling"}, default "expanding"
        Training window of each fold.
    train_size : int, optional
        Rows of a rolling window (required for ``"rolling"``, ignored for
        ``"expanding"``).
    test_size : int, optional
        Rows of each validation block; by default ``n_samples // (n_splits + 1)``, so the
        first training window is at least as long as one block.

    Notes
    -----
    Out-of-fold predictions exist only for the validation blocks: the rows before the
    first block (and nothing else) are never predicted out of fold. Meta-learners here
    compute every out-of-fold error on exactly those rows
    (:meth:`validation_mask`), the same rows for every model they compare.

    Examples
    --------
    >>> import numpy as np
    >>> cv = ChronologicalSplit(n_splits=3, gap=1)
    >>> for train, test in cv.split(np.zeros((12, 1))):
    ...     print(train, test)
    [0 1] [3 4 5]
    [0 1 2 3 4] [6 7 8]
    [0 1 2 3 4 5 6 7] [ 9 10 11]
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        gap: int = 0,
        window: str = "expanding",
        train_size: int | None = None,
        test_size: int | None = None,
    ):
        self.n_splits = n_splits
        self.gap = gap
        self.window = window
        self.train_size = train_size
        self.test_size = test_size

    def _check(self) -> None:
        if not isinstance(self.n_splits, int | np.integer) or self.n_splits < 1:
            raise ValueError(f"n_splits must be a positive integer, got {self.n_splits!r}")
        if not isinstance(self.gap, int | np.integer) or self.gap < 0:
            raise ValueError(f"gap must be a non-negative integer, got {self.gap!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got {self.window!r}")
        if self.window == "rolling" and (self.train_size is None or self.train_size < 1):
            raise ValueError("a rolling window needs train_size >= 1 (rows)")
        if self.test_size is not None and self.test_size < 1:
            raise ValueError(f"test_size must be >= 1, got {self.test_size!r}")

    def _block(self, n_samples: int) -> int:
        """Rows per validation block; raises when the folds do not fit."""
        block = self.test_size if self.test_size is not None else n_samples // (self.n_splits + 1)
        first_train = n_samples - self.n_splits * block - self.gap
        if block < 1 or first_train < 1:
            raise ValueError(
                f"cannot make {self.n_splits} chronological folds with gap={self.gap}"
                f" from n_samples={n_samples}: every fold needs at least one training row"
                " before its purge gap and one validation row"
            )
        return int(block)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, for scikit-learn compatibility.

        Returns
        -------
        int
        """
        return int(self.n_splits)

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Training and validation row positions of each fold, oldest fold first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order (only their number is used).
        y, groups : object
            Ignored, for scikit-learn compatibility.

        Yields
        ------
        train : ndarray of int
            Rows the fold trains on, all before ``test[0] - gap``.
        test : ndarray of int
            The fold's validation block.
        """
        self._check()
        n_samples = len(X)
        block = self._block(n_samples)
        first_test = n_samples - self.n_splits * block
        for k in range(self.n_splits):
            test_start = first_test + k * block
            train_stop = test_start - self.gap
            train_start = 0
            if self.window == "rolling":
                train_start = max(0, train_stop - int(self.train_size or 0))
            yield (
                np.arange(train_start, train_stop),
                np.arange(test_start, test_start + block),
            )

    def validation_mask(self, n_samples: int) -> np.ndarray:
        """Which rows get an out-of-fold prediction (those of a validation block).

        Parameters
        ----------
        n_samples : int
            Number of rows.

        Returns
        -------
        ndarray of bool, shape (n_samples,)
        """
        mask = np.zeros(n_samples, dtype=bool)
        for _, test in self.split(np.empty((n_samples, 0))):
            mask[test] = True
        return mask
