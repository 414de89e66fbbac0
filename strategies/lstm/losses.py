"""Training losses of return forecasts, per model and masked.

All take predictions and realized returns of shape (models, samples) and a 0/1 mask of
the samples that count, and return one loss per model.

- MADL (mean absolute directional loss, the paper's): ``mean(-sign(R * R_hat) * |R|)``.
- GMADL (generalized MADL): ``mean(-(sigmoid(a * R * R_hat) - 0.5) * |R| ** b)``, a smooth
  version whose slope ``a`` and return exponent ``b`` are set by the user.
- MSE: ``mean((R - R_hat) ** 2)``.

MADL's gradient is zero almost everywhere (``sign`` is flat); as in the paper's
Keras implementation, the sign is differentiated through ``tanh(k x)`` with a large ``k``
(its value, not its derivative, is exact at the float level for ``|x| > 1e-6 / k``).
"""

from __future__ import annotations

import torch

__all__ = ["LOSSES", "gmadl", "madl", "masked_mean", "mse"]

#: Steepness of the smooth sign used for MADL's gradient.
SIGN_STEEPNESS = 1e4


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over samples (last axis) of the entries where ``mask`` is 1."""
    return (values * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)


def madl(predicted: torch.Tensor, realized: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute directional loss: ``mean(-sign(R * R_hat) * |R|)`` per model."""
    product = realized * predicted
    hard = torch.sign(product)
    soft = torch.tanh(SIGN_STEEPNESS * product)
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
