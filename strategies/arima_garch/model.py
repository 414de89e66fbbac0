"""ARMA(p, q)-GARCH(1, 1): the conditional log-likelihood, its exact gradient and the filter.

The model, on returns ``x_t`` (the engine passes log returns in percent)::

    x_t - mu = sum_i phi_i (x_{t-i} - mu) + sum_j theta_j e_{t-j} + e_t
    e_t = sqrt(h_t) z_t,   h_t = omega + alpha e_{t-1}^2 + beta h_{t-1}
    z_t ~ N(0, 1)  or  standardized Student-t with nu > 2 degrees of freedom

``mu`` is the unconditional mean (the intercept is ``mu (1 - sum phi)``).

The likelihood of a window ``x_0 .. x_{N-1}`` is conditional on its first ``m``
returns (``m >= p``; the order search uses ``m = max_p`` for every candidate so that all
of them are compared on the same observations ``x_m .. x_{N-1}``). Pre-sample errors
are zero, and the pre-sample ``e^2`` and ``h`` of the variance recursion are the
data-only backcast ``s2``: the variance of ``x_m .. x_{N-1}`` about their mean (a
constant, so it carries no derivative).

The optimizer works on a vector ``u`` (unconstrained but for a wide box, see
:data:`U_BOUND`: a supremum on the edge of the parameter space, a unit root, becomes a
maximum on the box instead of a drift to infinity); the map to the natural parameters
enforces every constraint exactly:

- AR: partial autocorrelations ``r = tanh(u)`` in (-1, 1), then the
  Durbin-Levinson recursion: a stationary AR polynomial (Monahan, 1984), whose
  coefficient ``j`` is then scaled by ``ROOT_RADIUS ** j``: every inverse root has a
  modulus below :data:`ROOT_RADIUS` (0.95);
- MA: the same map, negated: an invertible MA polynomial with the same margin;
- GARCH: ``omega = exp(u)``; ``(alpha, beta, 1 - alpha - beta)`` is the softmax of
  ``(a, b, 0)``: positive, with ``alpha + beta < 1``;
- Student-t: ``nu = 2 + (NU_MAX - 2) / (1 + exp(-u))``, in (2, 100) as in rugarch (the
  normal is the limit; an unbounded ``nu`` would drift to infinity on near-normal data).

The gradient is exact and costs four scalar recursions whatever the orders: the
likelihood's sensitivities are propagated backwards through the two linear recursions
(the adjoint method), then chained through the parameter map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.special import digamma, gammaln

__all__ = [
    "DISTRIBUTIONS",
    "Spec",
    "Window",
    "coefficients_to_pacf",
    "default_start",
    "filter_window",
    "natural",
    "neg_loglik",
    "neg_loglik_grad",
    "pacf_to_coefficients",
    "student_constant",
    "unconstrained",
]

DISTRIBUTIONS = ("normal", "t")
LOG_2PI = math.log(2.0 * math.pi)
NU_MAX = 100.0
#: Every unconstrained parameter but ``mu`` stays within +-U_BOUND (``alpha``, ``beta``
#: and ``1 - alpha - beta`` above about 1e-13, ``omega`` within (1e-13, 1e4) squared
#: percent), partial autocorrelations within +-tanh(PACF_BOUND) = +-(1 - 4e-9): the box's
#: edge is closer to the supremum than any tolerance.
U_BOUND = 30.0
PACF_BOUND = 10.0
#: Every inverse root of the AR and MA polynomials lies inside this radius. Stationarity
#: and invertibility are enforced with a margin: with a conditional likelihood, an MA
#: root near the unit circle never forgets the window's start-up and yields spurious
#: maxima that fit the first observations (and an AR root near it leaves ``mu``
#: unidentified); daily returns are far from both.
ROOT_RADIUS = 0.95
AR_RADIUS = MA_RADIUS = ROOT_RADIUS
_ONE = np.ones(1)
_EMPTY, _EMPTY_JAC = np.zeros(0), np.zeros((0, 0))

try:  # lfilter's own kernel: the public wrapper's checks cost more than a short recursion
    from scipy.signal._sigtools import _linear_filter

    def _recursion(a: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``y_t = x_t - a_1 y_{t-1} - ... - a_k y_{t-k}`` from zero pre-sample values."""
        return _linear_filter(_ONE, a, x, -1)

except ImportError:  # pragma: no cover - a scipy without the private kernel

    def _recursion(a: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``y_t = x_t - a_1 y_{t-1} - ... - a_k y_{t-k}`` from zero pre-sample values."""
        return lfilter(_ONE, a, x)


@dataclass(frozen=True)
class Spec:
    """Orders and error distribution of one ARMA-GARCH(1, 1) model."""

    p: int
    q: int
    distribution: str = "normal"

    def __post_init__(self) -> None:
        if self.p < 0 or self.q < 0:
            raise ValueError(f"orders must be >= 0, got ({self.p}, {self.q})")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {DISTRIBUTIONS}, got '{self.distribution}'"
            )

    @property
    def student(self) -> bool:
        return self.distribution == "t"

    @property
    def k(self) -> int:
        """Number of estimated parameters."""
        return 1 + self.p + self.q + 3 + int(self.student)

    @property
    def names(self) -> list[str]:
        """Natural parameter names, in the order of :func:`natural`."""
        names = ["mu", *(f"ar{i}" for i in range(1, self.p + 1))]
        names += [f"ma{j}" for j in range(1, self.q + 1)]
        names += ["omega", "alpha", "beta"]
        return [*names, "nu"] if self.student else names

    @property
    def garch(self) -> int:
        """Position of ``omega`` in the parameter vectors."""
        return 1 + self.p + self.q

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The box of the unconstrained parameters (see :data:`U_BOUND`)."""
        lower = np.full(self.k, -U_BOUND)
        lower[0] = -np.inf
        lower[1 : self.garch] = -PACF_BOUND
        upper = -lower
        upper[self.garch] = np.log(1e4)  # omega, in squared percent
        return lower, upper


@dataclass(frozen=True)
class Window:
    """One estimation window: returns, the conditioning length and the backcast."""

    x: np.ndarray
    m: int
    s2: float

    @classmethod
    def of(cls, x: np.ndarray, m: int) -> Window:
        """A window of returns ``x`` conditional on its first ``m`` values."""
        x = np.ascontiguousarray(x, dtype=float)
        if x.ndim != 1 or len(x) <= m + 1:
            raise ValueError(f"a window needs more than {m + 1} returns, got {len(x)}")
        tail = x[m:]
        return cls(x=x, m=int(m), s2=float(np.mean((tail - tail.mean()) ** 2)))

    @property
    def n(self) -> int:
        """Number of observations in the likelihood."""
        return len(self.x) - self.m


def pacf_to_coefficients(u: np.ndarray, radius: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Stationary AR coefficients from unconstrained values, with the Jacobian.

    Parameters
    ----------
    u : ndarray of shape (p,)
    radius : float, default 1
        Coefficient ``j`` is scaled by ``radius ** j``: every inverse root then has a
        modulus below ``radius``.

    Returns
    -------
    phi : ndarray of shape (p,)
        Coefficients of ``1 - phi_1 z - ... - phi_p z^p``, whose inverse roots lie
        inside the circle of radius ``radius``.
    jacobian : ndarray of shape (p, p)
        ``d phi / d u``.
    """
    p = len(u)
    if p == 0:
        return _EMPTY, _EMPTY_JAC
    values = u.tolist()
    if p == 1:
        r = math.tanh(values[0])
        return np.array([radius * r]), np.array([[radius * (1.0 - r * r)]])
    # Scalar Durbin-Levinson with its forward-mode derivatives (p <= 5: plain floats
    # beat array operations by far).
    r = [math.tanh(v) for v in values]
    phi: list[float] = []
    jac: list[list[float]] = []  # jac[j][c] = d phi_j / d r_c
    for k in range(p):
        rk = r[k]
        if k:
            new_phi = [phi[j] - rk * phi[k - 1 - j] for j in range(k)]
            new_jac = [
                [a - rk * b for a, b in zip(jac[j], jac[k - 1 - j], strict=True)] for j in range(k)
            ]
            for j in range(k):
                new_jac[j][k] = -phi[k - 1 - j]
            phi, jac = new_phi, new_jac
        phi.append(rk)
        row = [0.0] * p
        row[k] = 1.0
        jac.append(row)
    dr = [1.0 - c * c for c in r]
    power = 1.0
    for j in range(p):
        power *= radius
        phi[j] *= power
        jac[j] = [power * a * d for a, d in zip(jac[j], dr, strict=True)]
    return np.array(phi), np.array(jac)


def _pacf_forward(u: np.ndarray, radius: float) -> tuple[np.ndarray, tuple]:
    """:func:`pacf_to_coefficients` without the Jacobian, and the tape of
    :func:`_pacf_backward` (reverse mode: O(p^2) instead of O(p^3))."""
    r = [math.tanh(v) for v in u.tolist()]
    stages = []  # the coefficients before each step
    phi: list[float] = []
    for k, rk in enumerate(r):
        stages.append(phi)
        phi = [phi[j] - rk * phi[k - 1 - j] for j in range(k)] + [rk]
    powers = [radius ** (j + 1) for j in range(len(r))]
    return np.array([c * w for c, w in zip(phi, powers, strict=True)]), (r, stages, powers)


def _pacf_backward(tape: tuple, grad_phi: np.ndarray) -> np.ndarray:
    """``(d phi / d u)' grad_phi`` from the tape of :func:`_pacf_forward`."""
    r, stages, powers = tape
    bar = [g * w for g, w in zip(grad_phi.tolist(), powers, strict=True)]
    grad_u = [0.0] * len(r)
    for k in range(len(r) - 1, -1, -1):
        before, rk = stages[k], r[k]
        grad_r = bar[k] - sum(bar[j] * before[k - 1 - j] for j in range(k))
        bar = [bar[i] - rk * bar[k - 1 - i] for i in range(k)]
        grad_u[k] = grad_r * (1.0 - rk * rk)
    return np.array(grad_u)


def coefficients_to_pacf(phi: np.ndarray, radius: float = 1.0) -> np.ndarray:
    """The inverse of :func:`pacf_to_coefficients` (step-down recursion).

    Raises
    ------
    ValueError
        If the polynomial is not stationary.
    """
    phi = np.asarray(phi, dtype=float) / radius ** np.arange(1, len(phi) + 1)
    p = len(phi)
    r = np.zeros(p)
    for k in range(p - 1, -1, -1):
        r[k] = phi[k]
        if not abs(r[k]) < 1.0:
            raise ValueError("coefficients are not stationary / invertible")
        if k:
            phi[:k] = (phi[:k] + r[k] * phi[:k][::-1]) / (1.0 - r[k] ** 2)
    return np.arctanh(r)


def _garch_map(u: np.ndarray) -> tuple[float, float, float]:
    """``(omega, alpha, beta)`` from ``(log omega, a, b)``: a stable softmax."""
    a, b = float(u[1]), float(u[2])
    top = max(0.0, a, b)
    za, zb, z0 = math.exp(a - top), math.exp(b - top), math.exp(-top)
    total = za + zb + z0
    return math.exp(float(u[0])), za / total, zb / total


def _nu(u: float) -> tuple[float, float]:
    """``nu`` and ``d nu / d u``."""
    share = 1.0 / (1.0 + np.exp(-u))
    return 2.0 + (NU_MAX - 2.0) * share, (NU_MAX - 2.0) * share * (1.0 - share)


def natural(u: np.ndarray, spec: Spec) -> np.ndarray:
    """Natural parameters ``[mu, phi, theta, omega, alpha, beta, (nu)]`` of ``u``."""
    p, g = spec.p, spec.garch
    out = np.empty(spec.k)
    out[0] = u[0]
    out[1 : 1 + p] = _pacf_forward(u[1 : 1 + p], AR_RADIUS)[0]
    out[1 + p : g] = -_pacf_forward(u[1 + p : g], MA_RADIUS)[0]
    out[g : g + 3] = _garch_map(u[g : g + 3])
    if spec.student:
        out[g + 3] = _nu(u[g + 3])[0]
    return out


def unconstrained(params: np.ndarray, spec: Spec) -> np.ndarray:
    """The inverse of :func:`natural` (parameters must satisfy the constraints)."""
    params = np.asarray(params, dtype=float)
    p, g = spec.p, spec.garch
    omega, alpha, beta = params[g : g + 3]
    slack = 1.0 - alpha - beta
    if not (omega > 0 and alpha > 0 and beta > 0 and slack > 0):
        raise ValueError("GARCH parameters need omega, alpha, beta > 0 and alpha + beta < 1")
    out = np.empty(spec.k)
    out[0] = params[0]
    out[1 : 1 + p] = coefficients_to_pacf(params[1 : 1 + p], AR_RADIUS)
    out[1 + p : g] = coefficients_to_pacf(-params[1 + p : g], MA_RADIUS)
    out[g : g + 3] = np.log(omega), np.log(alpha / slack), np.log(beta / slack)
    if spec.student:
        share = (params[g + 3] - 2.0) / (NU_MAX - 2.0)
        if not 0 < share < 1:
            raise ValueError(f"nu must be within (2, {NU_MAX:g})")
        out[g + 3] = np.log(share / (1.0 - share))
    return out


def default_start(window: Window, spec: Spec) -> np.ndarray:
    """A cold start: sample mean, white-noise ARMA, GARCH(1, 1) with alpha 0.05, beta 0.9."""
    alpha, beta = 0.05, 0.90
    params = np.zeros(spec.k)
    params[0] = float(window.x[window.m :].mean())
    params[spec.garch : spec.garch + 3] = (max(window.s2, 1e-12) * (1 - alpha - beta), alpha, beta)
    if spec.student:
        params[-1] = 8.0
    return unconstrained(params, spec)


def _mean_residuals(window: Window, mu: float, phi: np.ndarray, theta: np.ndarray):
    """Demeaned returns, ARMA errors ``e`` over ``x_m .. x_{N-1}``."""
    x, m = window.x, window.m
    xc = x - mu
    stop = len(x)
    y = xc[m:].copy()
    for i, coefficient in enumerate(phi, start=1):
        y -= coefficient * xc[m - i : stop - i]
    if len(theta):
        a = np.empty(len(theta) + 1)
        a[0] = 1.0
        a[1:] = theta
        return xc, _recursion(a, y)
    return xc, y


def _variance(window: Window, e2: np.ndarray, omega: float, alpha: float, beta: float):
    """Conditional variances ``h`` and the lagged ``e^2`` that drove them."""
    e2_prev = np.empty_like(e2)
    e2_prev[0] = window.s2
    e2_prev[1:] = e2[:-1]
    v = alpha * e2_prev
    v += omega
    v[0] += beta * window.s2
    return _recursion(np.array([1.0, -beta]), v), e2_prev


def student_constant(nu: float) -> float:
    """Log of the standardized Student-t density's constant with ``nu`` degrees of freedom."""
    return float(gammaln(0.5 * (nu + 1)) - gammaln(0.5 * nu) - 0.5 * np.log(np.pi * (nu - 2.0)))


def neg_loglik_grad(u: np.ndarray, window: Window, spec: Spec) -> tuple[float, np.ndarray]:
    """Minus the log-likelihood and its exact gradient with respect to ``u``.

    Returns ``(inf, nan)`` where the likelihood is not finite.
    """
    p, q, g = spec.p, spec.q, spec.garch
    n, m, stop = window.n, window.m, len(window.x)
    mu = u[0]
    phi, tape_phi = _pacf_forward(u[1 : 1 + p], AR_RADIUS)
    psi, tape_psi = _pacf_forward(u[1 + p : g], MA_RADIUS)
    theta = -psi
    omega, alpha, beta = _garch_map(u[g : g + 3])
    xc, e = _mean_residuals(window, mu, phi, theta)
    e2 = e * e
    h, e2_prev = _variance(window, e2, omega, alpha, beta)
    with np.errstate(all="ignore"):
        if spec.student:
            nu, d_nu = _nu(u[g + 3])
            scale = nu - 2.0
            w = e2 / (scale * h)
            log1pw = np.log1p(w)
            ll = n * student_constant(nu)
            ll -= 0.5 * np.log(h).sum() + 0.5 * (nu + 1) * log1pw.sum()
            ratio = w / (1.0 + w)
            h_bar = (-0.5 + 0.5 * (nu + 1) * ratio) / h
            e_bar = -(nu + 1) * e / (scale * h * (1.0 + w))
            c_prime = 0.5 * digamma(0.5 * (nu + 1)) - 0.5 * digamma(0.5 * nu) - 0.5 / scale
            g_nu = n * c_prime - 0.5 * log1pw.sum() + 0.5 * (nu + 1) * ratio.sum() / scale
        else:
            r = e2 / h
            ll = -0.5 * (n * LOG_2PI + np.log(h).sum() + r.sum())
            h_bar = (r - 1.0) / h
            h_bar *= 0.5
            e_bar = -e / h
    if not math.isfinite(ll):
        return math.inf, np.full(spec.k, np.nan)
    # Adjoint of the variance recursion: lam_t = h_bar_t + beta lam_{t+1}.
    lam = _recursion(np.array([1.0, -beta]), h_bar[::-1])[::-1]
    g_omega, g_alpha = lam.sum(), lam @ e2_prev
    g_beta = lam[0] * window.s2 + lam[1:] @ h[:-1]
    e_bar[:-1] += 2.0 * alpha * e[:-1] * lam[1:]
    # Adjoint of the MA recursion: mu_t = e_bar_t - sum_j theta_j mu_{t+j}.
    if q:
        a = np.empty(q + 1)
        a[0] = 1.0
        a[1:] = theta
        y_bar = _recursion(a, e_bar[::-1])[::-1]
    else:
        y_bar = e_bar
    grad = np.empty(spec.k)
    grad[0] = -(1.0 - phi.sum()) * y_bar.sum()
    if p:
        g_phi = np.array([-(y_bar @ xc[m - i : stop - i]) for i in range(1, p + 1)])
        grad[1 : 1 + p] = _pacf_backward(tape_phi, g_phi)
    if q:
        g_theta = np.array([-(y_bar[j:] @ e[: n - j]) for j in range(1, q + 1)])
        grad[1 + p : g] = -_pacf_backward(tape_psi, g_theta)
    grad[g] = g_omega * omega
    grad[g + 1] = g_alpha * alpha * (1 - alpha) - g_beta * alpha * beta
    grad[g + 2] = -g_alpha * alpha * beta + g_beta * beta * (1 - beta)
    if spec.student:
        grad[g + 3] = g_nu * d_nu
    if not np.isfinite(grad).all():
        return math.inf, np.full(spec.k, np.nan)
    return -float(ll), -grad


def neg_loglik(u: np.ndarray, window: Window, spec: Spec) -> float:
    """Minus the log-likelihood only."""
    return neg_loglik_grad(u, window, spec)[0]


@dataclass(frozen=True)
class FilterState:
    """The end of a window run with fixed parameters (in the window's units)."""

    params: np.ndarray  # natural parameters
    spec: Spec
    x_tail: np.ndarray  # last p returns, most recent last
    e_tail: np.ndarray  # last max(q, 1) errors, most recent last
    h_last: float
    loglik: float  # of the window under these parameters

    def forecast(self) -> tuple[float, float]:
        """Mean and variance of the next return."""
        p, q, g = self.spec.p, self.spec.q, self.spec.garch
        mu = self.params[0]
        mean = mu
        if p:
            mean += float(self.params[1 : 1 + p] @ (self.x_tail[::-1] - mu))
        if q:
            mean += float(self.params[1 + p : g] @ self.e_tail[::-1][:q])
        omega, alpha, beta = self.params[g : g + 3]
        return float(mean), float(omega + alpha * self.e_tail[-1] ** 2 + beta * self.h_last)


def filter_window(params: np.ndarray, window: Window, spec: Spec) -> FilterState:
    """Run the recursions over ``window`` with fixed natural ``params``."""
    p, q, g = spec.p, spec.q, spec.garch
    _, e = _mean_residuals(window, params[0], params[1 : 1 + p], params[1 + p : g])
    e2 = e * e
    h, _ = _variance(window, e2, *params[g : g + 3])
    with np.errstate(all="ignore"):
        if spec.student:
            nu = params[g + 3]
            ll = window.n * student_constant(nu) - 0.5 * np.log(h).sum()
            ll -= 0.5 * (nu + 1) * np.log1p(e2 / ((nu - 2.0) * h)).sum()
        else:
            ll = -0.5 * (window.n * LOG_2PI + np.log(h).sum() + (e2 / h).sum())
    keep = max(q, 1)
    e_tail = e[-keep:] if len(e) >= keep else np.concatenate((np.zeros(keep - len(e)), e))
    x_tail = window.x[len(window.x) - p :] if p else np.zeros(0)
    return FilterState(
        np.asarray(params, float), spec, x_tail.copy(), e_tail.copy(), float(h[-1]), float(ll)
    )
