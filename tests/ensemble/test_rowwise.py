import numpy as np
import pytest

from aisfolio.ensemble.meta_features import meta_features
from aisfolio.ensemble.rowwise import rowwise_dot, rowwise_sum
from aisfolio.ensemble.stacking import RegularizedStacker
from aisfolio.ensemble.stacking_baselines import (
    HillClimbing,
    InverseRMSEAverage,
    RidgeStack,
    SimpleAverage,
)


def _data(n=400, seed=2):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    X = y[:, None] * rng.uniform(0.2, 1, size=9) + rng.normal(size=(n, 9))
    return X, y


def test_match_numpy_up_to_rounding():
    X, _ = _data()
    coef = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(rowwise_dot(X, coef, 0.5), X @ coef + 0.5, rtol=1e-12)
    np.testing.assert_allclose(rowwise_sum(X), X.sum(axis=1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "estimator",
    [RegularizedStacker(), SimpleAverage(), InverseRMSEAverage(), RidgeStack(), HillClimbing()],
    ids=lambda e: type(e).__name__,
)
def test_a_row_is_predicted_the_same_bit_for_bit_in_any_block(estimator):
    """What the walk-forward engine needs: a block's size never changes a forecast."""
    X, y = _data()
    model = estimator.fit(X[:300], y[:300])
    block = model.predict(X[300:])
    one_by_one = np.concatenate([model.predict(X[i : i + 1]) for i in range(300, 400)])
    pairs = np.concatenate([model.predict(X[i : i + 2]) for i in range(300, 400, 2)])
    np.testing.assert_array_equal(block, one_by_one)
    np.testing.assert_array_equal(block, pairs)


def test_meta_features_of_a_row_do_not_depend_on_the_block():
    X, _ = _data()
    block = meta_features(X)
    np.testing.assert_array_equal(block[7], meta_features(X[7:8])[0])
    np.testing.assert_array_equal(block[100:103], meta_features(X[100:103]))
