"""Benchmark of the regularized meta-learner against its baselines (issue 5).

Part 1, shaped like the source paper's benchmark: out-of-fold predictions of about 70
heterogeneous base regressors on ``make_friedman1`` (100,000 rows by default), then the
out-of-fold RMSE and wall time of five meta-learners on that prediction matrix, all in
one process: simple average, inverse-RMSE average, plain Ridge stack, hill climbing
(Caruana et al. 2004) and :class:`aisfolio.ensemble.RegularizedStacker`; plus the condition
number of the base-prediction correlation matrix before and after de-duplication.

Part 2, the real pipeline: per asset of the embedded data, a meta AIS
(``StackedForecaster`` on the forecasts of momentum and contrarian variants, refitted
quarterly) against each of its components: directional accuracy and IR**.

Run from the repository root::

    python benchmarks/meta_learner.py                 # defaults: 100,000 rows
    python benchmarks/meta_learner.py --rows 20000 --no-real

Cross-validation: Friedman's problem is a static regression with i.i.d. rows, so the
base models' out-of-fold predictions come from a shuffled ``KFold`` (as in the source);
the meta-learners are then compared on outer ``KFold`` blocks of that matrix (rows are
already in random order). Shuffling is fine *here* only: on time series the project's
meta-learners use chronological purged folds, and the stacker does so inside every
outer fold here too.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.cross_decomposition import PLSRegression
from sklearn.datasets import make_friedman1
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import (
    AdaBoostRegressor,
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.isotonic import IsotonicRegression
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import (
    BayesianRidge,
    ElasticNet,
    HuberRegressor,
    Lasso,
    Ridge,
    SGDRegressor,
)
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import PolynomialFeatures, SplineTransformer, StandardScaler
from sklearn.svm import LinearSVR
from sklearn.tree import DecisionTreeRegressor, ExtraTreeRegressor
from threadpoolctl import threadpool_limits

from aisfolio.ensemble.stacking import RegularizedStacker
from aisfolio.ensemble.stacking_baselines import (
    HillClimbing,
    InverseRMSEAverage,
    RidgeStack,
    SimpleAverage,
)

INFORMATIVE = [0, 1, 2, 3, 4]  # Friedman #1 uses the first five features only


def _on(columns: list[int], *steps) -> Pipeline:
    """A model that sees only some columns."""
    select = ColumnTransformer([("keep", "passthrough", columns)], remainder="drop")
    return make_pipeline(select, *steps)


def base_regressors(n_features: int, seed: int, n_jobs: int) -> dict[str, object]:
    """About 70 heterogeneous, cheap base regressors."""
    rng = np.random.default_rng(seed)
    subsets = [sorted(rng.choice(n_features, size=k, replace=False).tolist()) for k in
               (3, 3, 4, 4, 5, 5, 6, 6, 7, 8)]  # fmt: skip
    models: dict[str, object] = {"ridge_all": Ridge(alpha=1.0)}
    for i, cols in enumerate(subsets):
        models[f"ridge_sub{i}"] = _on(cols, Ridge(alpha=1.0))
    for alpha in (0.01, 0.1, 1.0):
        models[f"lasso_{alpha}"] = Lasso(alpha=alpha)
    models["enet_0.1"] = ElasticNet(alpha=0.1, l1_ratio=0.5)
    models["poly2_all"] = make_pipeline(PolynomialFeatures(2), StandardScaler(), Ridge(1.0))
    models["poly2_inf"] = _on(INFORMATIVE, PolynomialFeatures(2), StandardScaler(), Ridge(1.0))
    models["poly3_inf"] = _on(INFORMATIVE, PolynomialFeatures(3), StandardScaler(), Ridge(1.0))
    for i, cols in enumerate(subsets[4:8]):
        models[f"poly2_sub{i}"] = _on(cols, PolynomialFeatures(2), StandardScaler(), Ridge(1.0))
    models["spline_all"] = make_pipeline(SplineTransformer(n_knots=5), Ridge(1.0))
    models["spline_inf"] = _on(INFORMATIVE, SplineTransformer(n_knots=7), Ridge(1.0))
    for gamma in (0.1, 0.5, 2.0):
        models[f"nystroem_{gamma}"] = make_pipeline(
            Nystroem(gamma=gamma, n_components=200, random_state=seed), Ridge(1.0)
        )
    models["rff_1.0"] = make_pipeline(
        RBFSampler(gamma=1.0, n_components=300, random_state=seed), Ridge(1.0)
    )
    for k in (5, 15, 50):
        models[f"knn{k}_all"] = KNeighborsRegressor(n_neighbors=k, n_jobs=n_jobs)
    for k in (5, 15, 50):
        models[f"knn{k}_inf"] = _on(INFORMATIVE, KNeighborsRegressor(n_neighbors=k, n_jobs=n_jobs))
    for i, cols in enumerate(subsets[2:5]):
        models[f"knn25_sub{i}"] = _on(cols, KNeighborsRegressor(n_neighbors=25, n_jobs=n_jobs))
    for depth in (2, 3, 4, 5, 6, 8, 10, 12):
        models[f"tree_d{depth}"] = DecisionTreeRegressor(max_depth=depth, random_state=seed)
    for i, (iters, rate, kwargs) in enumerate(
        [
            (10, 0.1, {}),
            (20, 0.1, {}),
            (50, 0.1, {}),
            (100, 0.1, {}),
            (20, 0.3, {}),
            (50, 0.05, {}),
            (30, 0.1, {"max_leaf_nodes": 7}),
            (30, 0.1, {"max_depth": 2}),
            (50, 0.2, {"max_leaf_nodes": 63}),
            (100, 0.05, {"max_depth": 3}),
        ]
    ):
        models[f"hgb{i}"] = HistGradientBoostingRegressor(
            max_iter=iters, learning_rate=rate, early_stopping=False, random_state=seed, **kwargs
        )
    models["rf_d6"] = RandomForestRegressor(10, max_depth=6, random_state=seed, n_jobs=n_jobs)
    models["rf_d10"] = RandomForestRegressor(10, max_depth=10, random_state=seed, n_jobs=n_jobs)
    models["et_d8"] = ExtraTreesRegressor(10, max_depth=8, random_state=seed, n_jobs=n_jobs)
    models["et_d12"] = ExtraTreesRegressor(
        20, max_depth=12, max_features=0.5, random_state=seed, n_jobs=n_jobs
    )
    models["ada_d3"] = AdaBoostRegressor(
        DecisionTreeRegressor(max_depth=3), n_estimators=20, random_state=seed
    )
    models["gbr_d3"] = GradientBoostingRegressor(
        n_estimators=30, max_depth=3, subsample=0.5, random_state=seed
    )
    models["extra_tree_d8"] = ExtraTreeRegressor(max_depth=8, random_state=seed)
    models["bayes_ridge"] = BayesianRidge()
    models["huber"] = make_pipeline(StandardScaler(), HuberRegressor())
    models["pls2"] = PLSRegression(n_components=2)
    models["mean"] = DummyRegressor()
    models["linear_svr"] = make_pipeline(StandardScaler(), LinearSVR(C=1.0, random_state=seed))
    models["sgd"] = make_pipeline(StandardScaler(), SGDRegressor(random_state=seed))
    models["isotonic_x3"] = _on([3], IsotonicRegression(out_of_bounds="clip"))
    models["isotonic_x0"] = _on([0], IsotonicRegression(out_of_bounds="clip"))
    return models


class TextbookHillClimbing(HillClimbing):
    """Reference only: the same selection, each step scoring every candidate average.

    Forms the ``n x m`` matrix of candidate ensembles at every step, as the
    straightforward implementation of Caruana et al. does; same path and weights as
    :class:`aisfolio.ensemble.HillClimbing` (which ranks candidates with one matrix-vector
    product per step). Shown to put the source's timing ratio in context.
    """

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        self.n_features_in_ = X.shape[1]
        rmse = np.sqrt(np.mean((X - y[:, None]) ** 2, axis=0))
        path = list(np.argsort(rmse, kind="stable")[: self.n_init])
        total = X[:, path].sum(axis=1)
        scores = [float(np.sqrt(np.mean((total / len(path) - y) ** 2)))]
        for _ in range(self.n_iter):
            c = len(path)
            candidates = np.sqrt((((total[:, None] + X) / (c + 1) - y[:, None]) ** 2).mean(axis=0))
            j = int(np.argmin(candidates))
            path.append(j)
            total += X[:, j]
            scores.append(float(candidates[j]))
        best = int(np.argmin(scores)) + self.n_init - 1
        self.path_ = np.array(path, dtype=int)
        self.counts_ = np.bincount(self.path_[: best + 1], minlength=X.shape[1])
        self.weights_ = self.counts_ / self.counts_.sum()
        return self


def out_of_fold_predictions(
    models: dict[str, object], X: np.ndarray, y: np.ndarray, folds: int, seed: int
) -> tuple[pd.DataFrame, float]:
    """OOF prediction of every base model (shuffled KFold: i.i.d. rows), and total time."""
    cv = KFold(folds, shuffle=True, random_state=seed)
    columns, start = {}, time.perf_counter()
    for name, model in models.items():
        columns[name] = np.ravel(cross_val_predict(model, X, y, cv=cv))
    return pd.DataFrame(columns), time.perf_counter() - start


def evaluate(
    make: Callable[[], object], P: np.ndarray, y: np.ndarray, folds: int
) -> tuple[float, float]:
    """Outer-fold RMSE and wall time (fit + predict over all folds) of a meta-learner."""
    prediction = np.empty_like(y)
    elapsed = 0.0
    for train, test in KFold(folds).split(P):
        model = make()
        start = time.perf_counter()
        model.fit(P[train], y[train])
        prediction[test] = model.predict(P[test])
        elapsed += time.perf_counter() - start
    return float(np.sqrt(np.mean((prediction - y) ** 2))), elapsed


def synthetic(args: argparse.Namespace) -> None:
    X, y = make_friedman1(n_samples=args.rows, noise=args.noise, random_state=args.seed)
    models = base_regressors(X.shape[1], args.seed, args.n_jobs)
    stored = Path(args.oof_cache) if args.oof_cache else None
    key = f"rows{args.rows}_noise{args.noise}_seed{args.seed}_folds{args.base_folds}"
    caught: list[warnings.WarningMessage] = []
    if stored is not None and (stored / f"{key}.parquet").exists():
        oof = pd.read_parquet(stored / f"{key}.parquet")
        base_time = float("nan")
        print(f"(base OOF predictions read from {stored / key}.parquet)")
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            oof, base_time = out_of_fold_predictions(models, X, y, args.base_folds, args.seed)
        if stored is not None:
            stored.mkdir(parents=True, exist_ok=True)
            oof.to_parquet(stored / f"{key}.parquet")
    rmse = np.sqrt(((oof.to_numpy() - y[:, None]) ** 2).mean(axis=0))
    best = int(np.argmin(rmse))
    print(
        f"make_friedman1: {args.rows:,} rows, noise={args.noise}; {oof.shape[1]} base regressors,"
        f" {args.base_folds}-fold shuffled OOF predictions in {base_time:.0f} s"
        f" ({sum(issubclass(w.category, ConvergenceWarning) for w in caught)} convergence"
        " warnings)"
    )
    print(f"best single base model: {oof.columns[best]} (OOF RMSE {rmse[best]:.4f})\n")

    P = oof.to_numpy()
    methods: dict[str, Callable[[], object]] = {
        "simple average": SimpleAverage,
        "inverse-RMSE average": InverseRMSEAverage,
        "Ridge stack": RidgeStack,
        "hill climbing": HillClimbing,
        "regularized stacker": RegularizedStacker,
    }
    if args.grid:
        methods["regularized stacker (GridSearchCV)"] = lambda: RegularizedStacker(search="grid")
    methods["(reference) hill climbing, textbook step"] = TextbookHillClimbing
    rows = {}
    for label, make in methods.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            score, elapsed = evaluate(make, P, y, args.meta_folds)
        rows[label] = {"OOF RMSE": score, "time (s)": elapsed}
        rows[label]["convergence warnings"] = sum(
            issubclass(w.category, ConvergenceWarning) for w in caught
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    hill = rows["hill climbing"]["time (s)"]
    table["time / hill climbing"] = table["time (s)"] / hill
    print(
        f"Meta-learners on the {P.shape[0]:,} x {P.shape[1]} OOF matrix,"
        f" {args.meta_folds} outer folds (time: fit + predict, summed over folds)"
    )
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))

    stacker = RegularizedStacker().fit(oof, y)
    duplicates = sum(d.reason == "duplicate" for d in stacker.dropped_)
    flat = sum(d.reason == "variance" for d in stacker.dropped_)
    print(
        f"\nDe-duplication on all rows: kept {len(stacker.kept_)} of {P.shape[1]}"
        f" (dropped {duplicates} near-duplicates, {flat} below the variance floor);"
        f" condition number {stacker.condition_number_before_:.3g} ->"
        f" {stacker.condition_number_after_:.3g}"
        f" ({stacker.condition_number_before_ / stacker.condition_number_after_:.3g}x lower)"
    )
    print(stacker.summary().to_string(float_format=lambda v: f"{v:.4g}"))
    stack, ridge, hc = (
        rows["regularized stacker"],
        rows["Ridge stack"],
        rows["hill climbing"],
    )
    print(
        "\nGoal (issue 5): stacker RMSE <= hill climbing's: "
        f"{'yes' if stack['OOF RMSE'] <= hc['OOF RMSE'] else 'no'}"
        f"; < Ridge stack's: {'yes' if stack['OOF RMSE'] < ridge['OOF RMSE'] else 'no'}"
        f"; time <= 1/4 of hill climbing's: "
        f"{'yes' if stack['time (s)'] <= hc['time (s)'] / 4 else 'no'}"
        f" ({stack['time (s)'] / hc['time (s)']:.2f}x)"
    )


def real() -> None:
    import aisfolio.portfolio as pf
    from aisfolio.ensemble.meta_generator import StackedForecaster
    from aisfolio.strategies import (
        BuyAndHold,
        Contrarian,
        Momentum,
        SignalRule,
        Strategy,
        WalkForward,
        simple_returns,
    )

    prices = pf.load_dataset("us_markets")
    strategies = {"buy_and_hold": Strategy(BuyAndHold())}
    for k in (1, 2, 5, 10, 20, 60):
        strategies[f"momentum_{k}"] = Strategy(Momentum(k), SignalRule(on_tie="long"))
    for k in (1, 5, 20):
        strategies[f"contrarian_{k}"] = Strategy(Contrarian(k), SignalRule(on_tie="short"))
    meta = Strategy(StackedForecaster(), SignalRule(), WalkForward(refit="quarterly"))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = pf.Pipeline(strategies, stacked={"meta": meta}, ensembles=None).run(prices)
    elapsed = time.perf_counter() - start
    print(
        f"\nReal pipeline: us_markets, {len(strategies) - 1} components + buy-and-hold,"
        " meta = StackedForecaster(RegularizedStacker()), quarterly refits, expanding"
        f" window, min_train 252; run in {elapsed:.0f} s"
        f" ({sum(issubclass(w.category, ConvergenceWarning) for w in caught)} convergence"
        " warnings)"
    )
    metrics = result.metrics[result.metrics["kind"] == "AIS"]
    table = {}
    for (asset, label), forecast in result.forecasts.items():
        line = f"{asset}/{label}"
        begin = metrics.loc[line, "start"]
        next_return = simple_returns(prices[asset].dropna()).shift(-1)
        both = pd.concat([forecast, next_return], axis=1, keys=["f", "r"]).loc[begin:].dropna()
        both = both[(both["f"] != 0) & (both["r"] != 0)]
        hit = float((np.sign(both["f"]) == np.sign(both["r"])).mean())
        table[(asset, label)] = {"dir. accuracy": hit, "IR**": metrics.loc[line, "IR**"]}
    frame = pd.DataFrame.from_dict(table, orient="index").unstack(0)
    frame = frame.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    frame = frame.loc[["meta", *strategies]]  # the meta AIS first, then its components
    print(
        f"evaluation from {metrics['start'].iloc[0]:%Y-%m-%d} to {metrics['end'].iloc[0]:%Y-%m-%d}"
    )
    print(frame.to_string(float_format=lambda v: f"{v:.3f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of make_friedman1")
    parser.add_argument("--noise", type=float, default=1.0, help="noise std of make_friedman1")
    parser.add_argument("--base-folds", type=int, default=5, help="folds of the base OOF")
    parser.add_argument("--meta-folds", type=int, default=5, help="outer folds of the meta")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2, help="workers of kNN and forests")
    parser.add_argument(
        "--oof-cache",
        default=None,
        help="folder keeping the base models' OOF predictions between runs (they take"
        " minutes; the meta-learners are timed on them either way)",
    )
    parser.add_argument(
        "--grid", action="store_true", help="also time the stacker with GridSearchCV (slow)"
    )
    parser.add_argument(
        "--real", action=argparse.BooleanOptionalAction, default=True, help="part 2"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1: stable timings)"
    )
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads):
        synthetic(args)
        if args.real:
            real()


if __name__ == "__main__":
    main()
