r"""Baseline online combiners of strategies, each O(K) per period.

- :class:`EqualWeightCombiner`: ``1 / K`` in every component, rebalanced every period
  (the uniform constant mix).
- :class:`BuyAndHoldCombiner`: equal initial wealth in each component, never rebalanced;
  the weights are the components' wealth shares (the wealth-weighted mixture of
  experts). Its wealth is the components' average wealth, so it is always within
  ``log K`` of the best component and never better than it.
- :class:`FollowTheBestCombiner`: everything in the component with the highest wealth so
  far (ties share equally).
- :class:`ExponentiatedGradientCombiner`: Helmbold, Schapire, Singer and Warmuth's EG(eta),
  :math:`b_{t+1,k} \propto b_{t,k} \exp(\eta\, x_{t,k} / b_t \cdot x_t)`, computed in log
  space. With gross returns in :math:`[r, R]` and :math:`\eta = 2 (r/R) \sqrt{2 \log K /
  T}`, its log-wealth is within :math:`(R/r)\sqrt{2 T \log K}` of the best constant mix:
  O(K) per period, but a regret of order :math:`\sqrt T` rather than Cover's
  :math:`\log T`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aisfolio.ensemble.online import OnlineCombiner, row_sums

__all__ = [
    "BuyAndHoldCombiner",
    "EqualWeightCombiner",
    "ExponentiatedGradientCombiner",
    "FollowTheBestCombiner",
]


class EqualWeightCombiner(OnlineCombiner):
    """Equal weights, rebalanced every period."""

    def __init__(self) -> None:
        pass

    def _start(self, k: int) -> np.ndarray:
        return np.full(k, 1.0 / k)

    def _advance(self, gross: np.ndarray) -> np.ndarray:
        return np.full(gross.shape, 1.0 / gross.shape[1])

    def _arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        pass


class _WealthTracking(OnlineCombiner):
    """Keeps each component's log-wealth; subclasses turn it into weights."""

    def _start(self, k: int) -> np.ndarray:
        self._component_log_wealth = np.zeros(k)
        return self._from_log_wealth(self._component_log_wealth[None, :])[0]

    def _advance(self, gross: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            growth = np.log(gross)
        growth[0] += self._component_log_wealth
        cumulative = np.cumsum(growth, axis=0, out=growth)
        self._component_log_wealth = cumulative[-1].copy()
        return self._from_log_wealth(cumulative)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"component_log_wealth": self._component_log_wealth}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._component_log_wealth = np.array(arrays["component_log_wealth"], dtype=float)

    @staticmethod
    def _from_log_wealth(log_wealth: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class BuyAndHoldCombiner(_WealthTracking):
    """Buy and hold the components from equal initial wealth (weights = wealth shares).

    When every component has lost everything, the weights fall back to equal.
    """

    def __init__(self) -> None:
        pass

    @staticmethod
    def _from_log_wealth(log_wealth: np.ndarray) -> np.ndarray:
        top = log_wealth.max(axis=1, keepdims=True)
        shares = np.exp(log_wealth - np.where(np.isfinite(top), top, 0.0))
        shares[~np.isfinite(top[:, 0])] = 1.0
        return shares / row_sums(shares)[:, None]


class FollowTheBestCombiner(_WealthTracking):
    """Everything in the component with the highest wealth so far (ties share equally)."""

    def __init__(self) -> None:
        pass

    @staticmethod
    def _from_log_wealth(log_wealth: np.ndarray) -> np.ndarray:
        best = (log_wealth == log_wealth.max(axis=1, keepdims=True)).astype(float)
        return best / best.sum(axis=1, keepdims=True)


class ExponentiatedGradientCombiner(OnlineCombiner):
    """Exponentiated gradient (EG) on the simplex of components.

    Parameters
    ----------
    learning_rate : float, default 0.05
        The step ``eta`` (> 0); Helmbold et al. found 0.05 good on NYSE stocks.
    """

    def __init__(self, learning_rate: float = 0.05):
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
        self.learning_rate = learning_rate

    def _start(self, k: int) -> np.ndarray:
        self._log_weights = np.zeros(k)
        return np.full(k, 1.0 / k)

    def _advance(self, gross: np.ndarray) -> np.ndarray:
        out = np.empty_like(gross)
        log_weights = self._log_weights
        weights = self._weights
        for t, x in enumerate(gross):
            growth = float(row_sums((weights * x)[None, :])[0])
            if growth > 0.0:
                log_weights = log_weights + self.learning_rate * (x / growth)
                log_weights -= log_weights.max()
                weights = np.exp(log_weights)
                weights /= row_sums(weights[None, :])[0]
            out[t] = weights
        self._log_weights = log_weights
        return out

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"log_weights": self._log_weights}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._log_weights = np.array(arrays["log_weights"], dtype=float)
