"""The compiled kernels: the likelihood, its exact gradient and the filter of
:mod:`aisfolio.strategies.arima_garch.model`, in numba.

The numpy functions of ``model`` stay the reference: these compute the same quantities
with the same recursions (tests hold them to 1e-10), as explicit loops over the window
instead of a few dozen numpy calls, which cost more than the arithmetic on a window of
about 750 returns. :func:`neg_loglik_grad` and :func:`filter_window` have the signatures
of their numpy twins.

:data:`MINIMIZER` is the projected BFGS of :mod:`aisfolio.strategies.arima_garch.optimize`
compiled around :func:`objective`: a whole fit runs without returning to Python.

Everything compiles on its first call and is cached on disk (``cache=True``: beside this
file, or in the user's cache folder where that is not writable; ``NUMBA_CACHE_DIR``
overrides both): the first run on a machine spends about 15 s compiling, later processes
load the cache in about 0.3 s (``benchmarks/arima_garch.py``, part 0).
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np
from numba import njit

from aisfolio.strategies.arima_garch import model, optimize
from aisfolio.strategies.arima_garch.model import (
    AR_RADIUS,
    LOG_2PI,
    MA_RADIUS,
    NU_MAX,
    FilterState,
    Spec,
    Window,
)
from aisfolio.strategies.arima_garch.optimize import Minimizer

__all__ = [
    "MINIMIZER",
    "filter_window",
    "neg_loglik_grad",
    "objective",
    "objective_args",
    "warm_up",
]


@njit(cache=True, error_model="numpy")
def _pacf_forward(u, radius):
    """Coefficients from partial autocorrelations ``tanh(u)`` (Durbin-Levinson), scaled
    by ``radius ** j``; the partial autocorrelations and the coefficients before each
    step (row ``k``, first ``k`` entries) for the backward pass."""
    p = len(u)
    r = np.tanh(u)
    stages = np.zeros((p, p))
    phi = np.zeros(p)
    for k in range(p):
        stages[k, :k] = phi[:k]
        for j in range(k):
            phi[j] = stages[k, j] - r[k] * stages[k, k - 1 - j]
        phi[k] = r[k]
    power = 1.0
    for j in range(p):
        power *= radius
        phi[j] *= power
    return phi, r, stages


@njit(cache=True, error_model="numpy")
def _pacf_backward(r, stages, radius, grad_phi):
    """``(d phi / d u)' grad_phi`` from the tape of :func:`_pacf_forward`."""
    p = len(r)
    bar = np.empty(p)
    power = 1.0
    for j in range(p):
        power *= radius
        bar[j] = grad_phi[j] * power
    grad_u = np.zeros(p)
    for k in range(p - 1, -1, -1):
        rk = r[k]
        grad_r = bar[k]
        for j in range(k):
            grad_r -= bar[j] * stages[k, k - 1 - j]
        new_bar = np.empty(k)
        for i in range(k):
            new_bar[i] = bar[i] - rk * bar[k - 1 - i]
        bar[:k] = new_bar
        grad_u[k] = grad_r * (1.0 - rk * rk)
    return grad_u


@njit(cache=True, error_model="numpy")
def _garch_map(a0, a, b):
    top = max(0.0, a, b)
    za, zb, z0 = math.exp(a - top), math.exp(b - top), math.exp(-top)
    total = za + zb + z0
    return math.exp(a0), za / total, zb / total


@njit(cache=True, error_model="numpy")
def _recursions(x, m, s2, mu, phi, theta, omega, alpha, beta):
    """Errors ``e`` and conditional variances ``h`` over ``x_m .. x_{N-1}``."""
    n = len(x) - m
    p, q = len(phi), len(theta)
    e = np.empty(n)
    h = np.empty(n)
    previous_e2, previous_h = s2, s2
    xc = x - mu
    for t in range(n):
        value = xc[m + t]
        for i in range(p):
            value -= phi[i] * xc[m + t - 1 - i]
        for j in range(min(q, t)):
            value -= theta[j] * e[t - 1 - j]
        e[t] = value
        variance = omega + alpha * previous_e2 + beta * previous_h
        h[t] = variance
        previous_e2, previous_h = value * value, variance
    return e, h


@njit(cache=True, error_model="numpy")
def _nll_grad(u, x, m, s2, p, q, student, nu, d_nu, constant, c_prime):
    """Minus the log-likelihood and its gradient in ``u`` (``inf`` and NaNs where not
    finite); ``nu`` and the Student-t constants come from the caller (unused for the
    normal)."""
    k = len(u)
    g = 1 + p + q
    n = len(x) - m
    mu = u[0]
    phi, r_phi, stages_phi = _pacf_forward(u[1 : 1 + p], AR_RADIUS)
    psi, r_psi, stages_psi = _pacf_forward(u[1 + p : g], MA_RADIUS)
    theta = -psi
    omega, alpha, beta = _garch_map(u[g], u[g + 1], u[g + 2])
    e, h = _recursions(x, m, s2, mu, phi, theta, omega, alpha, beta)
    h_bar = np.empty(n)
    e_bar = np.empty(n)
    log_h = 0.0
    if student:
        scale = nu - 2.0
        log1p_w = 0.0
        ratio_sum = 0.0
        for t in range(n):
            w = e[t] * e[t] / (scale * h[t])
            log1p_w += math.log1p(w)
            log_h += math.log(h[t])
            ratio = w / (1.0 + w)
            ratio_sum += ratio
            h_bar[t] = (-0.5 + 0.5 * (nu + 1.0) * ratio) / h[t]
            e_bar[t] = -(nu + 1.0) * e[t] / (scale * h[t] * (1.0 + w))
        ll = n * constant - 0.5 * log_h - 0.5 * (nu + 1.0) * log1p_w
        g_nu = n * c_prime - 0.5 * log1p_w + 0.5 * (nu + 1.0) * ratio_sum / scale
    else:
        squares = 0.0
        for t in range(n):
            inverse = 1.0 / h[t]
            ratio = e[t] * e[t] * inverse
            squares += ratio
            log_h += math.log(h[t])
            h_bar[t] = 0.5 * (ratio - 1.0) * inverse
            e_bar[t] = -e[t] * inverse
        ll = -0.5 * (n * LOG_2PI + log_h + squares)
        g_nu = 0.0
    grad = np.empty(k)
    if not math.isfinite(ll):
        grad[:] = np.nan
        return math.inf, grad
    # Adjoint of the variance recursion, lam_t = h_bar_t + beta lam_{t+1}, folded into
    # the sums it feeds and into e_bar.
    g_omega = g_alpha = g_beta = 0.0
    lam = 0.0
    for t in range(n - 1, -1, -1):
        if t < n - 1:
            e_bar[t] += 2.0 * alpha * e[t] * lam
        lam = h_bar[t] + beta * lam
        g_omega += lam
        if t:
            g_alpha += lam * e[t - 1] * e[t - 1]
            g_beta += lam * h[t - 1]
        else:
            g_alpha += lam * s2
            g_beta += lam * s2
    # Adjoint of the MA recursion: y_bar_t = e_bar_t - sum_j theta_j y_bar_{t+j}.
    y_bar = e_bar
    if q:
        y_bar = np.empty(n)
        for t in range(n - 1, -1, -1):
            value = e_bar[t]
            for j in range(min(q, n - 1 - t)):
                value -= theta[j] * y_bar[t + 1 + j]
            y_bar[t] = value
    y_sum = 0.0
    for t in range(n):
        y_sum += y_bar[t]
    phi_sum = 0.0
    for i in range(p):
        phi_sum += phi[i]
    grad[0] = -(1.0 - phi_sum) * y_sum
    if p:
        g_phi = np.zeros(p)
        for i in range(p):
            total = 0.0
            for t in range(n):
                total += y_bar[t] * (x[m + t - 1 - i] - mu)
            g_phi[i] = -total
        grad[1 : 1 + p] = _pacf_backward(r_phi, stages_phi, AR_RADIUS, g_phi)
    if q:
        g_theta = np.zeros(q)
        for j in range(q):
            total = 0.0
            for t in range(j + 1, n):
                total += y_bar[t] * e[t - 1 - j]
            g_theta[j] = -total
        grad[1 + p : g] = -_pacf_backward(r_psi, stages_psi, MA_RADIUS, g_theta)
    grad[g] = g_omega * omega
    grad[g + 1] = g_alpha * alpha * (1.0 - alpha) - g_beta * alpha * beta
    grad[g + 2] = -g_alpha * alpha * beta + g_beta * beta * (1.0 - beta)
    if student:
        grad[g + 3] = g_nu * d_nu
    for i in range(k):
        if not math.isfinite(grad[i]):
            grad[:] = np.nan
            return math.inf, grad
    return -ll, -grad


@njit(cache=True, error_model="numpy")
def _filter(params, x, m, s2, p, q, student, constant):
    """Errors' tail, last variance and log-likelihood at natural ``params``."""
    g = 1 + p + q
    n = len(x) - m
    e, h = _recursions(
        x, m, s2, params[0], params[1 : 1 + p], params[1 + p : g],
        params[g], params[g + 1], params[g + 2],
    )  # fmt: skip
    log_h = 0.0
    other = 0.0
    if student:
        nu = params[g + 3]
        for t in range(n):
            log_h += math.log(h[t])
            other += math.log1p(e[t] * e[t] / ((nu - 2.0) * h[t]))
        ll = n * constant - 0.5 * log_h - 0.5 * (nu + 1.0) * other
    else:
        for t in range(n):
            log_h += math.log(h[t])
            other += e[t] * e[t] / h[t]
        ll = -0.5 * (n * LOG_2PI + log_h + other)
    keep = max(q, 1)
    e_tail = np.zeros(keep)
    available = min(keep, n)
    e_tail[keep - available :] = e[n - available :]
    return e_tail, h[n - 1], ll


@njit(cache=True, error_model="numpy")
def _digamma(x):
    """The digamma function for ``x > 0``: the recurrence up to 10, then the asymptotic
    series (error below 1e-15 there)."""
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (
        1.0 / 12
        - inv2
        * (
            1.0 / 120
            - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * 691.0 / 32760)))
        )
    )
    return result + math.log(x) - 0.5 / x - series


@njit(cache=True, error_model="numpy")
def _student_constant(nu):
    return (
        math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(0.5 * nu) - 0.5 * math.log(math.pi * (nu - 2.0))
    )


@njit(cache=True, error_model="numpy")
def objective(u, x, m, s2, p, q, student):
    """Minus the log-likelihood and its gradient in ``u`` of the window ``x``
    conditioned on its first ``m`` returns with backcast ``s2``: the compiled objective
    (the arguments after ``u`` are :func:`objective_args`)."""
    nu = d_nu = constant = c_prime = 0.0
    if student:
        share = 1.0 / (1.0 + math.exp(-u[1 + p + q + 3]))
        nu = 2.0 + (NU_MAX - 2.0) * share
        d_nu = (NU_MAX - 2.0) * share * (1.0 - share)
        constant = _student_constant(nu)
        c_prime = 0.5 * (_digamma(0.5 * (nu + 1.0)) - _digamma(0.5 * nu)) - 0.5 / (nu - 2.0)
    return _nll_grad(u, x, m, s2, p, q, student, nu, d_nu, constant, c_prime)


def objective_args(window: Window, spec: Spec) -> tuple:
    """The arguments of :func:`objective` after ``u``."""
    return window.x, window.m, window.s2, spec.p, spec.q, spec.student


def neg_loglik_grad(u: np.ndarray, window: Window, spec: Spec) -> tuple[float, np.ndarray]:
    """Minus the log-likelihood and its exact gradient with respect to ``u`` (compiled
    :func:`aisfolio.strategies.arima_garch.model.neg_loglik_grad`)."""
    value, grad = objective(np.asarray(u, dtype=np.float64), *objective_args(window, spec))
    return float(value), grad


def filter_window(params: np.ndarray, window: Window, spec: Spec) -> FilterState:
    """Run the recursions over ``window`` with fixed natural ``params`` (compiled
    :func:`aisfolio.strategies.arima_garch.model.filter_window`)."""
    params = np.asarray(params, dtype=np.float64)
    constant = _student_constant(float(params[spec.garch + 3])) if spec.student else 0.0
    e_tail, h_last, loglik = _filter(
        params, window.x, window.m, window.s2, spec.p, spec.q, spec.student, constant
    )
    p = spec.p
    x_tail = window.x[len(window.x) - p :].copy() if p else np.zeros(0)
    return FilterState(params, spec, x_tail, e_tail, float(h_last), float(loglik))


def _sources_digest() -> str:
    """A digest of the sources compiled into :data:`MINIMIZER` (this module, the model's
    constants and the algorithm)."""
    digest = hashlib.sha256()
    for module in (__name__, model.__name__, optimize.__name__):
        digest.update(Path(sys.modules[module].__file__).read_bytes())
    return digest.hexdigest()[:12]


#: BFGS and finite-difference Hessians compiled around :func:`objective`.
MINIMIZER = Minimizer(objective, compiled=True, version=_sources_digest())


def warm_up() -> None:
    """Compile (or load from the disk cache) every kernel's specialization once."""
    x = np.sin(np.arange(40.0))
    window = Window.of(x, 1)
    for spec in (Spec(1, 1), Spec(1, 1, "t")):
        u = np.zeros(spec.k)
        neg_loglik_grad(u, window, spec)
        filter_window(np.array([0.0, 0.1, 0.1, 0.1, 0.1, 0.8, 8.0][: spec.k]), window, spec)
        args = objective_args(window, spec)
        f, g = objective(u, *args)
        MINIMIZER.minimize(u, np.eye(spec.k), args, f0=(f, g), max_iter=2)
        MINIMIZER.hessian(u, g, args)
