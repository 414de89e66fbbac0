"""Full-batch training of many LSTM models at once with PyTorch Lightning.

The models' data come in the layout of their network (:data:`LAYOUTS`): padded along a
leading model axis with masks, or a list of unpadded parts; the fitting and validation
parts are kept apart. One optimizer step advances every model, and each model keeps the
weights of its own best validation loss (the equivalent of Keras'
``ModelCheckpoint(save_best_only=True)``). A model whose loss becomes NaN or infinite
stops training there and is reported.
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
from strategies.lstm.network import BatchedLSTM, LSTMList
from strategies.lstm.options import LOGGERS, check_logger
from strategies.run_context import RUN_DIR_VARIABLE

__all__ = [
    "LAYOUTS",
    "LOGGERS",
    "RUN_DIR_VARIABLE",
    "ListedPart",
    "PaddedPart",
    "TrainingData",
    "TrainingOutcome",
    "check_logger",
    "train_models",
]


@dataclass(frozen=True)
class PaddedPart:
    """One part (fitting or validation) of M models' samples, padded to a common length N.

    Attributes
    ----------
    inputs : Tensor of shape (M, N, steps, features)
    targets : Tensor of shape (M, N)
        Realized next-bar returns.
    mask : Tensor of shape (M, N)
        1 where a sample is the model's, 0 where it is padding.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def from_pairs(cls, pairs: list[tuple[np.ndarray, np.ndarray]]) -> PaddedPart:
        """Stack per-model (inputs, targets), zero-padded to the longest."""
        steps, features = pairs[0][0].shape[1:]
        models, samples = len(pairs), max(len(targets) for _, targets in pairs)
        inputs = np.zeros((models, samples, steps, features), dtype=np.float32)
        targets = np.zeros((models, samples), dtype=np.float32)
        mask = np.zeros((models, samples), dtype=np.float32)
        for m, (x, y) in enumerate(pairs):
            inputs[m, : len(y)], targets[m, : len(y)], mask[m, : len(y)] = x, y, 1.0
        return cls(*(torch.from_numpy(a) for a in (inputs, targets, mask)))

    def as_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(inputs, targets, mask)."""
        return self.inputs, self.targets, self.mask


@dataclass(frozen=True)
class ListedPart:
    """One part of M models' samples as a list of unpadded (inputs, targets) pairs."""

    pairs: list[tuple[torch.Tensor, torch.Tensor]]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[np.ndarray, np.ndarray]]) -> ListedPart:
        """Convert per-model (inputs, targets) to float32 tensors."""
        return cls(
            [
                (
                    torch.from_numpy(np.asarray(x, np.float32)),
                    torch.from_numpy(np.asarray(y, np.float32)),
                )
                for x, y in pairs
            ]
        )

    def as_batch(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The (inputs, targets) pairs."""
        return self.pairs


@dataclass(frozen=True)
class TrainingData:
    """Training data of M models: the fitting and the validation part, in one layout.

    Keeping the parts apart means a training step runs the network on fitting samples
    only and a validation step on validation samples only.
    """

    fit: PaddedPart | ListedPart
    validation: PaddedPart | ListedPart


#: Network layouts: a batch of models with a model axis over padded samples (for GPUs),
#: or a list of fused-kernel models, each on its own samples (for CPUs).
LAYOUTS = {"padded": (BatchedLSTM, PaddedPart), "list": (LSTMList, ListedPart)}


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
    """A data set of one item: every model's full batch of one part."""

    def __init__(self, part: PaddedPart | ListedPart):
        self.part = part

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> object:
        return self.part.as_batch()


class FullBatchData(pl.LightningDataModule):
    """Lightning data module serving the stacked data as one full batch per epoch."""

    def __init__(self, data: TrainingData):
        super().__init__()
        self.data = data

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_WholeBatch(self.data.fit), batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(_WholeBatch(self.data.validation), batch_size=None)


class BatchedForecaster(pl.LightningModule):
    """Lightning module training every model of a batch together.

    Parameters
    ----------
    network : BatchedLSTM or LSTMList
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
        network: BatchedLSTM | LSTMList,
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
        self.best = [w.clone() for w in network.stacked()]

    def _loss(
        self, predicted: torch.Tensor, realized: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        if self.loss_name == "gmadl":
            return gmadl(predicted, realized, mask, self.gmadl_slope, self.gmadl_power)
        return LOSSES[self.loss_name](predicted, realized, mask)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.network.parameters(), lr=self.learning_rate)

    def training_step(self, batch: object, batch_idx: int) -> torch.Tensor:
        per_model = self.network.losses(batch, self._loss) + self.l2 * self.network.l2_penalty()
        self.diverged |= ~torch.isfinite(per_model)
        total = torch.where(self.diverged, torch.zeros_like(per_model), per_model).sum()
        self.log("train_loss", total, on_epoch=True, on_step=False, batch_size=1)
        return total

    def on_after_backward(self) -> None:
        # A diverged model is frozen: its (possibly NaN) gradients never reach Adam.
        self.network.freeze_gradients(self.diverged)

    def validation_step(self, batch: object, batch_idx: int) -> None:
        loss = self.network.losses(batch, self._loss)
        improved = torch.isfinite(loss) & (loss < self.best_validation) & ~self.diverged
        self.best_validation = torch.where(improved, loss, self.best_validation)
        for i, weight in enumerate(self.network.stacked()):
            mask = improved.view(-1, *([1] * (weight.dim() - 1)))
            self.best[i] = torch.where(mask, weight, self.best[i].to(weight.device))
        self.log(
            "validation_loss", torch.where(torch.isfinite(loss), loss, 0.0).mean(), batch_size=1
        )


def _logger(kind: str) -> pl.loggers.Logger | bool:
    check_logger(kind)
    directory = os.environ.get(RUN_DIR_VARIABLE)
    if kind == "none" or directory is None:
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(save_dir=directory, name="lightning_logs")
    if kind == "tensorboard":
        return pl.loggers.TensorBoardLogger(save_dir=directory, name="lightning_logs")
    return pl.loggers.MLFlowLogger(tracking_uri=f"file:{directory}/mlruns")


def train_models(
    fit: list[tuple[np.ndarray, np.ndarray]],
    validation: list[tuple[np.ndarray, np.ndarray]],
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
    layout: str = "padded",
) -> TrainingOutcome:
    """Train one model per (fitting part, validation part, seed) in one Lightning ``Trainer``.

    ``fit`` and ``validation`` hold each model's (inputs of shape (samples, steps,
    features), next returns); ``layout`` is a key of :data:`LAYOUTS`.

    Returns
    -------
    TrainingOutcome
        Per model: the weights of its best validation loss (its initial weights if the
        validation loss never became finite) and whether it diverged.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {list(LAYOUTS)}, got '{layout}'")
    if not len(fit) == len(validation) == len(seeds):
        raise ValueError("one fitting part, one validation part and one seed per model")
    network_class, part_class = LAYOUTS[layout]
    data = TrainingData(part_class.from_pairs(fit), part_class.from_pairs(validation))
    features = fit[0][0].shape[-1]
    network = network_class(seeds, features, hidden_sizes, activation)
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
