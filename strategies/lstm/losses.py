"""Training losses of return forecasts, per model and masked.

All take predictions and realized returns of shape (models, samples) and a 0/1 mask of
the samples that count, and return one loss per model.

- MADL (mean absolute directional loss, the paper's): ``mean(-sign(R * R_hat) * |R|)``.
- GMADL (generalized MADL): ``mean(-(sigmoid(a * R * R_hat) - 0.5) * |R| ** b)``, a smooth
  version whose slope ``a`` and return exponent ``b`` are set by the user.
- MSE: ``mean((R - R_hat) ** 2)``.

MADL's exact gradient is zero almost everywhere (``sign`` is flat): that is how
PyTorch and TensorFlow differentiate it, so a network trained on the exact MADL gets
gradients from its L2 penalty only (``slope=None``, the paper's framework). With a
``slope`` ``k``, the loss keeps the exact sign's value and takes the gradient of the
surrogate ``tanh(k x)`` (a straight-through estimator). The surrogate saturates once
``|k R R_hat|`` exceeds a few units, where its gradient vanishes too: ``k`` must suit
the scale of ``R * R_hat`` (about 1 for standardized targets and outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch

__all__ = ["LOSSES", "Loss", "gmadl", "madl", "make_loss", "masked_mean", "mse"]

#: A loss: (predicted, realized, mask), each (models, samples) -> one value per model.
Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

#: Default steepness of the surrogate sign of MADL's gradient (for targets and outputs
#: of about unit scale).
SIGN_STEEPNESS = 1.0


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over samples (last axis) of the entries where ``mask`` is 1."""
    return (values * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)


def madl(
    predicted: torch.Tensor,
    realized: torch.Tensor,
    mask: torch.Tensor,
    slope: float | None = SIGN_STEEPNESS,
) -> torch.Tensor:
    """Mean absolute directional loss: ``mean(-sign(R * R_hat) * |R|)`` per model.

    ``slope``: the gradient is that of ``tanh(slope * R * R_hat)``; None, the exact
    sign's (zero).
    """
    product = realized * predicted
    hard = torch.sign(product)
    if slope is None:
        return masked_mean(-hard * realized.abs(), mask)
    soft = torch.tanh(slope * product)
    sign = soft + (hard - soft).detach()  # value of sign, gradient of the smooth sign
    return masked_mean(-sign * realized.abs(), mask)


def gmadl(
    predicted: torch.Tensor,
    realized: torch.Tensor,
    mask: torch.Tensor,
    slope: float = 1000.0,
    power: float = 1.0,
) -> torch.Tensor:
    """Generalized MADL: ``mean(-(sigmoid(a R R_hat) - 0.5) * |R| ** b)`` per model."""
    weight = torch.sigmoid(slope * realized * predicted) - 0.5
    return masked_mean(-weight * realized.abs() ** power, mask)


def mse(predicted: torch.Tensor, realized: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error per model."""
    return masked_mean((realized - predicted) ** 2, mask)


#: Loss name -> function.
LOSSES = {"madl": madl, "gmadl": gmadl, "mse": mse}


def make_loss(
    name: str,
    madl_slope: float | None = SIGN_STEEPNESS,
    gmadl_slope: float = 1000.0,
    gmadl_power: float = 1.0,
) -> Loss:
    """The loss ``name`` (a key of :data:`LOSSES`) with its parameters bound."""
    if name == "madl":
        return partial(madl, slope=madl_slope)
    if name == "gmadl":
        return partial(gmadl, slope=gmadl_slope, power=gmadl_power)
    if name in LOSSES:
        return LOSSES[name]
    raise ValueError(f"loss must be one of {list(LOSSES)}, got '{name}'")
