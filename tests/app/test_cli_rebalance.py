"""``aisfolio mode=rebalance``: orders from a holdings file, as a user runs it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisfolio.app.composition import build, load_config
from aisfolio.app.rebalancing import rebalance_orders
from tests.app.cli_helpers import in_process
from tests.app.test_cli import aisfolio

RUN = [
    "mode=rebalance",
    "data=file",
    "data.path=prices.csv",
    "generators=[buy_and_hold,momentum,contrarian]",
    "rebalance.holdings=holdings.csv",
    "hydra.run.dir=run",
]


@pytest.fixture
def work(tmp_path, us_markets):
    us_markets.loc[:"2003-12-31"].rename_axis("date").to_csv(tmp_path / "prices.csv")
    (tmp_path / "holdings.csv").write_text("asset,weight,units\nSP500,0.6,50\nWTI,0.1,200\n")
    return tmp_path


def test_orders_are_targets_minus_holdings_as_of_a_date(work):
    done = aisfolio(
        *RUN,
        "rebalance.as_of=2003-06-30",
        "rebalance.line=SP500/ensemble_I",
        "rebalance.min_trade=0.001",
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert "orders as of 2003-06-30 toward SP500/ensemble_I" in done.stdout
    report = work / "run" / "report"
    orders = pd.read_csv(report / "orders.csv", index_col="asset")
    holdings = pd.read_csv(work / "holdings.csv", index_col="asset")["weight"]
    current = holdings.reindex(orders.index).fillna(0.0)
    np.testing.assert_allclose(orders["current"], current)
    exposure = pd.read_csv(report / "exposure.csv", index_col="asset")["exposure"]
    np.testing.assert_allclose(orders["target"], exposure.loc[orders.index])
    expected = np.where(orders["below minimum"], 0.0, orders["target"] - current)
    np.testing.assert_allclose(orders["order"], expected)
    # The target: the type I ensemble of momentum and contrarian on SP500, equal weights.
    positions = pd.read_parquet(work / "run" / "positions.parquet").loc[:"2003-06-30"].ffill()
    last = positions.iloc[-1]
    assert exposure["SP500"] == pytest.approx(
        (last["SP500/momentum"] + last["SP500/contrarian"]) / 2
    )
    assert exposure["WTI"] == 0.0 and exposure["NASDAQ"] == 0.0
    assert positions.index[-1] == pd.Timestamp("2003-06-30")
    # Units: WTI's 200 units are all sold; value from the units held at the last prices.
    prices = pd.read_csv(work / "prices.csv", index_col="date", parse_dates=True).loc[:"2003-06-30"]
    assert orders.loc["WTI", "units"] == pytest.approx(-200.0)
    assert orders.loc["WTI", "price"] == pytest.approx(prices["WTI"].dropna().iloc[-1])
    summary = pd.read_csv(report / "orders_summary.csv")
    assert summary.loc[0, "expected turnover"] == pytest.approx(orders["order"].abs().sum())
    assert summary.loc[0, "expected cost"] == pytest.approx(0.0005 * orders["order"].abs().sum())
    html = (work / "run" / "report.html").read_text()
    assert "aisfolio rebalance" in html and "Orders" in html


def test_a_bad_holdings_file_exits_2_and_leaves_nothing(work, monkeypatch, capsys):
    monkeypatch.chdir(work)
    (work / "holdings.csv").write_text("asset,weight\nSP500,0.5\nGOLD,0.5\n")
    assert in_process(*RUN, "data.end=2001-12-31") == 2
    assert "holdings.csv, line 3, column 'asset': unknown asset 'GOLD'" in capsys.readouterr().err
    assert not (work / "run").exists()


def test_an_unknown_mode_is_refused(work, monkeypatch, capsys):
    monkeypatch.chdir(work)
    assert in_process("mode=rebalancing", "hydra.run.dir=run") == 2
    assert "config key 'mode'" in capsys.readouterr().err
    assert not (work / "run").exists()


def test_appended_days_fit_only_the_new_windows_and_equal_a_fresh_run(us_markets, tmp_path):
    """The weekly routine: the same price file with new days appended. The rebalance run
    fits only the windows that the new days opened (LSTM, momentum and contrarian
    windows are fitted once and cached) and decides what a run from scratch decides."""
    prices_file = tmp_path / "prices.csv"
    overrides = [
        "mode=rebalance",
        "data=file",
        f"data.path={prices_file}",
        f"execution.cache_dir={tmp_path / 'cache'}",
        "execution.progress=off",
        "rebalance.line=SP500/ensemble_I",
    ]

    def rebalance(*extra: str):
        parts = build(load_config([*overrides, *extra]))
        result, orders = rebalance_orders(parts.pipeline, parts.source.load(), parts.rebalance)
        return parts.pipeline, result, orders

    def windows(pipeline, result) -> int:
        return sum(
            len(strategy.walk_forward.plan(result.prices[asset].dropna().index, strategy.generator))
            for strategy in pipeline.strategies.values()
            for asset in result.prices.columns
        )

    us_markets.loc[:"2004-06-30"].rename_axis("date").to_csv(prices_file)
    before, first, _ = rebalance()
    assert before.execution.stats.fits == windows(before, first)
    us_markets.loc[:"2005-08-31"].rename_axis("date").to_csv(prices_file)  # days appended
    after, grown, orders = rebalance()
    new_windows = windows(after, grown) - windows(before, first)
    assert new_windows >= 9  # a new year of momentum and contrarian, 252 bars of LSTM
    assert after.execution.stats.fits == new_windows
    _, fresh, fresh_orders = rebalance(f"execution.cache_dir={tmp_path / 'empty'}")
    pd.testing.assert_frame_equal(grown.forecasts, fresh.forecasts)
    pd.testing.assert_frame_equal(grown.equity, fresh.equity)
    pd.testing.assert_frame_equal(orders.table, fresh_orders.table)
    again, _, _ = rebalance()
    assert again.execution.stats.fits == 0
