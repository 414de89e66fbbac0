"""The LSTM generator's choices, without importing torch or Lightning.

A generator is built (and its config checked) by every run that lists it, even one
whose forecasts all come from the result cache; keeping these names here lets such a
run skip importing torch and Lightning (seconds) altogether.
"""

from __future__ import annotations

import importlib.util

__all__ = [
    "ACTIVATION_NAMES",
    "BATCHING",
    "BIAS_NAMES",
    "LOGGERS",
    "LOSS_NAMES",
    "PRECISION_NAMES",
    "check_logger",
]

#: Training losses (see :mod:`aisfolio.strategies.lstm.losses`).
LOSS_NAMES = ("madl", "gmadl", "mse")

#: Output activations (see :data:`aisfolio.strategies.lstm.network.ACTIVATIONS`).
ACTIVATION_NAMES = ("linear", "relu", "inverted_relu")

#: Initial biases (see :func:`aisfolio.strategies.lstm.network.initial_state`).
BIAS_NAMES = ("keras", "torch")

#: Training precisions (see :func:`aisfolio.strategies.lstm.training.resolve_precision`).
PRECISION_NAMES = ("32-true", "bf16-mixed", "auto")

#: Ways to train a walk-forward's models (see :class:`aisfolio.strategies.lstm.LSTMGenerator`).
BATCHING = ("auto", "padded", "list", "none")

#: Lightning loggers and the packages each needs (any one of them).
LOGGERS: dict[str, tuple[str, ...]] = {
    "csv": (),
    "tensorboard": ("tensorboard", "tensorboardX"),
    "mlflow": ("mlflow",),
    "none": (),
}


def check_logger(kind: str) -> None:
    """Refuse an unknown logger, or one whose package is not installed, with the fix."""
    if kind not in LOGGERS:
        raise ValueError(f"logger must be one of {list(LOGGERS)}, got '{kind}'")
    packages = LOGGERS[kind]
    if packages and not any(importlib.util.find_spec(name) for name in packages):
        raise ValueError(
            f"logger '{kind}' needs the {' or '.join(packages)} package: "
            f"pip install 'aisfolio[{kind}]'"
        )
