"""The LSTM generator: the paper's network and protocol, trained in batches."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from strategies.base import ChunkTask, Generator
from strategies.lstm.options import ACTIVATION_NAMES, BATCHING, LOSS_NAMES, check_logger
from strategies.returns import simple_returns

if TYPE_CHECKING:
    import torch

    from strategies.lstm.training import TrainingOutcome

# torch and Lightning are imported where a model is trained or evaluated, not here: a
# run whose forecasts all come from the result cache builds this generator but never
# needs them (importing them takes seconds).

__all__ = ["BATCHING", "LSTMGenerator"]

log = logging.getLogger(__name__)

#: Rows of each forward pass that makes forecasts (see ``LSTMGenerator._predict``).
PREDICTION_ROWS = 64


@dataclass(frozen=True)
class _Samples:
    """One training window cut into standardized sequences."""

    fit: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    mean: float
    scale: float

    @property
    def trainable(self) -> bool:
        return len(self.fit[1]) >= 2 and len(self.validation[1]) >= 1


def log_returns(prices: pd.Series | pd.DataFrame) -> np.ndarray:
    """Log returns of one asset's prices (NaN first)."""
    series = prices["price"] if isinstance(prices, pd.DataFrame) else prices
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log1p(simple_returns(series).to_numpy(dtype=float))


class LSTMGenerator(Generator):
    """Forecast the next log return from the last ``sequence_length`` log returns.

    Stacked LSTM layers (tanh) with a one-unit dense head, trained full-batch with Adam
    on one walk-forward training window. The last ``validation_fraction`` of the
    window's samples (chronological, never shuffled) is the validation set, and the
    weights with the best validation loss make the forecasts. Inputs are standardized
    with the mean and standard deviation of the fitting part of the window only.
    All windows (of every asset) and seeds of a walk-forward are trained together, one
    optimizer step advancing every model (``batching``), or one by one with a
    ``Trainer`` each; the forecasts are the same up to floating-point rounding.

    Parameters
    ----------
    hidden_sizes : sequence of int, default (32, 16)
        LSTM layer widths (paper: 512, 256, 128).
    sequence_length : int, default 10
        Past returns per input sequence.
    epochs : int, default 30
        Full-batch epochs (paper: 300).
    learning_rate : float, default 0.001
        Adam's learning rate.
    loss : {"madl", "gmadl", "mse"}, default "madl"
        Training loss (see :mod:`strategies.lstm.losses`).
    gmadl_slope, gmadl_power : float
        GMADL's ``a`` and ``b``.
    l2 : float, default 1e-6
        L2 penalty on the weights (paper: 1e-6).
    activation : {"linear", "relu", "inverted_relu"}, default "linear"
        Output activation: linear for long/short, ReLU for long-only (the paper),
        inverted ReLU for short-only.
    validation_fraction : float, default 0.33
        Share of each window's samples used for validation (the most recent ones).
    seeds : sequence of int, default (0,)
        One model per seed; their forecasts are averaged. The same seed gives the same
        initial weights in every window.
    batching : {"auto", "padded", "list", "none"}, default "auto"
        How the models of a walk-forward are trained: "padded", as one network with a
        model axis over samples padded to a common length (for GPUs); "list", as a list
        of ``torch.nn.LSTM`` models advanced by one optimizer step, each on its own
        samples (for CPUs); "none", one ``Trainer`` per model; "auto", "padded" on a GPU
        and "list" otherwise (docs/benchmarks.md).
    accelerator : str, default "auto"
        Lightning accelerator ("cpu", "gpu", "auto": CUDA when present).
    logger : {"csv", "tensorboard", "mlflow", "none"}, default "csv"
        Lightning logger; logs go to ``$AISFOLIO_RUN_DIR/lightning_logs`` (MLflow:
        ``$AISFOLIO_RUN_DIR/mlruns``; the CLI sets the variable to the run directory) and
        are off when the variable is not set. TensorBoard needs ``aisfolio[tensorboard]``,
        MLflow ``aisfolio[mlflow]``.

    Attributes
    ----------
    failure_log_ : DataFrame
        Set by :meth:`predict_batch`: models that diverged or could not train, by
        ``asset``, ``date`` (the refit date), ``kind`` (``previous_window`` or ``flat``,
        what served the forecasts) and ``count`` (seeds).

    Notes
    -----
    A model whose training loss becomes NaN or infinite stops training; its window
    is then forecast by the previous window's model of the same asset, or left flat
    (NaN forecast) when there is none, and the event is logged as a warning. Dropout is
    not implemented (the paper uses none): a ``dropout`` other than 0 is refused.
    """

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (32, 16),
        sequence_length: int = 10,
        epochs: int = 30,
        learning_rate: float = 0.001,
        loss: str = "madl",
        gmadl_slope: float = 1000.0,
        gmadl_power: float = 1.0,
        l2: float = 1e-6,
        dropout: float = 0.0,
        activation: str = "linear",
        validation_fraction: float = 0.33,
        seeds: Sequence[int] = (0,),
        batching: str = "auto",
        accelerator: str = "auto",
        logger: str = "csv",
    ):
        if loss not in LOSS_NAMES:
            raise ValueError(f"loss must be one of {list(LOSS_NAMES)}, got '{loss}'")
        if activation not in ACTIVATION_NAMES:
            raise ValueError(
                f"activation must be one of {list(ACTIVATION_NAMES)}, got '{activation}'"
            )
        if dropout != 0.0:
            raise ValueError("dropout is not supported (the paper uses 0)")
        if not 0.0 < validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be within (0, 1), got {validation_fraction}"
            )
        check_logger(logger)
        if batching not in BATCHING:
            raise ValueError(f"batching must be one of {list(BATCHING)}, got '{batching}'")
        if sequence_length < 1 or epochs < 1 or not hidden_sizes or not seeds:
            raise ValueError(
                "sequence_length, epochs, hidden_sizes and seeds must be positive / non-empty"
            )
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.sequence_length = int(sequence_length)
        self.epochs = int(epochs)
        self.learning_rate = float(learning_rate)
        self.loss = loss
        self.gmadl_slope = float(gmadl_slope)
        self.gmadl_power = float(gmadl_power)
        self.l2 = float(l2)
        self.dropout = float(dropout)
        self.activation = activation
        self.validation_fraction = float(validation_fraction)
        self.seeds = tuple(int(s) for s in seeds)
        self.batching = batching
        self.accelerator = accelerator
        self.logger = logger

    @property
    def min_history(self) -> int:  # type: ignore[override]
        """One forecast needs ``sequence_length`` returns, so one price more."""
        return self.sequence_length + 1

    def samples(self, train: pd.Series | pd.DataFrame) -> _Samples:
        """Standardized (inputs, next return) pairs of a training window, split in time.

        Every target lies inside the window: the last bar's next return is unknown at
        the refit date and is never used.
        """
        returns = log_returns(train)[1:]
        steps = self.sequence_length
        count = len(returns) - steps  # windows ending at returns[steps-1 .. len-2]
        if count < 3:
            empty = np.zeros((0, steps, 1)), np.zeros(0)
            return _Samples(empty, empty, 0.0, 1.0)
        windows = sliding_window_view(returns, steps)[:count]
        targets = returns[steps : steps + count]
        n_fit = count - max(1, round(self.validation_fraction * count))
        fitted_returns = returns[: n_fit + steps - 1]
        mean, scale = float(fitted_returns.mean()), float(fitted_returns.std())
        scale = scale if scale > 0 else 1.0
        inputs = ((windows - mean) / scale)[..., None]
        return _Samples(
            fit=(inputs[:n_fit], targets[:n_fit]),
            validation=(inputs[n_fit:], targets[n_fit:]),
            mean=mean,
            scale=scale,
        )

    def prediction_inputs(self, history: pd.Series | pd.DataFrame, n: int) -> np.ndarray:
        """Standardized (with the fitted window's statistics) last ``sequence_length``
        returns at each of the last ``n`` bars (NaN rows where the history is too short)."""
        returns = log_returns(history)
        steps = self.sequence_length
        out = np.full((n, steps, 1), np.nan)
        for i, end in enumerate(range(len(returns) - n, len(returns))):
            if end - steps + 1 >= 1:
                out[i, :, 0] = (returns[end - steps + 1 : end + 1] - self.mean_) / self.scale_
        return out

    def fit_batch(self, trains: Sequence[pd.Series | pd.DataFrame]) -> list[LSTMGenerator]:
        """Train one model per (window, seed), together or one by one.

        Returns one fitted copy per window: its standardization and, per seed, the
        best-validation weights, or None where the model diverged or the window is too
        short to train. A window's models do not depend on the other windows trained
        with them ("list" and "none": bit for bit; "padded": up to rounding).
        """
        prepared = [self.samples(train) for train in trains]
        jobs = [(t, s) for t, sample in enumerate(prepared) if sample.trainable for s in self.seeds]
        states: dict[tuple[int, int], list[torch.Tensor]] = {}
        groups = [[job] for job in jobs] if self.batching == "none" else [jobs]
        for group in groups:
            if not group:
                continue
            outcome = self._train(
                [prepared[t] for t, _ in group], [s for _, s in group], self.layout
            )
            for index, job in enumerate(group):
                if outcome.usable[index]:
                    states[job] = outcome.states[index]
        fitted = []
        for t, sample in enumerate(prepared):
            model = self.clone()
            model.mean_, model.scale_ = sample.mean, sample.scale
            model.states_ = [states.get((t, seed)) for seed in self.seeds]
            fitted.append(model)
        return fitted

    def predict_batch(
        self, tasks: Sequence[ChunkTask], fitted: Sequence[LSTMGenerator]
    ) -> list[np.ndarray]:
        """Average forecast of each window's seeds; a seed whose model diverged or could
        not train uses the same seed's model of the asset's previous window (NaN when
        there is none), and the number of such models is logged as a warning."""
        forecasts: list[np.ndarray] = []
        last_good: dict[tuple[int, int], tuple[list[torch.Tensor], LSTMGenerator]] = {}
        failures: list[dict[str, object]] = []
        for task, model in zip(tasks, fitted, strict=True):
            per_seed = []
            for seed, state in zip(self.seeds, model.states_, strict=True):
                if state is not None:
                    last_good[task.source, seed] = (state, model)
                chosen = last_good.get((task.source, seed))
                if state is None:
                    failures.append(
                        {
                            "asset": str(getattr(task.history, "name", None)),
                            "date": task.train.index[-1],
                            "kind": "previous_window" if chosen is not None else "flat",
                        }
                    )
                if chosen is None:
                    per_seed.append(np.full(task.n, np.nan))
                    continue
                inputs = chosen[1].prediction_inputs(task.history, task.n)
                per_seed.append(self._predict(chosen[0], inputs))
            forecasts.append(np.mean(per_seed, axis=0))
        columns = ["asset", "date", "kind"]
        failed = pd.DataFrame(failures, columns=columns)
        self.failure_log_ = failed.groupby(columns, sort=False).size().rename("count").reset_index()
        if failures:
            log.warning(
                "LSTM: %d of %d models diverged or could not train; their windows use the "
                "previous window's model (or stay flat)",
                len(failures),
                len(tasks) * len(self.seeds),
            )
        return forecasts

    @property
    def layout(self) -> str:
        """The network layout that :meth:`fit_predict_batch` trains with."""
        if self.batching == "padded":
            return "padded"
        if self.batching == "auto":
            import torch

            on_gpu = self.accelerator in ("gpu", "cuda") or (
                self.accelerator == "auto" and torch.cuda.is_available()
            )
            return "padded" if on_gpu else "list"
        return "list"

    def _train(self, samples: list[_Samples], seeds: list[int], layout: str) -> TrainingOutcome:
        from strategies.lstm.training import train_models

        return train_models(
            [s.fit for s in samples],
            [s.validation for s in samples],
            seeds,
            list(self.hidden_sizes),
            self.activation,
            self.loss,
            self.epochs,
            self.learning_rate,
            self.l2,
            self.gmadl_slope,
            self.gmadl_power,
            self.accelerator,
            self.logger,
            layout,
        )

    def _predict(self, state: list[torch.Tensor], inputs: np.ndarray) -> np.ndarray:
        import torch

        from strategies.lstm.network import SingleLSTM

        network = SingleLSTM(0, 1, self.hidden_sizes, self.activation, state=state)
        valid = ~np.isnan(inputs).any(axis=(1, 2))
        out = np.full(len(inputs), np.nan)
        rows = torch.from_numpy(inputs[valid].astype(np.float32))
        # Always PREDICTION_ROWS rows at a time (the last slice padded): the kernels that
        # a CPU picks, and so the rounding, may depend on the batch's size, and a bar's
        # forecast must not depend on how many bars follow it in its block.
        parts = []
        with torch.no_grad():
            for begin in range(0, len(rows), PREDICTION_ROWS):
                part = rows[begin : begin + PREDICTION_ROWS]
                batch = torch.zeros((PREDICTION_ROWS, *part.shape[1:]), dtype=part.dtype)
                batch[: len(part)] = part
                parts.append(network(batch)[: len(part)].numpy())
        if parts:
            out[valid] = np.concatenate(parts)
        return out

    def fit(self, train: pd.Series | pd.DataFrame) -> LSTMGenerator:
        """Train this window's models (one per seed); see :meth:`fit_batch`."""
        vars(self).update(
            {k: v for k, v in vars(self.fit_batch([train])[0]).items() if k.endswith("_")}
        )
        return self

    def predict_block(self, history: pd.Series | pd.DataFrame, n: int) -> np.ndarray:
        """Average forecast of the seeds that trained for the last ``n`` bars (NaN if none)."""
        states = [state for state in self.states_ if state is not None]
        if not states:
            return np.full(n, np.nan)
        inputs = self.prediction_inputs(history, n)
        return np.mean([self._predict(state, inputs) for state in states], axis=0)
