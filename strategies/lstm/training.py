"""Full-batch training of many LSTM models at once with PyTorch Lightning.

The models' data come in the layout of their network (:data:`LAYOUTS`): padded along a
leading model axis with masks, or a list of unpadded parts; the fitting and validation
parts are kept apart. One optimizer step advances every model, and each model keeps the
weights of its own best validation loss (the equivalent of Keras'
``ModelCheckpoint(save_best_only=True)``). A model whose loss becomes NaN or infinite
stops training there and is reported. Each model's training is summarized in
:data:`TRAINING_COLUMNS` (its losses before training and at its best epoch, next to the
validation losses of the best constant and of the zero forecast), so that a model
that did not learn shows it.
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from aisfolio.strategies.lstm.losses import Loss, make_loss
from aisfolio.strategies.lstm.network import BatchedLSTM, LSTMList
from aisfolio.strategies.lstm.options import LOGGERS, PRECISION_NAMES, check_logger
from aisfolio.strategies.run_context import TRAINING_LOGS, log_directory

__all__ = [
    "LAYOUTS",
    "LOGGERS",
    "TRAINING_COLUMNS",
    "ListedPart",
    "PaddedPart",
    "TrainingData",
    "TrainingOutcome",
    "check_logger",
    "resolve_precision",
    "train_models",
]

#: Per model, what its training did (losses in the units of its training targets):
#: before training, at the epoch of its best validation loss (1-based), and the
#: validation losses of the best constant forecast (in hindsight) and of a zero one.
TRAINING_COLUMNS = (
    "epochs",
    "best_epoch",
    "initial_fit_loss",
    "initial_validation_loss",
    "best_fit_loss",
    "best_validation_loss",
    "constant_validation_loss",
    "zero_validation_loss",
)


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
    """Best-validation weights of each model, whether its training diverged, and its
    training summary (:data:`TRAINING_COLUMNS` -> one value per model)."""

    states: list[list[torch.Tensor]]
    diverged: np.ndarray
    best_validation: np.ndarray
    summary: dict[str, np.ndarray]

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
    loss : callable
        Training and validation loss (:func:`aisfolio.strategies.lstm.losses.make_loss`).
    learning_rate : float
        Adam's learning rate.
    l2 : float
        Weight of the L2 penalty on each model's weights (Keras-style, added to its loss).
    """

    def __init__(
        self, network: BatchedLSTM | LSTMList, loss: Loss, learning_rate: float, l2: float
    ):
        super().__init__()
        self.network = network
        self.loss = loss
        self.learning_rate = learning_rate
        self.l2 = l2
        models = network.n_models
        self.register_buffer("diverged", torch.zeros(models, dtype=torch.bool))
        self.register_buffer("best_validation", torch.full((models,), float("inf")))
        self.register_buffer("best_epoch", torch.zeros(models, dtype=torch.long))
        self.best = [w.clone() for w in network.stacked()]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.network.parameters(), lr=self.learning_rate)

    def training_step(self, batch: object, batch_idx: int) -> torch.Tensor:
        per_model = self.network.losses(batch, self.loss).float()
        per_model = per_model + self.l2 * self.network.l2_penalty()
        self.diverged |= ~torch.isfinite(per_model)
        total = torch.where(self.diverged, torch.zeros_like(per_model), per_model).sum()
        self.log("train_loss", total, on_epoch=True, on_step=False, batch_size=1)
        return total

    def on_after_backward(self) -> None:
        # A diverged model is frozen: its (possibly NaN) gradients never reach Adam.
        self.network.freeze_gradients(self.diverged)

    def validation_step(self, batch: object, batch_idx: int) -> None:
        loss = self.network.losses(batch, self.loss).float()
        improved = torch.isfinite(loss) & (loss < self.best_validation) & ~self.diverged
        self.best_validation = torch.where(improved, loss, self.best_validation)
        self.best_epoch = torch.where(improved, self.current_epoch + 1, self.best_epoch)
        for i, weight in enumerate(self.network.stacked()):
            mask = improved.view(-1, *([1] * (weight.dim() - 1)))
            self.best[i] = torch.where(mask, weight, self.best[i].to(weight.device))
        self.log(
            "validation_loss", torch.where(torch.isfinite(loss), loss, 0.0).mean(), batch_size=1
        )


def resolve_precision(precision: str, accelerator: str = "auto") -> str:
    """The Lightning precision a setting of
    :data:`aisfolio.strategies.lstm.options.PRECISION_NAMES` stands for here.

    "auto" is "bf16-mixed" on a CUDA GPU that computes bf16 and on a CPU with native
    bf16 arithmetic (AVX-512 BF16 or AMX), where it is faster than float32 for large
    networks; "32-true" elsewhere (a CPU without it emulates bf16, slower than float32).
    """
    if precision not in PRECISION_NAMES:
        raise ValueError(f"precision must be one of {list(PRECISION_NAMES)}, got '{precision}'")
    if precision != "auto":
        return precision
    on_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    if on_gpu:
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true"
    return "bf16-mixed" if _cpu_computes_bf16() else "32-true"


@functools.cache
def _cpu_computes_bf16() -> bool:  # read once: every forecast block asks
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = next((line for line in info if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _targets_and_mask(part: PaddedPart | ListedPart) -> tuple[torch.Tensor, torch.Tensor]:
    """A part's targets and mask, each (models, samples), padded with zeros."""
    if isinstance(part, PaddedPart):
        return part.targets, part.mask
    longest = max(len(targets) for _, targets in part.pairs)
    targets = torch.zeros(len(part.pairs), longest)
    mask = torch.zeros(len(part.pairs), longest)
    for m, (_, values) in enumerate(part.pairs):
        targets[m, : len(values)], mask[m, : len(values)] = values, 1.0
    return targets, mask


def _constant_losses(part: PaddedPart | ListedPart, loss: Loss) -> tuple[np.ndarray, np.ndarray]:
    """Per model: the loss of the best constant forecast (over a grid of constants of
    either sign spanning the targets' scale) and of the zero forecast."""
    targets, mask = _targets_and_mask(part)
    count = mask.sum(-1).clamp(min=1.0)
    scale = ((targets**2 * mask).sum(-1) / count).sqrt().clamp(min=1e-12)
    magnitudes = torch.logspace(-4, 1, 51)
    constants = torch.cat([-magnitudes.flip(0), torch.zeros(1), magnitudes])
    predicted = constants[:, None, None] * scale[None, :, None] * torch.ones_like(targets)
    with torch.no_grad():
        values = loss(
            predicted, targets[None].expand_as(predicted), mask[None].expand_as(predicted)
        )
        zero = loss(torch.zeros_like(targets), targets, mask)
    return values.min(0).values.numpy().astype(float), zero.numpy().astype(float)


def _losses(
    network: BatchedLSTM | LSTMList, part: PaddedPart | ListedPart, loss: Loss
) -> np.ndarray:
    with torch.no_grad():
        return network.losses(part.as_batch(), loss).float().numpy().astype(float)


def _logger(kind: str) -> pl.loggers.Logger | bool:
    check_logger(kind)
    directory = log_directory()
    if kind == "none" or directory is None:
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(save_dir=directory, name=TRAINING_LOGS)
    if kind == "tensorboard":
        return pl.loggers.TensorBoardLogger(save_dir=directory, name=TRAINING_LOGS)
    return pl.loggers.MLFlowLogger(tracking_uri=f"file:{directory}/mlruns")


def train_models(
    fit: list[tuple[np.ndarray, np.ndarray]],
    validation: list[tuple[np.ndarray, np.ndarray]],
    seeds: list[int],
    hidden_sizes: list[int],
    activation: str,
    loss: str | Loss,
    epochs: int,
    learning_rate: float,
    l2: float,
    accelerator: str = "auto",
    logger: str = "csv",
    layout: str = "padded",
    precision: str = "32-true",
    biases: str = "torch",
) -> TrainingOutcome:
    """Train one model per (fitting part, validation part, seed) in one Lightning ``Trainer``.

    ``fit`` and ``validation`` hold each model's (inputs of shape (samples, steps,
    features), targets); ``layout`` is a key of :data:`LAYOUTS`; ``loss`` a key of
    :data:`aisfolio.strategies.lstm.losses.LOSSES` (with its default parameters) or a loss
    from :func:`aisfolio.strategies.lstm.losses.make_loss`; ``precision`` one of
    :data:`~aisfolio.strategies.lstm.options.PRECISION_NAMES`; ``biases`` one of
    :data:`~aisfolio.strategies.lstm.options.BIAS_NAMES`.

    Returns
    -------
    TrainingOutcome
        Per model: the weights of its best validation loss (its initial weights if the
        validation loss never became finite), whether it diverged, and its summary.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {list(LAYOUTS)}, got '{layout}'")
    if not len(fit) == len(validation) == len(seeds):
        raise ValueError("one fitting part, one validation part and one seed per model")
    loss_function = make_loss(loss) if isinstance(loss, str) else loss
    network_class, part_class = LAYOUTS[layout]
    data = TrainingData(part_class.from_pairs(fit), part_class.from_pairs(validation))
    features = fit[0][0].shape[-1]
    network = network_class(seeds, features, hidden_sizes, activation, biases)
    initial_fit = _losses(network, data.fit, loss_function)
    initial_validation = _losses(network, data.validation, loss_function)
    module = BatchedForecaster(network, loss_function, learning_rate, l2)
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    trainer = pl.Trainer(
        max_epochs=epochs,
        accelerator=accelerator,
        devices=1,
        precision=resolve_precision(precision, accelerator),
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
    network = network.cpu()
    network.load_stacked(best)
    constant, zero = _constant_losses(data.validation, loss_function)
    summary = {
        "epochs": np.full(len(seeds), epochs),
        "best_epoch": module.best_epoch.cpu().numpy().copy(),
        "initial_fit_loss": initial_fit,
        "initial_validation_loss": initial_validation,
        "best_fit_loss": _losses(network, data.fit, loss_function),
        "best_validation_loss": module.best_validation.cpu().numpy().astype(float),
        "constant_validation_loss": constant,
        "zero_validation_loss": zero,
    }
    states = [[w[m].clone() for w in best] for m in range(network.n_models)]
    return TrainingOutcome(
        states=states,
        diverged=module.diverged.cpu().numpy().copy(),
        best_validation=module.best_validation.cpu().numpy().copy(),
        summary=summary,
    )
