"""Writing a run's outputs: all of them or none."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from aisfolio.app.atomic import write_all_or_nothing
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.escaping import write_csv
from aisfolio.portfolio.markdown import frame_markdown
from aisfolio.portfolio.orders import Orders
from aisfolio.portfolio.plotting import plot_equity
from aisfolio.portfolio.report import ReportSettings, build_report, write_report
from aisfolio.portfolio.report.files import DATA_FOLDER
from aisfolio.portfolio.results import RunResult
from aisfolio.portfolio.tables import TABLES, format_table
from aisfolio.strategies.execution.progress import StageProgress, quiet_stage

__all__ = ["OUTPUT_NAMES", "OutputWriter"]

#: Every name the writer may put at the top of a run's folder.
OUTPUT_NAMES = (
    "metrics.csv",
    "metrics.md",
    *(f"{stem}.{kind}" for _, _, stem in TABLES.values() for kind in ("csv", "md")),
    "equity.parquet",
    "positions.parquet",
    "forecasts.parquet",
    "ensemble_weights.parquet",
    "allocation_exposures.parquet",
    "allocation_decisions.csv",
    "training.csv",
    "stacking.csv",
    "equity.png",
    "config.yaml",
    "report.html",
    "report.md",
    DATA_FOLDER,
)


def _flat_columns(frame: pd.DataFrame) -> pd.DataFrame:
    flat = frame.copy()
    flat.columns = [
        "/".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns
    ]
    return flat


class OutputWriter:
    """Writes the metrics tables, equity lines, positions, plot and config of a run.

    Files are first written to a hidden staging folder inside the target directory,
    then moved into place, so that an error leaves no half-written output. The writer
    never replaces anything: if one of its outputs already exists in the target, it
    writes none of them and raises :class:`~aisfolio.portfolio.errors.OutputError`.

    Parameters
    ----------
    plot : bool, default True
        Write ``equity.png``.
    markdown : bool, default True
        Write the Markdown tables next to the CSV ones.
    parquet : bool, default True
        Write equity lines, positions, forecasts and ensemble weights as Parquet.
    full_report : bool, default True
        Write ``report.html``, ``report.md`` and the report's data under ``report/``
        (:mod:`aisfolio.portfolio.report`).
    line, benchmark : str, optional
        The report's portfolio line and benchmark (see
        :class:`aisfolio.portfolio.report.ReportSettings`).
    window : int, default 252
        Bars of the rolling IR and of the trailing risk estimates.
    cvar_level : float, default 0.95
        Confidence level of the historical CVaR.
    since : str, optional
        Report the solver fallbacks and failed fits after this date only (the date of
        the previous report); default: all of them.
    """

    def __init__(
        self,
        plot: bool = True,
        markdown: bool = True,
        parquet: bool = True,
        full_report: bool = True,
        line: str | None = None,
        benchmark: str | None = None,
        window: int = 252,
        cvar_level: float = 0.95,
        since: str | None = None,
    ):
        self.plot = plot
        self.markdown = markdown
        self.parquet = parquet
        self.full_report = full_report
        self.report_settings = ReportSettings(line, benchmark, window, cvar_level, since)

    def write(
        self,
        result: RunResult,
        directory: str | os.PathLike[str],
        config_yaml: str | None = None,
        orders: Orders | None = None,
        stage: StageProgress = quiet_stage,
    ) -> list[Path]:
        """Write every output into ``directory``.

        Parameters
        ----------
        result : RunResult
            A finished run.
        directory : path
            Target directory (created if needed).
        config_yaml : str, optional
            The resolved configuration, saved as ``config.yaml``.
        orders : Orders, optional
            A rebalance's orders: the report shows them (with their line) and writes
            ``report/orders.csv``; written even when ``full_report`` is off.
        stage : callable, default shows nothing
            Opens the progress of the writing (tables and plot, the report's model,
            its figures and documents), e.g.
            :meth:`aisfolio.strategies.execution.Executor.stage`.

        Returns
        -------
        list of Path
            Every file written, in ``directory`` and its ``report`` folder.

        Raises
        ------
        OutputError
            If ``directory`` already holds one of the outputs (nothing is written).
        """

        with_report = self.full_report or orders is not None

        def write(staging: Path) -> None:
            with stage("outputs", 3 if with_report else 1, "part") as progress:
                self._write_all(result, staging, config_yaml)
                progress.advance(1)
                if with_report:
                    try:
                        report = build_report(result, self.report_settings, orders)
                    except ConfigError as error:  # the report names its settings' parameters
                        raise error.under("report") from None
                    progress.advance(1)
                    title = "aisfolio rebalance" if orders is not None else "aisfolio report"
                    write_report(report, staging, title)
                    progress.advance(1)

        moved = write_all_or_nothing(directory, write)
        return sorted(file for path in moved for file in [path, *path.rglob("*")] if file.is_file())

    def _write_all(self, result: RunResult, folder: Path, config_yaml: str | None) -> None:
        write_csv(result.metrics, folder / "metrics.csv")
        summary = []
        for which, (_, _, stem) in TABLES.items():
            table = result.table(which)
            if table.empty:
                continue
            write_csv(table, folder / f"{stem}.csv")
            summary.append(f"## {stem}\n\n{frame_markdown(format_table(table))}")
            if self.markdown:
                (folder / f"{stem}.md").write_text(frame_markdown(format_table(table)))
        if self.markdown:
            (folder / "metrics.md").write_text("# Metrics\n\n" + "\n".join(summary))
        if self.parquet:
            result.equity.to_parquet(folder / "equity.parquet")
            _flat_columns(result.positions).to_parquet(folder / "positions.parquet")
            _flat_columns(result.forecasts).to_parquet(folder / "forecasts.parquet")
            if result.weights:
                weights = pd.concat(result.weights, axis=1, names=["line", "member"])
                _flat_columns(weights).to_parquet(folder / "ensemble_weights.parquet")
            if result.exposures:
                exposures = pd.concat(result.exposures, axis=1, names=["line", "asset"])
                _flat_columns(exposures).to_parquet(folder / "allocation_exposures.parquet")
        if result.allocations:
            decisions = pd.concat(result.allocations, names=["line", "date"])
            write_csv(decisions, folder / "allocation_decisions.csv")
        if not result.training.empty:
            write_csv(result.training, folder / "training.csv", index=False)
        if not result.stacking.empty:
            write_csv(result.stacking, folder / "stacking.csv", index=False)
        if self.plot:
            plot_equity(result, folder / "equity.png")
        if config_yaml is not None:
            (folder / "config.yaml").write_text(config_yaml)
