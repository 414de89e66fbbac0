import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aisfolio.ensemble.dedup import condition_number, deduplicate


def _signals(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=n)


@pytest.mark.parametrize("better", [0, 1])
def test_keeps_the_better_of_two_near_identical_predictors(better):
    rng, y = _signals()
    base = y + rng.normal(scale=0.5, size=y.size)
    good = base + rng.normal(scale=0.05, size=y.size)  # a near-copy of base ...
    worse = base + 0.05 + rng.normal(scale=0.05, size=y.size)  # ... and a biased one
    other = rng.normal(size=y.size)
    columns = [good, worse] if better == 0 else [worse, good]
    result = deduplicate(np.column_stack([*columns, other]), y, names=["a", "b", "other"])
    kept_name, dropped_name = ("a", "b") if better == 0 else ("b", "a")
    assert [["a", "b", "other"][j] for j in result.kept] == sorted([kept_name, "other"])
    [dropped] = result.dropped
    assert (dropped.column, dropped.reason, dropped.partner) == (
        dropped_name,
        "duplicate",
        kept_name,
    )
    assert dropped.correlation >= 0.95
    assert dropped.mse == pytest.approx(np.mean((good - worse) ** 2))
    assert result.rmse[result.kept[0]] < result.rmse[1 - result.kept[0]]


def test_correlated_but_far_apart_predictors_are_both_kept():
    rng, y = _signals()
    p = y + rng.normal(scale=0.3, size=y.size)
    # Perfectly correlated, but three times larger: not a duplicate in prediction space.
    result = deduplicate(np.column_stack([p, 3 * p]), y)
    np.testing.assert_array_equal(result.kept, [0, 1])
    assert result.dropped == []
    # With a loose enough MSE threshold it is one.
    assert deduplicate(np.column_stack([p, 3 * p]), y, tau_mse=100).kept.tolist() == [0]


def test_variance_floor_drops_flat_predictors_first():
    rng, y = _signals()
    p = np.column_stack([y + rng.normal(size=y.size), np.full(y.size, 0.3), y * 1e-6])
    result = deduplicate(p, y, var_floor=1e-8)
    assert result.kept.tolist() == [0]
    assert [(d.column, d.reason, d.partner) for d in result.dropped] == [
        (1, "variance", None),
        (2, "variance", None),
    ]
    assert result.dropped[0].mse == pytest.approx(0.0, abs=1e-20)


@settings(max_examples=60, deadline=None)
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(20, 60), st.integers(1, 7)),
        elements=st.floats(-10, 10, allow_nan=False, width=32),
    ),
    duplicate_of=st.integers(0, 6),
    noise=st.floats(0.0, 0.5),
)
def test_never_drops_a_unique_predictor_and_every_drop_is_justified(data, duplicate_of, noise):
    rng = np.random.default_rng(0)
    y = data.sum(axis=1) + rng.normal(size=data.shape[0])
    source = data[:, duplicate_of % data.shape[1]]
    p = np.column_stack([data, source + noise * rng.normal(size=data.shape[0])])
    result = deduplicate(p, y)
    scale = y.var() if y.var() > 0 else 1.0
    variance = p.var(axis=0)
    kept = set(result.kept.tolist())
    dropped = {d.column for d in result.dropped}
    assert kept | dropped == set(range(p.shape[1])) and not kept & dropped
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(p, rowvar=False)
    for j in range(p.shape[1]):
        others = [k for k in range(p.shape[1]) if k != j and variance[k] > 1e-8 * scale]
        unique = all(not corr[j, k] >= 0.95 for k in others)
        if variance[j] > 1e-8 * scale and unique:
            assert j in kept
    for d in result.dropped:
        if d.reason == "variance":
            assert variance[d.column] <= 1e-8 * scale
        else:
            assert d.partner in kept
            assert d.correlation >= 0.95 and d.mse <= 0.01 * scale
            assert result.rmse[d.partner] <= result.rmse[d.column]


def test_condition_number_falls_when_duplicates_go():
    rng, y = _signals()
    p = y + rng.normal(scale=0.5, size=y.size)
    matrix = np.column_stack([p, p + rng.normal(scale=0.01, size=y.size), rng.normal(size=y.size)])
    result = deduplicate(matrix, y)
    assert result.condition_number_before == pytest.approx(
        np.linalg.cond(np.corrcoef(matrix, rowvar=False))
    )
    assert result.condition_number_before > 1000
    assert result.condition_number_after < 2
    assert condition_number(matrix[:, :1]) == 1.0
    # Constant columns have no correlation: left out of the condition number.
    flat = np.column_stack([matrix[:, [0, 2]], np.ones(y.size)])
    assert condition_number(flat) == pytest.approx(condition_number(matrix[:, [0, 2]]))


@pytest.mark.parametrize(
    "kwargs", [{"tau_corr": 1.5}, {"tau_corr": -0.1}, {"tau_mse": -1}, {"var_floor": -1}]
)
def test_bad_thresholds(kwargs):
    with pytest.raises(ValueError, match=r"tau|var_floor"):
        deduplicate(np.ones((5, 2)), np.arange(5.0), **kwargs)
