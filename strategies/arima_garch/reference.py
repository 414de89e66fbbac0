"""The reference engine: what a Python user would write with statsmodels and arch.

For each window: the ARMA order search fits every ``ARIMA(p, 0, q)`` with a constant by
statsmodels (exact Gaussian likelihood, its own starting values) and keeps the best by
the criterion; the mean equation is re-fitted every refit day from statsmodels' cold
start; an arch ``GARCH(1, 1)`` (zero mean, normal or Student-t errors) is fitted to the
ARMA residuals; the forecast is the ARMA one-step mean, the variance arch's one-step
variance. Two-step estimation and cold starts every day: the speed baseline of the
default engine, not its oracle (it maximizes a different likelihood).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ReferenceEngine", "ReferenceModel"]

_CRITERIA = {"aic": "aic", "bic": "bic", "hqc": "hqic"}


@dataclass(frozen=True)
class ReferenceModel:
    """A fitted ARMA (statsmodels) and GARCH(1, 1) on its residuals (arch)."""

    order: tuple[int, int]
    arma_params: np.ndarray
    garch_params: np.ndarray
    loglik: float
    evaluations: int = 0


@dataclass
class ReferenceTrack:
    """Stateless across windows: every fit starts cold."""

    engine: ReferenceEngine
    failures: int = field(default=0)

    def _arma(self, x: np.ndarray, order: tuple[int, int]):
        from statsmodels.tsa.arima.model import ARIMA

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = ARIMA(x, order=(order[0], 0, order[1]), trend="c").fit()
            except (ValueError, np.linalg.LinAlgError):
                return None
        converged = result.mle_retvals is None or result.mle_retvals.get("converged", True)
        return result if converged and np.isfinite(result.llf) else None

    def _garch(self, residuals: np.ndarray):
        from arch import arch_model

        dist = "t" if self.engine.distribution == "t" else "normal"
        model = arch_model(residuals, mean="Zero", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = model.fit(disp="off")
            except (ValueError, np.linalg.LinAlgError):
                return None
        return (
            result if result.convergence_flag == 0 and np.isfinite(result.loglikelihood) else None
        )

    def _model(self, x: np.ndarray, order: tuple[int, int], arma=None) -> ReferenceModel | None:
        arma = arma if arma is not None else self._arma(x, order)
        if arma is None:
            return None
        garch = self._garch(np.asarray(arma.resid))
        if garch is None:
            return None
        return ReferenceModel(
            order, np.asarray(arma.params), np.asarray(garch.params), float(garch.loglikelihood)
        )

    def select(self, x: np.ndarray):
        from aisfolio.strategies.arima_garch.engines import Selection

        fits, criteria = {}, {}
        for p in range(self.engine.max_p + 1):
            for q in range(self.engine.max_q + 1):
                result = self._arma(x, (p, q))
                fits[p, q] = result
                criteria[p, q] = (
                    float(getattr(result, _CRITERIA[self.engine.criterion]))
                    if result is not None
                    else np.inf
                )
        failed = sum(result is None for result in fits.values())
        best = min(criteria, key=lambda order: (criteria[order], sum(order), order))
        model = self._model(x, best, fits[best]) if np.isfinite(criteria[best]) else None
        return Selection(model, criteria, failed, 0)

    def refit(self, x: np.ndarray, model: ReferenceModel) -> ReferenceModel | None:
        return self._model(x, model.order)

    def cold(self, x: np.ndarray, p: int, q: int) -> ReferenceModel | None:
        return self._model(x, (p, q))

    def forecast(self, model: ReferenceModel, x: np.ndarray) -> tuple[float, float, float, int]:
        from arch import arch_model
        from statsmodels.tsa.arima.model import ARIMA

        p, q = model.order
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arma = ARIMA(x, order=(p, 0, q), trend="c").filter(model.arma_params)
            mean = float(np.asarray(arma.forecast(1))[0])
            dist = "t" if self.engine.distribution == "t" else "normal"
            garch = arch_model(
                np.asarray(arma.resid), mean="Zero", vol="GARCH", p=1, q=1, dist=dist, rescale=False
            ).fix(model.garch_params)
            variance = float(garch.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0])
        return mean, variance, float(garch.loglikelihood), len(x)


@dataclass(frozen=True)
class ReferenceEngine:
    """statsmodels ARIMA order search and mean, arch GARCH(1, 1) on the residuals."""

    max_p: int
    max_q: int
    criterion: str = "aic"
    distribution: str = "normal"

    def track(self) -> ReferenceTrack:
        """Fresh state for one asset."""
        return ReferenceTrack(self)
