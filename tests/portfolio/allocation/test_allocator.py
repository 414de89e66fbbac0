"""The allocator on its own: dates, drift, solver fallbacks and failures."""

import subprocess
import sys

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from aisfolio.portfolio.allocation import Allocator
from aisfolio.portfolio.rebalance import rebalance_streams
from tests.portfolio.allocation.conftest import synthetic


def test_a_fit_at_a_date_uses_only_rows_up_to_it(index_returns):
    date = index_returns.index[400]
    whole = Allocator("min_cvar").fit(index_returns, date).fit_
    cut = Allocator("min_cvar").fit(index_returns.loc[:date]).fit_
    changed = index_returns.copy()
    changed.loc[changed.index > date] *= 3.0
    later_changed = Allocator("min_cvar").fit(changed, date).fit_
    assert whole.date == date and whole.observations == 252
    pd.testing.assert_series_equal(whole.weights, cut.weights)
    pd.testing.assert_series_equal(whole.weights, later_changed.weights)


def test_too_little_history_gives_the_warm_up_weights(index_returns):
    fit = Allocator(min_observations=30).fit(index_returns.iloc[:10]).fit_
    assert fit.solver == "warm_up" and not fit.failed
    np.testing.assert_allclose(fit.weights.to_numpy(), np.full(3, 1 / 3))


def test_diagnostics_are_complete(index_returns):
    allocator = Allocator("min_variance").fit(index_returns)
    fit = allocator.fit_
    assert fit.solver == "CLARABEL" and fit.status == "optimal" and fit.fallbacks == ()
    assert fit.risk_contributions.sum() == pytest.approx(1.0)
    assert list(allocator.report().columns) == [
        "solver", "status", "fallbacks", "failed", "reason", "objective_value",
        "observations", "seconds",
    ]  # fmt: skip
    assert allocator.weights_history().shape == (1, 3)


def _failing(monkeypatch, failing):
    """Make the named solvers raise, as a broken installation would."""
    original = cp.Problem.solve

    def solve(self, *args, **kwargs):
        if kwargs.get("solver") in failing:
            raise cp.SolverError(f"{kwargs['solver']} crashed (forced by the test)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", solve)


def test_a_failing_solver_falls_back_to_the_next_and_is_recorded(index_returns, monkeypatch):
    expected = Allocator("min_variance").fit(index_returns).weights_
    _failing(monkeypatch, {"CLARABEL"})
    fit = Allocator("min_variance").fit(index_returns).fit_
    assert fit.solver == "OSQP" and not fit.failed
    assert fit.fallbacks == ("CLARABEL: SolverError: CLARABEL crashed (forced by the test)",)
    np.testing.assert_allclose(fit.weights, expected, atol=1e-3)


def test_when_every_solver_fails_the_weights_held_are_kept(index_returns, monkeypatch):
    allocator = Allocator("min_cvar")
    equity = (1 + index_returns).cumprod()
    portfolio = rebalance_streams(equity.iloc[:300], allocator, "monthly")
    before = allocator.fit_.weights.to_numpy()
    _failing(monkeypatch, {"CLARABEL", "HIGHS", "SCS"})
    history = index_returns.iloc[:330]
    drifted = allocator._drifted(history)
    weights = allocator.weights_at(history)
    fit = allocator.fit_
    assert fit.failed and fit.solver == "none" and fit.status == "failed"
    assert "CLARABEL: SolverError" in fit.reason and "HIGHS: SolverError" in fit.reason
    np.testing.assert_allclose(weights, drifted)  # no trade
    assert not np.allclose(drifted, before)  # (they did drift)
    report = allocator.report()
    assert report["failed"].sum() == 1 and report["reason"].iloc[-1] == fit.reason
    assert len(portfolio.rebalances) >= 10


def test_weights_at_drifts_the_previous_target_for_turnover(index_returns):
    allocator = Allocator("min_variance", turnover=0.05, lookback=60)
    equity = (1 + index_returns).cumprod()
    rebalance_streams(equity, allocator, "monthly")
    fits = allocator.history_
    assert len(fits) > 30 and not any(f.failed for f in fits)
    portfolio = rebalance_streams(equity, Allocator("min_variance", turnover=0.05, lookback=60))
    assert (portfolio.traded <= 0.05 + 1e-6).all()


def test_the_problem_is_compiled_once_and_reused(index_returns):
    allocator = Allocator("min_variance")
    allocator.fit(index_returns.iloc[:300])
    problem = allocator.estimator.problems["min_variance"].problem
    allocator.fit(index_returns.iloc[:400])
    assert allocator.estimator.problems["min_variance"].problem is problem
    allocator.fit(index_returns.iloc[:400, :2])  # other streams: a new problem
    assert allocator.estimator.problems["min_variance"].problem is not problem


def test_works_on_any_frame_and_long_short(index_returns):
    frame = synthetic(5, seed=3)
    fit = Allocator("mean_variance", lower=-0.5, upper=1.0, leverage=2.0).fit(frame).fit_
    w = fit.weights.to_numpy()
    assert w.sum() == pytest.approx(1.0) and np.abs(w).sum() <= 2.0 + 1e-6


def test_forecast_variances_replace_the_diagonal_and_keep_correlations(index_returns):
    window = index_returns.iloc[-252:]
    s = np.cov(window.to_numpy(), rowvar=False)
    forecast = np.array([1e-4, 4e-4, 9e-4])
    scale = np.sqrt(forecast / np.diag(s))
    expected_cov = s * np.outer(scale, scale)
    expected = np.linalg.solve(expected_cov, np.ones(3))
    expected /= expected.sum()
    allocator = Allocator("min_variance", risk="sample", lower=-5, upper=5)
    fit = allocator.fit(window, forecast_variances=forecast).fit_
    np.testing.assert_allclose(fit.weights.to_numpy(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="forecast_variances"):
        allocator.fit(window, forecast_variances=[1e-4, -1, 1e-4])


def test_a_preview_gives_the_next_weights_and_keeps_the_decisions(index_returns):
    allocator = Allocator("min_variance", turnover=0.2, lookback=60)
    equity = (1 + index_returns).cumprod()
    portfolio = rebalance_streams(equity.iloc[:400], allocator, "monthly")
    decided = [fit.date for fit in allocator.history_]
    assert decided == list(portfolio.rebalances)
    # The last close's target was a preview: not among the decisions, yet on the line.
    assert portfolio.targets.index[-1] == equity.index[399] not in decided
    again = allocator.preview_at(index_returns.iloc[:400])
    assert [fit.date for fit in allocator.history_] == decided
    np.testing.assert_allclose(again, portfolio.targets.iloc[-1], atol=1e-6)
    np.testing.assert_allclose(allocator.weights_at(index_returns.iloc[:400]), again, atol=1e-6)
    assert len(allocator.history_) == len(decided) + 1


def test_no_solver_banner_reaches_the_console():
    script = (
        "import cvxpy as cp\n"
        "from aisfolio.portfolio.allocation.problem import solver_chain\n"
        "[solver] = solver_chain('lp', ['HIGHS'])\n"
        "x = cp.Variable(2)\n"
        "cp.Problem(cp.Minimize(cp.sum(x)), [x >= 1]).solve(solver=solver)\n"
        "print('solved', round(float(x.value.sum()), 6))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "solved 2.0\n"
    assert "HiGHS" not in done.stderr
