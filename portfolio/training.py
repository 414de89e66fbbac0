"""Whether the trained models of a run learned anything.

A generator that trains models (the LSTM) records one row per model in a
``training_log_`` frame: ``asset``, ``window`` (the refit date), ``seed``, its losses
before training and at its best epoch next to those of the best constant and the zero
forecast, its test block's forecast dispersion, sign changes and directional accuracy,
and the verdict ``learned`` (see :class:`aisfolio.strategies.lstm.LSTMGenerator`). A run copies
them to :attr:`aisfolio.portfolio.results.RunResult.training` under the strategy's label
(``training.csv`` and the report's "Model training" section), and every model that did
not learn is counted in a warning, so in the run's events.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

__all__ = ["SUMMARY_COLUMNS", "training_summary", "training_table", "warn_untrained"]

log = logging.getLogger(__name__)

#: Columns of :func:`training_summary`, per strategy and asset.
SUMMARY_COLUMNS = (
    "models",
    "did not learn",
    "constant sign",
    "beats constant",
    "best epoch (median)",
    "sign changes (median)",
    "directional accuracy (mean)",
)


def training_table(generators: dict[str, Any]) -> pd.DataFrame:
    """Every trained model of the run, one row each, with its strategy label first.

    Parameters
    ----------
    generators : dict of str to Generator
        Strategy label -> its generator after the run; those with a ``training_log_``
        frame are kept.

    Returns
    -------
    DataFrame
        ``strategy`` then the generators' ``training_log_`` columns (empty when no
        generator trains models).
    """
    frames = [
        log_.assign(strategy=label)[["strategy", *log_.columns]]
        for label, generator in generators.items()
        if isinstance(log_ := getattr(generator, "training_log_", None), pd.DataFrame)
        and not log_.empty
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def training_summary(training: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and asset: how many models trained and how many did not learn.

    Parameters
    ----------
    training : DataFrame
        From :func:`training_table`.

    Returns
    -------
    DataFrame
        Indexed by (strategy, asset), columns :data:`SUMMARY_COLUMNS` (shares of models
        for the verdicts, counts for ``models`` and ``did not learn``).
    """
    if training.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    grouped = training.groupby(["strategy", "asset"], sort=False)
    summary = pd.DataFrame(
        {
            "models": grouped.size(),
            "did not learn": grouped["learned"].apply(lambda s: int((~s.astype(bool)).sum())),
            "constant sign": grouped["constant_sign"].mean(),
            "beats constant": grouped["beats_constant"].mean(),
            "best epoch (median)": grouped["best_epoch"].median(),
            "sign changes (median)": grouped["sign_changes"].median(),
            "directional accuracy (mean)": grouped["directional_accuracy"].mean(),
        }
    )
    return summary[list(SUMMARY_COLUMNS)]


def warn_untrained(training: pd.DataFrame) -> None:
    """Log one warning per strategy whose models did not all learn."""
    if training.empty:
        return
    for strategy, rows in training.groupby("strategy", sort=False):
        failed = rows[~rows["learned"].astype(bool)]
        if failed.empty:
            continue
        log.warning(
            "%s: %d of %d models did not learn (forecast of one sign over the test block: "
            "%d; best validation loss not below the best constant forecast's: %d); "
            "see training.csv",
            strategy,
            len(failed),
            len(rows),
            int(failed["constant_sign"].astype(bool).sum()),
            int((~failed["beats_constant"].astype(bool)).sum()),
        )
