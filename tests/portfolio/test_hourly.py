"""The same pipeline on hourly bars: 1,000 real hourly BTC-USD closes (24/7).

The file is ``tests/data/btc_usd_hourly.csv`` (provenance in ``tests/data/README.md``).
Everything runs in bars, not days: the LSTM's walk-forward retrains every 252 hourly
bars and the metrics annualize with 24 x 365 = 8760 bars a year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aisfolio.portfolio as pf
from aisfolio.app.composition import Components, build, load_config
from aisfolio.strategies.walk_forward import chunk_task

HOURLY = Path(__file__).resolve().parents[1] / "data" / "btc_usd_hourly.csv"
BARS_PER_YEAR = 24 * 365
OVERRIDES = [
    "data=file",
    f"data.path={HOURLY}",
    "generators=[buy_and_hold,momentum,contrarian,lstm]",
    # A small LSTM: the protocol (first 252 bars, retrained every 252 bars) unchanged.
    "generators.lstm.generator.hidden_sizes=[4]",
    "generators.lstm.generator.epochs=3",
    "generators.lstm.generator.accelerator=cpu",
    "generators.lstm.generator.logger=none",
    "significance.reps=50",
    # Never read or fill a result cache (this module's run is built before the
    # per-test private cache is set).
    "execution.cache=false",
    "execution.progress=off",
]


@pytest.fixture(scope="module")
def file_closes() -> pd.Series:
    """The file's closes, read independently of the project's loader."""
    frame = pd.read_csv(HOURLY)
    return pd.Series(
        frame["BTC"].to_numpy(dtype=float), index=pd.to_datetime(frame["date"]), name="BTC"
    )


@pytest.fixture(scope="module")
def parts() -> Components:
    return build(load_config(OVERRIDES))


@pytest.fixture(scope="module")
def prices(parts: Components) -> pd.DataFrame:
    return parts.source.load()


@pytest.fixture(scope="module")
def hourly_run(parts: Components, prices: pd.DataFrame) -> pf.RunResult:
    return parts.pipeline.run(prices)


def test_the_file_is_a_thousand_consecutive_hourly_bars(file_closes):
    assert len(file_closes) == 1000
    assert file_closes.index[0] == pd.Timestamp("2024-05-27 00:00:00")
    assert file_closes.index[-1] == pd.Timestamp("2024-07-07 15:00:00")
    steps = np.diff(file_closes.index.to_numpy()) / np.timedelta64(1, "h")
    assert (steps == 1).all()
    assert (file_closes > 0).all()


def test_the_loader_keeps_the_hourly_timestamps(prices, file_closes):
    assert list(prices.columns) == ["BTC"]
    assert len(prices) == len(file_closes)
    assert (prices.index == file_closes.index).all()
    np.testing.assert_array_equal(prices["BTC"].to_numpy(), file_closes.to_numpy())
    assert sorted(set(prices.index.hour)) == list(range(24))
    # The public loader gives the same frame.
    pd.testing.assert_frame_equal(pf.load_prices(str(HOURLY)), prices)


def test_hourly_24_7_bars_count_8760_a_year(prices, hourly_run):
    assert pf.infer_periods_per_year(prices.index) == BARS_PER_YEAR
    per_line = hourly_run.metrics["periods_per_year"]
    # One asset: its four AIS and its type I ensemble (the paper's ensembles as
    # configured; type II ensembles and hedges need two assets).
    assert hourly_run.metrics["kind"].value_counts().to_dict() == {"AIS": 4, "ensemble_I": 1}
    assert (per_line == BARS_PER_YEAR).all()


def test_the_lstm_retrains_every_252_bars(parts, prices, hourly_run):
    lstm = parts.pipeline.strategies["lstm"]
    plan = lstm.walk_forward.plan(prices.index, lstm.generator)
    trains = [len(chunk_task(prices["BTC"], chunk).train) for chunk in plan]
    assert trains == [252, 504, 756]
    assert [chunk.n_decisions for chunk in plan] == [252, 252, 245]
    refits = prices.index[[chunk.refit for chunk in plan]]
    # 252 hours apart (10.5 days), not 252 days: three refits within 42 days.
    assert (refits.to_series().diff().dropna() == pd.Timedelta(hours=252)).all()
    assert refits[0] == pd.Timestamp("2024-06-06 11:00:00")
    # The run's LSTM forecasts start at the first refit and cover every later bar.
    forecasts = hourly_run.forecasts[("BTC", "lstm")]
    assert forecasts.iloc[: plan[0].refit].isna().all()
    assert forecasts.iloc[plan[0].refit :].notna().all()


def test_forecasts_and_positions_are_stamped_on_hourly_bars(prices, hourly_run):
    for frame in (hourly_run.forecasts, hourly_run.positions):
        pd.testing.assert_index_equal(frame.index, prices.index, check_names=False)
        decided = frame.dropna(how="all").index
        assert len(decided) == 999  # every bar after the first
        assert sorted(set(decided.hour)) == list(range(24))
    start = hourly_run.metrics.loc["BTC/lstm", "start"]
    assert start == pd.Timestamp("2024-06-06 11:00:00")
    assert (hourly_run.metrics["start"] == start).all()
    line = hourly_run.line("BTC/momentum")
    assert line.index[0] == start and line.index[-1] == prices.index[-1]
    assert (line.index.to_series().diff().dropna() == pd.Timedelta(hours=1)).all()


def test_momentum_follows_the_sign_of_the_last_hourly_return(hourly_run, file_closes):
    last_return = (file_closes / file_closes.shift(1) - 1).iloc[1:]
    expected = np.where(last_return >= 0, 1.0, -1.0)  # a tie goes long
    positions = hourly_run.positions["BTC"].iloc[1:]
    np.testing.assert_array_equal(positions["momentum"].to_numpy(), expected)
    np.testing.assert_array_equal(positions["contrarian"].to_numpy(), -expected)
    np.testing.assert_array_equal(positions["buy_and_hold"].to_numpy(), np.ones(999))
    # Both sides occur: the check is not trivially all long.
    assert 300 < (expected > 0).sum() < 700


def test_buy_and_hold_annualizes_with_hourly_bars(hourly_run, file_closes):
    row = hourly_run.metrics.loc["BTC/buy_and_hold"]
    window = file_closes.loc[row["start"] :]
    # Entering at the first close costs 0.05%, charged in the first return.
    simple = window.pct_change().dropna().to_numpy().copy()
    simple[0] -= 0.0005
    terminal = np.prod(1 + simple)
    assert row["aRC"] == pytest.approx(terminal ** (BARS_PER_YEAR / len(window)) - 1, rel=1e-10)
    assert row["aSD"] == pytest.approx(simple.std(ddof=1) * np.sqrt(BARS_PER_YEAR), rel=1e-10)


def test_hourly_metrics_are_finite(hourly_run):
    labels = ["aRC", "aSD", "MD", "MLD", "IR*", "IR**", "Sharpe", "turnover"]
    values = hourly_run.metrics[labels].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert hourly_run.fit_failures.empty
