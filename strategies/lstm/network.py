"""Many independent stacked LSTM regressors evaluated as one batched network.

Model ``m`` has its own weights (slice ``m`` of every parameter), initialized from its
own seed, so a model's numbers do not depend on which other models share the batch:
training M models together with the sum of their losses gives each the same updates
as training it alone (Adam is elementwise), up to floating-point summation order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "BatchedLSTM"]

#: Output activations: linear (long/short), relu (long-only), inverted relu (short-only).
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "inverted_relu": lambda x: -torch.relu(-x),
}


class BatchedLSTM(nn.Module):
    """M stacked LSTMs (tanh cells) with a one-unit dense head.

    Parameters
    ----------
    seeds : sequence of int
        One seed per model; model ``m``'s initial weights come from ``seeds[m]`` only.
    input_size : int
        Features per time step.
    hidden_sizes : sequence of int
        Units of each LSTM layer (paper: 512, 256, 128).
    activation : {"linear", "relu", "inverted_relu"}
        Output activation.
    """

    def __init__(
        self,
        seeds: Sequence[int],
        input_size: int,
        hidden_sizes: Sequence[int],
        activation: str = "linear",
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got '{activation}'")
        self.hidden_sizes = [int(h) for h in hidden_sizes]
        self.activation = activation
        sizes = [input_size, *self.hidden_sizes]
        # PyTorch's LSTM initialization: uniform within +-1/sqrt(hidden units).
        shapes: list[tuple[int, ...]] = []
        bounds: list[float] = []
        for inputs, hidden in itertools.pairwise(sizes):
            shapes += [(4 * hidden, inputs), (4 * hidden, hidden), (4 * hidden,)]
            bounds += [1 / math.sqrt(hidden)] * 3
        shapes += [(1, sizes[-1]), (1,)]
        bounds += [1 / math.sqrt(sizes[-1])] * 2
        per_model = [self._initial(seed, shapes, bounds) for seed in seeds]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([model[i] for model in per_model])) for i in range(len(shapes))
        )

    @staticmethod
    def _initial(
        seed: int, shapes: list[tuple[int, ...]], bounds: list[float]
    ) -> list[torch.Tensor]:
        generator = torch.Generator().manual_seed(int(seed))
        return [
            (torch.rand(shape, generator=generator) * 2 - 1) * bound
            for shape, bound in zip(shapes, bounds, strict=True)
        ]

    @property
    def n_models(self) -> int:
        """Number of models in the batch."""
        return int(self.weights[0].shape[0])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predictions of shape (models, samples) from inputs (models, samples, steps, features)."""
        models, samples, steps, _ = inputs.shape
        sequence = inputs
        for layer, hidden in enumerate(self.hidden_sizes):
            w_input, w_hidden, bias = self.weights[3 * layer : 3 * layer + 3]
            flat = sequence.reshape(models, samples * steps, -1)
            projected = torch.baddbmm(bias.unsqueeze(1), flat, w_input.transpose(1, 2))
            projected = projected.reshape(models, samples, steps, 4 * hidden)
            h = inputs.new_zeros(models, samples, hidden)
            c = inputs.new_zeros(models, samples, hidden)
            outputs = []
            for step in range(steps):
                gates = projected[:, :, step] + torch.bmm(h, w_hidden.transpose(1, 2))
                i, f, g, o = gates.chunk(4, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outputs.append(h)
            sequence = torch.stack(outputs, dim=2)
        w_head, b_head = self.weights[-2], self.weights[-1]
        out = torch.baddbmm(b_head.unsqueeze(1), h, w_head.transpose(1, 2)).squeeze(-1)
        return ACTIVATIONS[self.activation](out)

    def l2_penalty(self) -> torch.Tensor:
        """Sum of squared weights (not biases) per model, shape (models,)."""
        kernels = [w for w in self.weights if w.dim() == 3]
        return sum(w.pow(2).sum(dim=(1, 2)) for w in kernels)  # type: ignore[return-value]

    def model_state(self, model: int) -> list[torch.Tensor]:
        """A copy of one model's weights."""
        return [w.detach()[model].clone() for w in self.weights]

    def load_model_state(self, model: int, state: Sequence[torch.Tensor]) -> None:
        """Overwrite one model's weights."""
        with torch.no_grad():
            for w, value in zip(self.weights, state, strict=True):
                w[model] = value
