"""Constraints hold at every rebalance; settings that cannot hold are named."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisfolio.portfolio.allocation import Allocator
from aisfolio.portfolio.allocation.problem import FEASIBILITY_TOLERANCE
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.rebalance import rebalance_streams
from tests.portfolio.allocation.conftest import synthetic

TOL = FEASIBILITY_TOLERANCE  # what the allocator promises of an accepted solution


def check_fit(fit, allocator, current, beta):
    """Verify a fit against the settings directly (not through the allocator's code)."""
    w = fit.weights.to_numpy()
    c = allocator.settings.constraints
    assert np.isfinite(w).all()
    if c.budget is not None:
        assert abs(w.sum() - c.budget) <= TOL
    if c.leverage is not None:
        assert np.abs(w).sum() <= c.leverage + TOL
    assert (w >= c.lower - TOL).all() and (w <= c.upper + TOL).all()
    for spec in c.groups.values():
        members = [int(m[1:]) for m in spec["members"]]
        total = w[members].sum()
        assert spec.get("lower", -np.inf) - TOL <= total <= spec.get("upper", np.inf) + TOL
    if c.turnover is not None and current is not None:
        assert np.abs(w - current).sum() <= c.turnover + TOL
    if beta is not None:
        portfolio_beta = beta @ w
        if c.beta_lower is not None:
            assert portfolio_beta >= c.beta_lower - TOL
        if c.beta_upper is not None:
            assert portfolio_beta <= c.beta_upper + TOL
    if c.min_hedge_weight:
        hedge = [int(m[1:]) for m in c.hedge_streams]
        assert w[hedge].sum() >= c.min_hedge_weight - TOL


@st.composite
def settings_and_data(draw):
    n = draw(st.integers(3, 6))
    objective = draw(
        st.sampled_from(
            ["min_variance", "mean_variance", "min_cvar", "equal_weight", "inverse_volatility",
             "risk_parity", "max_diversification"]
        )
    )  # fmt: skip
    homogeneous = objective in ("risk_parity", "max_diversification")
    long_short = not homogeneous and draw(st.booleans())
    lower = -0.5 if long_short else 0.0
    upper = draw(st.sampled_from([0.6, 0.8, 1.0]))
    options = {"lower": lower, "upper": upper, "lookback": 60, "risk": "sample"}
    if long_short and draw(st.booleans()):
        options["leverage"] = 1.6
    if draw(st.booleans()):
        options["groups"] = {"g": {"members": ["s0", "s1"], "upper": 0.5}}
    if draw(st.booleans()):
        options["turnover"] = draw(st.sampled_from([0.2, 0.5]))
    if draw(st.booleans()):
        options["hedge_target"] = "s0"
        options["beta_upper"] = draw(st.sampled_from([0.5, 0.8]))
    if draw(st.booleans()):
        options["hedge_streams"] = [f"s{n - 1}"]
        options["min_hedge_weight"] = 0.2
    if not homogeneous and draw(st.booleans()):
        options["cost_rate"] = 0.0005
    return objective, options, draw(st.integers(0, 10_000)), n


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(settings_and_data())
def test_every_rebalance_meets_the_constraints_or_records_why_not(case):
    objective, options, seed, n = case
    frame = synthetic(n, rows=160, seed=seed)
    allocator = Allocator(objective, **options)
    equity = (1 + frame).cumprod()
    rebalance_streams(equity, allocator, "every_k", every=20)
    seen = equity.pct_change().fillna(0.0)  # what the allocator was given
    assert len(allocator.history_) >= 7
    current = None
    for fit in allocator.history_:
        if fit.failed:
            assert fit.reason  # kept the weights held, and said why
        else:
            beta = None
            if "beta_upper" in options and fit.solver not in ("warm_up",):
                window = seen.loc[: fit.date].iloc[-60:].to_numpy()
                cov = np.cov(window, rowvar=False)
                beta = cov[:, 0] / cov[0, 0]
            check_fit(fit, allocator, current, beta)
        current = _drift(fit, seen, allocator.history_)
    assert allocator.report().shape[0] == len(allocator.history_)


def _drift(fit, frame, history):
    """The fit's weights drifted to the next decision date, as rebalance_streams does."""
    later = [f.date for f in history if f.date > fit.date]
    if not later:
        return None
    w = fit.weights.to_numpy().copy()
    for r in frame.loc[(frame.index > fit.date) & (frame.index <= later[0])].to_numpy():
        w = w * (1 + r) / (1 + w @ r)
    return w


CLASHES = [
    ({"lower": 0.5}, "budget"),
    ({"upper": 0.2}, "budget"),
    ({"lower": 0.6, "upper": 0.4}, "lower"),
    ({"budget": 1.0, "leverage": 0.5, "lower": -1}, "leverage"),
    (
        {"groups": {"g": {"members": ["s0", "s1"], "lower": 0.9}}, "upper": 0.4},
        "groups.g",
    ),
    ({"groups": {"g": {"members": ["x*"], "upper": 0.5}}}, "groups.g"),
    ({"groups": {"g": {"members": ["s0"], "lower": 0.5, "upper": 0.1}}}, "groups.g"),
    (
        {"hedge_streams": ["s2"], "min_hedge_weight": 0.5, "upper": 0.4},
        "min_hedge_weight",
    ),
    (
        {"hedge_streams": ["s2"], "min_hedge_weight": 0.5, "lower": 0.3},
        "min_hedge_weight",
    ),
    ({"min_hedge_weight": 0.5}, "hedge_streams"),
    ({"beta_upper": 0.5}, "hedge_target"),
    ({"hedge_target": "s*", "beta_upper": 0.5}, "hedge_target"),
    ({"bounds": {"nope": [0, 1]}}, "bounds.nope"),
    ({"turnover": -1}, "turnover"),
    ({"objective": "max_variance"}, "objective"),
    ({"objective": "risk_parity", "lower": -0.2}, "objective"),
    ({"objective": "max_sharpe", "cost_rate": 0.001}, "objective"),
    ({"objective": "risk_budgeting"}, "risk_budgets"),
    ({"objective": "min_tracking_error"}, "benchmark"),
    ({"risk": "garch"}, "risk"),
    ({"lookback": 10, "min_observations": 20}, "min_observations"),
    ({"solvers": ["NOT_A_SOLVER"]}, "solvers"),
]


@pytest.mark.parametrize(("options", "key"), CLASHES, ids=[k for _, k in CLASHES])
def test_settings_that_cannot_hold_are_named(options, key):
    frame = synthetic(3)
    with pytest.raises(ConfigError) as error:
        Allocator(**options).fit(frame)
    # The class names its own parameter; the CLI puts the config node's path in front
    # (tests/app/test_cli_allocation.py).
    assert f"config key '{key}'" in str(error.value)


def test_an_unreachable_beta_is_caught_before_solving_and_recorded():
    frame = synthetic(3)
    frame["s1"] = frame["s0"] * 2 + frame["s1"] * 0.01  # every stream has a high beta
    frame["s2"] = frame["s0"] * 1.5
    allocator = Allocator(hedge_target="s0", beta_upper=0.5)
    fit = allocator.fit(frame).fit_
    assert fit.failed and "beta_upper 0.5" in fit.reason and fit.solver == "none"
    np.testing.assert_allclose(fit.weights.to_numpy(), np.full(3, 1 / 3))  # warm-up weights
