"""Significance: SPA, the model confidence set and the deflated Sharpe ratio on cases
with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aisfolio.portfolio.significance import (
    deflated_sharpe_ratio,
    expected_maximum_sharpe,
    model_confidence_set,
    probabilistic_sharpe_ratio,
    spa_test,
)


@pytest.fixture(scope="module")
def returns(sp500: pd.Series) -> pd.Series:
    return sp500.pct_change().dropna().iloc[-1500:]


def test_a_strategy_equal_to_its_benchmark_is_not_significant(returns):
    result = spa_test(pd.DataFrame({"copy": returns}), returns, reps=200)
    assert result.pvalue == 1.0
    assert result.better == []


def test_noise_around_the_benchmark_is_not_significant(returns):
    noise = np.random.default_rng(0).normal(0.0, 0.002, len(returns))
    result = spa_test(pd.DataFrame({"noisy": returns + noise}), returns, reps=300)
    assert result.pvalue > 0.10
    assert result.better == []


def test_a_strongly_dominant_strategy_is_significant_and_named(returns):
    noise = np.random.default_rng(1).normal(0.0, 0.002, len(returns))
    candidates = pd.DataFrame({"dominant": returns + 0.002, "noisy": returns + noise})
    result = spa_test(candidates, returns, reps=300)
    assert result.pvalue < 0.01
    assert result.better == ["dominant"]
    assert result.block_size >= 1


def test_same_seed_same_pvalues(returns):
    noise = np.random.default_rng(2).normal(0.0, 0.003, len(returns))
    candidates = pd.DataFrame({"noisy": returns + noise + 1e-4})
    first = spa_test(candidates, returns, reps=200, seed=5)
    again = spa_test(candidates, returns, reps=200, seed=5)
    pd.testing.assert_series_equal(first.pvalues, again.pvalues)


def test_the_confidence_set_drops_a_clearly_worse_strategy(returns):
    noise = np.random.default_rng(3).normal(0.0, 0.002, len(returns))
    candidates = pd.DataFrame({"a": returns, "b": returns + noise, "bad": returns - 0.003})
    table = model_confidence_set(candidates, reps=300)
    assert list(table.index) == ["a", "b", "bad"]
    assert table.loc[["a", "b"], "included"].all()
    assert not table.loc["bad", "included"]
    assert table.loc["bad", "pvalue"] < 0.10


def test_too_few_common_observations_are_refused(returns):
    with pytest.raises(ValueError, match="at least 20 common observations"):
        spa_test(pd.DataFrame({"x": returns.iloc[:10]}), returns)


def test_probabilistic_sharpe_ratio_by_hand():
    values = np.random.default_rng(4).normal(0.001, 0.01, 1000)
    sharpe = values.mean() / values.std(ddof=1)
    skew, kurt = stats.skew(values), stats.kurtosis(values, fisher=False)
    expected = stats.norm.cdf(
        sharpe * math.sqrt(999) / math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2)
    )
    assert probabilistic_sharpe_ratio(pd.Series(values)) == pytest.approx(expected)


def test_expected_maximum_sharpe_matches_a_simulation():
    rng = np.random.default_rng(5)
    for trials, variance in [(10, 1.0), (100, 0.25), (1000, 0.04)]:
        simulated = rng.normal(0.0, math.sqrt(variance), (20_000, trials)).max(axis=1).mean()
        assert expected_maximum_sharpe(trials, variance) == pytest.approx(simulated, rel=0.03)


def test_deflating_lowers_the_probability_and_more_trials_lower_it_more():
    rng = np.random.default_rng(6)
    best = pd.Series(rng.normal(0.0008, 0.01, 1250))
    plain = probabilistic_sharpe_ratio(best)
    few = deflated_sharpe_ratio(best, rng.normal(0.0, 0.02, 5))
    many = deflated_sharpe_ratio(best, rng.normal(0.0, 0.02, 500))
    assert many < few < plain
    # Trials whose Sharpe ratios do not vary do not raise the threshold.
    assert deflated_sharpe_ratio(best, [0.01, 0.01, 0.01]) == pytest.approx(plain)


def test_a_copy_in_the_confidence_set_shares_its_originals_verdict(sp500):
    returns = sp500.pct_change().dropna().iloc[-1000:]
    frame = pd.DataFrame(
        {"hold": returns, "copy": returns, "oracle": returns.abs(), "short": -returns}
    )
    mcs = model_confidence_set(frame, reps=200)
    assert mcs["included"].to_dict() == {
        "hold": False,
        "copy": False,
        "oracle": True,
        "short": False,
    }
    assert mcs.loc["copy", "pvalue"] == mcs.loc["hold", "pvalue"]
