import numpy as np
import pytest
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler

from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.meta_models import (
    META_MODELS,
    candidate_grid,
    fit_meta_models,
    make_meta_model,
    search_meta_model,
)


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) @ rng.normal(size=(6, 6)) + rng.normal(5, 3, size=6)
    y = X[:, :3] @ [1.0, -2.0, 0.5] + rng.normal(scale=3.0, size=n)
    return X, y


@pytest.mark.parametrize("name", META_MODELS)
def test_path_search_gives_the_fold_errors_of_grid_search_cv_over_the_pipeline(name):
    X, y = _data()
    cv = ChronologicalSplit(4, gap=3)
    candidates = candidate_grid(name, X, y, n_alphas=6, l1_ratios=(0.2, 0.8))
    path = search_meta_model(name, X, y, cv, candidates, tol=1e-8)
    grid = search_meta_model(name, X, y, cv, candidates, search="grid", tol=1e-8)
    np.testing.assert_allclose(path.fold_mse, grid.fold_mse, rtol=1e-6)
    assert path.best_params == grid.best_params
    assert path.fold_mse.shape == (len(candidates), 4)
    np.testing.assert_array_equal(path.fold_sizes, [len(t) for _, t in cv.split(X)])


@pytest.mark.parametrize("name", META_MODELS)
def test_a_fold_sees_nothing_after_its_validation_block(name):
    """Standardization is fitted inside each fold: later rows cannot move a fold's error."""
    X, y = _data()
    cv = ChronologicalSplit(4, gap=2)
    folds = list(cv.split(X))
    candidates = candidate_grid(name, X, y, n_alphas=5)
    base = search_meta_model(name, X, y, cv, candidates)
    changed_X, changed_y = X.copy(), y.copy()
    after = folds[1][1].max() + 1
    changed_X[after:] = changed_X[after:] * 10 + 7
    changed_y[after:] = -changed_y[after:]
    moved = search_meta_model(name, changed_X, changed_y, cv, candidates)
    np.testing.assert_array_equal(base.fold_mse[:, :2], moved.fold_mse[:, :2])
    assert not np.allclose(base.fold_mse[:, 2:], moved.fold_mse[:, 2:])


def test_oof_error_pools_the_blocks_by_size():
    X, y = _data()
    cv = ChronologicalSplit(3, gap=0, test_size=100)
    result = search_meta_model("ridge", X, y, cv, candidate_grid("ridge", X, y, n_alphas=4))
    np.testing.assert_allclose(result.oof_mse, result.fold_mse.mean(axis=1))
    assert result.oof_rmse == pytest.approx(np.sqrt(result.oof_mse.min()))
    assert result.best_params == result.candidates[int(np.argmin(result.oof_mse))]


def test_lasso_grid_starts_at_the_smallest_penalty_that_zeroes_everything():
    X, y = _data()
    grid = candidate_grid("lasso", X, y, n_alphas=5, eps=1e-3)
    alphas = [c["alpha"] for c in grid]
    assert alphas == sorted(alphas, reverse=True)
    assert alphas[-1] == pytest.approx(alphas[0] * 1e-3)
    xs = StandardScaler().fit_transform(X)
    assert not Lasso(alpha=alphas[0], tol=1e-12).fit(xs, y).coef_.any()
    assert Lasso(alpha=alphas[0] * 0.99, tol=1e-12).fit(xs, y).coef_.any()
    enet = candidate_grid("elasticnet", X, y, n_alphas=5, l1_ratios=(0.5,))
    assert enet[0] == {"alpha": pytest.approx(2 * alphas[0]), "l1_ratio": 0.5}


def test_ridge_grid_scales_with_rows_unless_given():
    X, y = _data()
    grid = candidate_grid("ridge", X, y, n_alphas=8)
    assert grid[0]["alpha"] == pytest.approx(600 * 10.0)
    assert grid[-1]["alpha"] == pytest.approx(600 * 1e-6)
    assert candidate_grid("ridge", X, y, ridge_alphas=[1.0, 3.0]) == [
        {"alpha": 3.0},
        {"alpha": 1.0},
    ]


def test_meta_models_standardize_then_fit():
    model = make_meta_model("elasticnet", alpha=0.1, l1_ratio=0.3)
    assert [name for name, _ in model.steps] == ["scale", "model"]
    assert isinstance(model[0], StandardScaler)
    assert model[-1].get_params()["l1_ratio"] == 0.3


def test_shared_fit_equals_each_pipeline_fitted_alone():
    X, y = _data()
    params = {
        "ridge": {"alpha": 30.0},
        "lasso": {"alpha": 0.05},
        "elasticnet": {"alpha": 0.1, "l1_ratio": 0.4},
    }
    shared = fit_meta_models(X, y, params, tol=1e-10)
    for name, values in params.items():
        alone = make_meta_model(name, tol=1e-10, **values).fit(X, y)
        np.testing.assert_allclose(shared[name][-1].coef_, alone[-1].coef_, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(shared[name].predict(X), alone.predict(X), rtol=1e-8)
    assert shared["ridge"][0] is shared["lasso"][0]


@pytest.mark.parametrize("call", ["make", "grid", "search", "method"])
def test_unknown_names(call):
    X, y = _data(60)
    with pytest.raises(ValueError, match="must be one of"):
        if call == "make":
            make_meta_model("svr")
        elif call == "grid":
            candidate_grid("svr", X, y)
        elif call == "search":
            search_meta_model("svr", X, y, ChronologicalSplit(2), [{"alpha": 1.0}])
        else:
            search_meta_model("ridge", X, y, ChronologicalSplit(2), [{"alpha": 1.0}], search="x")
