"""Forecast generators, signal rules and the walk-forward engine that runs them.

Everything here works on one asset's prices on its own calendar and respects the
time convention of :mod:`aisfolio.strategies.timing`.
"""

from aisfolio.strategies.arima_garch import ArimaGarch
from aisfolio.strategies.base import ChunkTask, Generator
from aisfolio.strategies.generators import BuyAndHold, Contrarian, Momentum
from aisfolio.strategies.returns import simple_returns
from aisfolio.strategies.schedule import FREQUENCIES, period_starts, schedule_positions
from aisfolio.strategies.signals import SignalRule
from aisfolio.strategies.strategy import Strategy, StrategyRun
from aisfolio.strategies.timing import apply_decision_lag
from aisfolio.strategies.walk_forward import Chunk, WalkForward, chunk_task, run_chunk

__all__ = [
    "FREQUENCIES",
    "ArimaGarch",
    "BuyAndHold",
    "Chunk",
    "ChunkTask",
    "Contrarian",
    "Generator",
    "Momentum",
    "SignalRule",
    "Strategy",
    "StrategyRun",
    "WalkForward",
    "apply_decision_lag",
    "chunk_task",
    "period_starts",
    "run_chunk",
    "schedule_positions",
    "simple_returns",
]
