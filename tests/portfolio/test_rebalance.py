import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.ensemble import EqualWeight, FixedWeights
from aisfolio.portfolio.rebalance import rebalance_streams, union_equity


def test_hand_computed_fifty_fifty_quarterly_mix_with_costs():
    index = pd.to_datetime(["2020-03-30", "2020-03-31", "2020-04-01", "2020-04-02"])
    equity = pd.DataFrame({"A": [1.0, 1.1, 1.21, 1.21], "B": [1.0, 0.9, 0.9, 0.99]}, index=index)
    result = rebalance_streams(equity, FixedWeights([0.5, 0.5]), "quarterly", cost_rate=0.001)
    # 03-31: +10% and -10% cancel. 04-01: A +10% on a 0.55 weight. Rebalance at the close
    # of 04-01 (first trading day of Q2) from the drifted (0.605, 0.45) / 1.055 back to 50/50.
    drifted_a = 0.605 / 1.055
    traded = 2 * (drifted_a - 0.5)
    np.testing.assert_allclose(result.returns, [0.0, 0.0, 0.055, 0.05 - 0.001 * traded], atol=1e-15)
    np.testing.assert_allclose(result.traded, [0.0, 0.0, traded, 0.0])
    np.testing.assert_allclose(result.weights.loc["2020-04-01"], [0.55, 0.45])
    np.testing.assert_allclose(result.weights.loc["2020-04-02"], [0.5, 0.5])
    assert list(result.rebalances) == list(index[[0, 2]])


def test_union_equity_carries_lines_over_days_without_trading():
    a = pd.Series([1.0, 1.1, 1.2], index=pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-04"]))
    b = pd.Series([1.0, 0.9], index=pd.to_datetime(["2021-01-02", "2021-01-03"]))
    frame = union_equity({"a": a, "b": b})
    assert frame.loc["2021-01-03", "a"] == 1.1
    assert frame.loc["2021-01-04", "b"] == 0.9
    assert np.isnan(frame.loc["2021-01-01", "b"])


def test_missing_values_are_refused():
    frame = pd.DataFrame({"a": [1.0, np.nan]}, index=pd.date_range("2021", periods=2))
    with pytest.raises(ValueError, match="missing"):
        rebalance_streams(frame, EqualWeight())


@settings(max_examples=50, deadline=None)
@given(
    st.integers(2, 60),
    st.integers(1, 5),
    st.sampled_from(["every_bar", "every_k", "weekly", "monthly", "quarterly", "never"]),
    st.floats(0.0, 0.01),
    st.data(),
)
def test_weights_sum_to_one_and_costs_are_never_negative(n, k, frequency, cost_rate, data):
    growth = data.draw(st.lists(st.floats(0.7, 1.4), min_size=n * k, max_size=n * k))
    equity = pd.DataFrame(
        np.cumprod(np.reshape(growth, (n, k)), axis=0),
        index=pd.bdate_range("2020-12-01", periods=n),
        columns=[f"s{i}" for i in range(k)],
    )
    result = rebalance_streams(equity, EqualWeight(), frequency, every=3, cost_rate=cost_rate)
    np.testing.assert_allclose(result.weights.iloc[1:].sum(axis=1), 1.0)
    assert (result.weights.iloc[1:] >= 0).all().all()
    assert (result.costs >= 0).all() and (result.traded >= 0).all()
    np.testing.assert_allclose(
        result.costs.iloc[1:].to_numpy(), cost_rate * result.traded.iloc[:-1].to_numpy()
    )


class _Recorder:
    """Target weights that lean to the stream with the higher last return, recording the
    decisions (``weights_at``) apart from the previews."""

    def __init__(self):
        self.lengths, self.previews = [], []

    @staticmethod
    def _lean(history):
        return (
            np.array([0.7, 0.3])
            if history.iloc[-1, 0] >= history.iloc[-1, 1]
            else np.array([0.3, 0.7])
        )

    def weights_at(self, history):
        self.lengths.append(len(history))
        return self._lean(history)

    def preview_at(self, history):
        self.previews.append(len(history))
        return self._lean(history)


def test_targets_are_those_of_each_rebalance_and_of_the_last_close():
    index = pd.bdate_range("2021-03-25", periods=12)
    rng = np.random.default_rng(3)
    equity = pd.DataFrame(
        np.cumprod(1 + rng.normal(0, 0.01, (12, 2)), axis=0), index=index, columns=["a", "b"]
    )
    rule = _Recorder()
    result = rebalance_streams(equity, rule, "quarterly")
    assert list(result.targets.index) == [*result.rebalances, index[-1]]
    returns = equity.pct_change().fillna(0.0)
    for date, row in result.targets.iterrows():
        history = returns.loc[:date]
        expected = [0.7, 0.3] if history.iloc[-1, 0] >= history.iloc[-1, 1] else [0.3, 0.7]
        np.testing.assert_allclose(row, expected)
    # Held weights follow the targets decided at each rebalance (the last one is only decided).
    np.testing.assert_allclose(result.weights.iloc[1], result.targets.iloc[0])
    # The last row is asked of the rule as a preview, its decisions left as they were.
    assert max(rule.lengths) < len(equity) and rule.previews == [len(equity)]
    # A rule without preview_at is stateless: asked weights_at at the last close too.
    stateless = EqualWeight()
    last = rebalance_streams(equity, stateless, "quarterly").targets
    assert list(last.index) == [*result.rebalances, index[-1]]
