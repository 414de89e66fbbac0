"""An algorithmic investment strategy: a generator, a signal rule and a walk-forward plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from aisfolio.strategies.base import Generator
from aisfolio.strategies.signals import SignalRule
from aisfolio.strategies.walk_forward import WalkForward

if TYPE_CHECKING:
    from aisfolio.strategies.execution import Executor

__all__ = ["Strategy", "StrategyRun"]


@dataclass(frozen=True)
class StrategyRun:
    """Forecasts and positions of one strategy on one asset, stamped by decision date."""

    forecasts: pd.Series
    positions: pd.Series


@dataclass
class Strategy:
    """One AIS recipe, applied per asset.

    Parameters
    ----------
    generator : Generator
        Produces forecasts.
    signal : SignalRule
        Turns forecasts into positions.
    walk_forward : WalkForward
        Windows and refit calendar.
    """

    generator: Generator
    signal: SignalRule = field(default_factory=SignalRule)
    walk_forward: WalkForward = field(default_factory=WalkForward)

    def run(self, prices: pd.Series | pd.DataFrame) -> StrategyRun:
        """Walk forward over one asset's prices (its own calendar, no missing values).

        Parameters
        ----------
        prices : Series or DataFrame
            Prices of one asset, or (for a second-stage strategy) a frame on its
            calendar with a ``"price"`` column and the component forecasts.

        Returns
        -------
        StrategyRun
        """
        return self.run_many([prices])[0]

    def run_many(
        self, inputs: Sequence[pd.Series | pd.DataFrame], executor: Executor | None = None
    ) -> list[StrategyRun]:
        """:meth:`run` on several assets, their walk-forward chunks batched together.

        Parameters
        ----------
        inputs : sequence of Series or DataFrame
            One per asset.
        executor : Executor, optional
            Runs the walk-forward (backend, cache, progress); default: in this process,
            uncached (:meth:`WalkForward.run_many`). The results are the same.

        Returns
        -------
        list of StrategyRun
        """
        if executor is None:
            forecasts = self.walk_forward.run_many(self.generator, inputs)
        else:
            forecasts = executor.run(self.generator, self.walk_forward, inputs)
        return self.runs_from(forecasts)

    def runs_from(self, forecasts: Sequence[pd.Series]) -> list[StrategyRun]:
        """Positions from walk-forward forecasts (one series per asset).

        Parameters
        ----------
        forecasts : sequence of Series

        Returns
        -------
        list of StrategyRun
        """
        return [
            StrategyRun(
                forecasts=series,
                positions=pd.Series(
                    self.signal(series.to_numpy()), index=series.index, name=series.name
                ),
            )
            for series in forecasts
        ]
