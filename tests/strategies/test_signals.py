import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisfolio.strategies.signals import RULES, SignalRule

FORECASTS = np.array([-0.2, -0.01, 0.0, 0.01, 0.2, np.nan])


@pytest.mark.parametrize(
    ("rule", "on_tie", "expected"),
    [
        ("long_short", "short", [-1, -1, -1, 1, 1, np.nan]),
        ("long_short", "long", [-1, -1, 1, 1, 1, np.nan]),
        ("long_short", "flat", [-1, -1, 0, 1, 1, np.nan]),
        ("long_only", "short", [0, 0, 0, 1, 1, np.nan]),
        ("long_only", "long", [0, 0, 1, 1, 1, np.nan]),
        ("short_only", "short", [-1, -1, -1, 0, 0, np.nan]),
        ("short_only", "long", [-1, -1, 0, 0, 0, np.nan]),
    ],
)
def test_sign_rules(rule, on_tie, expected):
    np.testing.assert_array_equal(SignalRule(rule, on_tie=on_tie)(FORECASTS), expected)


def test_threshold_rule_has_a_dead_band():
    positions = SignalRule("threshold", threshold=0.05)(FORECASTS)
    np.testing.assert_array_equal(positions, [-1, 0, 0, 0, 1, np.nan])


@pytest.mark.parametrize("bad", [{"rule": "longish"}, {"on_tie": "up"}, {"threshold": -1.0}])
def test_bad_parameters_are_named(bad):
    with pytest.raises(ValueError, match=str(next(iter(bad.values())))):
        SignalRule(**bad)


@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=50),
    st.sampled_from(RULES),
    st.sampled_from(["long", "short", "flat"]),
)
def test_positions_stay_within_bounds(values, rule, on_tie):
    positions = SignalRule(rule, threshold=0.01, on_tie=on_tie)(np.array(values))
    finite = positions[~np.isnan(positions)]
    assert np.all(np.abs(finite) <= 1)
    assert np.array_equal(np.isnan(positions), np.isnan(np.array(values, dtype=float)))
    if rule == "long_only":
        assert np.all(finite >= 0)
    if rule == "short_only":
        assert np.all(finite <= 0)
