"""Risk measures: known answers and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.portfolio.report.risk import beta, risk_contributions


def test_beta_of_a_scaled_series():
    rng = np.random.default_rng(0)
    target = pd.Series(rng.normal(0, 0.01, 300), index=pd.bdate_range("2020", periods=300))
    noise = pd.Series(rng.normal(0, 1e-9, 300), index=target.index)
    assert beta(2 * target + noise, target) == pytest.approx(2.0, rel=1e-5)


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
    seed=st.integers(0, 99),
)
def test_contributions_add_up_to_the_volatility(weights, seed):
    rng = np.random.default_rng(seed)
    returns = pd.DataFrame(
        rng.normal(0, 0.01, (200, 3)) @ rng.normal(size=(3, 3)), columns=list("abc")
    )
    w = pd.Series(weights, index=list("abc"))
    table = risk_contributions(w, returns, 252)
    volatility = np.sqrt(w @ returns.cov() @ w * 252)
    if volatility > 1e-12:
        assert table["contribution"].sum() == pytest.approx(volatility, rel=1e-9)
        assert table["share"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(table["volatility"], returns.std() * np.sqrt(252))


def test_a_stream_at_zero_weight_carries_no_risk_and_nothing_held_has_no_shares():
    rng = np.random.default_rng(1)
    returns = pd.DataFrame(rng.normal(0, 0.01, (250, 3)), columns=list("abc"))
    table = risk_contributions(pd.Series({"a": 0.6, "b": 0.0, "c": -0.4}), returns, 252)
    assert table.loc["b", "contribution"] == 0 and table.loc["b", "share"] == 0
    assert table["share"].sum() == pytest.approx(1.0)
    empty = risk_contributions(pd.Series(0.0, index=list("abc")), returns, 252)
    assert (empty["contribution"] == 0).all() and empty["share"].isna().all()
