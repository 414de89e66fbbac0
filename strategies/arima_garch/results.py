"""Single-window fits for users: :func:`fit_arma_garch` and :func:`select_arma_garch`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.strategies.arima_garch.fitting import (
    Fit,
    best_with_modes,
    criterion_value,
    fit_cold,
    search_orders,
    select,
)
from aisfolio.strategies.arima_garch.model import Spec, Window, filter_window, natural
from aisfolio.strategies.arima_garch.optimize import fd_hessian

__all__ = ["ArmaGarchResult", "fit_arma_garch", "select_arma_garch"]


@dataclass(frozen=True)
class ArmaGarchResult:
    """A maximized ARMA(p, q)-GARCH(1, 1) likelihood on one window, in the data's units.

    Attributes
    ----------
    fit : Fit
        The optimizer's outcome (on the scaled returns).
    window : Window
        The scaled returns and the conditioning.
    scale : float
        Returns were multiplied by ``scale`` for the fit.
    """

    fit: Fit
    window: Window
    scale: float

    @property
    def spec(self) -> Spec:
        return self.fit.spec

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def nobs(self) -> int:
        """Observations in the likelihood (the window less its first ``m`` returns)."""
        return self.window.n

    @property
    def params(self) -> pd.Series:
        """``mu, ar1.., ma1.., omega, alpha, beta[, nu]`` in the units of the returns."""
        values = self._natural_scaled() / self._units()
        return pd.Series(values, index=self.spec.names, name="params")

    def _natural_scaled(self) -> np.ndarray:
        return natural(self.fit.u, self.spec)

    def _units(self) -> np.ndarray:
        units = np.ones(self.spec.k)
        units[0] = self.scale
        units[self.spec.garch] = self.scale**2
        return units

    @property
    def loglik(self) -> float:
        """Maximized log-likelihood of the returns (not of the scaled returns): the fit
        ran on ``scale * returns``, whose densities are ``1 / scale`` of the returns'."""
        return -self.fit.nll + self.nobs * np.log(self.scale)

    def criterion(self, name: str = "aic") -> float:
        """AIC, BIC or HQC (``"aic"``, ``"bic"``, ``"hqc"``)."""
        return criterion_value(name, -self.loglik, self.spec.k, self.nobs)

    @property
    def aic(self) -> float:
        return self.criterion("aic")

    @property
    def bic(self) -> float:
        return self.criterion("bic")

    @property
    def hqc(self) -> float:
        return self.criterion("hqc")

    def forecast(self) -> tuple[float, float]:
        """Mean and variance of the next return."""
        mean, variance = filter_window(self._natural_scaled(), self.window, self.spec).forecast()
        return mean / self.scale, variance / self.scale**2

    def std_errors(self) -> pd.Series:
        """Standard errors from the inverse of the observed information (finite
        differences of the exact gradient, mapped to the natural parameters)."""
        from aisfolio.strategies.arima_garch.model import neg_loglik_grad

        def fun(u):
            return neg_loglik_grad(u, self.window, self.spec)

        u = self.fit.u
        hessian = fd_hessian(fun, u, fun(u)[1], step=1e-5)
        cov_u = np.linalg.pinv(hessian)
        step = 1e-6
        jac = np.empty((self.spec.k, self.spec.k))
        for i in range(self.spec.k):
            shifted = u.copy()
            shifted[i] += step
            jac[:, i] = (natural(shifted, self.spec) - natural(u, self.spec)) / step
        cov = jac @ cov_u @ jac.T
        return pd.Series(
            np.sqrt(np.clip(np.diag(cov), 0, None)) / self._units(),
            index=self.spec.names,
            name="std_errors",
        )

    def summary(self) -> pd.DataFrame:
        """Estimates and standard errors."""
        return pd.DataFrame({"estimate": self.params, "std_error": self.std_errors()})


def _window(returns, condition: int, scale: float) -> Window:
    x = np.asarray(returns, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("returns must be finite")
    return Window.of(x * scale, condition)


def fit_arma_garch(
    returns,
    p: int = 1,
    q: int = 1,
    distribution: str = "normal",
    condition: int | None = None,
    scale: float = 100.0,
) -> ArmaGarchResult:
    """Fit one ARMA(p, q)-GARCH(1, 1) by joint maximum likelihood, from several starts.

    The starts are the cold default and those of the order search
    (:func:`~aisfolio.strategies.arima_garch.fitting.search_orders` up to ``(p, q)``: the optima of
    the nested smaller orders, near-common factors), so the fit reaches the maximum that
    :func:`select_arma_garch` and the generator reach, not only the one nearest the
    default start (a cancelling AR/MA pair on the root bound, often). The other local
    maxima found are in ``result.fit.modes``.

    Parameters
    ----------
    returns : array-like
        Returns (log returns in the generator), oldest first.
    p, q : int
        Orders.
    distribution : {"normal", "t"}
    condition : int, optional
        Returns used as pre-sample values only (default ``p``).
    scale : float, default 100
        The fit runs on ``scale * returns`` (percent); results are in the returns' units.

    Returns
    -------
    ArmaGarchResult
    """
    spec = Spec(p, q, distribution)
    window = _window(returns, p if condition is None else condition, scale)
    if window.m < p:
        raise ValueError(f"condition must be >= p={p}")
    searched = search_orders(window, p, q, distribution)[p, q]
    return ArmaGarchResult(best_with_modes([searched, fit_cold(window, spec)]), window, scale)


def select_arma_garch(
    returns,
    max_p: int = 5,
    max_q: int = 5,
    criterion: str = "aic",
    distribution: str = "normal",
    scale: float = 100.0,
) -> tuple[ArmaGarchResult, pd.DataFrame]:
    """Fit every order up to ``(max_p, max_q)`` and return the best by ``criterion``.

    Every candidate conditions on the first ``max_p`` returns, so that all are compared
    on the same observations.

    Returns
    -------
    result : ArmaGarchResult
        The chosen model.
    table : DataFrame
        One row per order: log-likelihood, criterion, converged.
    """
    window = _window(returns, max_p, scale)
    fits = search_orders(window, max_p, max_q, distribution)
    order, _ = select(fits, criterion, window.n)
    results = {o: ArmaGarchResult(f, window, scale) for o, f in fits.items()}
    table = pd.DataFrame(
        {
            "loglik": [r.loglik for r in results.values()],
            criterion: [r.criterion(criterion) for r in results.values()],
            "converged": [r.converged for r in results.values()],
        },
        index=pd.MultiIndex.from_tuples(list(results), names=["p", "q"]),
    )
    return results[order], table
