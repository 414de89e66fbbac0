"""ARIMA-GARCH generator: the likelihood's pieces, the protocol, fallbacks, engines, config."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.tools import constrain_stationary_univariate

import aisfolio.strategies.arima_garch.engines as engines
from aisfolio.app.composition import build, load_config
from aisfolio.portfolio.errors import ConfigError
from aisfolio.strategies import SignalRule, Strategy, WalkForward
from aisfolio.strategies.arima_garch import (
    ArimaGarch,
    fit_arma_garch,
    log_returns,
    select_arma_garch,
)
from aisfolio.strategies.arima_garch.fitting import fit_cold
from aisfolio.strategies.arima_garch.model import (
    ROOT_RADIUS,
    Spec,
    Window,
    coefficients_to_pacf,
    default_start,
    natural,
    neg_loglik,
    neg_loglik_grad,
    pacf_to_coefficients,
    unconstrained,
)
from aisfolio.strategies.arima_garch.optimize import Minimizer


@pytest.fixture(scope="module")
def sp500_percent(sp500):
    return 100 * np.diff(np.log(sp500.to_numpy()))


def _strategy(generator, prices, start):
    first = int(np.searchsorted(prices.index, pd.Timestamp(start)))
    walk = WalkForward(window="expanding", min_train=first + 1, refit="quarterly")
    return Strategy(generator, SignalRule(on_tie="short"), walk)


# -- the model ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec", [Spec(0, 0), Spec(2, 0), Spec(0, 2), Spec(3, 2), Spec(5, 5), Spec(2, 1, "t")]
)
def test_the_gradient_is_exact(spec, sp500_percent):
    window = Window.of(sp500_percent[1000:1600], 5)
    u = default_start(window, spec) + 0.3 * np.random.default_rng(spec.k).standard_normal(spec.k)
    _, grad = neg_loglik_grad(u, window, spec)
    numeric = np.array(
        [
            (neg_loglik(u + step, window, spec) - neg_loglik(u - step, window, spec)) / 2e-6
            for step in np.eye(spec.k) * 1e-6
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_parameter_maps_enforce_stationarity_invertibility_and_positivity():
    rng = np.random.default_rng(0)
    for _ in range(50):
        spec = Spec(3, 2)
        u = rng.normal(0, 1.5, spec.k)
        params = natural(u, spec)
        ar_roots = np.roots(np.r_[1.0, -params[1:4]])
        ma_roots = np.roots(np.r_[1.0, params[4:6]])
        assert np.abs(ar_roots).max() < ROOT_RADIUS and np.abs(ma_roots).max() < ROOT_RADIUS
        omega, alpha, beta = params[6:9]
        assert omega > 0 and alpha > 0 and beta > 0 and alpha + beta < 1
        np.testing.assert_allclose(unconstrained(params, spec), u, atol=1e-8)
    # With radius 1 the AR map is Monahan's, from the same partial autocorrelations
    # (statsmodels maps them from v = r / sqrt(1 - r^2), with the opposite sign).
    r = np.array([0.5, -0.3, 0.2])
    np.testing.assert_allclose(
        pacf_to_coefficients(np.arctanh(r))[0],
        constrain_stationary_univariate(-r / np.sqrt(1 - r**2)),
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="stationary"):
        coefficients_to_pacf(np.array([1.2]))


def test_bfgs_stops_on_the_box():
    def fun(x):  # minimum at (2, -1), outside the box in its first coordinate
        return float((x[0] - 2) ** 2 + 3 * (x[1] + 1) ** 2), np.array(
            [2 * (x[0] - 2), 6 * (x[1] + 1)]
        )

    box = {"lower": np.array([-1.0, -5.0]), "upper": np.ones(2)}
    result = Minimizer(fun).minimize(np.zeros(2), np.eye(2), **box)
    assert result.converged
    np.testing.assert_allclose(result.x, [1.0, -1.0], atol=1e-6)


# -- the protocol -------------------------------------------------------------------------


def test_orders_on_quarter_starts_parameters_every_k_bars_the_rest_filtered(sp500):
    prices = sp500.loc[:"2003-08-29"]
    generator = ArimaGarch(max_p=1, max_q=1, refit_every=3)
    run = _strategy(generator, prices, "2003-03-14").run(prices)
    diagnostics = generator.diagnostics_.loc["SP500"]
    assert diagnostics.index[0] == pd.Timestamp("2003-03-14")
    selected = diagnostics.index[diagnostics.selected]
    quarter_starts = [pd.Timestamp(d) for d in ("2003-04-01", "2003-07-01")]
    assert list(selected) == [pd.Timestamp("2003-03-14"), *quarter_starts]
    day = diagnostics.groupby(diagnostics.selected.cumsum()).cumcount()
    np.testing.assert_array_equal(diagnostics.refit, day % 3 == 0)
    assert set(diagnostics.status[~diagnostics.refit]) == {"filtered"}
    assert set(diagnostics.status[diagnostics.refit]) == {"fitted"}
    np.testing.assert_array_equal(run.forecasts.dropna(), diagnostics["mean"])
    np.testing.assert_array_equal(run.positions.dropna(), np.where(diagnostics["mean"] > 0, 1, -1))
    assert (diagnostics.variance > 0).all()
    assert generator.failures_.loc["SP500"].sum() == 0


def test_each_window_holds_the_last_n_years_of_calendar_days(sp500, monkeypatch):
    seen = []
    original = engines.FastTrack.select

    def spy(self, x):
        seen.append(len(x))
        return original(self, x)

    monkeypatch.setattr(engines.FastTrack, "select", spy)
    prices = sp500.loc[:"2003-04-15"]
    generator = ArimaGarch(max_p=0, max_q=0, window_years=2)
    _strategy(generator, prices, "2003-03-14").run(prices)
    for date, length in zip(["2003-03-14", "2003-04-01"], seen, strict=True):
        stamp = pd.Timestamp(date)
        inside = (prices.index > stamp - pd.Timedelta(days=730)) & (prices.index <= stamp)
        assert length == inside.sum()  # one return per price in the window


def test_the_forecast_is_the_one_step_mean_of_the_chosen_model(sp500):
    prices = sp500.loc[:"2004-01-05"]
    generator = ArimaGarch(max_p=1, max_q=1)
    _strategy(generator, prices, "2004-01-02").run(prices)
    first = generator.diagnostics_.iloc[0]
    known = prices.loc[:"2004-01-02"]
    returns = log_returns(known)[1:]
    window = returns[known.index[1:] > pd.Timestamp("2004-01-02") - pd.Timedelta(days=1095)]
    model, table = select_arma_garch(window, max_p=1, max_q=1)
    mean, variance = model.forecast()
    assert (first.p, first.q) == (model.spec.p, model.spec.q)
    assert first["mean"] == pytest.approx(mean, rel=1e-9)
    assert first.variance == pytest.approx(variance, rel=1e-9)
    assert first.loglik == pytest.approx(model.loglik, rel=1e-12)
    assert table.aic.idxmin() == (model.spec.p, model.spec.q)


def test_the_batch_path_equals_chunk_by_chunk_fits(us_markets_short):
    prices = us_markets_short["WTI"].dropna().loc[:"2004-09-30"]
    strategy = _strategy(ArimaGarch(max_p=1, max_q=1, refit_every=2), prices, "2004-01-02")
    batched = strategy.run(prices).forecasts.dropna()
    single = strategy.walk_forward.run(_OneByOne(strategy.generator), prices).dropna()
    assert (np.sign(batched) == np.sign(single)).mean() >= 0.99
    np.testing.assert_allclose(batched, single, rtol=1e-3, atol=1e-6)


class _OneByOne(ArimaGarch):
    """The default, unbatched Generator path: fit then predict_block per chunk."""

    def __init__(self, template):
        self.__dict__.update(template.get_params())

    def fit_predict_batch(self, tasks):
        return [self.clone().fit(t.train).predict_block(t.history, t.n) for t in tasks]


def test_student_t_errors_and_other_criteria_run_the_protocol(sp500):
    prices = sp500.loc[:"2003-04-10"]
    for settings in ({"distribution": "t"}, {"criterion": "bic"}, {"criterion": "hqc"}):
        generator = ArimaGarch(max_p=1, max_q=1, refit_every=2, **settings)
        forecasts = _strategy(generator, prices, "2003-03-14").run(prices).forecasts.dropna()
        assert len(forecasts) == 20 and np.isfinite(forecasts).all()
        assert set(generator.diagnostics_.status) <= {"fitted", "filtered"}


# -- failures -----------------------------------------------------------------------------


def test_failed_fits_use_the_last_good_model_and_are_counted(sp500, monkeypatch, caplog):
    calls = {"n": 0}
    original = engines.FastTrack.refit

    def every_third_fails(self, x, model):
        calls["n"] += 1
        return None if calls["n"] % 3 == 0 else original(self, x, model)

    monkeypatch.setattr(engines.FastTrack, "refit", every_third_fails)
    prices = sp500.loc[:"2003-04-30"]
    generator = ArimaGarch(max_p=1, max_q=1)
    with caplog.at_level(logging.WARNING):
        run = _strategy(generator, prices, "2003-03-14").run(prices)
    status = generator.diagnostics_.status
    reused = int((status == "reused").sum())
    assert reused == calls["n"] // 3 > 0
    assert generator.failures_.loc["SP500", "reused"] == reused
    # The same failures by date: each day a refit failed and the last model served it.
    logged = generator.failure_log_
    assert list(logged["date"]) == list(status.index.get_level_values("date")[status == "reused"])
    assert set(logged["kind"]) == {"reused"} and set(logged["count"]) == {1}
    assert "forecasts served by a fallback (reused" in caplog.text
    assert run.forecasts.notna().sum() == len(status)


def test_without_a_good_model_the_fallback_is_arma00_then_the_moments(sp500, monkeypatch):
    def search_fails(self, x):
        return engines.Selection(None, {}, 4, 0)

    monkeypatch.setattr(engines.FastTrack, "select", search_fails)
    prices = sp500.loc[:"2003-03-20"]
    generator = ArimaGarch(max_p=1, max_q=1)
    _strategy(generator, prices, "2003-03-14").run(prices)
    diagnostics = generator.diagnostics_
    assert diagnostics.status.iloc[0] == "arma00"
    assert (diagnostics[["p", "q"]].to_numpy() == 0).all()
    assert generator.failures_.loc["SP500", "search_failed"] == 4
    search = generator.failure_log_.set_index("kind").loc["search_failed"]
    assert (search["date"], search["count"]) == (diagnostics.index[0][1], 4)

    monkeypatch.setattr(engines.FastTrack, "cold", lambda self, x, p, q: None)
    monkeypatch.setattr(engines.FastTrack, "refit", lambda self, x, model: None)
    generator = ArimaGarch(max_p=1, max_q=1)
    forecasts = _strategy(generator, prices, "2003-03-14").run(prices).forecasts.dropna()
    assert set(generator.diagnostics_.status) == {"moments"}
    known = prices.loc[:"2003-03-14"]
    returns = log_returns(known)[1:]
    window = returns[known.index[1:] > pd.Timestamp("2003-03-14") - pd.Timedelta(days=1095)]
    assert forecasts.iloc[0] == pytest.approx(window.mean(), rel=1e-12)
    assert generator.failures_.loc["SP500", "moments"] == len(forecasts)


# -- the reference engine -------------------------------------------------------------------


def test_the_reference_engine_runs_the_same_protocol(sp500):
    prices = sp500.loc[:"2005-01-10"]
    runs = {}
    for engine in ("reference", "compiled"):
        generator = ArimaGarch(max_p=1, max_q=0, engine=engine)
        _strategy(generator, prices, "2005-01-03").run(prices)
        runs[engine] = generator.diagnostics_
    reference, fast = runs["reference"], runs["compiled"]
    assert set(reference.status) == {"fitted"}
    assert (reference.variance > 0).all()
    assert np.corrcoef(reference.variance, fast.variance)[0, 1] > 0.9
    np.testing.assert_allclose(reference.variance, fast.variance, rtol=0.25)


# -- inputs and configuration ---------------------------------------------------------------


def test_log_returns_refuse_a_total_loss():
    prices = pd.Series([10.0, 12.0, -3.0], index=pd.date_range("2020-04-17", periods=3), name="OIL")
    with pytest.raises(ValueError, match="'OIL' on 2020-04-19"):
        log_returns(prices)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("criterion", "aicc", "criterion"),
        ("distribution", "ged", "distribution"),
        ("engine", "rugarch", "engine"),
        ("max_p", -1, "max_p"),
        ("window_years", 0, "window_years"),
        ("refit_every", 0, "refit_every"),
        ("min_observations", 30, "too few"),
    ],
)
def test_bad_parameters_are_refused(key, value, match):
    with pytest.raises(ValueError, match=match):
        ArimaGarch(**{key: value})


def test_parameters_min_history_and_clone():
    generator = ArimaGarch(max_p=2, max_q=1, criterion="bic", min_observations=300)
    assert generator.min_history == 301
    generator.diagnostics_ = pd.DataFrame()
    copy = generator.clone()
    assert not hasattr(copy, "diagnostics_")
    assert copy.get_params()["criterion"] == "bic"


def test_the_config_group_is_sweepable_and_the_paper_preset_composes():
    for criterion in ("aic", "bic", "hqc"):
        strategies = build(
            load_config(
                [
                    "generators=[buy_and_hold,arima_garch]",
                    f"generators.arima_garch.generator.criterion={criterion}",
                ]
            )
        ).pipeline.strategies
        assert strategies["arima_garch"].generator.criterion == criterion
        assert strategies["arima_garch"].walk_forward.refit == "quarterly"
    with pytest.raises(ConfigError, match=r"generators\.arima_garch"):
        build(
            load_config(
                ["generators=[arima_garch]", "generators.arima_garch.generator.criterion=aicc"]
            )
        )
    paper = build(load_config(["experiment=arima_garch_paper"])).pipeline.strategies
    generator = paper["arima_garch_paper"].generator
    assert (generator.max_p, generator.max_q, generator.refit_every) == (5, 5, 1)
    assert {"buy_and_hold", "momentum", "contrarian"} <= set(paper)


def test_a_single_fit_reaches_the_maximum_a_cold_start_misses(sp500):
    # S&P 500, 756 log returns to 2011-06-13, ARMA(1, 1): from the default start BFGS
    # stops at a cancelling pair on the root bound (phi 0.95, theta -0.95), 10.1 below
    # the maximum near phi 0.29, theta -0.39 that the order search reaches.
    returns = np.diff(np.log(sp500.loc[:"2011-06-13"].to_numpy()))[-756:]
    result = fit_arma_garch(returns, 1, 1)
    window = Window.of(returns * 100, 1)
    cold = fit_cold(window, Spec(1, 1))
    assert natural(cold.u, cold.spec)[1] == pytest.approx(0.95, abs=0.01)
    assert -cold.nll < -result.fit.nll - 10
    assert result.params["ar1"] == pytest.approx(0.29, abs=0.02)
    assert result.params["ma1"] == pytest.approx(-0.39, abs=0.02)


@pytest.mark.parametrize("end", ["2004-03-31", "2008-10-15", "2014-06-30"])
def test_a_single_fit_is_never_below_the_order_search(sp500, end):
    returns = np.diff(np.log(sp500.loc[:end].to_numpy()))[-756:]
    _, table = select_arma_garch(returns, max_p=2, max_q=2)
    for p, q in [(1, 1), (2, 1), (0, 2), (2, 2)]:
        single = fit_arma_garch(returns, p, q, condition=2)
        assert single.loglik >= table.loc[(p, q), "loglik"] - 1e-6
