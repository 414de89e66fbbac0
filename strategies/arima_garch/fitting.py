"""Joint maximum likelihood fits of one window and the order search over (p, q).

The search fits every candidate order, smallest first. Each ARMA(p, q) model starts
from the optima of its two nested neighbours, ARMA(p-1, q) and ARMA(p, q-1), extended
with a zero coefficient (the same likelihood, so the bigger model never ends below
either of them), and from the previous search's optimum of the same order when the
caller has one (the window of the last quarter). The curvature comes along too: a
nested start borders the neighbour's inverse Hessian with one exact column of second
derivatives (a Schur-complement update), so BFGS takes Newton-like steps at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from aisfolio.strategies.arima_garch.kernels import Kernel
from aisfolio.strategies.arima_garch.model import (
    ROOT_RADIUS,
    Spec,
    Window,
    default_start,
    natural,
    unconstrained,
)
from aisfolio.strategies.arima_garch.optimize import Minimum, positive_inverse
from aisfolio.strategies.execution.processes import Dataflow, Piece, run_in_process

__all__ = [
    "CRITERIA",
    "MAX_MODES",
    "Fit",
    "Start",
    "best_with_modes",
    "criterion_value",
    "fit_cold",
    "fit_from",
    "fit_start",
    "refit_modes",
    "search_orders",
    "select",
]

CRITERIA = ("aic", "bic", "hqc")


@dataclass(frozen=True)
class Fit:
    """One maximized likelihood (in the window's units).

    Attributes
    ----------
    spec : Spec
    u : ndarray
        Unconstrained optimum (see :func:`aisfolio.strategies.arima_garch.model.natural`).
    hinv : ndarray
        Inverse Hessian of minus the log-likelihood at ``u`` (BFGS's estimate).
    nll : float
        Minus the maximized log-likelihood.
    converged : bool
    iterations, evaluations : int
    message : str
    modes : tuple of Fit
        Other local maxima of the same model found on the way (converged, distinct, best
        first): tracked day by day, so that a daily re-estimation follows the global
        maximum when it jumps from one mode to another.
    """

    spec: Spec
    u: np.ndarray
    hinv: np.ndarray
    nll: float
    converged: bool
    iterations: int
    evaluations: int
    message: str
    modes: tuple[Fit, ...] = ()

    @classmethod
    def of(cls, spec: Spec, result: Minimum) -> Fit:
        return cls(
            spec,
            result.x,
            result.hinv,
            float(result.f),
            bool(result.converged and np.isfinite(result.f)),
            result.iterations,
            result.evaluations,
            result.message,
        )


def criterion_value(criterion: str, nll: float, k: int, n: int) -> float:
    """Information criterion of a fit: AIC, BIC or Hannan-Quinn (smaller is better)."""
    if criterion == "aic":
        penalty = 2.0 * k
    elif criterion == "bic":
        penalty = k * np.log(n)
    elif criterion == "hqc":
        penalty = 2.0 * k * np.log(np.log(n))
    else:
        raise ValueError(f"criterion must be one of {CRITERIA}, got '{criterion}'")
    return float(2.0 * nll + penalty)


def fit_from(
    window: Window,
    spec: Spec,
    u0: np.ndarray,
    hinv0: np.ndarray | None = None,
    max_iter: int = 200,
    kernel: Kernel = Kernel.COMPILED,
) -> Fit:
    """Maximize the likelihood from ``u0`` (inverse Hessian from differences if not given)."""
    minimizer, args = kernel.minimizer, kernel.args(window, spec)
    start = minimizer.evaluate(u0, args)
    evaluations = 1
    if hinv0 is None:
        if not np.isfinite(start[0]):
            return Fit(spec, u0, np.eye(spec.k), np.inf, False, 0, 1, "infeasible start")
        hinv0 = positive_inverse(minimizer.hessian(u0, start[1], args))
        evaluations += spec.k
    lower, upper = spec.bounds
    result = minimizer.minimize(u0, hinv0, args, lower, upper, max_iter=max_iter, f0=start)
    fit = Fit.of(spec, result)
    return Fit(
        spec,
        fit.u,
        fit.hinv,
        fit.nll,
        fit.converged,
        fit.iterations,
        fit.evaluations + evaluations,
        fit.message,
    )


def fit_cold(
    window: Window, spec: Spec, max_iter: int = 200, kernel: Kernel = Kernel.COMPILED
) -> Fit:
    """Fit from the default start (sample mean, white noise, alpha 0.05, beta 0.9)."""
    return fit_from(window, spec, default_start(window, spec), max_iter=max_iter, kernel=kernel)


def _extend(
    window: Window, nested: Fit, spec: Spec, position: int, kernel: Kernel
) -> tuple[np.ndarray, np.ndarray]:
    """Start of ``spec`` from a nested fit: a zero inserted at ``position`` of ``u`` and the
    nested inverse Hessian bordered with one exact column of second derivatives."""
    u = np.insert(nested.u, position, 0.0)
    minimizer, args = kernel.minimizer, kernel.args(window, spec)
    _, g = minimizer.evaluate(u, args)
    step = 1e-5
    shifted = u.copy()
    shifted[position] += step
    _, g_step = minimizer.evaluate(shifted, args)
    column = (g_step - g) / step
    b = np.delete(column, position)
    c = column[position]
    a_inv = nested.hinv
    a_inv_b = a_inv @ b
    schur = c - b @ a_inv_b
    if not (np.all(np.isfinite(column)) and schur > 1e-8 * max(abs(c), 1e-12)):
        return u, positive_inverse(minimizer.hessian(u, g, args))
    k = len(u)
    keep = np.delete(np.arange(k), position)
    hinv = np.empty((k, k))
    hinv[np.ix_(keep, keep)] = a_inv + np.outer(a_inv_b, a_inv_b) / schur
    hinv[keep, position] = -a_inv_b / schur
    hinv[position, keep] = -a_inv_b / schur
    hinv[position, position] = 1.0 / schur
    return u, hinv


#: Near-cancelling (AR, MA) inverse-root pairs tried when an order grows by (1, 1).
#: (AR, MA) inverse roots of the common-factor starts: near +1 with the MA root the closer
#: to the circle, near -1 with the AR root the closer (two of the four combinations: on 18
#: walk-forward searches they reached the best maximum in all but 1.4% of the (window,
#: order) cases against 0.9% for all four, with the same AIC choices, in two thirds of
#: the time).
FACTOR_PAIRS = (
    (0.95 * ROOT_RADIUS, 0.97 * ROOT_RADIUS),
    (-0.97 * ROOT_RADIUS, -0.95 * ROOT_RADIUS),
)


def _common_factor_starts(
    nested: Fit, spec: Spec, pairs: tuple[tuple[float, float], ...] = FACTOR_PAIRS
) -> list[np.ndarray]:
    """Starts of ARMA(p, q) from the ARMA(p-1, q-1) optimum times a near-common factor
    ``(1 - a z)`` on the AR side and ``(1 - b z)`` on the MA side with ``a``, ``b`` close to
    the largest root allowed, at frequency 0 or pi: the local optima that nested starts
    miss are mostly of this kind (a small persistent component of the mean, a pair of
    near-cancelling roots close to the unit circle)."""
    base = natural(nested.u, nested.spec)
    p0, g0 = nested.spec.p, nested.spec.garch
    ar = np.concatenate(([1.0], -base[1 : 1 + p0]))
    ma = np.concatenate(([1.0], base[1 + p0 : g0]))
    starts = []
    for a, b in pairs:
        new_ar = np.convolve(ar, [1.0, -a])
        new_ma = np.convolve(ma, [1.0, -b])
        params = np.concatenate(([base[0]], -new_ar[1:], new_ma[1:], base[g0:]))
        try:
            starts.append(unconstrained(params, spec))
        except ValueError:
            continue
    return starts


@dataclass(frozen=True)
class Start:
    """One start of an order search: ``u`` (and ``hinv``, or None for finite differences)
    given, or extended from the optimum of a ``nested`` model by a zero at ``position``
    (see :func:`_extend`).

    Small and picklable: it is what a search sends to another process.
    """

    spec: Spec
    u: np.ndarray | None = None
    hinv: np.ndarray | None = None
    nested: Fit | None = None
    position: int = 0


def fit_start(
    window: Window, start: Start, max_iter: int = 200, kernel: Kernel = Kernel.COMPILED
) -> Fit:
    """Maximize the likelihood of ``start.spec`` on ``window`` from ``start``."""
    if start.nested is not None:
        u0, hinv0 = _extend(window, start.nested, start.spec, start.position, kernel)
        return fit_from(window, start.spec, u0, hinv0, max_iter, kernel)
    return fit_from(window, start.spec, start.u, start.hinv, max_iter, kernel)


#: Where each kind of start goes among an order's results (the order in which
#: best_with_modes breaks ties): the cold default (ARMA(0, 0) only), the nested starts,
#: the previous search's optimum, the common-factor starts.
_COLD, _NESTED, _PREVIOUS, _FACTOR = range(4)


def _independent_starts(
    window: Window, spec: Spec, previous: Mapping[tuple[int, int], Fit]
) -> list[tuple[int, Start]]:
    """The starts of ``spec`` that need no other fit of this search, with their kinds."""
    starts = []
    if spec.p == spec.q == 0:
        starts.append((_COLD, Start(spec, default_start(window, spec))))
    earlier = previous.get((spec.p, spec.q))
    if earlier is not None and earlier.spec == spec:
        # The last search's best of this order (its other modes rarely add a maximum
        # that no other start finds, at twice the cost).
        starts.append((_PREVIOUS, Start(spec, earlier.u, earlier.hinv)))
    return starts


def _dependent_starts(
    spec: Spec,
    fits: Mapping[tuple[int, int], Fit],
    factor_pairs: tuple[tuple[float, float], ...],
) -> list[tuple[int, Start]]:
    """The starts of ``spec`` from the smaller orders' optima in ``fits``, with their
    kinds: the nested ones and the common-factor ones."""
    p, q = spec.p, spec.q
    starts = []
    if p > 0:
        below = replace(fits[p - 1, q], modes=())
        starts.append((_NESTED, Start(spec, nested=below, position=p)))
    if q > 0:
        below = replace(fits[p, q - 1], modes=())
        starts.append((_NESTED, Start(spec, nested=below, position=p + q)))
    if p > 0 and q > 0 and factor_pairs:
        for u in _common_factor_starts(fits[p - 1, q - 1], spec, factor_pairs):
            starts.append((_FACTOR, Start(spec, u)))
    return starts


def _needs(order: tuple[int, int]) -> list[tuple[int, int]]:
    """The smaller orders whose optima the starts of ``order`` extend."""
    p, q = order
    return [o for o in ((p - 1, q), (p, q - 1), (p - 1, q - 1)) if min(o) >= 0]


def search_orders(
    window: Window,
    max_p: int,
    max_q: int,
    distribution: str = "normal",
    previous: Mapping[tuple[int, int], Fit] | None = None,
    max_iter: int = 200,
    factor_pairs: tuple[tuple[float, float], ...] = FACTOR_PAIRS,
    dataflow: Dataflow = run_in_process,
    kernel: Kernel = Kernel.COMPILED,
) -> dict[tuple[int, int], Fit]:
    """Fit every ARMA(p, q)-GARCH(1, 1) with ``p <= max_p``, ``q <= max_q`` on ``window``.

    Parameters
    ----------
    window : Window
        Conditioned on its first ``max_p`` returns (``window.m >= max_p``).
    max_p, max_q : int
        Largest orders.
    distribution : {"normal", "t"}
    previous : mapping, optional
        Fits of the same orders on an earlier window, used as extra starts.
    max_iter : int
        BFGS iterations per start.
    factor_pairs : tuple of (float, float)
        Near-common factors of the extra starts of every ARMA(p, q) with p, q >= 1
        (empty: none).
    dataflow : callable, default run_in_process
        Runs the fits (see :data:`aisfolio.strategies.execution.processes.Dataflow`): in this
        process, or spread over processes
        (:func:`aisfolio.strategies.execution.processes.process_dataflow`). The fits are the same
        whatever it is.
    kernel : Kernel, default Kernel.COMPILED
        Computes the likelihood and its gradient.

    Returns
    -------
    dict
        ``(p, q) -> Fit``: for each order the best of its starts (converged ones first),
        with the other local maxima found in ``modes``, by diagonals ``p + q``.

    Notes
    -----
    Starts per order, in this order: the cold default (ARMA(0, 0) only), both nested
    neighbours, the previous search's optimum, and for p, q >= 1 two common-factor
    starts. On 12 quarterly searches of S&P 500, NASDAQ and WTI (with four common-factor
    starts) the nested starts reached the best maximum in 75% of the (window, order)
    cases and were the only ones to reach it in 17%; the common-factor starts were the
    only ones in 7%, the previous optimum in 1%.

    The starts are independent fits. The cold default and the previous optima need
    nothing and are ready at once; the other starts of an order are released as soon as
    the three smaller orders they extend (``(p-1, q)``, ``(p, q-1)``, ``(p-1, q-1)``) are
    done. Smaller diagonals ``p + q`` go first. An order's result is the same whatever
    the order in which its starts finish.
    """
    if window.m < max_p:
        raise ValueError(f"the window conditions on {window.m} returns, fewer than max_p={max_p}")
    previous = previous or {}
    orders = [
        (p, total - p)
        for total in range(max_p + max_q + 1)
        for p in range(max(0, total - max_q), min(max_p, total) + 1)
    ]
    specs = {order: Spec(*order, distribution) for order in orders}
    independent = {order: _independent_starts(window, specs[order], previous) for order in orders}
    fits: dict[tuple[int, int], Fit] = {}
    # Per order: its starts' fits keyed by (kind, index), and how many it has (None
    # until its dependent starts are released).
    results: dict[tuple[int, int], dict[tuple[int, int], Fit]] = {order: {} for order in orders}
    expected: dict[tuple[int, int], int | None] = dict.fromkeys(orders)

    def pieces(order: tuple[int, int], starts: list[tuple[int, Start]]) -> list[Piece]:
        rank = (order[0] + order[1], order[0])
        return [(rank, (order, (kind, i)), start) for i, (kind, start) in enumerate(starts)]

    def release(order: tuple[int, int]) -> list[Piece]:
        starts = _dependent_starts(specs[order], fits, factor_pairs)
        expected[order] = len(independent[order]) + len(starts)
        return pieces(order, starts)

    def finished(key: tuple[tuple[int, int], tuple[int, int]], fit: Fit) -> list[Piece]:
        order, slot = key
        results[order][slot] = fit
        if expected[order] is None or len(results[order]) < expected[order]:
            return []
        fits[order] = best_with_modes([results[order][k] for k in sorted(results[order])])
        released: list[Piece] = []
        for later in orders:
            if expected[later] is None and all(need in fits for need in _needs(later)):
                released.extend(release(later))
        return released

    ready = [piece for order in orders for piece in pieces(order, independent[order])]
    ready.extend(release((0, 0)))  # extends nothing: nothing to wait for
    dataflow(partial(fit_start, window, max_iter=max_iter, kernel=kernel), ready, finished)
    return {order: fits[order] for order in orders}


#: Local maxima kept per model (the best and MAX_MODES - 1 others).
MAX_MODES = 3


def best_with_modes(results: list[Fit]) -> Fit:
    """The best fit (converged ones first), carrying the other distinct converged maxima."""
    ranked = sorted(results, key=lambda fit: (not fit.converged, fit.nll))
    best, modes = ranked[0], []
    if best.converged:
        kept = [natural(best.u, best.spec)]
        for fit in ranked[1:]:
            if not fit.converged or len(modes) == MAX_MODES - 1:
                continue
            params = natural(fit.u, fit.spec)
            if all(np.abs(params - other).max() > 1e-3 for other in kept):
                kept.append(params)
                modes.append(replace(fit, modes=()))
    return replace(best, modes=tuple(modes))


#: A secondary mode is re-estimated only when the quadratic model at its previous optimum
#: predicts it could come within MODE_MARGIN of the best mode's maximum (or every
#: MODE_EVERY days); otherwise it is carried unchanged.
MODE_MARGIN = 1.0


def refit_modes(
    window: Window, fit: Fit, max_iter: int = 200, kernel: Kernel = Kernel.COMPILED
) -> Fit:
    """Re-estimate a model and its other modes on a new window, each from its own optimum
    on the previous window: the best of them, carrying the rest.

    The best mode is always re-estimated. Another mode is only evaluated at its previous
    optimum (one likelihood and gradient), and re-estimated when its value less twice
    the Newton decrement (what the quadratic model says a fit could still gain) comes
    within :data:`MODE_MARGIN` of the best mode's new maximum: a one-day shift of the
    window moves a maximum by far less than that.
    """
    best = fit_from(window, fit.spec, fit.u, fit.hinv, max_iter, kernel)
    results = [best]
    for mode in fit.modes:
        value, grad = kernel.neg_loglik_grad(mode.u, window, mode.spec)
        gain = 0.5 * float(grad @ mode.hinv @ grad) if np.isfinite(value) else np.inf
        if best.converged and value - 2.0 * gain > best.nll + MODE_MARGIN:
            results.append(replace(mode, nll=float(value), evaluations=1))
        else:
            results.append(fit_from(window, mode.spec, mode.u, mode.hinv, max_iter, kernel))
    return best_with_modes(results)


def select(
    fits: Mapping[tuple[int, int], Fit], criterion: str, n: int
) -> tuple[tuple[int, int], dict[tuple[int, int], float]]:
    """The order with the smallest criterion among converged fits (fewer parameters on a
    tie), and every order's criterion (inf for fits that did not converge)."""
    values = {
        order: criterion_value(criterion, fit.nll, fit.spec.k, n) if fit.converged else np.inf
        for order, fit in fits.items()
    }
    best = min(values, key=lambda order: (values[order], sum(order), order))
    return best, values
