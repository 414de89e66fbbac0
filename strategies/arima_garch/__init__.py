"""ARIMA(p, 0, q)-GARCH(1, 1): the paper's time-series generator, exact and fast.

:class:`ArimaGarch` is the generator. Single windows: :func:`fit_arma_garch` and
:func:`select_arma_garch`. Modules: ``model`` (likelihood, exact gradient, filter),
``optimize`` (projected BFGS), ``fitting`` (warm-started fits, the order search),
``engines`` (the fast engine's walk-forward state), ``reference`` (statsmodels + arch).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "generator": ["ENGINES", "STATUSES", "ArimaGarch", "log_returns"],
        "results": ["ArmaGarchResult", "fit_arma_garch", "select_arma_garch"],
    },
)
