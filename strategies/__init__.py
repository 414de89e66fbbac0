"""Forecast generators, signal rules and the walk-forward engine that runs them.

Everything here works on one asset's prices on its own calendar and respects the
time convention of :mod:`strategies.timing`.
"""

from strategies.arima_garch import ArimaGarch
from strategies.base import ChunkTask, Generator
from strategies.generators import BuyAndHold, Contrarian, Momentum
from strategies.returns import simple_returns
from strategies.schedule import FREQUENCIES, period_starts, schedule_positions
from strategies.signals import SignalRule
from strategies.strategy import Strategy, StrategyRun
from strategies.timing import apply_decision_lag
from strategies.walk_forward import Chunk, WalkForward, chunk_task, run_chunk

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
