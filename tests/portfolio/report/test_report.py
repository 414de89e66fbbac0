"""The report's files hold the run's numbers: read them back and compare."""

from __future__ import annotations

from dataclasses import replace
from html import escape as html_escape

import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.metrics import information_ratio, summarize
from aisfolio.portfolio.report import ReportSettings, build_report
from aisfolio.portfolio.report.files import ACCOUNTING_FACTS, report_facts
from aisfolio.portfolio.report.formatting import percent, ratio
from aisfolio.portfolio.targets import default_line
from tests.run_fixtures import HOSTILE

PAPER = ["aRC", "aSD", "MD", "MLD", "IR*", "IR**", "IR***", "Sharpe"]


def test_every_file_is_written(run_folder):
    for name in ("report.html", "report.md", "report/metrics.csv", "report/weights.csv"):
        assert (run_folder / name).stat().st_size > 0, name
    for name in ("equity", "drawdowns", "rolling_ir", "weights_history"):
        assert not pd.read_parquet(run_folder / "report" / f"{name}.parquet").empty, name
    assert len(list((run_folder / "report" / "plots").glob("*.png"))) >= 8
    assert not list(run_folder.glob(".partial-*"))


def test_metrics_equal_the_run_over_the_full_history_and_the_last_year(run_result, run_folder):
    table = pd.read_csv(run_folder / "report" / "metrics.csv", index_col=["period", "line"])
    full = table.loc["full"]
    assert list(full.index) == list(run_result.metrics.index)
    np.testing.assert_allclose(full[PAPER], run_result.metrics[PAPER], rtol=1e-12)
    last = table.loc["last_year"]
    for name, line in run_result.lines.items():
        equity = line.equity.iloc[-(round(line.periods_per_year) + 1) :]
        expected = summarize(equity.to_numpy(), line.periods_per_year)
        np.testing.assert_allclose(
            last.loc[name, PAPER].astype(float), [expected[k] for k in PAPER], rtol=1e-12
        )
        assert pd.Timestamp(last.loc[name, "end"]) == line.equity.index[-1]


def test_weights_turnover_and_signals_equal_the_run(run_result, run_folder):
    weights = pd.read_csv(run_folder / "report" / "weights.csv", index_col=["line", "member"])
    for name, held in run_result.weights.items():
        np.testing.assert_allclose(weights.loc[name, "held"], held.iloc[-1].to_numpy())
        targets = run_result.lines[name].targets.iloc[-1].to_numpy()
        np.testing.assert_allclose(weights.loc[name, "target"], targets)
    turnover = pd.read_csv(run_folder / "report" / "turnover.csv", parse_dates=["date"])
    for name, rows in turnover.groupby("line"):
        line = run_result.lines[name]
        traded = pd.Series(line.traded, index=line.equity.index)
        np.testing.assert_allclose(rows["traded"], traded[rows["date"]].to_numpy())
        assert len(rows) == np.count_nonzero(line.traded)
    signals = pd.read_csv(run_folder / "report" / "signals.csv", index_col=[0, 1])
    last = run_result.positions.ffill().iloc[-1]
    for (asset, strategy), position in last.items():
        assert signals.loc[(asset, strategy), "position"] == position


def test_the_html_and_markdown_show_the_numbers_formatted(run_result, run_folder):
    html = (run_folder / "report.html").read_text()
    markdown = (run_folder / "report.md").read_text()
    line = default_line(run_result)
    row = run_result.metrics.loc[line]
    for text in (percent(row["aRC"]), percent(row["MD"]), ratio(row["IR**"])):
        assert text in html and text in markdown
    assert html_escape(line) in html  # the line's name holds the hostile asset name


def test_the_report_states_the_accounting(run_result, run_folder):
    html = (run_folder / "report.html").read_text()
    markdown = (run_folder / "report.md").read_text()
    assert run_result.accounting == "per_ais"
    assert f"accounting: <b>{html_escape(ACCOUNTING_FACTS['per_ais'])}</b>" in html
    assert f"- accounting: **{ACCOUNTING_FACTS['per_ais']}**" in markdown
    netted = build_report(replace(run_result, accounting="net"))
    assert report_facts(netted)["accounting"] == ACCOUNTING_FACTS["net"]


def test_hostile_names_are_escaped(run_folder):
    html = (run_folder / "report.html").read_text()
    markdown = (run_folder / "report.md").read_text()
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE not in markdown and "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "<script" not in html  # the page has no script at all
    # The data files keep the name as it is.
    signals = pd.read_csv(run_folder / "report" / "signals.csv", index_col=[0, 1])
    assert HOSTILE in signals.index.get_level_values(0)


def test_risk_contributions_add_up_and_the_benchmark_beta_is_one(run_result):
    report = build_report(run_result)
    streams = report.stream_risk
    assert streams["share"].sum() == pytest.approx(1.0)
    returns = run_result.equity[list(streams.index)].pct_change().iloc[-report.settings.window :]
    volatility = np.sqrt(
        streams["weight"]
        @ returns.cov()
        @ streams["weight"]
        * run_result.metrics.loc[report.line, "periods_per_year"]
    )
    assert streams["contribution"].sum() == pytest.approx(volatility, rel=1e-9)
    assert report.line_risk.loc[report.benchmark, "beta"] == pytest.approx(1.0)
    assert report.correlation.shape == (len(streams), len(streams))


def test_asset_risk_shares_follow_the_exposures_and_an_unheld_asset_has_none(run_result):
    line = next(name for name in run_result.lines if name.startswith("SP500/"))
    report = build_report(run_result, ReportSettings(line=line))
    assets = report.asset_risk
    assert (assets.loc[["WTI", HOSTILE], "exposure"] == 0).all()
    assert (assets.loc[["WTI", HOSTILE], "contribution"] == 0).all()
    if assets.loc["SP500", "exposure"] != 0:
        assert assets["share"].sum() == pytest.approx(1.0)
        assert assets.loc["SP500", "share"] == pytest.approx(1.0)
    else:
        assert assets["share"].isna().all()


def test_a_numerical_zero_exposure_carries_no_risk_share(run_result, monkeypatch):
    from aisfolio.portfolio.report import model

    tiny = pd.Series({"SP500": 0.0, "WTI": 0.0, HOSTILE: 9e-9}, name="exposure")
    monkeypatch.setattr(model, "asset_exposure", lambda result, streams: tiny)
    assets = build_report(run_result).asset_risk
    assert (assets["exposure"] == 0).all() and (assets["contribution"] == 0).all()
    assert assets["share"].isna().all()  # not "100% of the risk" on 9e-9


def test_rolling_ir_is_the_paper_ir_over_each_window(run_result):
    report = build_report(run_result, ReportSettings(window=60))
    line = run_result.lines[report.line]
    rolling = report.rolling_ir[report.line].dropna()
    for date in rolling.index[[0, len(rolling) // 2, -1]]:
        stop = line.equity.index.get_loc(date)
        window = line.equity.iloc[stop - 60 : stop + 1].to_numpy()
        assert rolling[date] == pytest.approx(information_ratio(window, line.periods_per_year))


def test_an_unknown_line_names_the_key(run_result):
    with pytest.raises(ConfigError, match=r"config key 'line'"):
        build_report(run_result, ReportSettings(line="SP500/nothing"))
    # The settings name their own parameters; the CLI reports them under report.
    with pytest.raises(ConfigError, match=r"config key 'window'"):
        ReportSettings(window=1)
    with pytest.raises(ConfigError, match=r"config key 'since'.*'last week' is not a date"):
        ReportSettings(since="last week")
