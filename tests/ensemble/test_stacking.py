import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_estimator

from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.meta_features import META_FEATURES
from aisfolio.ensemble.stacking import MIN_FOR_META_FEATURES, RegularizedStacker
from aisfolio.ensemble.stacking_baselines import SimpleAverage

#: Estimator checks that do not apply, with the reason. Nothing else may fail or skip.
NOT_APPLICABLE = {
    "check_array_api_input": "computes in NumPy only; no array API support is declared",
}
MIX = {"p0": 0.6, "p3": 0.4}


def _mix(n=3000, seed=0):
    """Ten base predictions; the target is 0.6 * p0 + 0.4 * p3 plus a little noise."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n, 10))
    p = pd.DataFrame(signal, columns=[f"p{j}" for j in range(10)])
    y = 0.6 * p["p0"] + 0.4 * p["p3"] + rng.normal(scale=0.1, size=n)
    return p, y.to_numpy()


def _rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_passes_the_scikit_learn_estimator_checks():
    with warnings.catch_warnings():
        # Some checks fit tiny random data (more features than rows in a fold), where
        # coordinate descent at the smallest penalties cannot converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(RegularizedStacker(), on_fail=None, on_skip=None)
    assert len(results) > 40
    failed = [
        (r["check_name"], repr(r["exception"]))
        for r in results
        if r["status"] != "passed" and r["check_name"] not in NOT_APPLICABLE
    ]
    assert failed == []


def test_recovers_a_known_linear_mix_and_beats_the_simple_average():
    p, y = _mix()
    test_p, test_y = _mix(seed=1)
    stacker = RegularizedStacker().fit(p, y)
    assert stacker.dropped_ == [] and len(stacker.kept_) == 10
    expected = [MIX.get(f"p{j}", 0.0) for j in range(10)]
    for name, model in stacker.estimators_.items():
        raw = model[-1].coef_ / model[0].scale_  # back to the units of the predictions
        # The row mean is linear in the predictions: its weight spreads over them.
        linear = raw[:10] + raw[10 + META_FEATURES.index("mean")] / 10
        np.testing.assert_allclose(linear, expected, atol=0.02, err_msg=name)
        # The non-linear meta-features add next to nothing (standardized coefficients,
        # against 0.6 and 0.4 for the two predictors of the mix).
        nonlinear = np.delete(model[-1].coef_[10:], META_FEATURES.index("mean"))
        np.testing.assert_allclose(nonlinear, 0.0, atol=0.05, err_msg=name)
    stacked = _rmse(stacker.predict(test_p), test_y)
    average = _rmse(SimpleAverage().fit(p, y).predict(test_p), test_y)
    assert stacked < 0.11  # the noise is 0.1
    assert stacked < average / 3
    np.testing.assert_allclose(
        stacker.predict(test_p), 0.6 * test_p["p0"] + 0.4 * test_p["p3"], atol=0.05
    )


def test_de_duplication_is_recorded_with_names_and_condition_numbers():
    p, y = _mix()
    rng = np.random.default_rng(5)
    p["p0_copy"] = p["p0"] + 0.05 + rng.normal(scale=0.01, size=len(p))  # biased near-copy
    stacker = RegularizedStacker().fit(p, y)
    [dropped] = stacker.dropped_
    assert (dropped.column, dropped.reason, dropped.partner) == ("p0_copy", "duplicate", "p0")
    assert list(stacker.kept_names_) == [f"p{j}" for j in range(10)]
    assert stacker.kept_.tolist() == list(range(10))
    assert stacker.condition_number_before_ > 1000 > 2 > stacker.condition_number_after_
    assert stacker.base_rmse_.shape == (11,)
    # The meta-models see the kept columns and the six meta-features.
    assert stacker.estimators_["ridge"][-1].coef_.shape == (10 + len(META_FEATURES),)


def test_blend_is_inverse_oof_rmse_and_alphas_come_from_the_grid():
    p, y = _mix(1200)
    stacker = RegularizedStacker(n_alphas=5).fit(p, y)
    names = ["ridge", "lasso", "elasticnet"]
    assert list(stacker.blend_weights_) == names
    inverse = np.array([1 / stacker.oof_rmse_[n] for n in names])
    np.testing.assert_allclose(list(stacker.blend_weights_.values()), inverse / inverse.sum())
    for name in names:
        search = stacker.searches_[name]
        assert stacker.oof_rmse_[name] == pytest.approx(np.sqrt(search.oof_mse.min()))
        assert stacker.alphas_[name] == search.best_params["alpha"]
        assert stacker.estimators_[name][-1].alpha == stacker.alphas_[name]
    assert stacker.l1_ratio_ in (0.1, 0.5, 0.9)
    parts = {n: stacker.estimators_[n].predict(stacker._design(p.to_numpy())) for n in names}
    blend = sum(stacker.blend_weights_[n] * parts[n] for n in names)
    np.testing.assert_allclose(stacker.predict(p), blend)
    table = stacker.summary()
    assert list(table.index) == names
    assert list(table.columns) == ["alpha", "l1_ratio", "oof_rmse", "weight", "nonzero_coefs"]
    assert table.loc["lasso", "nonzero_coefs"] <= 10 + len(META_FEATURES)


def test_folds_are_chronological_with_the_purge():
    p, y = _mix(600)
    stacker = RegularizedStacker(cv=4, gap=3).fit(p, y)
    assert isinstance(stacker.cv_, ChronologicalSplit)
    assert (stacker.cv_.n_splits, stacker.cv_.gap) == (4, 3)
    for train, test in stacker.cv_.split(p):
        assert train.max() + 3 < test.min()
    rolling = ChronologicalSplit(3, gap=2, window="rolling", train_size=200)
    assert RegularizedStacker(cv=rolling).fit(p, y).cv_ is rolling


def test_path_and_grid_searches_agree():
    p, y = _mix(500)
    kwargs = {"n_alphas": 4, "l1_ratios": (0.5,), "tol": 1e-8}
    path = RegularizedStacker(**kwargs).fit(p, y)
    grid = RegularizedStacker(search="grid", **kwargs).fit(p, y)
    assert path.alphas_ == grid.alphas_
    np.testing.assert_allclose(
        list(path.oof_rmse_.values()), list(grid.oof_rmse_.values()), rtol=1e-6
    )
    np.testing.assert_allclose(path.predict(p), grid.predict(p))


def test_deterministic_and_clonable():
    p, y = _mix(800)
    stacker = RegularizedStacker(tau_corr=0.9, meta_models=("ridge", "lasso"), n_alphas=6)
    first, second = clone(stacker).fit(p, y), clone(stacker).fit(p, y)
    np.testing.assert_array_equal(first.predict(p), second.predict(p))
    assert list(first.blend_weights_) == ["ridge", "lasso"] and first.l1_ratio_ is None
    params = stacker.get_params()
    assert params["tau_corr"] == 0.9 and params["meta_models"] == ("ridge", "lasso")
    assert clone(stacker.set_params(cv=3)).get_params()["cv"] == 3
    assert not hasattr(clone(first), "kept_")


def test_few_kept_predictors_get_no_meta_features():
    p, y = _mix(600)
    stacker = RegularizedStacker().fit(p[["p0", "p3"]], y)
    assert MIN_FOR_META_FEATURES == 3
    assert stacker.estimators_["ridge"][-1].coef_.shape == (2,)
    plain = RegularizedStacker(add_meta_features=False).fit(p, y)
    assert plain.estimators_["ridge"][-1].coef_.shape == (10,)


def test_flat_predictors_fall_back_to_the_mean_with_a_warning():
    y = np.arange(40.0)
    with pytest.warns(UserWarning, match="variance floor"):
        stacker = RegularizedStacker().fit(np.ones((40, 3)), y)
    assert stacker.fallback_ is not None and stacker.kept_.size == 0
    np.testing.assert_array_equal(stacker.predict(np.zeros((2, 3))), [19.5, 19.5])
    assert [d.reason for d in stacker.dropped_] == ["variance"] * 3


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"meta_models": ("ridge", "svr")}, "meta_models"),
        ({"meta_models": ()}, "meta_models"),
        ({"cv": "five"}, "cv must be"),
        ({"search": "random"}, "search"),
    ],
)
def test_bad_parameters(params, match):
    p, y = _mix(200)
    with pytest.raises(ValueError, match=match):
        RegularizedStacker(**params).fit(p, y)


def test_too_few_rows_for_the_folds():
    with pytest.raises(ValueError, match="5 chronological folds with gap=1 from n_samples=6"):
        RegularizedStacker().fit(np.random.default_rng(0).normal(size=(6, 3)), np.arange(6.0))
