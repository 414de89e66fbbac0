"""The Hydra callback that summarizes a sweep when a multirun ends."""

from __future__ import annotations

import logging
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from aisfolio.app.sweep_summary import collect_sweep, write_sweep_summary
from aisfolio.portfolio.errors import AisfolioError

__all__ = ["SweepSummaryCallback"]

log = logging.getLogger("aisfolio")


class SweepSummaryCallback(Callback):
    """Write ``sweep_summary.*`` into the sweep directory at the end of ``aisfolio -m``.

    Configured in ``conf/config.yaml`` under ``hydra.callbacks.sweep_summary``.

    Parameters
    ----------
    line : str, optional
        The line compared across jobs (default: the report's default line).
    metric : str, default "IR**"
        The metric that ranks the jobs.
    """

    def __init__(self, line: str | None = None, metric: str = "IR**"):
        self.line = line
        self.metric = metric

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Summarize the jobs of ``hydra.sweep.dir``."""
        directory = config.hydra.sweep.dir
        try:
            written = write_sweep_summary(collect_sweep(directory, self.line, self.metric))
        except AisfolioError as error:
            log.error("no sweep summary: %s", error)
            return
        log.info("sweep summary: %s", written[0].parent / "sweep_summary.html")
