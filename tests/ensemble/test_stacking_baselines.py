import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.utils.estimator_checks import check_estimator

from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.stacking_baselines import (
    HillClimbing,
    InverseRMSEAverage,
    RidgeStack,
    SimpleAverage,
)

#: Estimator checks that do not apply, with the reason. Nothing else may fail or skip.
NOT_APPLICABLE = {
    "check_array_api_input": "computes in NumPy only; no array API support is declared",
}


@pytest.mark.parametrize(
    "estimator",
    [SimpleAverage(), InverseRMSEAverage(), RidgeStack(), HillClimbing()],
    ids=lambda e: type(e).__name__,
)
def test_passes_the_scikit_learn_estimator_checks(estimator):
    results = check_estimator(estimator, on_fail=None, on_skip=None)
    assert len(results) > 40
    failed = [
        (r["check_name"], repr(r["exception"]))
        for r in results
        if r["status"] != "passed" and r["check_name"] not in NOT_APPLICABLE
    ]
    assert failed == []


def test_simple_average_is_the_row_mean():
    X = np.array([[1.0, 2.0, 6.0], [0.0, -3.0, 3.0]])
    model = SimpleAverage().fit(X, [0.0, 0.0])
    np.testing.assert_allclose(model.predict(X), [3.0, 0.0], atol=1e-15)


def test_inverse_rmse_weights_by_hand():
    y = np.array([0.0, 0.0, 0.0, 0.0])
    X = np.column_stack([np.full(4, 1.0), np.full(4, -2.0), np.array([4.0, -4.0, 4.0, -4.0])])
    model = InverseRMSEAverage().fit(X, y)
    np.testing.assert_allclose(model.rmse_, [1.0, 2.0, 4.0])
    np.testing.assert_allclose(model.weights_, np.array([1.0, 0.5, 0.25]) / 1.75)
    np.testing.assert_allclose(model.predict([[1.0, 1.0, 1.0]]), [1.0])
    # A perfect predictor takes all the weight.
    perfect = InverseRMSEAverage().fit(np.column_stack([y, X[:, 0]]), y)
    np.testing.assert_allclose(perfect.weights_, [1.0, 0.0])


def test_ridge_stack_is_ridge_cv_on_chronological_folds():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ [0.5, 0.3, 0.0, 0.2] + rng.normal(scale=0.5, size=300)
    model = RidgeStack(alphas=(0.1, 100.0, 1000.0), cv=4, gap=2).fit(X, y)
    reference = RidgeCV(
        alphas=(0.1, 100.0, 1000.0),
        cv=ChronologicalSplit(4, gap=2),
        scoring="neg_mean_squared_error",
    ).fit(X, y)
    assert model.alpha_ == reference.alpha_
    np.testing.assert_allclose(model.coef_, reference.coef_)
    np.testing.assert_allclose(model.predict(X), reference.predict(X))


def test_hill_climbing_by_hand():
    """Three biased copies of the target: +1, -2 and +3.

    Start: {+1} (RMSE 1). Step 1: adding -2 gives mean bias -0.5, the best (+1 would
    stay at 1, +3 would give 2). Step 2: adding +1 again gives bias 0. Step 3: the best
    addition (+1 again, bias 0.25) is worse, so the ensemble of step 2 is kept:
    weights 2/3, 1/3, 0.
    """
    y = np.array([1.0, 2.0, 3.0, 4.0])
    X = np.column_stack([y + 1, y - 2, y + 3])
    model = HillClimbing(n_iter=3).fit(X, y)
    assert model.path_.tolist() == [0, 1, 0, 0]
    np.testing.assert_allclose(model.scores_, [1.0, 0.5, 0.0, 0.25], atol=1e-12)
    assert model.counts_.tolist() == [2, 1, 0]
    np.testing.assert_allclose(model.weights_, [2 / 3, 1 / 3, 0.0])
    np.testing.assert_allclose(model.predict(X), y)


def _naive_path(X, y, n_iter, n_init):
    """Caruana's loop written out: try every candidate, keep the best average."""
    rmse = lambda p: np.sqrt(np.mean((p - y) ** 2))  # noqa: E731
    chosen = list(np.argsort([rmse(X[:, j]) for j in range(X.shape[1])], kind="stable")[:n_init])
    for _ in range(n_iter):
        scores = [rmse(X[:, [*chosen, j]].mean(axis=1)) for j in range(X.shape[1])]
        chosen.append(int(np.argmin(scores)))
    return chosen


@pytest.mark.parametrize("n_init", [1, 3])
def test_hill_climbing_equals_the_naive_loop(n_init):
    rng = np.random.default_rng(4)
    y = rng.normal(size=200)
    X = y[:, None] + rng.normal(size=(200, 8)) * rng.uniform(0.3, 2, size=8) + rng.normal(size=8)
    model = HillClimbing(n_iter=25, n_init=n_init).fit(X, y)
    assert model.path_.tolist() == _naive_path(X, y, 25, n_init)
    best = int(np.argmin(model.scores_))
    assert model.counts_.sum() == best + 1
    np.testing.assert_allclose(np.sqrt(np.mean((model.predict(X) - y) ** 2)), model.scores_.min())


@pytest.mark.parametrize(
    ("params", "match"), [({"n_iter": -1}, "n_iter"), ({"n_init": 0}, "n_init")]
)
def test_hill_climbing_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        HillClimbing(**params).fit(np.ones((4, 2)), np.ones(4))


def test_parameters_round_trip():
    model = RidgeStack(alphas=(1.0,), cv=3, gap=0)
    assert clone(model).get_params() == {"alphas": (1.0,), "cv": 3, "gap": 0}
    assert HillClimbing(n_iter=7).get_params() == {"n_iter": 7, "n_init": 1}
