from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from aisfolio.ensemble.meta_generator import StackedForecaster
from aisfolio.ensemble.stacking import RegularizedStacker
from aisfolio.ensemble.stacking_baselines import RidgeStack
from aisfolio.strategies import Contrarian, Momentum, SignalRule, Strategy, WalkForward
from tests.lookahead import assert_no_lookahead


class Spy(RegressorMixin, BaseEstimator):
    """Records what it is fitted on; predicts the first column plus the number of fits."""

    fits: ClassVar[list[tuple[pd.DataFrame, np.ndarray]]] = []

    def fit(self, X, y):
        Spy.fits.append((X.copy(), np.asarray(y).copy()))
        self.n_fits_ = len(Spy.fits)
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float)[:, 0] + self.n_fits_


def _frame(prices: pd.Series) -> pd.DataFrame:
    """The second stage's input: price and first-stage forecasts (NaN before their first)."""
    frame = pd.DataFrame({"price": prices})
    for name, generator in {
        "momentum_1": Momentum(1),
        "momentum_5": Momentum(5),
        "momentum_20": Momentum(20),
        "contrarian_2": Contrarian(2),
    }.items():
        frame[name] = Strategy(generator).walk_forward.run(generator, prices)
    return frame


def test_fit_never_uses_the_target_of_the_refit_bar(sp500):
    Spy.fits = []
    prices = sp500.iloc[:80]
    frame = _frame(prices)
    train = frame.iloc[:60]  # the refit bar is row 59
    StackedForecaster(Spy(), min_train=5).fit(train)
    [(X, y)] = Spy.fits
    # Complete rows: momentum_20 starts at row 20; targets exist up to row 58 only.
    assert X.index[0] == prices.index[20] and X.index[-1] == prices.index[58]
    assert list(X.columns) == ["momentum_1", "momentum_5", "momentum_20", "contrarian_2"]
    assert not X.isna().any().any()
    next_return = prices.shift(-1) / prices - 1
    np.testing.assert_allclose(y, next_return.iloc[20:59])
    # The last target is the return into the refit bar, known at its close; the return
    # after it (row 59 -> 60) is in the future of the refit date and absent.
    assert y[-1] == pytest.approx(prices.iloc[59] / prices.iloc[58] - 1)
    assert not np.isclose(y, prices.iloc[60] / prices.iloc[59] - 1).any()


def test_every_walk_forward_fit_ends_before_its_refit_bar(sp500):
    Spy.fits = []
    prices = sp500.iloc[:200]
    frame = _frame(prices)
    walk = WalkForward(refit="every_k", every=30, min_train=40)
    generator = StackedForecaster(Spy(), min_train=10)
    forecasts = walk.run(generator, frame)
    refits = [chunk.refit for chunk in walk.plan(frame.index, generator)]
    assert len(Spy.fits) == len(refits) > 3
    for (X, y), refit in zip(Spy.fits, refits, strict=True):
        last = frame.index.get_loc(X.index[-1])
        assert last == refit - 1  # the newest training row is the bar before the refit
        assert y[-1] == pytest.approx(prices.iloc[refit] / prices.iloc[refit - 1] - 1)
    # predict_block applies each chunk's own fit (no refit inside the block).
    first = refits[0]
    assert forecasts.iloc[first] == pytest.approx(frame["momentum_1"].iloc[first] + 1)
    assert forecasts.iloc[:first].isna().all()


# Prices perturbed by the harness (5% daily noise) make some small first folds
# ill-conditioned; convergence is not what this test is about.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_no_look_ahead_on_real_prices(us_markets_short):
    """The project's harness: prices after a cut change nothing stamped before it.

    Quarterly refits of the default stacker on WTI (the asset where block sizes once
    changed a forecast in the last bit: see ``aisfolio.ensemble.rowwise``).
    """
    strategy = Strategy(
        StackedForecaster(min_train=60),
        SignalRule(),
        WalkForward(refit="quarterly", min_train=80),
    )

    def compute(prices: pd.DataFrame) -> pd.DataFrame:
        run = strategy.run(_frame(prices["WTI"].dropna()))
        return pd.DataFrame({"forecast": run.forecasts, "position": run.positions})

    for cut in ["2004-06-15", "2005-10-03"]:
        assert_no_lookahead(compute, us_markets_short, pd.Timestamp(cut))


def test_stacks_real_forecasts_and_drops_a_flat_one(sp500):
    frame = _frame(sp500.loc["2001":"2004"])
    frame["buy_and_hold"] = 1.0
    model = StackedForecaster().fit(frame)
    assert isinstance(model.estimator_, RegularizedStacker) and model.fallback_ is None
    assert [(d.column, d.reason) for d in model.estimator_.dropped_] == [
        ("buy_and_hold", "variance")
    ]
    assert model.n_train_ == len(frame) - 20 - 1
    forecasts = model.predict_block(frame, 50)
    assert forecasts.shape == (50,) and np.isfinite(forecasts).all()
    again = StackedForecaster().fit(frame).predict_block(frame, 50)
    np.testing.assert_array_equal(forecasts, again)  # deterministic


def test_missing_forecasts_give_missing_predictions(sp500):
    Spy.fits = []
    frame = _frame(sp500.iloc[:100])
    model = StackedForecaster(Spy(), min_train=5).fit(frame.iloc[:70])
    frame.iloc[95, 2] = np.nan
    forecasts = model.predict_block(frame, 10)
    assert np.isnan(forecasts[5]) and np.isfinite(np.delete(forecasts, 5)).all()
    np.testing.assert_allclose(forecasts[:5], frame["momentum_1"].iloc[90:95] + 1)


def test_abstains_with_too_few_complete_rows(sp500):
    frame = _frame(sp500.iloc[:40])  # 19 complete rows with a known target
    model = StackedForecaster(min_train=25).fit(frame)
    assert model.estimator_ is None and "19 complete training rows" in model.fallback_
    assert np.isnan(model.predict_block(frame, 5)).all()


def test_min_history_covers_min_train_targets():
    generator = StackedForecaster(min_train=30)
    assert generator.min_history == 31
    assert WalkForward(min_train=1).first_decision(generator) == 30


def test_parameters_and_clone():
    generator = StackedForecaster(RidgeStack(cv=3), min_train=30)
    assert generator.get_params()["min_train"] == 30
    assert repr(generator) == "StackedForecaster(estimator=RidgeStack(cv=3), min_train=30)"
    assert StackedForecaster().get_params() == {"estimator": None, "min_train": 252}
    generator.features_ = ["a"]
    fresh = generator.clone()
    assert not hasattr(fresh, "features_") and fresh.estimator is not generator.estimator


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"close": [1.0, 2.0], "m": [0.1, 0.2]}), "'price' column"),
        (pd.DataFrame({"price": [1.0, 2.0]}), "at least one forecast column"),
    ],
)
def test_bad_frames(frame, match):
    with pytest.raises(ValueError, match=match):
        StackedForecaster().fit(frame)


@pytest.mark.parametrize("min_train", [0, 2.5])
def test_bad_min_train(min_train):
    with pytest.raises(ValueError, match="min_train"):
        StackedForecaster(min_train=min_train)


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_every_refit_is_recorded_per_asset_and_convergence_warnings_are_counted(
    us_markets_short, backend, caplog
):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from aisfolio.strategies.execution import Executor

    frames = []
    for asset in ("SP500", "WTI"):
        frame = _frame(us_markets_short[asset].dropna()).rename_axis(columns=asset)
        frames.append(frame)
    # Four coordinate-descent iterations: most Lasso and ElasticNet fits stop short.
    generator = StackedForecaster(RegularizedStacker(max_iter=4), min_train=120)
    walk = WalkForward(refit="yearly", min_train=121)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # none may escape
        executor = Executor(backend=backend, n_jobs=2, progress="off", min_parallel_seconds=0)
        forecasts = executor.run(generator, walk, frames)
    refits = generator.refits_
    assert list(refits.index.names) == ["asset", "date"]
    assert set(refits.index.get_level_values("asset")) == {"SP500", "WTI"}
    for frame, series in zip(frames, forecasts, strict=True):
        dates = refits.loc[frame.columns.name].index
        assert series.loc[: dates[0]].iloc[:-1].isna().all()  # nothing before the 1st refit
        assert len(dates) == len(walk.plan(frame.index, generator))
    fitted = refits[refits["abstained"] == ""]
    assert (fitted["training rows"] >= 120).all()
    assert fitted["kept"].str.len().gt(0).all()
    weights = fitted.filter(like="weight ").sum(axis=1)
    np.testing.assert_allclose(weights, 1.0)
    stopped = int(fitted["not converged (search)"].sum() + fitted["not converged (final)"].sum())
    assert stopped > 0
    log_ = generator.failure_log_
    assert log_.loc[log_["kind"].str.contains("max_iter"), "count"].sum() == stopped
    [warning] = [r.getMessage() for r in caplog.records if "stopped at max_iter" in r.getMessage()]
    assert f"stacking: {stopped} coordinate-descent fits" in warning
