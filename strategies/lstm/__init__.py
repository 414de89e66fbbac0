"""The LSTM generator (PyTorch Lightning): many walk-forward models trained as one batch."""

from strategies.lstm.generator import LSTMGenerator
from strategies.lstm.losses import LOSSES, gmadl, madl, mse
from strategies.lstm.network import ACTIVATIONS, BatchedLSTM

__all__ = ["ACTIVATIONS", "LOSSES", "BatchedLSTM", "LSTMGenerator", "gmadl", "madl", "mse"]
