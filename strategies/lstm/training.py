"""Full-batch training of many LSTM models at once with PyTorch Lightning.

The models' data are stacked along a leading model axis (padded, with masks), one
optimizer step advances all of them, and each model keeps the weights of its own best
validation loss (the equivalent of Keras' ``ModelCheckpoint(save_best_only=True)``).
A model whose loss becomes NaN or infinite stops training there and is reported.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from strategies.lstm.losses import LOSSES, gmadl
from strategies.lstm.network import BatchedLSTM
from strategies.run_context import RUN_DIR_VARIABLE

__all__ = ["RUN_DIR_VARIABLE", "StackedData", "TrainingOutcome", "train_models"]


@dataclass(frozen=True)
class StackedData:
    """Training data of M models, padded to a common number of samples N.

    Attributes
    ----------
    inputs : Tensor of shape (M, N, steps, features)
    targets : Tensor of shape (M, N)
        Realized next-bar returns.
    fit_mask, validation_mask : Tensor of shape (M, N)
        1 where a sample belongs to the model's fitting or validation part.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    fit_mask: torch.Tensor
    validation_mask: torch.Tensor

    @classmethod
    def stack(
        cls,
        fit: list[tuple[np.ndarray, np.ndarray]],
        validation: list[tuple[np.ndarray, np.ndarray]],
    ) -> StackedData:
        """Pad per-model (inputs, targets) of the fitting and validation parts."""
        sizes = [len(f[1]) + len(v[1]) for f, v in zip(fit, validation, strict=True)]
        models, samples = len(sizes), max(sizes)
        steps, features = fit[0][0].shape[1:]
        inputs = np.zeros((models, samples, steps, features), dtype=np.float32)
        targets = np.zeros((models, samples), dtype=np.float32)
        fit_mask = np.zeros((models, samples), dtype=np.float32)
        validation_mask = np.zeros((models, samples), dtype=np.float32)
        for m, ((fx, fy), (vx, vy)) in enumerate(zip(fit, validation, strict=True)):
            nf, nv = len(fy), len(vy)
            inputs[m, :nf], inputs[m, nf : nf + nv] = fx, vx
            targets[m, :nf], targets[m, nf : nf + nv] = fy, vy
            fit_mask[m, :nf] = 1.0
            validation_mask[m, nf : nf + nv] = 1.0
        return cls(*(torch.from_numpy(a) for a in (inputs, targets, fit_mask, validation_mask)))


@dataclass(frozen=True)
class TrainingOutcome:
    """Best-validation weights of each model and whether its training diverged."""

    states: list[list[torch.Tensor]]
    diverged: np.ndarray
    best_validation: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """Per model: it did not diverge and reached a finite validation loss."""
        return ~self.diverged & np.isfinite(self.best_validation)


class _WholeBatch(Dataset):
    """A data set of one item: every model's full batch."""

    def __init__(self, data: StackedData):
        self.data = data

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        d = self.data
        return d.inputs, d.targets, d.fit_mask, d.validation_mask


class FullBatchData(pl.LightningDataModule):
    """Lightning data module serving the stacked data as one full batch per epoch."""

    def __init__(self, data: StackedData):
        super().__init__()
        self.data = data

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_WholeBatch(self.data), batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(_WholeBatch(self.data), batch_size=None)


class BatchedForecaster(pl.LightningModule):
    """Lightning module training every model of a :class:`BatchedLSTM` together.

    Parameters
    ----------
    network : BatchedLSTM
        The models.
    loss : {"madl", "gmadl", "mse"}
        Training and validation loss.
    learning_rate : float
        Adam's learning rate.
    l2 : float
        Weight of the L2 penalty on each model's weights (Keras-style, added to its loss).
    gmadl_slope, gmadl_power : float
        GMADL's ``a`` and ``b``.
    """

    def __init__(
        self,
        network: BatchedLSTM,
        loss: str,
        learning_rate: float,
        l2: float,
        gmadl_slope: float = 1000.0,
        gmadl_power: float = 1.0,
    ):
        super().__init__()
        self.network = network
        self.loss_name = loss
        self.learning_rate = learning_rate
        self.l2 = l2
        self.gmadl_slope = gmadl_slope
        self.gmadl_power = gmadl_power
        models = network.n_models
        self.register_buffer("diverged", torch.zeros(models, dtype=torch.bool))
        self.register_buffer("best_validation", torch.full((models,), float("inf")))
        self.best = [w.detach().clone() for w in network.weights]

    def _loss(
        self, predicted: torch.Tensor, realized: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        if self.loss_name == "gmadl":
            return gmadl(predicted, realized, mask, self.gmadl_slope, self.gmadl_power)
        return LOSSES[self.loss_name](predicted, realized, mask)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.network.parameters(), lr=self.learning_rate)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        inputs, targets, fit_mask, _ = batch
        per_model = (
            self._loss(self.network(inputs), targets, fit_mask)
            + self.l2 * self.network.l2_penalty()
        )
        self.diverged |= ~torch.isfinite(per_model)
        total = torch.where(self.diverged, torch.zeros_like(per_model), per_model).sum()
        self.log("train_loss", total, on_epoch=True, on_step=False)
        return total

    def on_after_backward(self) -> None:
        # A diverged model is frozen: its (possibly NaN) gradients never reach Adam.
        for weight in self.network.weights:
            if weight.grad is not None:
                weight.grad[self.diverged] = 0.0

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        inputs, targets, _, validation_mask = batch
        loss = self._loss(self.network(inputs), targets, validation_mask)
        improved = torch.isfinite(loss) & (loss < self.best_validation) & ~self.diverged
        self.best_validation = torch.where(improved, loss, self.best_validation)
        for i, weight in enumerate(self.network.weights):
            mask = improved.view(-1, *([1] * (weight.dim() - 1)))
            self.best[i] = torch.where(mask, weight.detach(), self.best[i].to(weight.device))
        self.log("validation_loss", torch.where(torch.isfinite(loss), loss, 0.0).mean())


def _logger(kind: str) -> pl.loggers.Logger | bool:
    directory = os.environ.get(RUN_DIR_VARIABLE)
    if kind == "none" or directory is None:
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(save_dir=directory, name="lightning_logs")
    if kind == "tensorboard":
        return pl.loggers.TensorBoardLogger(save_dir=directory, name="lightning_logs")
    if kind == "mlflow":
        return pl.loggers.MLFlowLogger(tracking_uri=f"file:{directory}/mlruns")
    raise ValueError(f"logger must be csv, tensorboard, mlflow or none, got '{kind}'")


def train_models(
    data: StackedData,
    seeds: list[int],
    hidden_sizes: list[int],
    activation: str,
    loss: str,
    epochs: int,
    learning_rate: float,
    l2: float,
    gmadl_slope: float = 1000.0,
    gmadl_power: float = 1.0,
    accelerator: str = "auto",
    logger: str = "csv",
) -> TrainingOutcome:
    """Train one model per row of ``data`` in a single Lightning ``Trainer``.

    Returns
    -------
    TrainingOutcome
        Per model: the weights of its best validation loss (its initial weights if the
        validation loss never became finite) and whether it diverged.
    """
    network = BatchedLSTM(seeds, data.inputs.shape[-1], hidden_sizes, activation)
    module = BatchedForecaster(network, loss, learning_rate, l2, gmadl_slope, gmadl_power)
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator=accelerator,
        devices=1,
        logger=_logger(logger),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )
    with warnings.catch_warnings():
        # One batch per epoch is intended; Lightning's advice about workers does not apply.
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*number of training batches.*")
        warnings.filterwarnings("ignore", message=".*treespec, LeafSpec.*")
        trainer.fit(module, datamodule=FullBatchData(data))
    best = [w.detach().cpu() for w in module.best]
    states = [[w[m].clone() for w in best] for m in range(network.n_models)]
    return TrainingOutcome(
        states=states,
        diverged=module.diverged.cpu().numpy().copy(),
        best_validation=module.best_validation.cpu().numpy().copy(),
    )
