"""The LSTM generator (PyTorch Lightning): walk-forward models trained one by one or as a batch.

The generator imports torch and Lightning only when it trains or evaluates a model; the
networks and losses (which need torch) are imported from here on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from aisfolio.strategies.lstm.generator import LSTMGenerator

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "BatchedLSTM",
    "LSTMGenerator",
    "SingleLSTM",
    "gmadl",
    "madl",
    "mse",
]

_LAZY = {
    "ACTIVATIONS": "aisfolio.strategies.lstm.network",
    "BatchedLSTM": "aisfolio.strategies.lstm.network",
    "SingleLSTM": "aisfolio.strategies.lstm.network",
    "LOSSES": "aisfolio.strategies.lstm.losses",
    "gmadl": "aisfolio.strategies.lstm.losses",
    "madl": "aisfolio.strategies.lstm.losses",
    "mse": "aisfolio.strategies.lstm.losses",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'aisfolio.strategies.lstm' has no attribute {name!r}")
