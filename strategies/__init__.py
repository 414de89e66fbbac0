"""Forecast generators, signal rules and the walk-forward engine that runs them.

Everything here works on one asset's prices on its own calendar and respects the
time convention of :mod:`aisfolio.strategies.timing`.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "arima_garch": ["ArimaGarch"],
        "base": ["ChunkTask", "Generator"],
        "generators": ["BuyAndHold", "Contrarian", "Momentum"],
        "returns": ["simple_returns"],
        "schedule": ["FREQUENCIES", "period_starts", "schedule_positions"],
        "signals": ["SignalRule"],
        "strategy": ["Strategy", "StrategyRun"],
        "timing": ["apply_decision_lag"],
        "walk_forward": ["Chunk", "WalkForward", "chunk_task", "run_chunk"],
    },
)
