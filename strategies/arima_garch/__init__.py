"""ARIMA(p, 0, q)-GARCH(1, 1): the paper's time-series generator, exact and fast.

:class:`ArimaGarch` is the generator. Single windows: :func:`fit_arma_garch` and
:func:`select_arma_garch`. Modules: ``model`` (likelihood, exact gradient, filter),
``optimize`` (projected BFGS), ``fitting`` (warm-started fits, the order search),
``engines`` (the fast engine's walk-forward state), ``reference`` (statsmodels + arch).
"""

from aisfolio.strategies.arima_garch.generator import ENGINES, STATUSES, ArimaGarch, log_returns
from aisfolio.strategies.arima_garch.results import (
    ArmaGarchResult,
    fit_arma_garch,
    select_arma_garch,
)

__all__ = [
    "ENGINES",
    "STATUSES",
    "ArimaGarch",
    "ArmaGarchResult",
    "fit_arma_garch",
    "log_returns",
    "select_arma_garch",
]
