"""A small quasi-Newton minimizer tuned for warm-started likelihood fits.

Projected BFGS on a box (the box keeps the unconstrained parameters finite: a supremum
on the edge of the model's parameter space, a unit root for instance, becomes a
maximum on the box's face, reached in a few steps instead of a drift to infinity). The
line search is weak Wolfe (bisection and doubling) along the projected path. It accepts
an initial inverse Hessian, so that a fit started from yesterday's optimum with
yesterday's curvature takes Newton-like steps from the first iteration, and it returns
the final inverse Hessian to carry forward. Convergence is declared on the Newton
decrement ``g' H^-1 g / 2`` (the predicted gain of the objective still available) and on
the largest gradient entry, over the coordinates not held at a bound, both on the scale
of a sum log-likelihood, or when the objective has stopped moving (:data:`STALL`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Minimum", "bfgs", "fd_hessian", "positive_inverse"]

#: Also converged when the objective fell by less than STALL_TOL over STALL iterations
#: while the decrement is below 1e-5: nothing measurable is left to gain.
STALL, STALL_TOL = 5, 1e-8

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Minimum:
    """Outcome of :func:`bfgs`."""

    x: np.ndarray
    f: float
    g: np.ndarray
    hinv: np.ndarray
    converged: bool
    iterations: int
    evaluations: int
    message: str


def fd_hessian(fun: Objective, x: np.ndarray, g: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Symmetrized forward-difference Hessian of an analytic gradient."""
    k = len(x)
    hess = np.empty((k, k))
    for i in range(k):
        shifted = x.copy()
        shifted[i] += step
        _, g_i = fun(shifted)
        hess[i] = (g_i - g) / step
    return 0.5 * (hess + hess.T)


def positive_inverse(hess: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Inverse of ``hess`` with its eigenvalues lifted to ``|lambda|`` (at least a floor)."""
    if not np.all(np.isfinite(hess)):
        return np.eye(len(hess)) * 1e-3
    values, vectors = np.linalg.eigh(hess)
    top = max(float(np.abs(values).max()), 1e-8)
    values = np.maximum(np.abs(values), floor * top)
    return (vectors / values) @ vectors.T


def bfgs(
    fun: Objective,
    x0: np.ndarray,
    hinv0: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    max_iter: int = 200,
    decrement_tol: float = 1e-8,
    gtol: float = 1e-3,
    f0: tuple[float, np.ndarray] | None = None,
    max_move: float = 10.0,
    refresh: int = 20,
) -> Minimum:
    """Minimize ``fun`` (value and gradient) on a box from ``x0`` with inverse Hessian ``hinv0``.

    Parameters
    ----------
    fun : callable
        ``x -> (f, grad)``; ``f = inf`` marks an infeasible point.
    x0 : ndarray
        Start (clipped into the box).
    hinv0 : ndarray
        Initial inverse Hessian (symmetric positive definite).
    lower, upper : ndarray, optional
        The box (infinite entries for free coordinates).
    max_iter : int
        Iterations before giving up (the result is then not converged).
    decrement_tol, gtol : float
        Converged when ``g' H^-1 g / 2 < decrement_tol`` and ``max |g| < gtol`` over the
        coordinates not held at a bound.
    f0 : (float, ndarray), optional
        ``fun(x0)`` when already known (and ``x0`` inside the box).
    max_move : float
        Largest change of any coordinate in one step.
    refresh : int
        Every ``refresh`` iterations the inverse Hessian is recomputed from finite
        differences of the gradient (0: never): BFGS's estimate degrades on the curved,
        nearly flat ridges of over-parametrized ARMA models.

    Returns
    -------
    Minimum
    """
    k = len(x0)
    lower = np.full(k, -np.inf) if lower is None else lower
    upper = np.full(k, np.inf) if upper is None else upper
    x = np.clip(np.asarray(x0, dtype=float), lower, upper)
    if f0 is not None and np.array_equal(x, x0):
        f, g = f0
        evaluations = 0
    else:
        f, g = fun(x)
        evaluations = 1
    hinv = np.array(hinv0, dtype=float)
    if not np.isfinite(f):
        return Minimum(x, f, g, hinv, False, 0, evaluations, "infeasible start")
    resets = 0
    history: list[float] = []
    for iteration in range(max_iter + 1):
        held = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
        free = ~held
        if held.any():
            d = np.zeros(k)
            d[free] = -hinv[np.ix_(free, free)] @ g[free]
        else:
            d = -hinv @ g
        slope = float(g @ d)
        if not slope < 0 and np.any(g[free]):  # lost positive definiteness: scaled identity
            hinv = np.eye(k) / max(float(np.abs(g).max()), 1.0)
            d = np.where(free, -hinv.diagonal() * g, 0.0)
            slope = float(g @ d)
        if np.abs(g[free]).max(initial=0.0) < gtol and -0.5 * slope < decrement_tol:
            return Minimum(x, f, g, hinv, True, iteration, evaluations, "converged")
        if len(history) >= STALL and history[-STALL] - f < STALL_TOL and -0.5 * slope < 1e-5:
            # Nothing left to gain: a flat ridge, or a coordinate creeping along a face.
            return Minimum(x, f, g, hinv, True, iteration, evaluations, "converged (stalled)")
        history.append(f)
        if iteration == max_iter:
            break
        if refresh and iteration and iteration % refresh == 0:
            # Slow progress on a curved valley: restart from the exact curvature.
            hinv = positive_inverse(fd_hessian(fun, x, g))
            evaluations += k
            d = np.zeros(k)
            d[free] = -hinv[np.ix_(free, free)] @ g[free]
            slope = float(g @ d)
        longest = max_move / max(float(np.abs(d).max()), 1e-300)
        step, lo, hi = min(1.0, longest), 0.0, np.inf
        accepted = None
        for _ in range(50):
            x_new = np.clip(x + step * d, lower, upper)
            moved = x_new - x
            f_new, g_new = fun(x_new)
            evaluations += 1
            predicted = float(g @ moved)
            if not np.isfinite(f_new) or f_new > f + 1e-4 * predicted:
                hi = step
            elif g_new @ moved < 0.9 * predicted and step < longest:
                lo = step
            else:
                accepted = x_new, f_new, g_new
                break
            step = 0.5 * (lo + hi) if np.isfinite(hi) else min(2.0 * step, longest)
            if hi - lo < 1e-14 * max(hi, 1.0):
                break
        if accepted is None:
            if lo > 0:  # sufficient decrease without the curvature condition
                x_new = np.clip(x + lo * d, lower, upper)
                f_new, g_new = fun(x_new)
                evaluations += 1
                accepted = x_new, f_new, g_new
            elif -0.5 * slope < 1e3 * decrement_tol:
                return Minimum(x, f, g, hinv, True, iteration, evaluations, "converged (flat)")
            elif resets < 2:
                resets += 1
                hinv = np.eye(k) / max(float(np.abs(g).max()), 1.0)
                continue
            else:
                return Minimum(x, f, g, hinv, False, iteration, evaluations, "line search failed")
        x_new, f_new, g_new = accepted
        s, y = x_new - x, g_new - g
        sy = float(s @ y)
        if sy > 1e-12 * float(np.sqrt((s @ s) * (y @ y))):
            rho = 1.0 / sy
            hy = hinv @ y
            hinv = (
                hinv
                - rho * (np.outer(s, hy) + np.outer(hy, s))
                + (rho * rho * float(y @ hy) + rho) * np.outer(s, s)
            )
        x, f, g = x_new, f_new, g_new
    return Minimum(x, f, g, hinv, False, max_iter, evaluations, "iteration limit")
