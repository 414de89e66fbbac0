"""Each objective against a closed form or an independent solution on small cases."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from aisfolio.portfolio.allocation import Allocator
from aisfolio.portfolio.measures import cvar, risk_contributions
from tests.portfolio.allocation.conftest import synthetic

WIDE = {"lower": -10.0, "upper": 10.0}


def sample_cov(frame: pd.DataFrame) -> np.ndarray:
    return np.cov(frame.to_numpy(), rowvar=False)


def test_two_assets_minimum_variance_closed_form(index_returns):
    pair = index_returns[["SP500", "WTI"]]
    s = sample_cov(pair)
    w1 = (s[1, 1] - s[0, 1]) / (s[0, 0] + s[1, 1] - 2 * s[0, 1])
    fit = Allocator("min_variance", risk="sample", lookback=1000, **WIDE).fit(pair).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), [w1, 1 - w1], atol=1e-6)
    assert fit.solver == "CLARABEL" and fit.status == "optimal" and not fit.failed
    assert fit.objective_value == pytest.approx(fit.weights @ s @ fit.weights, rel=1e-12)


def test_minimum_variance_is_the_inverse_covariance_solution(index_returns):
    s = sample_cov(index_returns)
    expected = np.linalg.solve(s, np.ones(3))
    expected /= expected.sum()
    fit = Allocator("min_variance", risk="sample", lookback=1000, **WIDE).fit(index_returns).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), expected, atol=1e-6)


def test_mean_variance_closed_form_with_a_budget():
    frame = synthetic(4, seed=1)
    s, gamma = sample_cov(frame), 50.0
    mu = np.array([0.004, 0.001, -0.002, 0.003])
    inv_mu, inv_one = np.linalg.solve(s, mu), np.linalg.solve(s, np.ones(4))
    lam = (inv_mu.sum() - gamma) / inv_one.sum()
    expected = (inv_mu - lam * inv_one) / gamma
    allocator = Allocator("mean_variance", risk="sample", risk_aversion=gamma, **WIDE)
    fit = allocator.fit(frame, expected_returns=mu).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), expected, atol=1e-6)


def test_max_sharpe_is_the_tangency_portfolio_when_it_is_long_only():
    frame = synthetic(3, seed=2)
    s = sample_cov(frame)
    mu = s @ np.array([0.5, 0.3, 0.2]) * 3  # tangency weights proportional to (.5, .3, .2)
    fit = Allocator("max_sharpe", risk="sample").fit(frame, expected_returns=mu).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), [0.5, 0.3, 0.2], atol=1e-6)
    w = fit.weights.to_numpy()
    assert fit.objective_value == pytest.approx(mu @ w / np.sqrt(w @ s @ w))


def test_max_diversification_is_inverse_covariance_times_volatilities():
    frame = synthetic(3, seed=3)
    s = sample_cov(frame)
    expected = np.linalg.solve(s, np.sqrt(np.diag(s)))
    assert (expected > 0).all()
    fit = Allocator("max_diversification", risk="sample").fit(frame).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), expected / expected.sum(), atol=1e-6)


def test_risk_parity_equalizes_risk_contributions(index_returns):
    fit = Allocator("risk_parity", risk="sample", lookback=1000).fit(index_returns).fit_
    shares = risk_contributions(fit.weights.to_numpy(), sample_cov(index_returns))
    np.testing.assert_allclose(shares, np.full(3, 1 / 3), atol=1e-6)
    assert fit.objective_value < 1e-6


def test_two_asset_risk_parity_is_inverse_volatility(index_returns):
    pair = index_returns[["SP500", "NASDAQ"]]
    vol = np.sqrt(np.diag(sample_cov(pair)))
    fit = Allocator("risk_parity", risk="sample", lookback=1000).fit(pair).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), (1 / vol) / (1 / vol).sum(), atol=1e-6)


def test_risk_budgeting_meets_the_budgets():
    frame = synthetic(4, seed=4)
    budgets = {"s0": 0.4, "s1": 0.3, "s2": 0.2, "s3": 0.1}
    fit = Allocator("risk_budgeting", risk="sample", risk_budgets=budgets).fit(frame).fit_
    shares = risk_contributions(fit.weights.to_numpy(), sample_cov(frame))
    np.testing.assert_allclose(shares, list(budgets.values()), atol=1e-6)


def test_min_cvar_at_the_optimum_equals_its_empirical_definition_and_an_lp():
    frame = synthetic(4, rows=200, seed=5)
    level = 0.95  # 200 * 0.05 = 10 worst scenarios
    fit = Allocator("min_cvar", cvar_level=level, lookback=200).fit(frame).fit_
    losses = -frame.to_numpy() @ fit.weights.to_numpy()
    worst_mean = np.sort(losses)[-10:].mean()
    assert fit.objective_value == pytest.approx(worst_mean, rel=1e-9)
    assert cvar(losses, level) == pytest.approx(worst_mean, rel=1e-12)
    # The Rockafellar-Uryasev LP solved independently by HiGHS: (w, alpha, u).
    r, (t, n) = frame.to_numpy(), frame.shape
    c = np.concatenate([np.zeros(n), [1.0], np.full(t, 1 / (t * (1 - level)))])
    a_ub = np.hstack([-r, -np.ones((t, 1)), -np.eye(t)])
    a_eq = np.concatenate([np.ones(n), [0.0], np.zeros(t)])[None, :]
    bounds = [(0, 1)] * n + [(None, None)] + [(0, None)] * t
    lp = linprog(c, A_ub=a_ub, b_ub=np.zeros(t), A_eq=a_eq, b_eq=[1.0], bounds=bounds)
    assert lp.status == 0
    assert worst_mean == pytest.approx(lp.fun, rel=1e-7)


def test_min_tracking_error_is_the_constrained_regression_on_the_benchmark():
    frame = synthetic(3, seed=6)
    noise = np.random.default_rng(6).normal(0, 0.002, len(frame))
    frame["bench"] = 0.3 * frame["s0"] + 0.7 * frame["s2"] + noise
    s = sample_cov(frame)
    inner, cross = s[:3, :3], s[:3, 3]
    lam = (1 - np.linalg.solve(inner, cross).sum()) / np.linalg.solve(inner, np.ones(3)).sum()
    expected = np.linalg.solve(inner, cross + lam)
    allocator = Allocator(
        "min_tracking_error", risk="sample", benchmark="bench", lower=-5, upper=5,
        bounds={"bench": [0, 0]},
    )  # fmt: skip
    fit = allocator.fit(frame).fit_
    np.testing.assert_allclose(fit.weights.to_numpy()[:3], expected, atol=1e-6)
    gap = fit.weights.to_numpy() - [0, 0, 0, 1]
    assert fit.objective_value == pytest.approx(gap @ s @ gap, rel=1e-12)


def test_inverse_volatility_and_equal_weight_closed_forms(index_returns):
    vol = np.sqrt(np.diag(sample_cov(index_returns)))
    fit = Allocator("inverse_volatility", risk="sample", lookback=1000).fit(index_returns).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), (1 / vol) / (1 / vol).sum(), rtol=1e-12)
    assert fit.solver == "closed_form"
    equal = Allocator("equal_weight").fit(index_returns).fit_
    np.testing.assert_allclose(equal.weights.to_numpy(), np.full(3, 1 / 3))


def test_equal_weight_projected_on_a_group_bound_is_the_euclidean_projection():
    frame = synthetic(4, seed=7)
    groups = {"first_two": {"members": ["s0", "s1"], "upper": 0.3}}
    fit = Allocator("equal_weight", groups=groups).fit(frame).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), [0.15, 0.15, 0.35, 0.35], atol=1e-6)
    assert fit.solver == "CLARABEL"


def test_more_streams_than_rows_uses_the_window_rows_and_the_shrinkage_diagonal():
    from sklearn.covariance import LedoitWolf

    frame = synthetic(40, rows=30, seed=8)  # 40 streams, 30 rows: rows form, d > 0
    s = LedoitWolf().fit(frame.to_numpy()).covariance_
    expected = np.linalg.solve(s, np.ones(40))
    expected /= expected.sum()
    fit = Allocator("min_variance", lookback=30, **WIDE).fit(frame).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), expected, atol=1e-6)
    sample = Allocator("min_variance", risk="sample", lookback=30, **WIDE).fit(frame).fit_
    assert sample.status == "optimal"  # singular sample covariance: still solved
