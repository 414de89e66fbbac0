"""The online combiner protocol, for every combiner."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.app.composition import pipeline_from_config
from aisfolio.ensemble import (
    AcceleratedUniversalCombiner,
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
    UniversalCombiner,
)
from aisfolio.portfolio.rebalance import rebalance_streams, union_equity

COMBINERS = {
    # Exact for K <= 3 with a small node budget: the rule grows, then stays fixed after
    # period 62 (K = 3), so both regimes go through the protocol quickly.
    "universal": lambda: UniversalCombiner(max_nodes=1024),
    "universal_sampled": lambda: UniversalCombiner(samples=256, seed=1),
    "universal_vertices": lambda: UniversalCombiner(samples=128, vertex_weight=0.3),
    "accelerated": lambda: AcceleratedUniversalCombiner(sharpness=8.0, max_nodes=1024),
    "equal_weight": EqualWeightCombiner,
    "buy_and_hold": BuyAndHoldCombiner,
    "follow_the_best": FollowTheBestCombiner,
    "exponentiated_gradient": lambda: ExponentiatedGradientCombiner(0.1),
}
NAMES = sorted(COMBINERS)


def _returns(periods: int, k: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = np.exp(rng.normal(0.0003, 0.02, size=(periods, k))) - 1
    index = pd.bdate_range("2010-01-04", periods=periods)
    return pd.DataFrame(values, index=index, columns=[f"s{j}" for j in range(k)])


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(st.integers(1, 5), st.integers(1, 25), st.data())
def test_weights_stay_on_the_simplex(name, k, periods, data):
    returns = np.array(
        data.draw(
            st.lists(
                st.one_of(st.floats(-1.0, 3.0), st.just(-1.0)),
                min_size=periods * k,
                max_size=periods * k,
            )
        )
    ).reshape(periods, k)
    combiner = COMBINERS[name]()
    weights = combiner.update_many(returns)
    assert weights.shape == (periods, k) and np.isfinite(weights).all()
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_one_component_is_reproduced(name):
    returns = _returns(300, 1)
    combiner = COMBINERS[name]()
    np.testing.assert_array_equal(combiner.update_many(returns), np.ones((300, 1)))
    assert combiner.log_wealth_ == pytest.approx(np.log1p(returns.to_numpy()).sum(), rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_resuming_from_a_saved_state_equals_an_uninterrupted_run(name, tmp_path):
    returns = _returns(120, 3, seed=2).to_numpy()
    uninterrupted = COMBINERS[name]()
    uninterrupted.update_many(returns[:47])
    state = uninterrupted.get_state()
    rest = uninterrupted.update_many(returns[47:])

    resumed = COMBINERS[name]().set_state(state)
    np.testing.assert_array_equal(resumed.update_many(returns[47:]), rest)
    assert resumed.log_wealth_ == uninterrupted.log_wealth_
    assert resumed.periods_ == uninterrupted.periods_ == 120

    path = tmp_path / "state.npz"
    fresh = COMBINERS[name]()
    fresh.update_many(returns[:47])
    fresh.save_state(path)
    loaded = COMBINERS[name]().load_state(path)
    np.testing.assert_array_equal(loaded.update_many(returns[47:]), rest)


@pytest.mark.parametrize("name", NAMES)
def test_the_chunking_of_the_periods_changes_only_rounding(name):
    returns = _returns(700, 4, seed=6).to_numpy()
    at_once = COMBINERS[name]()
    expected = at_once.update_many(returns)
    rows = COMBINERS[name]()
    one_by_one = np.vstack([rows.update(r).weights for r in returns])
    np.testing.assert_allclose(one_by_one, expected, rtol=1e-13, atol=1e-15)
    chunks = COMBINERS[name]()
    pieces = [chunks.update_many(returns[i : i + 37]) for i in range(0, 700, 37)]
    np.testing.assert_allclose(np.vstack(pieces), expected, rtol=1e-13, atol=1e-15)
    assert at_once.log_wealth_ == pytest.approx(rows.log_wealth_, abs=1e-12)
    # The same calls give the same bits.
    again = COMBINERS[name]()
    np.testing.assert_array_equal(np.vstack([again.update(r).weights for r in returns]), one_by_one)


def test_a_state_only_resumes_the_same_combiner():
    state = UniversalCombiner(samples=64).update(np.zeros(3)).get_state()
    with pytest.raises(ValueError, match="parameters"):
        UniversalCombiner(samples=32).set_state(state)
    with pytest.raises(ValueError, match="cannot resume"):
        BuyAndHoldCombiner().set_state(state)


@pytest.mark.parametrize("name", NAMES)
def test_weights_at_is_incremental_and_restarts_on_another_history(name, monkeypatch):
    history = _returns(200, 3, seed=3)
    combiner = COMBINERS[name]()
    processed = []
    advance = combiner._advance
    monkeypatch.setattr(combiner, "_advance", lambda g: processed.append(len(g)) or advance(g))
    growing = np.array([combiner.weights_at(history.iloc[: t + 1]) for t in range(200)])
    assert sum(processed) == 200  # each row once: O(T) over growing prefixes
    np.testing.assert_allclose(
        growing, COMBINERS[name]().update_many(history), rtol=1e-13, atol=1e-15
    )
    # The same history again: nothing new to process.
    np.testing.assert_array_equal(combiner.weights_at(history), growing[-1])
    assert sum(processed) == 200
    # A history that is not an extension of the one seen: start again from scratch.
    for row, column in [(199, 1), (0, 2), (99, 0)]:
        changed = history.copy()
        changed.iloc[row, column] += 0.01
        expected = COMBINERS[name]().update_many(changed)[-1]
        np.testing.assert_array_equal(combiner.weights_at(changed), expected)  # one call: same
    assert sum(processed) == 800
    relabelled = history.set_axis(history.index + pd.Timedelta(days=1))
    combiner.weights_at(relabelled)
    assert sum(processed) == 1000
    np.testing.assert_allclose(
        combiner.weights_at(history.iloc[:50]), growing[49], rtol=1e-13, atol=1e-15
    )


@pytest.mark.parametrize("name", ["universal", "exponentiated_gradient"])
def test_weights_at_resumes_from_a_saved_state(name):
    history = _returns(150, 3, seed=4)
    combiner = COMBINERS[name]()
    for t in range(100):
        combiner.weights_at(history.iloc[: t + 1])
    state = combiner.get_state()
    resumed = COMBINERS[name]().set_state(state)
    assert resumed.periods_ == 100
    for t in range(100, 150):
        np.testing.assert_array_equal(
            resumed.weights_at(history.iloc[: t + 1]), combiner.weights_at(history.iloc[: t + 1])
        )
    assert resumed.periods_ == 150  # continued, not restarted


def test_bad_returns_name_the_row_and_column():
    history = _returns(20, 2)
    history.iloc[7, 1] = np.nan
    with pytest.raises(ValueError, match="'s1' at row 2010-01-13 00:00:00 is not finite"):
        UniversalCombiner().weights_at(history)
    with pytest.raises(ValueError, match="component 0 at row 1 is below -100%"):
        BuyAndHoldCombiner().update([[0.0, 0.0], [-1.5, 0.0]])
    with pytest.raises(ValueError, match="3 components"):
        EqualWeightCombiner().update(np.zeros(3)).update(np.zeros(2))
    with pytest.raises(ValueError, match="update it first"):
        _ = UniversalCombiner().weights


@pytest.mark.parametrize("name", NAMES)
def test_a_period_where_everything_is_lost_is_ignored(name):
    returns = _returns(30, 3, seed=5).to_numpy()
    with_ruin = np.vstack([returns[:10], -np.ones((1, 3)), returns[10:]])
    combiner = COMBINERS[name]()
    weights = combiner.update_many(with_ruin)
    np.testing.assert_array_equal(weights[10], weights[9])
    np.testing.assert_allclose(
        np.delete(weights, 10, axis=0),
        COMBINERS[name]().update_many(returns),
        rtol=1e-13,
        atol=1e-15,
    )
    assert combiner.log_wealth_ == -np.inf


@pytest.fixture(scope="module")
def ais_equity(us_markets_short) -> pd.DataFrame:
    """Three AIS lines of us_markets over 2006, on their union calendar."""

    prices = us_markets_short.loc["2005-10-01":]
    overrides = ["generators=[buy_and_hold,momentum,contrarian]", "ensemble=none"]
    lines = pipeline_from_config([*overrides, "backtest.start=2006-01-03"]).run(prices).lines
    members = ["SP500/momentum", "SP500/contrarian", "WTI/buy_and_hold"]
    return union_equity({m: lines[m].equity for m in members}).fillna(1.0)


@pytest.mark.parametrize("name", NAMES)
def test_plugs_into_rebalance_streams_with_costs(name, ais_equity):
    combiner = COMBINERS[name]()
    free = rebalance_streams(ais_equity, combiner, frequency="every_bar", cost_rate=0.0)
    # Without costs the portfolio's wealth is the combiner's own (it saw all but the last row).
    assert np.log(free.equity.iloc[-2]) == pytest.approx(combiner.log_wealth_, abs=1e-10)
    costly = rebalance_streams(
        ais_equity, COMBINERS[name](), frequency="every_bar", cost_rate=0.001
    )
    np.testing.assert_allclose(costly.costs.iloc[2:], 0.001 * costly.traded.iloc[1:-1].to_numpy())
    assert costly.equity.iloc[-1] <= free.equity.iloc[-1]
    np.testing.assert_allclose(costly.weights.iloc[1:].sum(axis=1), 1.0, atol=1e-12)
    if name != "equal_weight":
        assert costly.costs.sum() > 0


def test_rebalancing_less_often_with_a_combiner(ais_equity):
    monthly = rebalance_streams(ais_equity, UniversalCombiner(), "monthly", cost_rate=0.001)
    daily = rebalance_streams(ais_equity, UniversalCombiner(), "every_bar", cost_rate=0.001)
    assert 10 <= len(monthly.rebalances) <= 13 < len(daily.rebalances)
    # Weights decided at a month's first bar from all returns up to it.
    first = monthly.rebalances[1]
    history = ais_equity.pct_change().fillna(0.0).loc[:first]
    position = ais_equity.index.get_loc(first)
    np.testing.assert_allclose(
        monthly.weights.iloc[position + 1],
        UniversalCombiner().update_many(history)[-1],
        rtol=1e-12,
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_preview_gives_the_next_weights_and_changes_nothing(name):
    history = _returns(120, 3, seed=5)
    combiner = COMBINERS[name]()
    combiner.weights_at(history.iloc[:100])
    before = combiner.get_state()
    preview = combiner.preview_at(history)
    after = combiner.get_state()
    assert before.keys() == after.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
    np.testing.assert_array_equal(preview, combiner.weights_at(history))
