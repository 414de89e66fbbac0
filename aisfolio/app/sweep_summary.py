"""One summary of a whole sweep (``aisfolio -m ...``): every job's overrides and metrics.

Reads a Hydra sweep directory (``multirun/<date>/<time>/``: one folder per job with
``.hydra/overrides.yaml`` and ``metrics.csv``) and writes next to the jobs
``sweep_summary.html`` (self-contained), ``sweep_summary.md``, ``sweep_summary.csv``
(one row per job: its swept values and the chosen line's metrics), ``sweep_metrics.csv``
(every line of every job) and ``sweep_plots/*.png``: a metric over one swept parameter
(line plot) or two (heat map), the paper's sensitivity analysis. The best and worst jobs
are flagged with a warning: picking the in-sample best is overfitting.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from aisfolio.app.atomic import write_all_or_nothing
from aisfolio.portfolio.errors import AisfolioError, ConfigError, DataError
from aisfolio.portfolio.escaping import write_csv
from aisfolio.portfolio.metrics import METRIC_LABELS
from aisfolio.portfolio.report.formatting import format_frame
from aisfolio.portfolio.report.html import render_html
from aisfolio.portfolio.report.markdown import render_markdown
from aisfolio.portfolio.report.model import PERFORMANCE_COLUMNS
from aisfolio.portfolio.report.plots import Plot, heatmap, to_data_uri
from aisfolio.portfolio.report.sections import Section, Table
from aisfolio.portfolio.significance import deflated_sharpe_ratio
from aisfolio.portfolio.targets import default_line

__all__ = [
    "OVERFITTING_WARNING",
    "SweepSummary",
    "collect_sweep",
    "summarize_command",
    "write_sweep_summary",
]

#: Shown next to the best and worst settings.
#: The significance columns of metrics.csv that a sweep can summarize too.
TESTED_MEASURES = ("SPA p", "MCS p", "PSR")

OVERFITTING_WARNING = (
    "The best and worst settings are marked for orientation only. Every job saw the same "
    "history: choosing the in-sample best setting is overfitting (the more settings tried, "
    "the more its score flatters it). Judge a setting on data it was not chosen on, e.g. a "
    "later period or a walk-forward choice of the parameter."
)


@dataclass(frozen=True)
class SweepSummary:
    """The numbers of a sweep summary.

    Attributes
    ----------
    directory : Path
        The sweep directory.
    line, metric : str
        The line compared across jobs and the metric that ranks them.
    jobs : DataFrame
        One row per job (index: job folder name): ``overrides``, one column per swept
        parameter, the line's :data:`~aisfolio.portfolio.report.model.PERFORMANCE_COLUMNS`, and
        ``flag`` (``best``, ``worst`` or empty).
    swept : list of str
        Parameters whose value differs across jobs.
    fixed : dict of str to str
        Overrides shared by every job.
    metrics : DataFrame
        Every line of every job (``metrics.csv`` with a ``job`` column).
    missing : list of str
        Job folders without a ``metrics.csv`` (failed or still running).
    deflated_sharpe : float or None
        Deflated Sharpe ratio of the best job's line (Bailey and Lopez de Prado): the
        probability that its true Sharpe ratio is above zero after picking the best of
        the jobs (:func:`aisfolio.portfolio.significance.deflated_sharpe_ratio`); None with fewer
        than two jobs or without the jobs' ``equity.parquet``.
    """

    directory: Path
    line: str
    metric: str
    jobs: pd.DataFrame
    swept: list[str]
    fixed: dict[str, str]
    metrics: pd.DataFrame
    missing: list[str]
    deflated_sharpe: float | None = None


def _value(text: str) -> object:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _job_folders(directory: Path) -> list[tuple[str, Path]]:
    """(name, folder) of every job: folders with a ``.hydra/overrides.yaml``, at any depth
    (``hydra.sweep.subdir`` may nest them), numbered ones in numeric order."""
    folders = [p.parent.parent for p in directory.rglob(".hydra/overrides.yaml")]
    named = [(p.relative_to(directory).as_posix(), p) for p in folders if p != directory]

    def order(item: tuple[str, Path]) -> tuple[bool, int, str]:
        name = item[0]
        return (not name.isdigit(), int(name) if name.isdigit() else 0, name)

    return sorted(named, key=order)


def collect_sweep(
    directory: str | Path, line: str | None = None, metric: str = "IR**"
) -> SweepSummary:
    """Read a sweep directory.

    Parameters
    ----------
    directory : str or Path
        Hydra's sweep directory (``hydra.sweep.dir``).
    line : str, optional
        The line compared (default: :func:`aisfolio.portfolio.targets.default_line` of the first
        job).
    metric : str, default "IR**"
        The metric that ranks the jobs (one of ``metrics.csv``'s columns).

    Returns
    -------
    SweepSummary

    Raises
    ------
    DataError
        When the directory holds no finished job or a job lacks the line.
    ConfigError
        For an unknown metric.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise DataError(
            "not a directory (give a sweep directory, multirun/<date>/<time>)", file=str(directory)
        )
    rows, frames, missing = {}, [], []
    for name, job in _job_folders(folder):
        overrides = list(OmegaConf.load(job / ".hydra" / "overrides.yaml") or [])
        if not (job / "metrics.csv").exists():
            missing.append(name)
            continue
        metrics = pd.read_csv(job / "metrics.csv", index_col="line")
        frames.append(metrics.assign(job=name))
        rows[name] = [str(o) for o in overrides]
    if not rows:
        raise DataError(
            "no finished job (no <job>/metrics.csv) in this sweep directory", file=str(folder)
        )
    first = frames[0]
    measures = [c for c in first.columns if c in (*METRIC_LABELS, *TESTED_MEASURES)]
    if metric not in measures:
        raise ConfigError(
            f"unknown metric '{metric}'; metrics are {', '.join(measures)}", key="metric"
        )
    line = line if line is not None else default_line(first)
    parsed = {
        job: dict(o.split("=", 1) for o in overrides if "=" in o) for job, overrides in rows.items()
    }
    keys = list(dict.fromkeys(k for p in parsed.values() for k in p))
    swept = [k for k in keys if len({p.get(k) for p in parsed.values()}) > 1]
    fixed = {k: next(iter(parsed.values()))[k] for k in keys if k not in swept}
    table = []
    for frame in frames:
        job = frame["job"].iloc[0]
        if line not in frame.index:
            raise DataError(
                f"no line '{line}' in job {job}; its lines are: {', '.join(frame.index)}",
                file=str(folder / job / "metrics.csv"),
            )
        entry = {"job": job, "overrides": " ".join(rows[job])}
        entry.update({k: _value(parsed[job].get(k, "")) for k in swept})
        entry.update({m: frame.loc[line, m] for m in PERFORMANCE_COLUMNS if m in frame.columns})
        if metric not in entry:
            entry[metric] = frame.loc[line, metric]
        table.append(entry)
    jobs = pd.DataFrame(table).set_index("job")
    flag = pd.Series("", index=jobs.index)
    scores = jobs[metric].astype(float)
    if scores.notna().sum() > 1:
        flag[scores.idxmin()] = "worst"
        flag[scores.idxmax()] = "best"
    jobs["flag"] = flag
    deflated = _deflated_sharpe(folder, line, jobs)
    return SweepSummary(
        folder, line, metric, jobs, swept, fixed, pd.concat(frames), missing, deflated
    )


def _deflated_sharpe(folder: Path, line: str, jobs: pd.DataFrame) -> float | None:
    """DSR of the best job's line among every job's per-period Sharpe ratio."""
    best = jobs.index[jobs["flag"] == "best"]
    files = {job: folder / job / "equity.parquet" for job in jobs.index}
    if len(best) == 0 or not all(path.exists() for path in files.values()):
        return None
    returns = {
        job: pd.read_parquet(path, columns=[line])[line].dropna().pct_change().iloc[1:]
        for job, path in files.items()
    }
    sharpes = [r.mean() / r.std(ddof=1) for r in returns.values() if r.std(ddof=1) > 0]
    if len(sharpes) < 2:
        return None
    try:
        return deflated_sharpe_ratio(returns[best[0]], sharpes)
    except ValueError:
        return None


def _sensitivity(summary: SweepSummary) -> list[Plot]:
    jobs, metric, swept = summary.jobs, summary.metric, summary.swept
    plots = []
    figure, axis = plt.subplots(figsize=(9, 3.2))
    colors = [
        "tab:green" if f == "best" else "tab:red" if f == "worst" else "tab:blue"
        for f in jobs["flag"]
    ]
    # Positions with labels, not label strings: matplotlib logs a message for strings
    # that read as numbers ("0", "1", ...).
    positions = np.arange(len(jobs))
    axis.bar(positions, jobs[metric].astype(float), color=colors)
    axis.set_xticks(positions, [str(j) for j in jobs.index])
    axis.set_xlabel("job")
    axis.set_ylabel(metric)
    axis.grid(alpha=0.3, axis="y")
    plots.append(to_data_uri(figure, "jobs", f"{metric} of {summary.line} per job"))
    if len(swept) == 1 or (len(swept) > 2 and not plots):
        name = swept[0]
        series = jobs.groupby(name)[metric].mean()
        figure, axis = plt.subplots(figsize=(9, 3.2))
        numeric = pd.api.types.is_numeric_dtype(jobs[name])
        x = series.index.to_numpy() if numeric else np.arange(len(series))
        axis.plot(x, series.to_numpy(dtype=float), marker="o")
        if not numeric:
            axis.set_xticks(x, [str(v) for v in series.index])
        axis.set_xlabel(name)
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        plots.append(to_data_uri(figure, "sensitivity", f"{metric} of {summary.line} over {name}"))
    elif len(swept) >= 2:
        rows, columns = swept[0], swept[1]
        grid = jobs.pivot_table(index=rows, columns=columns, values=metric, aggfunc="mean")
        note = " (mean over the other swept parameters)" if len(swept) > 2 else ""
        plots.append(
            heatmap(
                grid.astype(float),
                f"{metric} of {summary.line} over {rows} and {columns}{note}",
                "sensitivity",
                fmt="{:.3f}",
            )
        )
    return plots


def write_sweep_summary(summary: SweepSummary) -> list[Path]:
    """Write the summary files into the sweep directory, all together or none.

    A sweep directory that already holds a summary (an earlier ``aisfolio summarize``,
    for another line or metric) keeps it: the new one goes into the first free
    ``summary-2``, ``summary-3``, ... folder beside it.

    Parameters
    ----------
    summary : SweepSummary
        From :func:`collect_sweep`.

    Returns
    -------
    list of Path
        The files and folders written.
    """

    def write(staging: Path) -> None:
        plots = _sensitivity(summary)
        (staging / "sweep_plots").mkdir()
        for plot in plots:
            (staging / "sweep_plots" / f"{plot.key}.png").write_bytes(plot.png)
        write_csv(summary.jobs, staging / "sweep_summary.csv")
        write_csv(
            summary.metrics.rename_axis("line").reset_index().set_index(["job", "line"]),
            staging / "sweep_metrics.csv",
        )
        shown = summary.jobs.drop(columns=["overrides"]) if summary.swept else summary.jobs
        notes = [
            f"Compared line: {summary.line}; ranked by {summary.metric} over each job's "
            "full history."
        ]
        if summary.fixed:
            notes.append(
                "Shared overrides: " + " ".join(f"{k}={v}" for k, v in summary.fixed.items())
            )
        if summary.missing:
            notes.append(
                "Jobs without results (failed or unfinished): " + ", ".join(summary.missing)
            )
        if summary.deflated_sharpe is not None:
            notes.append(
                f"Deflated Sharpe ratio of the best job: {summary.deflated_sharpe:.3f}, the "
                "probability that its line's true Sharpe ratio is above zero once the "
                f"choice of the best of {len(summary.jobs)} settings is accounted for."
            )
        caption = "Jobs"
        sections = [
            Section(
                "jobs",
                "Jobs",
                notes=notes,
                tables=[Table(caption, format_frame(shown))],
                plots=[p.key for p in plots],
            ),
        ]
        facts = {
            "sweep": str(summary.directory),
            "jobs": str(len(summary.jobs)),
            "swept": ", ".join(summary.swept) or "nothing",
        }
        title = "aisfolio sweep summary"
        warnings = [OVERFITTING_WARNING]
        html = render_html(
            title,
            facts,
            sections,
            plots,
            warnings,
            row_classes={caption: list(summary.jobs["flag"])},
        )
        (staging / "sweep_summary.html").write_text(html, "utf-8")
        markdown = render_markdown(
            title,
            facts,
            sections,
            {p.key: p.title for p in plots},
            warnings,
            plot_folder="sweep_plots",
        )
        (staging / "sweep_summary.md").write_text(markdown, "utf-8")

    return write_all_or_nothing(_summary_folder(summary.directory), write)


#: What a summary writes at the top of its folder.
SUMMARY_NAMES = ("sweep_summary.csv", "sweep_metrics.csv", "sweep_summary.html",
                 "sweep_summary.md", "sweep_plots")  # fmt: skip


def _summary_folder(directory: Path) -> Path:
    """``directory``, or the first ``summary-<k>`` in it that holds no summary yet."""
    candidate, k = directory, 1
    while any((candidate / name).exists() for name in SUMMARY_NAMES):
        k += 1
        candidate = directory / f"summary-{k}"
    return candidate


def summarize_command(args: Sequence[str]) -> int:
    """``aisfolio summarize DIR [line=NAME] [metric=IR**]``: summarize a finished sweep.

    Returns
    -------
    int
        The exit code: 0, or 2 for bad input (the message on standard error).
    """
    usage = "usage: aisfolio summarize SWEEP_DIR [line=LINE] [metric=METRIC]"
    if not args or args[0] in ("-h", "--help"):
        print(usage, file=sys.stderr if not args else sys.stdout)
        return 0 if args else 2
    options = {}
    for arg in args[1:]:
        key, sep, value = arg.partition("=")
        if not sep or key not in ("line", "metric"):
            print(f"aisfolio: error: unknown option '{arg}'\n{usage}", file=sys.stderr)
            return 2
        options[key] = value
    try:
        summary = collect_sweep(args[0], **options)
        written = write_sweep_summary(summary)
    except AisfolioError as error:
        print(f"aisfolio: error: {error}", file=sys.stderr)
        return 2
    best = summary.jobs.index[summary.jobs["flag"] == "best"]
    print(
        f"summarized {len(summary.jobs)} jobs into {written[0].parent}"
        + (f"; best {summary.metric} in job {best[0]} (in-sample)" if len(best) else "")
    )
    return 0
