"""The LSTM generator (PyTorch Lightning): walk-forward models trained one by one or as a batch."""

from strategies.lstm.generator import LSTMGenerator
from strategies.lstm.losses import LOSSES, gmadl, madl, mse
from strategies.lstm.network import ACTIVATIONS, BatchedLSTM, SingleLSTM

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
