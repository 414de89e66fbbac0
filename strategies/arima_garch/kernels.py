"""Which implementation computes the likelihood, its gradient and the filter.

:attr:`Kernel.COMPILED` (numba, :mod:`aisfolio.strategies.arima_garch.compiled`) is the
default everywhere; :attr:`Kernel.NUMPY` (:mod:`aisfolio.strategies.arima_garch.model`) is
the reference it is tested against. Both give the same values to rounding (1e-10 in the
tests), so the fits, the order choices and the forecasts are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from importlib import import_module

from aisfolio.strategies.arima_garch.model import Spec, Window, neg_loglik_grad
from aisfolio.strategies.arima_garch.optimize import Minimizer

__all__ = ["Kernel"]

_NUMPY_MINIMIZER = Minimizer(neg_loglik_grad)


class Kernel(StrEnum):
    """An implementation of ``neg_loglik_grad(u, window, spec)`` and
    ``filter_window(params, window, spec)``."""

    COMPILED = "compiled"
    NUMPY = "numpy"

    @property
    def _module(self):
        name = "compiled" if self is Kernel.COMPILED else "model"
        return import_module(f"aisfolio.strategies.arima_garch.{name}")

    @property
    def minimizer(self) -> Minimizer:
        """BFGS and Hessians over the objective ``(u, *self.args(window, spec))``."""
        if self is Kernel.COMPILED:
            return self._module.MINIMIZER
        return _NUMPY_MINIMIZER

    def args(self, window: Window, spec: Spec) -> tuple:
        """The objective's arguments after ``u`` for one window and model."""
        if self is Kernel.COMPILED:
            return self._module.objective_args(window, spec)
        return window, spec

    @property
    def neg_loglik_grad(self) -> Callable:
        """Minus the log-likelihood and its gradient in the unconstrained parameters."""
        return self._module.neg_loglik_grad

    @property
    def filter_window(self) -> Callable:
        """The recursions over a window at fixed natural parameters."""
        return self._module.filter_window
