"""The LSTM generator: the paper's network and protocol, trained in batches."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from aisfolio.strategies.base import ChunkTask, Generator
from aisfolio.strategies.lstm.options import (
    ACTIVATION_NAMES,
    BATCHING,
    BIAS_NAMES,
    LOSS_NAMES,
    PRECISION_NAMES,
    check_logger,
)
from aisfolio.strategies.returns import simple_returns

if TYPE_CHECKING:
    import torch

    from aisfolio.strategies.lstm.training import TrainingOutcome

# torch and Lightning are imported where a model is trained or evaluated, not here: a
# run whose forecasts all come from the result cache builds this generator but never
# needs them (importing them takes seconds).

__all__ = ["BATCHING", "LSTMGenerator"]

log = logging.getLogger(__name__)

#: Rows of each forward pass that makes forecasts (see ``LSTMGenerator._predict``).
PREDICTION_ROWS = 64


#: Columns of ``training_log_`` besides :data:`aisfolio.strategies.lstm.training.TRAINING_COLUMNS`:
#: the test block's forecasts (in return units) and the verdict.
TEST_COLUMNS = (
    "forecast_std",
    "sign_changes",
    "directional_accuracy",
    "constant_sign",
    "beats_constant",
    "learned",
)


@dataclass(frozen=True)
class _Samples:
    """One training window cut into standardized sequences (targets divided by
    ``target_scale``)."""

    fit: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    mean: float
    scale: float
    target_scale: float = 1.0

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
        Training loss (see :mod:`aisfolio.strategies.lstm.losses`).
    madl_slope : float or None, default 1.0
        MADL's gradient is that of ``tanh(madl_slope * R * R_hat)``; None: the exact
        sign's, zero (as the paper's framework differentiates it: only the L2 penalty
        then moves the weights).
    gmadl_slope, gmadl_power : float
        GMADL's ``a`` and ``b``.
    scale_targets : bool, default True
        Train on next returns divided by the standard deviation of the window's fitting
        returns (the inputs' scale), so that targets and outputs are of unit scale;
        forecasts are scaled back to return units. False: raw returns (the paper).
    biases : {"keras", "torch"}, default "keras"
        Initial biases: Keras' zeros (forget gate at 1), as in the paper's framework, so
        that a new network's forecasts change sign with its inputs; or PyTorch's uniform
        draws, which give every forecast of a new network the sign of a random offset.
    l2 : float, default 1e-6
        L2 penalty on the weights (paper: 1e-6).
    activation : {"linear", "relu", "inverted_relu"}, default "linear"
        Output activation: linear for long/short, ReLU for long-only (the paper),
        inverted ReLU for short-only.
    asset_activations : mapping of str to str, optional
        Activations of some assets by name (the paper: inverted ReLU for natural gas,
        traded short-only); the others use ``activation``.
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
    precision : {"32-true", "bf16-mixed", "auto"}, default "32-true"
        Lightning's precision for training, also used for the forecasts; "auto":
        bf16-mixed where the hardware computes bf16 natively (a CPU with AVX-512 BF16 or
        AMX, a recent GPU), else 32-true.
    logger : {"csv", "tensorboard", "mlflow", "none"}, default "csv"
        Lightning logger; logs go to ``lightning_logs`` (MLflow: ``mlruns``) in the
        executor's ``log_dir`` (the CLI sets it to the run directory; from Python,
        ``Executor(log_dir=...)``, or a block under
        :func:`aisfolio.strategies.run_context.logging_into`) and are off without one.
        TensorBoard needs ``aisfolio[tensorboard]``, MLflow ``aisfolio[mlflow]``.

    Attributes
    ----------
    failure_log_ : DataFrame
        Set by :meth:`predict_batch`: models that diverged or could not train, by
        ``asset``, ``date`` (the refit date), ``kind`` (``previous_window`` or ``flat``,
        what served the forecasts) and ``count`` (seeds).
    training_log_ : DataFrame
        Set by :meth:`predict_batch`: one row per trained model (``asset``, ``window``:
        the refit date, ``seed``) with its training summary
        (:data:`aisfolio.strategies.lstm.training.TRAINING_COLUMNS`) and its test block's
        forecasts: their standard deviation, the share of consecutive forecasts that
        change sign, the share of bars whose next return has the forecast's sign (the
        block's last bar, whose next return lies beyond it, left out). ``learned`` is
        false where the forecasts keep one sign over the whole block or the best
        validation loss does not beat the best constant forecast's (a block of one
        forecast is not constant in sign).

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
        madl_slope: float | None = 1.0,
        gmadl_slope: float = 1.0,
        gmadl_power: float = 1.0,
        scale_targets: bool = True,
        biases: str = "keras",
        l2: float = 1e-6,
        dropout: float = 0.0,
        activation: str = "linear",
        asset_activations: Mapping[str, str] | None = None,
        validation_fraction: float = 0.33,
        seeds: Sequence[int] = (0,),
        batching: str = "auto",
        accelerator: str = "auto",
        precision: str = "32-true",
        logger: str = "csv",
    ):
        if loss not in LOSS_NAMES:
            raise ValueError(f"loss must be one of {list(LOSS_NAMES)}, got '{loss}'")
        asset_activations = dict(asset_activations or {})
        for name in [activation, *asset_activations.values()]:
            if name not in ACTIVATION_NAMES:
                raise ValueError(
                    f"activation must be one of {list(ACTIVATION_NAMES)}, got '{name}'"
                )
        if precision not in PRECISION_NAMES:
            raise ValueError(f"precision must be one of {list(PRECISION_NAMES)}, got '{precision}'")
        if biases not in BIAS_NAMES:
            raise ValueError(f"biases must be one of {list(BIAS_NAMES)}, got '{biases}'")
        if madl_slope is not None and not madl_slope > 0:
            raise ValueError(f"madl_slope must be positive or null, got {madl_slope}")
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
        self.madl_slope = None if madl_slope is None else float(madl_slope)
        self.gmadl_slope = float(gmadl_slope)
        self.gmadl_power = float(gmadl_power)
        self.scale_targets = bool(scale_targets)
        self.biases = biases
        self.l2 = float(l2)
        self.dropout = float(dropout)
        self.activation = activation
        self.asset_activations = {str(k): str(v) for k, v in asset_activations.items()}
        self.validation_fraction = float(validation_fraction)
        self.seeds = tuple(int(s) for s in seeds)
        self.batching = batching
        self.accelerator = accelerator
        self.precision = precision
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
        target_scale = scale if self.scale_targets else 1.0
        targets = targets / target_scale
        return _Samples(
            fit=(inputs[:n_fit], targets[:n_fit]),
            validation=(inputs[n_fit:], targets[n_fit:]),
            mean=mean,
            scale=scale,
            target_scale=target_scale,
        )

    def activation_of(self, asset: object) -> str:
        """The output activation of ``asset`` (a price series' name)."""
        return self.asset_activations.get(str(asset), self.activation)

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

        Returns one fitted copy per window: its standardization, its output activation
        and, per seed, the best-validation weights and the training summary, or None
        where the model diverged or the window is too short to train. Windows of assets
        with different activations are trained in separate groups. A window's models do
        not depend on the other windows trained with them ("list" and "none": bit for
        bit; "padded": up to rounding).
        """
        prepared = [self.samples(train) for train in trains]
        activations = [self.activation_of(getattr(train, "name", None)) for train in trains]
        jobs = [(t, s) for t, sample in enumerate(prepared) if sample.trainable for s in self.seeds]
        states: dict[tuple[int, int], list[torch.Tensor]] = {}
        summaries: dict[tuple[int, int], dict[str, float]] = {}
        if self.batching == "none":
            groups = [[job] for job in jobs]
        else:
            groups = [
                [job for job in jobs if activations[job[0]] == name]
                for name in dict.fromkeys(activations)
            ]
        for group in groups:
            if not group:
                continue
            outcome = self._train(
                [prepared[t] for t, _ in group],
                [s for _, s in group],
                activations[group[0][0]],
            )
            for index, job in enumerate(group):
                if outcome.usable[index]:
                    states[job] = outcome.states[index]
                    summaries[job] = {k: v[index].item() for k, v in outcome.summary.items()}
        fitted = []
        for t, sample in enumerate(prepared):
            model = self.clone()
            model.mean_, model.scale_ = sample.mean, sample.scale
            model.target_scale_ = sample.target_scale
            model.activation_ = activations[t]
            model.states_ = [states.get((t, seed)) for seed in self.seeds]
            model.training_ = [summaries.get((t, seed)) for seed in self.seeds]
            fitted.append(model)
        return fitted

    def predict_batch(
        self, tasks: Sequence[ChunkTask], fitted: Sequence[LSTMGenerator]
    ) -> list[np.ndarray]:
        """Average forecast of each window's seeds; a seed whose model diverged or could
        not train uses the same seed's model of the asset's previous window (NaN when
        there is none), and the number of such models is logged as a warning. Sets
        ``failure_log_`` and ``training_log_``."""
        forecasts: list[np.ndarray] = []
        last_good: dict[tuple[int, int], tuple[list[torch.Tensor], LSTMGenerator]] = {}
        failures: list[dict[str, object]] = []
        trained: list[dict[str, object]] = []
        for task, model in zip(tasks, fitted, strict=True):
            per_seed = []
            asset = str(getattr(task.history, "name", None))
            summaries = getattr(model, "training_", [None] * len(self.seeds))
            realized = log_returns(task.history)[-task.n :][
                1:
            ]  # next return of each bar but the last
            for seed, state, summary in zip(self.seeds, model.states_, summaries, strict=True):
                if state is not None:
                    last_good[task.source, seed] = (state, model)
                chosen = last_good.get((task.source, seed))
                if state is None:
                    failures.append(
                        {
                            "asset": asset,
                            "date": task.train.index[-1],
                            "kind": "previous_window" if chosen is not None else "flat",
                        }
                    )
                if chosen is None:
                    per_seed.append(np.full(task.n, np.nan))
                    continue
                inputs = chosen[1].prediction_inputs(task.history, task.n)
                per_seed.append(chosen[1]._predict(chosen[0], inputs))
                if state is not None and summary is not None:
                    trained.append(
                        {
                            "asset": asset,
                            "window": task.train.index[-1],
                            "seed": seed,
                            **summary,
                            **_test_block(per_seed[-1], realized),
                        }
                    )
            forecasts.append(np.mean(per_seed, axis=0))
        columns = ["asset", "date", "kind"]
        failed = pd.DataFrame(failures, columns=columns)
        self.failure_log_ = failed.groupby(columns, sort=False).size().rename("count").reset_index()
        self.training_log_ = _training_log(trained)
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

    def _train(self, samples: list[_Samples], seeds: list[int], activation: str) -> TrainingOutcome:
        from aisfolio.strategies.lstm.losses import make_loss
        from aisfolio.strategies.lstm.training import train_models

        return train_models(
            [s.fit for s in samples],
            [s.validation for s in samples],
            seeds,
            list(self.hidden_sizes),
            activation,
            make_loss(self.loss, self.madl_slope, self.gmadl_slope, self.gmadl_power),
            self.epochs,
            self.learning_rate,
            self.l2,
            self.accelerator,
            self.logger,
            self.layout,
            self.precision,
            self.biases,
        )

    def _predict(self, state: list[torch.Tensor], inputs: np.ndarray) -> np.ndarray:
        """Forecasts in return units of this fitted window's model ``state``."""
        import torch

        from aisfolio.strategies.lstm.network import SingleLSTM
        from aisfolio.strategies.lstm.training import resolve_precision

        network = SingleLSTM(0, 1, self.hidden_sizes, self.activation_, state=state)
        bf16 = resolve_precision(self.precision, "cpu") == "bf16-mixed"
        valid = ~np.isnan(inputs).any(axis=(1, 2))
        out = np.full(len(inputs), np.nan)
        rows = torch.from_numpy(inputs[valid].astype(np.float32))
        # Always PREDICTION_ROWS rows at a time (the last slice padded): the kernels that
        # a CPU picks, and so the rounding, may depend on the batch's size, and a bar's
        # forecast must not depend on how many bars follow it in its block.
        parts = []
        with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            for begin in range(0, len(rows), PREDICTION_ROWS):
                part = rows[begin : begin + PREDICTION_ROWS]
                batch = torch.zeros((PREDICTION_ROWS, *part.shape[1:]), dtype=part.dtype)
                batch[: len(part)] = part
                parts.append(network(batch)[: len(part)].float().numpy())
        if parts:
            out[valid] = np.concatenate(parts) * self.target_scale_
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


def _test_block(forecasts: np.ndarray, realized: np.ndarray) -> dict[str, object]:
    """How one model's forecasts of a test block behaved (see ``training_log_``), with
    ``realized`` the next return of each of the block's bars but the last."""
    finite = forecasts[np.isfinite(forecasts)]
    signs = np.sign(finite)
    hits = np.sign(forecasts[:-1]) == np.sign(realized)
    scored = np.isfinite(forecasts[:-1]) & np.isfinite(realized) & (realized != 0)
    return {
        "forecast_std": float(finite.std()) if len(finite) else np.nan,
        "sign_changes": float(np.mean(signs[1:] != signs[:-1])) if len(finite) > 1 else np.nan,
        "directional_accuracy": float(hits[scored].mean()) if scored.any() else np.nan,
        "constant_sign": bool(len(finite) > 1 and len(np.unique(signs)) == 1),
    }


def _training_log(rows: list[dict[str, object]]) -> pd.DataFrame:
    from aisfolio.strategies.lstm.training import TRAINING_COLUMNS

    columns = ["asset", "window", "seed", *TRAINING_COLUMNS, *TEST_COLUMNS]
    frame = pd.DataFrame(rows, columns=[c for c in columns if c not in TEST_COLUMNS[-2:]])
    frame["beats_constant"] = frame["best_validation_loss"] < frame["constant_validation_loss"]
    frame["learned"] = frame["beats_constant"] & ~frame["constant_sign"].astype(bool)
    return frame[columns]
