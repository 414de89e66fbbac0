"""The fast engine against an independent joint MLE, an exhaustive order search and
simulated series with known parameters.

The oracle shares nothing with the engine but the model's definition: its likelihood is
written directly from the equations (and checked against a literal loop), it has its
own parametrization (statsmodels' partial-autocorrelation maps, GARCH persistence and
share), numerical gradients, L-BFGS-B from several starts with tight tolerances.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.signal import lfilter
from scipy.special import gammaln
from statsmodels.tsa.statespace.tools import constrain_stationary_univariate

from aisfolio.strategies.arima_garch import fit_arma_garch, select_arma_garch
from aisfolio.strategies.arima_garch.fitting import refit_modes, search_orders, select
from aisfolio.strategies.arima_garch.model import ROOT_RADIUS, Spec, Window, natural

# -- the oracle ---------------------------------------------------------------------------


def _split(params, p, q):
    g = 1 + p + q
    return params[0], params[1 : 1 + p], params[1 + p : g], *params[g : g + 3]


def oracle_loglik_loop(params, x, m, p, q, dist="normal"):
    """The model's equations, transcribed literally (slow; checks the vectorized one)."""
    mu, phi, theta, omega, alpha, beta = _split(params, p, q)
    tail = x[m:]
    s2 = float(np.mean((tail - tail.mean()) ** 2))
    e = [0.0] * len(x)
    ll, e2_prev, h_prev = 0.0, s2, s2
    for t in range(m, len(x)):
        mean = mu + sum(phi[i - 1] * (x[t - i] - mu) for i in range(1, p + 1))
        mean += sum(theta[j - 1] * e[t - j] for j in range(1, q + 1) if t - j >= m)
        e[t] = x[t] - mean
        h = omega + alpha * e2_prev + beta * h_prev
        if dist == "t":
            nu = params[-1]
            ll += (
                math.lgamma((nu + 1) / 2)
                - math.lgamma(nu / 2)
                - 0.5 * math.log(math.pi * (nu - 2))
                - 0.5 * math.log(h)
                - (nu + 1) / 2 * math.log(1 + e[t] ** 2 / ((nu - 2) * h))
            )
        else:
            ll -= 0.5 * (math.log(2 * math.pi) + math.log(h) + e[t] ** 2 / h)
        e2_prev, h_prev = e[t] ** 2, h
    return ll


def oracle_filter(params, x, m, p, q):
    """Residuals and conditional variances of ``x[m:]``, vectorized with lfilter."""
    mu, phi, theta, omega, alpha, beta = _split(params, p, q)
    xc = x - mu
    n = len(x)
    y = xc[m:].copy()
    for i in range(1, p + 1):
        y -= phi[i - 1] * xc[m - i : n - i]
    e = lfilter([1.0], np.r_[1.0, theta], y)
    tail = x[m:]
    s2 = np.mean((tail - tail.mean()) ** 2)
    drive = omega + alpha * np.r_[s2, e[:-1] ** 2]
    drive[0] += beta * s2
    return e, lfilter([1.0], [1.0, -beta], drive)


def oracle_loglik(params, x, m, p, q, dist="normal"):
    """The same likelihood as the loop, from :func:`oracle_filter`."""
    e, h = oracle_filter(params, x, m, p, q)
    if dist == "t":
        nu = params[-1]
        terms = gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(np.pi * (nu - 2))
        return float(
            np.sum(terms - 0.5 * np.log(h) - (nu + 1) / 2 * np.log1p(e**2 / ((nu - 2) * h)))
        )
    return float(-0.5 * np.sum(np.log(2 * np.pi) + np.log(h) + e**2 / h))


def _sigmoid(z):
    return 0.5 * (1.0 + math.tanh(0.5 * z))


def _oracle_params(v, p, q, dist):
    g = 1 + p + q
    phi = constrain_stationary_univariate(v[1 : 1 + p]) if p else np.zeros(0)
    theta = -constrain_stationary_univariate(v[1 + p : g]) if q else np.zeros(0)
    phi = phi * ROOT_RADIUS ** np.arange(1, p + 1)
    theta = theta * ROOT_RADIUS ** np.arange(1, q + 1)
    persistence, share = _sigmoid(v[g + 1]), _sigmoid(v[g + 2])
    out = [v[0], *phi, *theta, math.exp(v[g]), persistence * share, persistence * (1 - share)]
    if dist == "t":
        out.append(2 + 98 * _sigmoid(v[g + 3]))
    return np.array(out)


def _oracle_objective(v, x, m, p, q, dist):
    with np.errstate(all="ignore"):
        value = -oracle_loglik(_oracle_params(v, p, q, dist), x, m, p, q, dist)
    return value if np.isfinite(value) else 1e10


def oracle_fit(x, m, p, q, dist="normal", starts=None, seed=0):
    """Best of ``starts`` L-BFGS-B runs with numerical gradients: (params, loglik).

    Starts: white noise; for ARMA models the two near-cancelling configurations (first
    AR and MA partial autocorrelations both near +0.7 or both near -0.7, where the two
    classic modes of an ARMA(1, 1) likelihood lie); random ones after that.
    """
    rng = np.random.default_rng(seed)
    tail = x[m:]
    best = None
    starts = starts if starts is not None else (4 if p and q else 2)
    for s in range(starts):
        persistence = (0.95, 0.9, 0.97)[s % 3]
        v = np.zeros(1 + p + q + 3 + (dist == "t"))
        v[0] = tail.mean()
        if s in (1, 2) and p and q:
            v[1] = v[1 + p] = 1.0 if s == 1 else -1.0
        elif s:
            v[1 : 1 + p + q] = rng.normal(0.0, 0.5, p + q)
        g = 1 + p + q
        v[g] = math.log(np.var(tail) * (1 - persistence))
        v[g + 1] = math.log(persistence / (1 - persistence))
        share = 0.06 / persistence
        v[g + 2] = math.log(share / (1 - share))
        if dist == "t":
            v[g + 3] = math.log(6 / 92)
        result = minimize(
            _oracle_objective,
            v,
            args=(x, m, p, q, dist),
            method="L-BFGS-B",
            options={"maxiter": 5000, "maxfun": 100000, "ftol": 1e-15, "gtol": 1e-9},
        )
        if best is None or result.fun < best.fun:
            best = result
    return _oracle_params(best.x, p, q, dist), -best.fun


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def percent_returns(us_markets):
    """Percent log returns of S&P 500 and WTI on their own calendars."""
    return {
        asset: pd.Series(
            100 * np.diff(np.log(us_markets[asset].dropna().to_numpy())),
            index=us_markets[asset].dropna().index[1:],
        )
        for asset in ("SP500", "WTI")
    }


def _windows(series, count, length=750):
    """``count`` windows of ``length`` returns ending on dates spread over 2003-2018."""
    ends = np.linspace(length + 800, len(series) - 2, count).astype(int)
    return [(series.index[end], series.to_numpy()[end - length + 1 : end + 1]) for end in ends]


def _standard_errors(window, fit):
    from aisfolio.strategies.arima_garch.model import neg_loglik_grad
    from aisfolio.strategies.arima_garch.optimize import fd_hessian

    def fun(u):
        return neg_loglik_grad(u, window, fit.spec)

    cov = np.linalg.pinv(fd_hessian(fun, fit.u, fun(fit.u)[1]))
    jac = np.empty((fit.spec.k, fit.spec.k))
    for i in range(fit.spec.k):
        shifted = fit.u.copy()
        shifted[i] += 1e-6
        jac[:, i] = (natural(shifted, fit.spec) - natural(fit.u, fit.spec)) / 1e-6
    return np.sqrt(np.clip(np.diag(jac @ cov @ jac.T), 1e-12, None))


# -- tests --------------------------------------------------------------------------------


def test_the_oracle_likelihood_is_the_literal_model(percent_returns):
    x = percent_returns["WTI"].to_numpy()[1000:1400]
    rng = np.random.default_rng(3)
    for p, q, dist in [(0, 0, "normal"), (2, 1, "normal"), (1, 2, "t")]:
        params = np.r_[0.05, rng.uniform(-0.3, 0.3, p + q), 0.05, 0.08, 0.9]
        if dist == "t":
            params = np.r_[params, 7.0]
        assert oracle_loglik(params, x, 2, p, q, dist) == pytest.approx(
            oracle_loglik_loop(params, x, 2, p, q, dist), abs=1e-8
        )
        spec = Spec(p, q, dist)
        from aisfolio.strategies.arima_garch.model import neg_loglik, unconstrained

        engine = -neg_loglik(unconstrained(params, spec), Window.of(x, 2), spec)
        assert engine == pytest.approx(oracle_loglik(params, x, 2, p, q, dist), abs=1e-8)


def test_daily_warm_refits_agree_with_the_oracle_on_real_windows(percent_returns):
    """The protocol's path: orders searched on day t-1, parameters re-estimated on day t
    from day t-1's optimum. Same maxima and estimates as the oracle on every window."""
    rows = []
    for asset, series in percent_returns.items():
        for date, x in _windows(series, 6, length=751):
            yesterday = Window.of(x[:-1], 1)
            fits = search_orders(yesterday, 1, 1)
            order, _ = select(fits, "aic", yesterday.n)
            chosen = fits[order]
            today = Window.of(x[1:], 1)
            warm = refit_modes(today, chosen)
            params, loglik = oracle_fit(today.x, 1, *order)
            gaps = np.abs(natural(warm.u, warm.spec) - params)
            # Within a twentieth of a standard error, or within 0.1% (GARCH persistence
            # on its bound of 1, where standard errors mean nothing).
            close = (gaps < 0.05 * _standard_errors(today, warm)) | (
                gaps < 1e-3 * (1 + np.abs(params))
            )
            rows.append(
                {
                    "asset": asset,
                    "date": date,
                    "order": order,
                    "converged": warm.converged,
                    "gap": -warm.nll - loglik,
                    "params_agree": bool(close.all()),
                }
            )
    table = pd.DataFrame(rows)
    agree = table.converged & (table.gap.abs() < 1e-3) & table.params_agree
    assert agree.mean() >= 0.99, table
    assert (table.gap > -1e-3).all(), table  # never materially below the oracle


@pytest.mark.parametrize("order", [(1, 1), (2, 1), (0, 2)])
def test_the_loglik_is_that_of_the_returns_given_at_any_internal_scale(percent_returns, order):
    from scipy.stats import norm

    returns = percent_returns["SP500"].to_numpy()[-757:] / 100
    p, q = order
    reported = []
    for scale in (100.0, 10.0, 1.0):
        result = fit_arma_garch(returns, p, q, scale=scale, condition=2)
        e, h = oracle_filter(result.params.to_numpy(), returns, 2, p, q)
        assert len(e) == result.nobs == len(returns) - 2
        density = float(np.sum(norm.logpdf(e, scale=np.sqrt(h))))
        assert result.loglik == pytest.approx(density, rel=1e-8)
        aic = 2 * result.spec.k - 2 * density
        assert result.criterion("aic") == pytest.approx(aic, rel=1e-8)
        reported.append(result.loglik)
    assert reported[0] > 2000  # daily returns: densities far above 1
    assert max(reported) - min(reported) < 1e-4 * abs(reported[0])


def test_student_t_agrees_with_the_oracle(percent_returns):
    x = percent_returns["SP500"].to_numpy()[-751:]
    result = fit_arma_garch(x / 100, 1, 0, distribution="t", condition=1)
    params, loglik = oracle_fit(x, 1, 1, 0, "t")
    assert result.converged
    assert -result.fit.nll == pytest.approx(loglik, abs=1e-3)
    np.testing.assert_allclose(natural(result.fit.u, result.spec), params, rtol=2e-3, atol=2e-4)


def test_the_aic_choice_equals_an_exhaustive_oracle_search(percent_returns):
    windows = _windows(percent_returns["SP500"], 2) + _windows(percent_returns["WTI"], 1)
    for _, x in windows:
        engine, table = select_arma_garch(x / 100, max_p=1, max_q=1, criterion="aic")
        oracle_aic = {}
        for p in range(2):
            for q in range(2):
                spec = Spec(p, q)
                _, loglik = oracle_fit(x, 1, p, q)
                oracle_aic[p, q] = 2 * spec.k - 2 * loglik
                # The oracle fits percent returns, whose densities are 1/100 of the
                # returns': its log-likelihood of the returns is n * log(100) higher.
                oracle_of_returns = loglik + engine.nobs * np.log(100)
                assert table.loc[(p, q), "loglik"] > oracle_of_returns - 1e-3
        assert (engine.spec.p, engine.spec.q) == min(oracle_aic, key=oracle_aic.get)


@pytest.mark.parametrize("dist", ["normal", "t"])
def test_parameters_of_a_simulated_series_are_recovered(dist):
    """ARMA(1, 1)-GARCH(1, 1), 4000 days: every estimate within 3.5 standard errors."""
    rng = np.random.default_rng(11 if dist == "normal" else 12)
    truth = {"mu": 0.05, "ar1": 0.5, "ma1": -0.3, "omega": 0.05, "alpha": 0.08, "beta": 0.88}
    nu = 6.0
    n, burn = 4000, 500
    z = (
        rng.standard_t(nu, n + burn) / np.sqrt(nu / (nu - 2))
        if dist == "t"
        else rng.normal(size=n + burn)
    )
    x = np.zeros(n + burn)
    e_prev, h = 0.0, truth["omega"] / (1 - truth["alpha"] - truth["beta"])
    for t in range(1, n + burn):
        h = truth["omega"] + truth["alpha"] * e_prev**2 + truth["beta"] * h
        e = np.sqrt(h) * z[t]
        x[t] = truth["mu"] + truth["ar1"] * (x[t - 1] - truth["mu"]) + truth["ma1"] * e_prev + e
        e_prev = e
    result = fit_arma_garch(x[burn:], 1, 1, distribution=dist, scale=1.0)
    assert result.converged
    estimates, errors = result.params, result.std_errors()
    expected = pd.Series(truth if dist == "normal" else {**truth, "nu": nu})
    z_scores = ((estimates - expected) / errors).abs()
    assert (z_scores < 3.5).all(), pd.DataFrame({"est": estimates, "se": errors, "z": z_scores})
