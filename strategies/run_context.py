"""Where a run's side outputs (training logs) go, shared without importing heavy modules."""

from __future__ import annotations

__all__ = ["RUN_DIR_VARIABLE", "TRAINING_LOGS"]

#: Environment variable naming the run directory; the CLI sets it to Hydra's output
#: directory, and generators that log (the LSTM's Lightning logger) write under it.
RUN_DIR_VARIABLE = "AISFOLIO_RUN_DIR"

#: Folder of the run directory that generators' training logs go into.
TRAINING_LOGS = "lightning_logs"
