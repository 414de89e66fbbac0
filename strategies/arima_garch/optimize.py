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

The algorithm is written once, in the subset of Python and numpy that numba compiles, as
templates that call a free name ``objective(x, *args) -> (f, grad)``. A
:class:`Minimizer` binds that name: to a Python callable (the templates then run as
plain Python), or to a numba-compiled objective, and then compiles them (cached on disk;
numba cannot cache a function that receives another compiled function as an argument, so
the objective is bound as a global, not passed).
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Minimizer", "Minimum", "fd_hessian", "positive_inverse"]

#: Also converged when the objective fell by less than STALL_TOL over STALL iterations
#: while the decrement is below 1e-5: nothing measurable is left to gain.
STALL, STALL_TOL = 5, 1e-8
#: How a minimization ended (the templates return the position in this tuple); the first
#: three are convergence.
MESSAGES = (
    "converged",
    "converged (stalled)",
    "converged (flat)",
    "line search failed",
    "iteration limit",
)
_CONVERGED = 3

Objective = Callable[..., tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Minimum:
    """Outcome of :meth:`Minimizer.minimize`."""

    x: np.ndarray
    f: float
    g: np.ndarray
    hinv: np.ndarray
    converged: bool
    iterations: int
    evaluations: int
    message: str


def positive_inverse(hess: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Inverse of ``hess`` with its eigenvalues lifted to ``|lambda|`` (at least a floor)."""
    if not np.all(np.isfinite(hess)):
        return np.eye(len(hess)) * 1e-3
    values, vectors = np.linalg.eigh(hess)
    top = max(np.abs(values).max(), 1e-8)
    values = np.maximum(np.abs(values), floor * top)
    return (vectors / values) @ vectors.T


def _fd_hessian_template(x, g, step, args):
    """Symmetrized forward-difference Hessian of ``objective``'s analytic gradient."""
    k = len(x)
    hess = np.empty((k, k))
    for i in range(k):
        shifted = x.copy()
        shifted[i] += step
        hess[i] = (objective(shifted, *args)[1] - g) / step  # noqa: F821
    return 0.5 * (hess + hess.T)


def _bfgs_template(
    x, f, g, hinv0, lower, upper, args, max_iter, decrement_tol, gtol, max_move, refresh
):
    """The iterations of :meth:`Minimizer.minimize` from a feasible ``x`` with value
    ``f`` and gradient ``g``: ``(x, f, g, hinv, outcome, iterations, evaluations)``,
    ``outcome`` a position in :data:`MESSAGES`. Free names: ``objective``,
    ``objective_hessian`` (the bound :func:`_fd_hessian_template`) and
    ``positive_inverse``."""
    k = len(x)
    hinv = hinv0.copy()
    evaluations = 0
    resets = 0
    history = np.empty(max_iter + 1)
    for iteration in range(max_iter + 1):
        # Coordinates held at a bound that the gradient pushes against do not move.
        free = ~(((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0)))
        mask = free.astype(np.float64)
        d = -(hinv @ (g * mask)) * mask
        slope = g @ d
        if not slope < 0 and np.any(g * mask != 0):  # lost positive definiteness
            scale = max(np.abs(g).max(), 1.0)
            hinv = np.eye(k) / scale
            d = -(g / scale) * mask
            slope = g @ d
        if np.abs(g * mask).max() < gtol and -0.5 * slope < decrement_tol:
            return x, f, g, hinv, 0, iteration, evaluations
        stalled = iteration >= STALL and history[iteration - STALL] - f < STALL_TOL
        if stalled and -0.5 * slope < 1e-5:
            # Nothing left to gain: a flat ridge, or a coordinate creeping along a face.
            return x, f, g, hinv, 1, iteration, evaluations
        history[iteration] = f
        if iteration == max_iter:
            break
        if refresh and iteration and iteration % refresh == 0:
            # Slow progress on a curved valley: restart from the exact curvature.
            hinv = positive_inverse(objective_hessian(x, g, 1e-5, args))  # noqa: F821
            evaluations += k
            d = -(hinv @ (g * mask)) * mask
            slope = g @ d
        longest = max_move / max(np.abs(d).max(), 1e-300)
        step, lo, hi = min(1.0, longest), 0.0, np.inf
        found = False
        x_new, f_new, g_new = x, f, g
        for _ in range(50):
            x_new = np.minimum(np.maximum(x + step * d, lower), upper)
            moved = x_new - x
            f_new, g_new = objective(x_new, *args)  # noqa: F821
            evaluations += 1
            predicted = g @ moved
            if not math.isfinite(f_new) or f_new > f + 1e-4 * predicted:
                hi = step
            elif g_new @ moved < 0.9 * predicted and step < longest:
                lo = step
            else:
                found = True
                break
            step = 0.5 * (lo + hi) if math.isfinite(hi) else min(2.0 * step, longest)
            if hi - lo < 1e-14 * max(hi, 1.0):
                break
        if not found:
            if lo > 0:  # sufficient decrease without the curvature condition
                x_new = np.minimum(np.maximum(x + lo * d, lower), upper)
                f_new, g_new = objective(x_new, *args)  # noqa: F821
                evaluations += 1
            elif -0.5 * slope < 1e3 * decrement_tol:
                return x, f, g, hinv, 2, iteration, evaluations
            elif resets < 2:
                resets += 1
                hinv = np.eye(k) / max(np.abs(g).max(), 1.0)
                continue
            else:
                return x, f, g, hinv, 3, iteration, evaluations
        s, y = x_new - x, g_new - g
        sy = s @ y
        if sy > 1e-12 * math.sqrt((s @ s) * (y @ y)):
            rho = 1.0 / sy
            hy = hinv @ y
            hinv = (
                hinv
                - rho * (np.outer(s, hy) + np.outer(hy, s))
                + (rho * rho * (y @ hy) + rho) * np.outer(s, s)
            )
        x, f, g = x_new, f_new, g_new
    return x, f, g, hinv, 4, max_iter, evaluations


def _bind(template, suffix: str = "", **names):
    """``template`` with its free names bound (a new function; the template is untouched),
    its qualified name followed by ``suffix``."""
    bound = types.FunctionType(template.__code__, {**template.__globals__, **names})
    bound.__qualname__ = f"{template.__qualname__}{suffix}"
    return bound


class Minimizer:
    """Projected BFGS and finite-difference Hessians of one objective.

    Parameters
    ----------
    objective : callable
        ``objective(x, *args) -> (f, grad)``; ``f = inf`` marks an infeasible point.
    compiled : bool, default False
        ``objective`` is a numba-compiled function: compile the algorithm around it
        (cached on disk), so that a minimization runs without returning to Python.
    version : str, default ""
        Names the compiled functions' cache entries (required when ``compiled``). numba
        keys a cache entry on its own source file only, and the objective is compiled
        into these functions: a version that names the objective and changes with its
        sources keeps a stale or foreign entry from being loaded.
    """

    def __init__(self, objective: Objective, compiled: bool = False, version: str = ""):
        if compiled and not version:
            raise ValueError("a compiled Minimizer needs a version naming its objective")
        self.objective = objective
        self.compiled = compiled
        self.version = version

    @cached_property
    def _functions(self):
        if not self.compiled:
            hessian = _bind(_fd_hessian_template, objective=self.objective)
            return hessian, _bind(
                _bfgs_template,
                objective=self.objective,
                objective_hessian=hessian,
                positive_inverse=positive_inverse,
            )
        from numba import njit

        suffix = f"_{self.version}"
        compile_ = njit(cache=True, error_model="numpy")
        hessian = compile_(_bind(_fd_hessian_template, suffix, objective=self.objective))
        iterate = _bind(
            _bfgs_template,
            suffix,
            objective=self.objective,
            objective_hessian=hessian,
            positive_inverse=compile_(positive_inverse),
        )
        return hessian, compile_(iterate)

    def evaluate(self, x: np.ndarray, args: tuple = ()) -> tuple[float, np.ndarray]:
        """The objective's value and gradient at ``x``."""
        return self.objective(x, *args)

    def hessian(
        self, x: np.ndarray, g: np.ndarray, args: tuple = (), step: float = 1e-5
    ) -> np.ndarray:
        """Symmetrized forward-difference Hessian of the analytic gradient ``g`` at ``x``."""
        return self._functions[0](np.asarray(x, dtype=np.float64), g, step, args)

    def minimize(
        self,
        x0: np.ndarray,
        hinv0: np.ndarray,
        args: tuple = (),
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        max_iter: int = 200,
        decrement_tol: float = 1e-8,
        gtol: float = 1e-3,
        f0: tuple[float, np.ndarray] | None = None,
        max_move: float = 10.0,
        refresh: int = 20,
    ) -> Minimum:
        """Minimize the objective on a box from ``x0`` with inverse Hessian ``hinv0``.

        Parameters
        ----------
        x0 : ndarray
            Start (clipped into the box).
        hinv0 : ndarray
            Initial inverse Hessian (symmetric positive definite).
        args : tuple
            The objective's arguments after ``x``.
        lower, upper : ndarray, optional
            The box (infinite entries for free coordinates).
        max_iter : int
            Iterations before giving up (the result is then not converged).
        decrement_tol, gtol : float
            Converged when ``g' H^-1 g / 2 < decrement_tol`` and ``max |g| < gtol`` over the
            coordinates not held at a bound.
        f0 : (float, ndarray), optional
            The objective at ``x0`` when already known (and ``x0`` inside the box).
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
        x0 = np.asarray(x0, dtype=np.float64)
        k = len(x0)
        lower = np.full(k, -np.inf) if lower is None else np.asarray(lower, dtype=np.float64)
        upper = np.full(k, np.inf) if upper is None else np.asarray(upper, dtype=np.float64)
        x = np.clip(x0, lower, upper)
        if f0 is not None and np.array_equal(x, x0):
            (f, g), evaluations = f0, 0
        else:
            (f, g), evaluations = self.objective(x, *args), 1
        hinv = np.array(hinv0, dtype=np.float64)
        if not math.isfinite(f):
            return Minimum(x, f, g, hinv, False, 0, evaluations, "infeasible start")
        x, f, g, hinv, outcome, iterations, spent = self._functions[1](
            x, float(f), np.asarray(g, dtype=np.float64), hinv, lower, upper, args,
            max_iter, decrement_tol, gtol, max_move, refresh,
        )  # fmt: skip
        converged = outcome < _CONVERGED
        message = MESSAGES[outcome]
        return Minimum(x, float(f), g, hinv, converged, iterations, evaluations + spent, message)


def fd_hessian(fun: Objective, x: np.ndarray, g: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Symmetrized forward-difference Hessian of an analytic gradient ``fun(x)[1]``."""
    return Minimizer(fun).hessian(x, g, (), step)
