"""The default (fast) engine: joint MLE with warm starts, exact gradients, reused search work.

An engine makes *tracks*: the walk-forward state of one asset. A track answers four
questions about a window of returns (percent log returns, oldest first):

- ``select(x)``: fit every candidate order, return the best one by the criterion;
- ``refit(x, model)``: re-estimate ``model``'s parameters on a new window (same orders);
- ``cold(x, p, q)``: fit one order from scratch (the ARMA(0, 0) fallback);
- ``forecast(model, x)``: run the model's recursions over ``x`` with fixed parameters and
  return the mean and variance of the next return, the log-likelihood of ``x`` and the
  number of returns in it.

Fits that fail return ``None``; the generator decides what to fall back on. An order
search spreads its fits over the processes that the execution layer grants the running
job (:func:`aisfolio.strategies.execution.processes.process_dataflow`; none outside it), with the
same results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aisfolio.strategies.arima_garch.fitting import (
    CRITERIA,
    Fit,
    fit_cold,
    refit_modes,
    search_orders,
    select,
)
from aisfolio.strategies.arima_garch.kernels import Kernel
from aisfolio.strategies.arima_garch.model import Spec, Window, natural
from aisfolio.strategies.execution.processes import process_dataflow

__all__ = ["FastEngine", "FastModel", "Selection"]


@dataclass(frozen=True)
class FastModel:
    """A fitted ARMA-GARCH of the fast engine."""

    fit: Fit

    @property
    def order(self) -> tuple[int, int]:
        return self.fit.spec.p, self.fit.spec.q

    @property
    def params(self) -> dict[str, float]:
        """Natural parameters in the window's units (percent returns)."""
        return dict(
            zip(self.fit.spec.names, natural(self.fit.u, self.fit.spec).tolist(), strict=True)
        )

    @property
    def loglik(self) -> float:
        return -self.fit.nll

    @property
    def evaluations(self) -> int:
        return self.fit.evaluations + sum(mode.evaluations for mode in self.fit.modes)


@dataclass(frozen=True)
class Selection:
    """Outcome of an order search."""

    model: FastModel | None
    criteria: dict[tuple[int, int], float]
    failed: int
    evaluations: int


@dataclass
class FastTrack:
    """Walk-forward state of one asset: the last search's fits (warm starts for the next
    search) and nothing else; the generator keeps the last good model."""

    engine: FastEngine
    previous: dict[tuple[int, int], Fit] | None = field(default=None)

    def _window(self, x: np.ndarray) -> Window:
        return Window.of(x, self.engine.max_p)

    def select(self, x: np.ndarray) -> Selection:
        engine = self.engine
        try:
            window = self._window(x)
        except ValueError:
            return Selection(None, {}, 1, 0)
        fits = search_orders(
            window,
            engine.max_p,
            engine.max_q,
            engine.distribution,
            previous=self.previous,
            max_iter=engine.max_iter,
            dataflow=process_dataflow(),
            kernel=engine.kernel,
        )
        self.previous = fits
        order, criteria = select(fits, engine.criterion, window.n)
        failed = sum(not fit.converged for fit in fits.values())
        evaluations = sum(fit.evaluations for fit in fits.values())
        best = fits[order]
        return Selection(FastModel(best) if best.converged else None, criteria, failed, evaluations)

    def refit(self, x: np.ndarray, model: FastModel) -> FastModel | None:
        try:
            window = self._window(x)
        except ValueError:
            return None
        fit = refit_modes(window, model.fit, self.engine.max_iter, self.engine.kernel)
        return FastModel(fit) if fit.converged else None

    def cold(self, x: np.ndarray, p: int, q: int) -> FastModel | None:
        try:
            window = self._window(x)
        except ValueError:
            return None
        engine = self.engine
        fit = fit_cold(window, Spec(p, q, engine.distribution), engine.max_iter, engine.kernel)
        return FastModel(fit) if fit.converged else None

    def forecast(self, model: FastModel, x: np.ndarray) -> tuple[float, float, float, int]:
        spec = model.fit.spec
        window = self._window(x)
        state = self.engine.kernel.filter_window(natural(model.fit.u, spec), window, spec)
        mean, variance = state.forecast()
        return mean, variance, state.loglik, window.n


@dataclass(frozen=True)
class FastEngine:
    """Joint MLE of ARMA(p, q)-GARCH(1, 1) (see :mod:`aisfolio.strategies.arima_garch.fitting`).

    Parameters
    ----------
    max_p, max_q : int
        Largest orders searched; every likelihood conditions on the first ``max_p``
        returns of its window.
    criterion : {"aic", "bic", "hqc"}
    distribution : {"normal", "t"}
    max_iter : int
        BFGS iterations per start before a fit counts as failed.
    kernel : Kernel, default Kernel.COMPILED
        Computes the likelihood, its gradient and the filter (numba, or the numpy
        reference).
    """

    max_p: int
    max_q: int
    criterion: str = "aic"
    distribution: str = "normal"
    max_iter: int = 200
    kernel: Kernel = Kernel.COMPILED

    def __post_init__(self) -> None:
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got '{self.criterion}'")

    def track(self) -> FastTrack:
        """Fresh state for one asset."""
        return FastTrack(self)
