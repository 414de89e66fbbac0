"""Stacked LSTM regressors: many independent models as one network, or one model.

Both classes share one parameter layout, PyTorch's: per layer ``weight_ih`` (4H x inputs),
``weight_hh`` (4H x H), ``bias_ih`` and ``bias_hh`` (4H), gates in the order input,
forget, cell, output; then the dense head's weight (1 x H) and bias (1). A model's
initial weights come from its own seed only, so its numbers do not depend on which other
models share a batch: training M models together with the sum of their losses gives each
the same updates as training it alone (Adam is elementwise), up to floating-point
summation order.

:class:`BatchedLSTM` holds M models with a leading model axis and runs them as batched
matrix products on samples padded to a common length (worth it on a GPU, where one
small model leaves the device idle). :class:`SingleLSTM` is one model on
``torch.nn.LSTM``'s fused kernels, and :class:`LSTMList` advances a list of them with
one loss and one optimizer step, each on its own unpadded samples (the faster way on a
CPU, where the work is arithmetic, not launch overhead). Both batch classes offer
``losses(batch, loss)``, ``l2_penalty``, ``stacked`` and ``freeze_gradients``, which is
all the training module needs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from aisfolio.strategies.lstm.losses import Loss
from aisfolio.strategies.lstm.options import BIAS_NAMES

__all__ = ["ACTIVATIONS", "BatchedLSTM", "LSTMList", "SingleLSTM", "initial_state"]

#: Output activations: linear (long/short), relu (long-only), inverted relu (short-only).
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "inverted_relu": lambda x: -torch.relu(-x),
}


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got '{activation}'")


def _shapes(input_size: int, hidden_sizes: Sequence[int]) -> tuple[list[tuple[int, ...]], list]:
    sizes = [input_size, *hidden_sizes]
    shapes: list[tuple[int, ...]] = []
    bounds: list[float] = []
    for inputs, hidden in itertools.pairwise(sizes):
        shapes += [(4 * hidden, inputs), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]
        bounds += [1 / math.sqrt(hidden)] * 4
    shapes += [(1, sizes[-1]), (1,)]
    bounds += [1 / math.sqrt(sizes[-1])] * 2
    return shapes, bounds


def initial_state(
    seed: int, input_size: int, hidden_sizes: Sequence[int], biases: str = "torch"
) -> list[torch.Tensor]:
    """One model's initial weights, drawn from ``seed`` alone.

    The weights' distributions are PyTorch's defaults (uniform within +-1/sqrt(hidden
    units) for the LSTM, within +-1/sqrt(fan in) for the head), drawn from a private
    generator so that the global random state is neither used nor changed. ``biases``
    (one of :data:`aisfolio.strategies.lstm.options.BIAS_NAMES`): "torch" draws them like the
    weights; "keras" sets them to zero, the forget gate's to 1 (Keras'
    ``unit_forget_bias``) and the head's to 0, which starts every output at exactly zero for a zero
    input, so that the forecasts' signs follow the inputs from the first epoch instead
    of a random offset.
    """
    if biases not in BIAS_NAMES:
        raise ValueError(f"biases must be one of {list(BIAS_NAMES)}, got '{biases}'")
    generator = torch.Generator().manual_seed(int(seed))
    shapes, bounds = _shapes(input_size, hidden_sizes)
    state = [
        (torch.rand(shape, generator=generator) * 2 - 1) * bound
        for shape, bound in zip(shapes, bounds, strict=True)
    ]
    if biases == "keras":
        for layer, hidden in enumerate(hidden_sizes):
            input_bias = torch.zeros(4 * hidden)
            input_bias[hidden : 2 * hidden] = 1.0  # gates in the order input, forget, ...
            state[4 * layer + 2] = input_bias
            state[4 * layer + 3] = torch.zeros(4 * hidden)
        state[-1] = torch.zeros_like(state[-1])
    return state


class BatchedLSTM(nn.Module):
    """M stacked LSTMs (tanh cells) with a one-unit dense head, as one network.

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
    biases : {"torch", "keras"}
        Initial biases (see :func:`initial_state`).
    """

    def __init__(
        self,
        seeds: Sequence[int],
        input_size: int,
        hidden_sizes: Sequence[int],
        activation: str = "linear",
        biases: str = "torch",
    ):
        super().__init__()
        _check_activation(activation)
        self.hidden_sizes = [int(h) for h in hidden_sizes]
        self.activation = activation
        per_model = [initial_state(seed, input_size, self.hidden_sizes, biases) for seed in seeds]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack(tensors)) for tensors in zip(*per_model, strict=True)
        )

    @property
    def n_models(self) -> int:
        """Number of models in the batch."""
        return int(self.weights[0].shape[0])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predictions of shape (models, samples) from inputs (models, samples, steps, features)."""
        models, samples, steps, _ = inputs.shape
        sequence = inputs
        for layer, hidden in enumerate(self.hidden_sizes):
            w_input, w_hidden, b_input, b_hidden = self.weights[4 * layer : 4 * layer + 4]
            flat = sequence.reshape(models, samples * steps, -1)
            bias = (b_input + b_hidden).unsqueeze(1)
            projected = torch.baddbmm(bias, flat, w_input.transpose(1, 2))
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

    def losses(self, batch: tuple[torch.Tensor, ...], loss: Loss) -> torch.Tensor:
        """Per-model ``loss`` on a padded batch ``(inputs, targets, mask)``, shape (models,)."""
        inputs, targets, mask = batch
        return loss(self(inputs), targets, mask)

    def l2_penalty(self) -> torch.Tensor:
        """Sum of squared weights (not biases) per model, shape (models,)."""
        kernels = [w for w in self.weights if w.dim() == 3]
        return sum(w.pow(2).sum(dim=(1, 2)) for w in kernels)  # type: ignore[return-value]

    def stacked(self) -> list[torch.Tensor]:
        """Every parameter, detached, with the leading model axis."""
        return [w.detach() for w in self.weights]

    def load_stacked(self, stacked: Sequence[torch.Tensor]) -> None:
        """Overwrite every parameter (the layout of :meth:`stacked`)."""
        with torch.no_grad():
            for weight, value in zip(self.weights, stacked, strict=True):
                weight.copy_(value)

    def freeze_gradients(self, models: torch.Tensor) -> None:
        """Zero the gradients of the models where the boolean mask ``models`` is true."""
        for weight in self.weights:
            if weight.grad is not None:
                weight.grad[models] = 0.0


class SingleLSTM(nn.Module):
    """One stacked LSTM with a one-unit dense head on ``torch.nn.LSTM`` layers.

    Parameters
    ----------
    seed : int
        Seed of the initial weights (the same as a :class:`BatchedLSTM` model's).
    input_size : int
        Features per time step.
    hidden_sizes : sequence of int
        Units of each LSTM layer.
    activation : {"linear", "relu", "inverted_relu"}
        Output activation.
    state : sequence of Tensor, optional
        Weights to start from instead of the seed's (the shared layout).
    """

    def __init__(
        self,
        seed: int,
        input_size: int,
        hidden_sizes: Sequence[int],
        activation: str = "linear",
        state: Sequence[torch.Tensor] | None = None,
    ):
        super().__init__()
        _check_activation(activation)
        self.hidden_sizes = [int(h) for h in hidden_sizes]
        self.activation = activation
        sizes = [input_size, *self.hidden_sizes]
        self.layers = nn.ModuleList(
            nn.LSTM(inputs, hidden, batch_first=True)
            for inputs, hidden in itertools.pairwise(sizes)
        )
        self.head = nn.Linear(sizes[-1], 1)
        self.load_state(
            initial_state(seed, input_size, self.hidden_sizes) if state is None else state
        )

    def ordered_parameters(self) -> list[nn.Parameter]:
        """The parameters in the shared layout's order."""
        ordered: list[nn.Parameter] = []
        for layer in self.layers:
            ordered += [layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0]
        return [*ordered, self.head.weight, self.head.bias]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predictions of shape (samples,) from inputs (samples, steps, features)."""
        sequence = inputs
        for layer in self.layers:
            sequence, _ = layer(sequence)
        return ACTIVATIONS[self.activation](self.head(sequence[:, -1]).squeeze(-1))

    def l2_penalty(self) -> torch.Tensor:
        """Sum of squared weights (not biases), a scalar."""
        return sum(w.pow(2).sum() for w in self.ordered_parameters() if w.dim() == 2)  # type: ignore[return-value]

    def state(self) -> list[torch.Tensor]:
        """A copy of the weights in the shared layout."""
        return [w.detach().clone() for w in self.ordered_parameters()]

    def load_state(self, state: Sequence[torch.Tensor]) -> None:
        """Overwrite the weights (the shared layout)."""
        with torch.no_grad():
            for w, value in zip(self.ordered_parameters(), state, strict=True):
                w.copy_(value)


class LSTMList(nn.Module):
    """M :class:`SingleLSTM` models trained together, each on its own unpadded samples.

    Parameters
    ----------
    seeds : sequence of int
        One seed per model.
    input_size : int
        Features per time step.
    hidden_sizes : sequence of int
        Units of each LSTM layer.
    activation : {"linear", "relu", "inverted_relu"}
        Output activation.
    biases : {"torch", "keras"}
        Initial biases (see :func:`initial_state`).
    """

    def __init__(
        self,
        seeds: Sequence[int],
        input_size: int,
        hidden_sizes: Sequence[int],
        activation: str = "linear",
        biases: str = "torch",
    ):
        super().__init__()
        self.models = nn.ModuleList(
            SingleLSTM(
                seed,
                input_size,
                hidden_sizes,
                activation,
                state=initial_state(seed, input_size, hidden_sizes, biases),
            )
            for seed in seeds
        )

    @property
    def n_models(self) -> int:
        """Number of models."""
        return len(self.models)

    def losses(
        self, batch: Sequence[tuple[torch.Tensor, torch.Tensor]], loss: Loss
    ) -> torch.Tensor:
        """Per-model ``loss`` on a list of (inputs, targets), one pair per model."""
        values = [
            loss(model(inputs)[None], targets[None], torch.ones_like(targets)[None])
            for model, (inputs, targets) in zip(self.models, batch, strict=True)
        ]
        return torch.cat(values)

    def l2_penalty(self) -> torch.Tensor:
        """Sum of squared weights (not biases) per model, shape (models,)."""
        return torch.stack([model.l2_penalty() for model in self.models])

    def stacked(self) -> list[torch.Tensor]:
        """Every parameter, detached, stacked along a leading model axis."""
        per_model = [model.ordered_parameters() for model in self.models]
        return [torch.stack([w.detach() for w in ws]) for ws in zip(*per_model, strict=True)]

    def load_stacked(self, stacked: Sequence[torch.Tensor]) -> None:
        """Overwrite every model's parameters (the layout of :meth:`stacked`)."""
        for m, model in enumerate(self.models):
            model.load_state([w[m] for w in stacked])

    def freeze_gradients(self, models: torch.Tensor) -> None:
        """Zero the gradients of the models where the boolean mask ``models`` is true."""
        for model, frozen in zip(self.models, models.tolist(), strict=True):
            if frozen:
                for weight in model.ordered_parameters():
                    if weight.grad is not None:
                        weight.grad.zero_()
