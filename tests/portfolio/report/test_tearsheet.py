"""The tearsheet's numbers against direct computations on real prices and a drawn example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio import metrics
from aisfolio.portfolio.report.tearsheet import (
    KEY_METRICS,
    build_tearsheet,
    period_returns_by,
    worst_drawdowns,
)


@pytest.fixture(scope="module")
def equity(us_markets: pd.DataFrame) -> pd.DataFrame:
    prices = us_markets[["SP500", "NASDAQ"]].dropna().loc["2005":"2012"]
    return prices / prices.iloc[0]


def test_months_and_years_compound_to_the_whole(equity):
    line = equity["NASDAQ"]
    monthly = period_returns_by(line, "ME")
    yearly = period_returns_by(line, "YE")
    total = line.iloc[-1] / line.iloc[0] - 1
    assert np.prod(1 + monthly) - 1 == pytest.approx(total, rel=1e-12)
    assert np.prod(1 + yearly) - 1 == pytest.approx(total, rel=1e-12)
    closes = line.groupby(line.index.year).last()
    assert yearly.loc["2009"].iloc[0] == pytest.approx(closes[2009] / closes[2008] - 1)
    assert yearly.iloc[0] == pytest.approx(closes[2005] / line.iloc[0] - 1)


def test_drawdowns_on_a_drawn_line():
    dates = pd.date_range("2020-01-01", periods=9, freq="D")
    line = pd.Series([1, 2, 1, 1.5, 2, 2.5, 1.25, 3, 2.7], index=dates)
    table = worst_drawdowns(line)
    assert list(table["depth"]) == pytest.approx([0.5, 0.5, 0.1])
    first, second, last = (table.iloc[i] for i in range(3))
    assert (first.start, first.trough, first.recovered) == (dates[1], dates[2], dates[4])
    assert (second.start, second.trough, second.recovered) == (dates[5], dates[6], dates[7])
    assert first.days == 3 and second.days == 2
    assert pd.isna(last.recovered) and last.days == 1  # still open at the last bar


def test_key_metrics_agree_with_the_project_measures_and_numpy(equity):
    sheet = build_tearsheet(equity, "NASDAQ", "SP500", {"NASDAQ": 252.0, "SP500": 252.0}, 63)
    key = sheet.key_metrics["NASDAQ"]
    values = equity["NASDAQ"].to_numpy()
    assert list(sheet.key_metrics.index) == list(KEY_METRICS)
    assert key["CAGR"] == pytest.approx(metrics.annualized_return(values, 252.0))
    assert key["max drawdown"] == pytest.approx(metrics.max_drawdown(values))
    assert sheet.drawdowns["depth"].iloc[0] == pytest.approx(metrics.max_drawdown(values))
    returns = equity.pct_change().dropna()
    slope = np.polyfit(returns["SP500"], returns["NASDAQ"], 1)[0]
    assert key["beta to benchmark"] == pytest.approx(slope, rel=1e-9)
    assert key["correlation with benchmark"] == pytest.approx(
        np.corrcoef(returns["SP500"], returns["NASDAQ"])[0, 1]
    )
    moved = returns["NASDAQ"][returns["NASDAQ"] != 0]
    assert key["win rate"] == pytest.approx((moved > 0).mean())
    assert key["worst bar"] == pytest.approx(returns["NASDAQ"].min())
    assert (
        sheet.key_metrics["SP500"]["beta to benchmark"]
        != sheet.key_metrics["SP500"]["beta to benchmark"]
    )  # NaN: the benchmark has no benchmark


def test_rolling_measures_at_the_last_bar(equity):
    window = 63
    sheet = build_tearsheet(equity, "NASDAQ", "SP500", {"NASDAQ": 252.0, "SP500": 252.0}, window)
    tail = equity.pct_change().dropna().iloc[-window:]
    mine = tail["NASDAQ"]
    last = sheet.rolling.iloc[-1]
    assert last["volatility"] == pytest.approx(mine.std(ddof=1) * np.sqrt(252))
    assert last["Sharpe"] == pytest.approx(mine.mean() / mine.std(ddof=1) * np.sqrt(252))
    assert last["beta"] == pytest.approx(np.polyfit(tail["SP500"], mine, 1)[0], rel=1e-9)
    assert sheet.rolling["beta"].iloc[: window - 1].isna().all()


def test_monthly_table_and_yearly_difference(equity):
    sheet = build_tearsheet(equity, "NASDAQ", "SP500", {"NASDAQ": 252.0, "SP500": 252.0})
    assert list(sheet.monthly.columns)[:3] == ["Jan", "Feb", "Mar"]
    assert list(sheet.monthly.index) == list(range(2005, 2013))
    monthly = period_returns_by(equity["NASDAQ"], "ME")
    assert sheet.monthly.loc[2008, "Oct"] == pytest.approx(monthly.loc["2008-10"].iloc[0])
    difference = sheet.yearly["NASDAQ"] - sheet.yearly["SP500"]
    np.testing.assert_allclose(sheet.yearly["difference"], difference)


def test_without_a_benchmark(equity):
    sheet = build_tearsheet(equity, "SP500", None, {"SP500": 252.0})
    assert list(sheet.key_metrics.columns) == ["SP500"]
    assert "beta" not in sheet.rolling and "difference" not in sheet.yearly
