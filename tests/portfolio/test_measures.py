"""The pure measures: known answers, an independent LP for CVaR, and invariants."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from aisfolio.portfolio.measures import (
    cvar,
    drawdown,
    risk_contributions,
    traded_notional,
    volatility,
)


def test_cvar_is_the_mean_of_the_worst_tail():
    losses = -np.arange(-10, 10) / 100  # 20 bars: the worst 5% is one, 10% is two
    assert cvar(losses, 0.95) == pytest.approx(0.10)
    assert cvar(losses, 0.90) == pytest.approx(0.095)
    # 30 bars at 95%: k = 1.5 bars, the second worst counts for half of one
    thirty = -np.arange(-15, 15) / 100
    assert cvar(thirty, 0.95) == pytest.approx((0.15 + 0.5 * 0.14) / 1.5)
    assert np.isnan(cvar(np.array([np.nan]), 0.95))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_cvar_equals_the_rockafellar_uryasev_linear_program(seed, level):
    rng = np.random.default_rng(seed)
    losses = rng.standard_t(4, size=40) / 100
    p = rng.dirichlet(np.ones(40))
    # min a + sum p_i u_i / (1 - level)  s.t.  u_i >= loss_i - a, u_i >= 0
    objective = np.concatenate([[1.0], p / (1.0 - level)])
    bounds = [(None, None)] + [(0, None)] * 40
    a_ub = np.hstack([-np.ones((40, 1)), -np.eye(40)])
    lp = linprog(objective, A_ub=a_ub, b_ub=-losses, bounds=bounds, method="highs")
    assert cvar(losses, level, p) == pytest.approx(lp.fun, abs=1e-10)


def test_drawdown_of_a_series_and_of_an_array_agree():
    equity = pd.Series([1.0, 1.2, 0.9, 1.3, 1.04], index=pd.bdate_range("2020", periods=5))
    expected = [0.0, 0.0, 0.9 / 1.2 - 1, 0.0, 1.04 / 1.3 - 1]
    np.testing.assert_allclose(drawdown(equity).to_numpy(), expected)
    np.testing.assert_allclose(drawdown(equity.to_numpy()), expected)


def test_volatility_is_the_annualized_sample_deviation():
    returns = [0.01, -0.02, 0.015, np.nan, 0.0]
    expected = statistics.stdev([0.01, -0.02, 0.015, 0.0]) * np.sqrt(252)
    assert volatility(returns, 252) == pytest.approx(expected)
    assert np.isnan(volatility([0.01], 252))


@settings(max_examples=40, deadline=None)
@given(weights=st.lists(st.floats(-2, 2, allow_nan=False), min_size=4, max_size=4))
def test_risk_shares_add_up_to_one_and_a_zero_weight_has_none(weights):
    rng = np.random.default_rng(0)
    cov = np.cov(rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4)), rowvar=False)
    w = np.array(weights)
    shares = risk_contributions(w, cov)
    if w @ cov @ w > 0:
        assert shares.sum() == pytest.approx(1.0)
        assert (shares[w == 0] == 0).all() and not np.signbit(shares[w == 0]).any()
    else:  # nothing held (or weights so small that the variance underflows)
        assert np.isnan(shares).all()


@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=30))
def test_traded_notional_adds_up_to_the_path_of_the_position(positions):
    traded = traded_notional(positions)
    assert (traded >= 0).all()
    path = abs(positions[0]) + sum(abs(b - a) for a, b in itertools.pairwise(positions))
    assert traded.sum() == pytest.approx(path)
