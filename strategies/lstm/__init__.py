"""The LSTM generator (PyTorch Lightning): walk-forward models trained one by one or as a batch.

The generator imports torch and Lightning only when it trains or evaluates a model; the
networks and losses (which need torch) are imported from here on first use, like every
name of the package.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "generator": ["LSTMGenerator"],
        "losses": ["LOSSES", "gmadl", "madl", "mse"],
        "network": ["ACTIVATIONS", "BatchedLSTM", "SingleLSTM"],
    },
)
