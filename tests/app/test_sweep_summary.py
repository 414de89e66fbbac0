"""Sweep summaries from a real small multirun: written by the Hydra callback at the end
of ``aisfolio -m`` and by ``aisfolio summarize`` on the sweep directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aisfolio.app.cli import main
from aisfolio.app.sweep_summary import OVERFITTING_WARNING, collect_sweep
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.significance import expected_maximum_sharpe, probabilistic_sharpe_ratio
from tests.app.test_cli import aisfolio

SWEEP = [
    "-m",
    "data.end=2002-12-31",
    "generators=[buy_and_hold,momentum,contrarian]",
    "generators.momentum.generator.lookback=1,5",
    "generators.contrarian.generator.lookback=1,10",
    "hydra.sweep.dir=sweep",
    "report.full_report=false",  # the jobs' own reports are not needed here: quicker
    "report.plot=false",
    "significance.enabled=false",
]
MOMENTUM = "generators.momentum.generator.lookback"
CONTRARIAN = "generators.contrarian.generator.lookback"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sweep")
    done = aisfolio(*SWEEP, cwd=work)
    assert done.returncode == 0, done.stderr
    assert "categorical units" not in done.stdout + done.stderr  # matplotlib's message
    return work / "sweep"


def test_the_multirun_writes_one_summary_of_every_job(sweep):
    for name in (
        "sweep_summary.html",
        "sweep_summary.md",
        "sweep_summary.csv",
        "sweep_metrics.csv",
    ):
        assert (sweep / name).stat().st_size > 0, name
    assert (sweep / "sweep_plots" / "sensitivity.png").stat().st_size > 0
    summary = pd.read_csv(sweep / "sweep_summary.csv", index_col="job")
    assert len(summary) == 4
    assert sorted(zip(summary[MOMENTUM], summary[CONTRARIAN], strict=True)) == [
        (1, 1),
        (1, 10),
        (5, 1),
        (5, 10),
    ]
    line = collect_sweep(sweep).line
    for job, row in summary.iterrows():
        metrics = pd.read_csv(sweep / str(job) / "metrics.csv", index_col="line")
        for metric in ("aRC", "aSD", "MD", "IR**", "Sharpe"):
            assert row[metric] == pytest.approx(metrics.loc[line, metric], rel=1e-12)
    assert summary.loc[summary["IR**"].idxmax(), "flag"] == "best"
    assert summary.loc[summary["IR**"].idxmin(), "flag"] == "worst"
    html = (sweep / "sweep_summary.html").read_text()
    assert "overfitting" in html and 'class="best"' in html and 'class="worst"' in html
    assert "overfitting" in (sweep / "sweep_summary.md").read_text()
    # The best job's deflated Sharpe ratio: its Sharpe ratio against the expected maximum
    # of four settings' Sharpe ratios if none had any skill.
    returns = {
        job: pd.read_parquet(sweep / str(job) / "equity.parquet")[line].dropna().pct_change()
        for job in summary.index
    }
    sharpes = [r.mean() / r.std() for r in returns.values()]
    best = returns[summary["flag"].eq("best").idxmax()]
    expected = probabilistic_sharpe_ratio(best, expected_maximum_sharpe(4, np.var(sharpes, ddof=1)))
    assert collect_sweep(sweep).deflated_sharpe == pytest.approx(expected, rel=1e-9)
    assert "Deflated Sharpe ratio of the best job" in html


def test_summarize_writes_beside_the_earlier_summary_for_another_line_and_metric(sweep):
    first = {p: p.read_bytes() for p in sweep.glob("sweep_*") if p.is_file()}
    done = aisfolio("summarize", str(sweep), "line=SP500/momentum", "metric=aRC", cwd=sweep.parent)
    assert done.returncode == 0, done.stderr
    assert f"into {sweep / 'summary-2'}" in done.stdout
    assert {p: p.read_bytes() for p in sweep.glob("sweep_*") if p.is_file()} == first
    summary = pd.read_csv(sweep / "summary-2" / "sweep_summary.csv", index_col="job")
    for job, row in summary.iterrows():
        metrics = pd.read_csv(sweep / str(job) / "metrics.csv", index_col="line")
        assert row["aRC"] == pytest.approx(metrics.loc["SP500/momentum", "aRC"], rel=1e-12)
    assert summary["aRC"].nunique() > 1
    assert (summary["flag"] == "best").sum() == 1
    assert OVERFITTING_WARNING[:40] in (sweep / "summary-2" / "sweep_summary.html").read_text()


def test_summarize_refuses_a_folder_without_jobs(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["summarize", str(tmp_path)])
    assert stop.value.code == 2 and "no finished job" in capsys.readouterr().err
    with pytest.raises(DataError, match="not a directory"):
        collect_sweep(tmp_path / "nothing")


@pytest.mark.parametrize("metric", ["accounting", "periods_per_year", "aRX"])
def test_summarize_names_only_measures_as_metrics(sweep, metric):
    with pytest.raises(ConfigError, match=f"unknown metric '{metric}'") as error:
        collect_sweep(sweep, metric=metric)
    listed = str(error.value).split("metrics are ")[1].split(", ")
    assert listed[:3] == ["aRC", "aSD", "MD"]
    assert "accounting" not in listed and "periods_per_year" not in listed
