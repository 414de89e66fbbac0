"""The LSTM generator (PyTorch Lightning): walk-forward models trained one by one or as a batch.

The generator imports torch and Lightning only when it trains or evaluates a model; the
networks and losses (which need torch) are imported from here on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from strategies.lstm.generator import LSTMGenerator

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
    "ACTIVATIONS": "strategies.lstm.network",
    "BatchedLSTM": "strategies.lstm.network",
    "SingleLSTM": "strategies.lstm.network",
    "LOSSES": "strategies.lstm.losses",
    "gmadl": "strategies.lstm.losses",
    "madl": "strategies.lstm.losses",
    "mse": "strategies.lstm.losses",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'strategies.lstm' has no attribute {name!r}")
