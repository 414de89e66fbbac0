"""Cross-validated Ridge, Lasso and ElasticNet meta-models, standardized inside each fold.

Each meta-model is ``Pipeline(StandardScaler(), model)``; its regularization is chosen
on chronological folds (any scikit-learn splitter), the scaler being fitted on each
fold's training rows only. Two interchangeable searches give the same fold errors:

- ``"path"`` (default): per fold, one standardization and one Gram matrix serve every
  meta-model and its whole grid, through scikit-learn's coordinate-descent path
  (:func:`enet_path`, warm started from one alpha to the next) and the closed-form
  ridge path (one symmetric eigendecomposition). This is what ``LassoCV`` does
  internally, with the scaler moved inside the folds.
- ``"grid"``: :class:`~sklearn.model_selection.GridSearchCV` over the pipeline, one fit
  per candidate and fold: the plain scikit-learn reference, slower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import ElasticNet, Lasso, Ridge, enet_path
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "META_MODELS",
    "SEARCHES",
    "MetaModelSearch",
    "candidate_grid",
    "candidate_grids",
    "fit_meta_models",
    "make_meta_model",
    "search_meta_model",
    "search_meta_models",
]

#: Meta-model names, in blend order.
META_MODELS = ("ridge", "lasso", "elasticnet")
#: Ways to search the regularization grid.
SEARCHES = ("path", "grid")


@dataclass(frozen=True)
class MetaModelSearch:
    """Cross-validation of one meta-model over its grid.

    Attributes
    ----------
    name : str
        One of :data:`META_MODELS`.
    candidates : list of dict
        Hyper-parameters tried (``alpha``, and ``l1_ratio`` for the elastic net).
    fold_mse : ndarray of shape (n_candidates, n_folds)
        Mean squared error on each fold's validation block.
    fold_sizes : ndarray of shape (n_folds,)
        Rows of each validation block.
    """

    name: str
    candidates: list[dict[str, float]]
    fold_mse: np.ndarray
    fold_sizes: np.ndarray

    @property
    def oof_mse(self) -> np.ndarray:
        """Out-of-fold mean squared error of each candidate, pooled over all blocks."""
        return self.fold_mse @ self.fold_sizes / self.fold_sizes.sum()

    @property
    def best(self) -> int:
        """Index of the candidate with the lowest out-of-fold error (first on ties)."""
        return int(np.argmin(self.oof_mse))

    @property
    def best_params(self) -> dict[str, float]:
        """Hyper-parameters of the best candidate."""
        return self.candidates[self.best]

    @property
    def oof_rmse(self) -> float:
        """Out-of-fold root mean squared error of the best candidate."""
        return float(np.sqrt(self.oof_mse[self.best]))


def make_meta_model(
    name: str, *, max_iter: int = 10_000, tol: float = 1e-4, **params: float
) -> Pipeline:
    """``Pipeline(StandardScaler(), model)`` for a meta-model name and hyper-parameters.

    Parameters
    ----------
    name : {"ridge", "lasso", "elasticnet"}
        Which linear model.
    max_iter, tol : int, float
        Coordinate-descent settings (Lasso and ElasticNet).
    **params : float
        ``alpha``, and ``l1_ratio`` for the elastic net.

    Returns
    -------
    Pipeline
        Unfitted; steps ``"scale"`` and ``"model"``.
    """
    if name == "ridge":
        model: Any = Ridge(**params)
    elif name == "lasso":
        model = Lasso(precompute=True, max_iter=max_iter, tol=tol, **params)
    elif name == "elasticnet":
        model = ElasticNet(precompute=True, max_iter=max_iter, tol=tol, **params)
    else:
        raise ValueError(f"meta-model must be one of {META_MODELS}, got {name!r}")
    return Pipeline([("scale", StandardScaler()), ("model", model)])


def fit_meta_models(
    X: np.ndarray,
    y: np.ndarray,
    params: Mapping[str, dict[str, float]],
    *,
    max_iter: int = 10_000,
    tol: float = 1e-4,
) -> dict[str, Pipeline]:
    """Fit several meta-models on the same data, sharing one scaler and one Gram matrix.

    Parameters
    ----------
    X, y : ndarray
        Training data.
    params : mapping of str to dict
        Meta-model name -> its hyper-parameters.
    max_iter, tol : int, float
        Coordinate-descent settings.

    Returns
    -------
    dict of str to Pipeline
        Fitted; each equals ``make_meta_model(name, **params[name]).fit(X, y)`` (the
        scaler is the same object in all of them).
    """
    scaler = StandardScaler().fit(X)
    xs = scaler.transform(X)
    gram = np.ascontiguousarray(xs.T @ xs) if set(params) - {"ridge"} else None
    fitted = {}
    for name, values in params.items():
        pipeline = make_meta_model(name, max_iter=max_iter, tol=tol, **values)
        model = pipeline[-1]
        if name != "ridge":
            model.set_params(precompute=gram)
        fitted[name] = Pipeline([("scale", scaler), ("model", model.fit(xs, y))])
    return fitted


def _alpha_max(X: np.ndarray, y: np.ndarray) -> float:
    """Smallest Lasso penalty that zeroes every coefficient on standardized ``X``."""
    xs = StandardScaler().fit_transform(X)
    top = float(np.max(np.abs(xs.T @ (y - y.mean())))) / X.shape[0]
    return top if top > 0 else 1.0


def _grid(
    name: str,
    n_samples: int,
    alpha_max: float,
    n_alphas: int,
    eps: float,
    ridge_alphas: Any,
    l1_ratios: tuple[float, ...],
) -> list[dict[str, float]]:
    if name not in META_MODELS:
        raise ValueError(f"meta-model must be one of {META_MODELS}, got {name!r}")
    if name == "ridge":
        alphas = (
            np.asarray(ridge_alphas, dtype=float)
            if ridge_alphas is not None
            else n_samples * np.logspace(-6, 1, n_alphas)
        )
        return [{"alpha": float(a)} for a in np.sort(alphas)[::-1]]
    ratios = (1.0,) if name == "lasso" else tuple(l1_ratios)
    path = np.logspace(0, np.log10(eps), n_alphas)
    grid = []
    for ratio in ratios:
        for factor in path:
            params = {"alpha": float(alpha_max / ratio * factor)}
            if name == "elasticnet":
                params["l1_ratio"] = float(ratio)
            grid.append(params)
    return grid


def candidate_grids(
    names: Sequence[str],
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_alphas: int = 12,
    eps: float = 1e-3,
    ridge_alphas: Any = None,
    l1_ratios: tuple[float, ...] = (0.1, 0.5, 0.9),
) -> dict[str, list[dict[str, float]]]:
    """Regularization grid of each meta-model, largest penalty first.

    Parameters
    ----------
    names : sequence of {"ridge", "lasso", "elasticnet"}
        Which linear models.
    X, y : ndarray
        The meta-models' training data (before standardization).
    n_alphas : int, default 12
        Grid points per path.
    eps : float, default 1e-3
        Lasso and ElasticNet: the grid runs from ``alpha_max`` (the smallest penalty
        that zeroes every coefficient on the standardized data, as in ``LassoCV``;
        divided by ``l1_ratio`` for the elastic net) down to ``eps * alpha_max``,
        log-spaced.
    ridge_alphas : array-like, optional
        Ridge penalties; by default ``n_samples * logspace(-6, 1, n_alphas)``, i.e. a
        per-row penalty from 1e-6 to 10 against a correlation matrix of standardized
        features (whose eigenvalues are at most ``n_features``).
    l1_ratios : tuple of float, default (0.1, 0.5, 0.9)
        ElasticNet mixing parameters.

    Returns
    -------
    dict of str to list of dict
    """
    unknown = [name for name in names if name not in META_MODELS]
    if unknown:
        raise ValueError(f"meta-model must be one of {META_MODELS}, got {unknown[0]!r}")
    alpha_max = _alpha_max(X, y) if set(names) - {"ridge"} else 1.0
    return {
        name: _grid(name, X.shape[0], alpha_max, n_alphas, eps, ridge_alphas, l1_ratios)
        for name in names
    }


def candidate_grid(
    name: str, X: np.ndarray, y: np.ndarray, **kwargs: Any
) -> list[dict[str, float]]:
    """:func:`candidate_grids` of one meta-model."""
    return candidate_grids([name], X, y, **kwargs)[name]


def _fold_coefs(
    name: str,
    xs: np.ndarray,
    yc: np.ndarray,
    gram: np.ndarray,
    xy: np.ndarray,
    candidates: list[dict[str, float]],
    max_iter: int,
    tol: float,
) -> np.ndarray:
    """Coefficients of every candidate on one standardized, centred fold: (p, n_cand)."""
    if name == "ridge":
        eigenvalues, vectors = np.linalg.eigh(gram)
        projected = vectors.T @ xy
        alphas = np.array([c["alpha"] for c in candidates])
        return vectors @ (projected[:, None] / (eigenvalues[:, None] + alphas[None, :]))
    coefs = np.empty((xs.shape[1], len(candidates)))
    ratios = [c.get("l1_ratio", 1.0) for c in candidates]
    for ratio in dict.fromkeys(ratios):
        columns = [i for i, r in enumerate(ratios) if r == ratio]
        alphas = np.array([candidates[i]["alpha"] for i in columns])
        order = np.argsort(-alphas, kind="stable")
        _, path, _ = enet_path(
            xs,
            yc,
            l1_ratio=ratio,
            alphas=alphas[order],
            precompute=gram,
            Xy=xy,
            max_iter=max_iter,
            tol=tol,
            check_input=False,
        )
        coefs[:, np.asarray(columns)[order]] = path
    return coefs


def _search_paths(X, y, folds, grids, max_iter, tol):
    """Per fold: one scaler and one Gram matrix for every model and grid point."""
    fold_mse = {name: np.empty((len(grid), len(folds))) for name, grid in grids.items()}
    for k, (train, test) in enumerate(folds):
        scaler = StandardScaler().fit(X[train])
        xs = np.asfortranarray(scaler.transform(X[train]))
        offset = y[train].mean()
        yc = y[train] - offset
        gram = np.ascontiguousarray(xs.T @ xs)
        xy = np.ascontiguousarray(xs.T @ yc)
        validation = scaler.transform(X[test])
        for name, grid in grids.items():
            coefs = _fold_coefs(name, xs, yc, gram, xy, grid, max_iter, tol)
            predictions = validation @ coefs + offset
            fold_mse[name][:, k] = np.mean((predictions - y[test][:, None]) ** 2, axis=0)
    return fold_mse


def _search_grid(name, X, y, folds, candidates, max_iter, tol, n_jobs):
    grid = [{f"model__{key}": [value] for key, value in c.items()} for c in candidates]
    search = GridSearchCV(
        make_meta_model(name, max_iter=max_iter, tol=tol),
        grid,
        scoring="neg_mean_squared_error",
        cv=folds,
        refit=False,
        n_jobs=n_jobs,
    ).fit(X, y)
    results = search.cv_results_
    return -np.column_stack([results[f"split{k}_test_score"] for k in range(len(folds))])


def search_meta_models(
    X: np.ndarray,
    y: np.ndarray,
    cv: Any,
    grids: Mapping[str, list[dict[str, float]]],
    *,
    search: str = "path",
    max_iter: int = 10_000,
    tol: float = 1e-4,
    n_jobs: int | None = None,
) -> dict[str, MetaModelSearch]:
    """Validation error of every grid point of every meta-model on every fold of ``cv``.

    Parameters
    ----------
    X, y : ndarray
        Training data of the meta-models, rows in time order.
    cv : splitter
        Anything with ``split(X)`` (a :class:`~aisfolio.ensemble.folds.ChronologicalSplit`).
    grids : mapping of str to list of dict
        Meta-model name -> candidates (from :func:`candidate_grids`).
    search : {"path", "grid"}, default "path"
        Regularization paths per fold, or ``GridSearchCV`` (same errors, slower).
    max_iter, tol : int, float
        Coordinate-descent settings.
    n_jobs : int, optional
        Workers of the ``"grid"`` search.

    Returns
    -------
    dict of str to MetaModelSearch
    """
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {SEARCHES}, got {search!r}")
    unknown = [name for name in grids if name not in META_MODELS]
    if unknown:
        raise ValueError(f"meta-model must be one of {META_MODELS}, got {unknown[0]!r}")
    folds = list(cv.split(X, y))
    if search == "path":
        fold_mse = _search_paths(X, y, folds, grids, max_iter, tol)
    else:
        fold_mse = {
            name: _search_grid(name, X, y, folds, grid, max_iter, tol, n_jobs)
            for name, grid in grids.items()
        }
    sizes = np.array([len(test) for _, test in folds], dtype=float)
    return {name: MetaModelSearch(name, grids[name], fold_mse[name], sizes) for name in grids}


def search_meta_model(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    cv: Any,
    candidates: list[dict[str, float]],
    **kwargs: Any,
) -> MetaModelSearch:
    """:func:`search_meta_models` for one meta-model (same keyword arguments)."""
    return search_meta_models(X, y, cv, {name: candidates}, **kwargs)[name]
