"""Risk estimates from a window of returns, in the factored form the solver uses.

Every estimator gives the covariance as ``A.T @ A + diag(d**2)``: ``A`` has one row per
observation of the window (``T x n``) and ``d`` one entry per stream. Sample covariance,
Ledoit-Wolf shrinkage towards a scaled identity and exponentially weighted covariance
all have that form, so the optimizer works with a ``T x n`` data matrix (a parameter of
a compiled problem) instead of a dense ``n x n`` covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import LedoitWolf

__all__ = ["ESTIMATORS", "RiskFactors", "RiskModel", "square_root"]

#: Names of the covariance estimators.
ESTIMATORS = ("sample", "ledoit_wolf", "ewma")


@dataclass(frozen=True)
class RiskFactors:
    """A covariance as ``A.T @ A + diag(d**2)`` plus the window's mean.

    Attributes
    ----------
    a : ndarray of shape (T, n)
        Scaled, centred observations.
    d : ndarray of shape (n,)
        Square roots of the diagonal shrinkage term (zeros when there is none).
    mean : ndarray of shape (n,)
        Mean return of each stream over the window (weighted like the covariance).
    """

    a: np.ndarray
    d: np.ndarray
    mean: np.ndarray

    @property
    def covariance(self) -> np.ndarray:
        """The ``n x n`` covariance matrix."""
        return self.a.T @ self.a + np.diag(self.d**2)

    @property
    def variances(self) -> np.ndarray:
        """The covariance's diagonal."""
        return np.sum(self.a**2, axis=0) + self.d**2

    def times(self, w: np.ndarray) -> np.ndarray:
        """``S @ w`` from the factors (``T n`` operations instead of ``n^2``; the
        ``n x n`` matrix is not formed)."""
        return self.a.T @ (self.a @ w) + self.d**2 * w


@dataclass(frozen=True)
class RiskModel:
    """How the covariance of the streams is estimated from a window of returns.

    Parameters
    ----------
    estimator : {"sample", "ledoit_wolf", "ewma"}, default "ledoit_wolf"
        Sample covariance (``T - 1`` denominator); Ledoit-Wolf shrinkage of the maximum
        likelihood covariance towards ``trace / n`` times the identity (the shrinkage
        intensity of :class:`sklearn.covariance.LedoitWolf`); exponentially weighted
        covariance around the weighted mean, weights halving every ``halflife`` bars.
    halflife : float, default 63.0
        Half-life in bars of the EWMA weights.
    """

    estimator: str = "ledoit_wolf"
    halflife: float = 63.0

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"risk must be one of {ESTIMATORS}, got '{self.estimator}'")
        if not self.halflife > 0:
            raise ValueError(f"halflife must be > 0, got {self.halflife}")

    def factors(self, returns: np.ndarray) -> RiskFactors:
        """Estimate the covariance of ``returns`` (``T x n``, oldest row first).

        Parameters
        ----------
        returns : ndarray of shape (T, n)
            Finite returns, ``T >= 2``.

        Returns
        -------
        RiskFactors
        """
        x = np.asarray(returns, dtype=float)
        t, n = x.shape
        if t < 2:
            raise ValueError(f"a covariance needs at least 2 observations, got {t}")
        if self.estimator == "ewma":
            age = np.arange(t - 1, -1, -1, dtype=float)
            weights = 0.5 ** (age / self.halflife)
            weights /= weights.sum()
            mean = weights @ x
            return RiskFactors(np.sqrt(weights)[:, None] * (x - mean), np.zeros(n), mean)
        mean = x.mean(axis=0)
        centred = x - mean
        if self.estimator == "sample":
            return RiskFactors(centred / np.sqrt(t - 1), np.zeros(n), mean)
        shrinkage = float(LedoitWolf().fit(x).shrinkage_)
        scale = float(np.einsum("ij,ij->", centred, centred)) / (t * n)  # trace(S) / n
        a = np.sqrt((1.0 - shrinkage) / t) * centred
        return RiskFactors(a, np.full(n, np.sqrt(shrinkage * scale)), mean)


def square_root(covariance: np.ndarray) -> np.ndarray:
    """``A`` with ``A.T @ A = covariance``: Cholesky (upper triangle, half the nonzeros),
    or the eigen-decomposition when the matrix is singular."""
    try:
        return np.linalg.cholesky(covariance).T
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(covariance)
        return (vectors * np.sqrt(np.maximum(values, 0.0))).T
