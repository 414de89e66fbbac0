"""The working set (many streams, long-only): certified answers equal the full problem's."""

import cvxpy as cp
import numpy as np
import pytest

from aisfolio.portfolio.allocation import Allocator, RiskModel, screening
from aisfolio.portfolio.allocation import problem as problem_module
from aisfolio.portfolio.allocation.constraints import BoundConstraints
from aisfolio.portfolio.allocation.objectives import OBJECTIVES
from aisfolio.portfolio.allocation.screening import screenable
from aisfolio.portfolio.measures import cvar
from tests.portfolio.allocation.conftest import synthetic

N = 120  # streams: above screening.MIN_STREAMS
WINDOW = 100  # rows per fit: fewer than the streams, as in the benchmark's largest case


def _fits(allocator, returns, dates):
    out = []
    for end in dates:
        allocator.fit(returns.iloc[end - WINDOW : end])
        out.append(allocator.weights_.to_numpy())
    return np.array(out)


def _exact_min_variance(rows, upper, estimator):
    """Minimum variance by Clarabel at tolerances far tighter than its defaults."""
    covariance = RiskModel(estimator).factors(rows).covariance
    covariance = covariance / np.mean(np.diag(covariance))
    w = cp.Variable(rows.shape[1])
    tight = {"tol_gap_abs": 1e-14, "tol_gap_rel": 1e-14, "tol_feas": 1e-14, "max_iter": 400}
    tight["tol_ktratio"] = 1e-14  # at 1e-12 some weights were 1e-7 off the exact optimum
    cp.Problem(
        cp.Minimize(cp.quad_form(w, cp.psd_wrap(covariance))),
        [cp.sum(w) == 1, w >= 0, w <= upper],
    ).solve(solver="CLARABEL", **tight)
    return np.asarray(w.value)


@pytest.fixture(scope="module")
def returns():
    return synthetic(N, rows=WINDOW + 60, seed=3)


@pytest.mark.parametrize("estimator", ["sample", "ledoit_wolf"])
def test_min_variance_on_the_working_set_is_the_exact_optimum(returns, estimator):
    dates = [WINDOW, WINDOW + 5, WINDOW + 10, WINDOW + 30, WINDOW + 60]
    allocator = Allocator(
        "min_variance", risk=estimator, lookback=WINDOW, min_observations=WINDOW, upper=0.08
    )
    got = _fits(allocator, returns, dates)
    working = allocator.estimator.problems["min_variance"].working_set
    assert working is not None and working.misses == 0
    assert working.rounds + working.direct >= len(dates)
    for w, end in zip(got, dates, strict=True):
        expected = _exact_min_variance(returns.iloc[end - WINDOW : end].to_numpy(), 0.08, estimator)
        np.testing.assert_allclose(w, expected, atol=1e-6)
    assert (got > 1e-6).sum(axis=1).max() < N // 2  # the working set is the point


@pytest.mark.parametrize("misleading", [False, True])
def test_min_cvar_on_the_working_set_equals_the_full_problem(returns, monkeypatch, misleading):
    """Streams and scenarios screened (the small problems have fewer rows than the
    window); a misleading start (the scenarios of the smallest losses) only adds rounds."""
    if misleading:
        monkeypatch.setattr(
            screening.WorkingSet,
            "_start_scenes",
            lambda self, w, data: np.argsort(data.scenarios @ w)[-20:],
        )
    dates = [WINDOW, WINDOW + 5, WINDOW + 30, WINDOW + 60]
    options = {"lookback": WINDOW, "min_observations": WINDOW, "upper": 0.08}
    screened = Allocator("min_cvar", **options)
    got = _fits(screened, returns, dates)
    working = screened.estimator.problems["min_cvar"].working_set
    assert working is not None and working.misses == 0
    assert min(rows for _, rows in working._small) < WINDOW
    monkeypatch.setattr(problem_module, "screenable", lambda *args: False)
    full = Allocator("min_cvar", **options)
    expected = _fits(full, returns, dates)
    assert full.estimator.problems["min_cvar"].working_set is None
    np.testing.assert_allclose(got, expected, atol=1e-6)
    for w, v, end in zip(got, expected, dates, strict=True):
        rows = returns.iloc[end - WINDOW : end].to_numpy()
        assert cvar(-rows @ w, 0.95) == pytest.approx(cvar(-rows @ v, 0.95), rel=1e-9)


def test_a_bad_start_brings_the_missing_streams_in(returns, monkeypatch):
    """Start from the streams a minimum variance would not hold, the others ranked
    backwards: the ones it needs join the working set until the full problem's
    conditions hold."""
    rows = returns.iloc[:WINDOW]
    allocator = Allocator("min_variance", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    first = allocator.fit(rows).weights_.to_numpy()
    working = allocator.estimator.problems["min_variance"].working_set
    worst = np.argsort(-np.var(rows.to_numpy(), axis=0))  # the most volatile first
    start = np.zeros(N)
    start[worst[:13]] = 1.0 / 13
    working.previous = start
    monkeypatch.setattr(
        screening.WorkingSet,
        "_start_gradient",
        lambda self, w, data: -screening._variance_gradient(w, data),
    )
    before = working.rounds
    again = allocator.fit(rows).weights_.to_numpy()
    assert working.rounds > before + 1 and working.misses == 0
    np.testing.assert_allclose(again, first, atol=1e-8)


def test_without_a_certificate_the_full_problem_answers(returns, monkeypatch):
    monkeypatch.setattr(screening, "ROUNDS", 0)
    rows = returns.iloc[:WINDOW]
    allocator = Allocator("min_variance", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    fit = allocator.fit(rows).fit_
    assert allocator.estimator.problems["min_variance"].working_set.misses == 1
    assert fit.solver == "CLARABEL" and fit.fallbacks == () and not fit.failed
    expected = _exact_min_variance(rows.to_numpy(), 0.08, "ledoit_wolf")
    np.testing.assert_allclose(fit.weights, expected, atol=1e-4)


def test_a_failing_solver_still_falls_back_and_is_recorded(returns, monkeypatch):
    rows = returns.iloc[:WINDOW]
    expected = _exact_min_variance(rows.to_numpy(), 0.08, "ledoit_wolf")
    original = cp.Problem.solve

    def solve(self, *args, **kwargs):
        if kwargs.get("solver") == "CLARABEL":
            raise cp.SolverError("CLARABEL crashed (forced by the test)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", solve)
    allocator = Allocator("min_variance", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    fit = allocator.fit(rows).fit_
    assert fit.solver == "OSQP" and not fit.failed
    assert fit.fallbacks == ("CLARABEL: SolverError: CLARABEL crashed (forced by the test)",)
    np.testing.assert_allclose(fit.weights, expected, atol=1e-3)


@pytest.mark.parametrize(
    ("objective", "settings", "expected"),
    [
        ("min_variance", {"upper": 0.1}, True),
        ("min_cvar", {"upper": 0.1}, True),
        ("min_variance", {"upper": 0.1, "lower": -0.05}, False),
        ("min_variance", {"upper": 0.1, "turnover": 0.5}, False),
        ("min_variance", {"upper": 0.1, "cost_rate": 0.001}, False),
        ("min_variance", {"groups": {"g": {"members": ["s1*"], "upper": 0.3}}}, False),
        ("min_variance", {"budget": None}, False),
        ("mean_variance", {"upper": 0.1}, False),
        ("max_sharpe", {"upper": 0.1}, False),
    ],
)
def test_which_problems_use_the_working_set(objective, settings, expected):
    names = [f"s{i}" for i in range(N)]
    assert screenable(OBJECTIVES[objective], BoundConstraints(**settings).resolve(names)) is (
        expected
    )
    few = [f"s{i}" for i in range(screening.MIN_STREAMS - 1)]
    assert not screenable(OBJECTIVES[objective], BoundConstraints(**settings).resolve(few))


def test_risk_factors_multiply_like_the_covariance(returns):
    x = returns.to_numpy()[:, :30]
    w = np.random.default_rng(0).normal(size=30)
    for estimator in ("sample", "ledoit_wolf", "ewma"):
        factors = RiskModel(estimator).factors(x)
        np.testing.assert_allclose(factors.times(w), factors.covariance @ w, rtol=1e-12)
        np.testing.assert_allclose(factors.variances, np.diag(factors.covariance), rtol=1e-12)


def test_min_cvar_with_an_interior_point_solver_reaches_the_same_cvar(returns):
    """Clarabel instead of HiGHS: its multipliers certify the answer or the full problem
    answers; either way the CVaR is HiGHS's (the weights may be another point of a face
    of optima)."""
    options = {"lookback": WINDOW, "min_observations": WINDOW, "upper": 0.08}
    rows = returns.iloc[:WINDOW]
    got = Allocator("min_cvar", solvers=["CLARABEL"], **options).fit(rows).fit_
    expected = Allocator("min_cvar", **options).fit(rows).fit_
    assert got.solver == "CLARABEL" and not got.failed
    assert got.objective_value == pytest.approx(expected.objective_value, rel=1e-6)


@pytest.mark.parametrize("streams", [40, N])  # a square root of the covariance; window rows
def test_min_variance_on_similar_windows_needs_no_solver(streams):
    """Windows a few rows apart keep their active set: after the first date every answer
    comes from it without a solver, and is the exact optimum."""
    returns = synthetic(streams, rows=WINDOW + 40, seed=5)
    dates = list(range(WINDOW, WINDOW + 40, 4))
    allocator = Allocator("min_variance", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    got = _fits(allocator, returns, dates)
    working = allocator.estimator.problems["min_variance"].working_set
    assert working.direct == len(dates) - 1 and working.misses == 0
    for w, end in zip(got, dates, strict=True):
        expected = _exact_min_variance(
            returns.iloc[end - WINDOW : end].to_numpy(), 0.08, "ledoit_wolf"
        )
        np.testing.assert_allclose(w, expected, atol=1e-8)


def test_a_changed_active_set_falls_back_to_the_working_set(returns, monkeypatch):
    """Last time's active set far from this date's (the most volatile streams held) and
    one linear solve allowed: no certificate, so the working set answers, exactly."""
    monkeypatch.setattr(screening, "DIRECT_ROUNDS", 1)
    rows = returns.iloc[:WINDOW]
    allocator = Allocator("min_variance", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    allocator.fit(rows)
    working = allocator.estimator.problems["min_variance"].working_set
    volatile = np.argsort(-np.var(rows.to_numpy(), axis=0))[:13]
    working.previous = np.zeros(N)
    working.previous[volatile] = 1.0 / 13
    rounds = working.rounds
    w = allocator.fit(rows).weights_.to_numpy()
    assert working.direct == 0 and working.rounds > rounds and working.misses == 0
    expected = _exact_min_variance(rows.to_numpy(), 0.08, "ledoit_wolf")
    np.testing.assert_allclose(w, expected, atol=1e-8)


def _full_min_cvar(returns, dates, monkeypatch):
    """The full compiled linear program (HiGHS) at each date, no working set."""
    with monkeypatch.context() as patch:
        patch.setattr(problem_module, "screenable", lambda *args: False)
        full = Allocator("min_cvar", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
        return _fits(full, returns, dates)


def test_min_cvar_on_similar_windows_keeps_the_optimal_basis(returns, monkeypatch):
    """Windows one row apart: the previous date's basis is often still optimal; its
    vertex is then the answer, the full linear program's."""
    dates = list(range(WINDOW, WINDOW + 30))
    allocator = Allocator("min_cvar", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    got = _fits(allocator, returns, dates)
    working = allocator.estimator.problems["min_cvar"].working_set
    assert working.direct >= len(dates) // 3 and working.misses == 0
    expected = _full_min_cvar(returns, dates, monkeypatch)
    np.testing.assert_allclose(got, expected, atol=1e-8)
    for w, v, end in zip(got, expected, dates, strict=True):
        rows = returns.iloc[end - WINDOW : end].to_numpy()
        assert cvar(-rows @ w, 0.95) == pytest.approx(cvar(-rows @ v, 0.95), rel=1e-12)


def test_min_cvar_with_another_basis_falls_back_to_the_working_set(returns, monkeypatch):
    """Last time's answer far from this date's (the most volatile streams at their caps):
    its basis is not optimal here, so the working set answers."""
    dates = [WINDOW]
    allocator = Allocator("min_cvar", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    _fits(allocator, returns, dates)
    working = allocator.estimator.problems["min_cvar"].working_set
    rows = returns.iloc[:WINDOW].to_numpy()
    previous = np.zeros(N)
    previous[np.argsort(-np.var(rows, axis=0))[:13]] = 0.08
    previous[np.argsort(-np.var(rows, axis=0))[13]] = 1.0 - 13 * 0.08
    working.previous = previous
    rounds = working.rounds
    got = _fits(allocator, returns, dates)
    assert working.direct == 0 and working.rounds > rounds and working.misses == 0
    np.testing.assert_allclose(got, _full_min_cvar(returns, dates, monkeypatch), atol=1e-8)


def test_a_preview_leaves_the_working_set_starting_from_the_last_decision(returns):
    """With several optima (a linear program's face), the answer may depend on where the
    working set starts: a preview must not move that start."""
    allocator = Allocator("min_cvar", lookback=WINDOW, min_observations=WINDOW, upper=0.08)
    allocator.fit(returns.iloc[:WINDOW])
    working = allocator.estimator.problems["min_cvar"].working_set
    decided = working.previous.copy()
    preview = allocator.preview_at(returns.iloc[30 : WINDOW + 30])
    assert not np.allclose(preview, decided)
    np.testing.assert_array_equal(working.previous, decided)
