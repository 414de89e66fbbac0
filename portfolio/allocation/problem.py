"""One allocation problem compiled once (cvxpy, DPP) and re-solved with new data.

The data of a rebalance date (risk factors, scenarios, expected returns, betas, current
weights) enter as cvxpy parameters, so cvxpy canonicalizes the problem once and each
solve only refills the solver's matrices. Solvers are tried in a chain suited to the
problem class; each failure is kept with its reason.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from aisfolio.portfolio.allocation.constraints import ResolvedConstraints
from aisfolio.portfolio.allocation.objectives import Objective, Terms, expression
from aisfolio.portfolio.allocation.screening import WorkingSet, screenable

__all__ = [
    "FEASIBILITY_TOLERANCE",
    "SOLVER_CHAINS",
    "CompiledProblem",
    "ProblemData",
    "SolveOutcome",
    "solver_chain",
]

#: Largest constraint violation of an accepted solution (interior-point solvers stop at
#: about 1e-8 relative gaps; weights, group totals and betas are then off by up to 1e-6).
FEASIBILITY_TOLERANCE = 1e-5

#: Solvers tried in order for each problem class (those not installed are skipped).
#: Quadratic and exponential-cone problems: the interior-point Clarabel first (accurate,
#: no tuning), then solvers of another family, so that one solver's numerical trouble
#: is not repeated. The CVaR linear program: HiGHS first, which returns an exact vertex
#: solution (interior-point solvers stop inside a face of optima when the optimum is
#: not unique) and was faster than Clarabel in benchmarks/allocation.py.
SOLVER_CHAINS = {
    "qp": ("CLARABEL", "OSQP", "SCS"),
    "lp": ("HIGHS", "CLARABEL", "SCS"),
    "exp": ("CLARABEL", "SCS"),
}

_ACCEPTED = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)


def solver_chain(cone: str, solvers: list[str] | None = None) -> list[str]:
    """The installed solvers to try for a problem class, or the configured list."""
    installed = set(cp.installed_solvers())
    chain = list(solvers) if solvers is not None else list(SOLVER_CHAINS[cone])
    usable = [s for s in chain if s in installed]
    if not usable:
        raise ValueError(
            f"none of the solvers {chain} is installed; installed: {sorted(installed)}"
        )
    if "HIGHS" in usable:
        _absorb_highs_banner()
    return usable


@functools.cache
def _absorb_highs_banner() -> None:
    """HiGHS prints its banner on standard output when a process makes its first solver
    object, and cvxpy makes one before it can turn the logging off: make that first one
    here, with the file descriptor of standard output pointed at /dev/null."""
    import highspy

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output: nothing to keep clean
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class ProblemData:
    """Numbers of one rebalance date, already scaled for the solver."""

    a: np.ndarray  # (R, n) risk factor rows (zero rows pad a short window)
    d: np.ndarray  # (n,)
    mean: np.ndarray  # (n,)
    sigma: np.ndarray  # (n,)
    scenarios: np.ndarray  # (L, n)
    probabilities: np.ndarray  # (L,)
    target: np.ndarray  # (n,)
    current: np.ndarray  # (n,)
    turnover: float
    cost: float
    beta: np.ndarray | None


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver chain gave."""

    weights: np.ndarray | None
    solver: str | None
    status: str
    fallbacks: tuple[str, ...]
    seconds: float


class CompiledProblem:
    """An allocation problem with parameters, built once for ``n`` streams.

    Parameters
    ----------
    objective : Objective
        What to optimize.
    constraints : ResolvedConstraints
        Constraints bound to the streams.
    rows : int
        Rows of the scenario matrix (the lookback).
    risk_rows : int
        Rows of the risk factor ``A`` (``S = A'A + diag(d^2)``): the lookback, or the
        number of streams when that is smaller (a square root of the covariance).
    diagonal : bool
        Whether the covariance has a diagonal term ``diag(d^2)`` besides ``A'A``.
    risk_aversion, level : float
        Mean-variance risk aversion; CVaR confidence level.
    budgets : ndarray
        Risk budgets (risk budgeting), summing to 1.
    benchmark : int, optional
        Position of the benchmark stream (minimum tracking error).
    solvers : list of str
        The solver chain.
    screen : bool, default True
        Solve on a working set of streams first when the problem allows it
        (:mod:`aisfolio.portfolio.allocation.screening`); the full problem is the fallback.
    """

    def __init__(
        self,
        objective: Objective,
        constraints: ResolvedConstraints,
        rows: int,
        risk_rows: int,
        diagonal: bool,
        risk_aversion: float,
        level: float,
        budgets: np.ndarray,
        benchmark: int | None,
        solvers: list[str],
        screen: bool = True,
    ):
        n = len(constraints.names)
        self.budgets = budgets
        self.objective = objective
        self.constraints = constraints
        self.solvers = solvers
        self.a = cp.Parameter((risk_rows, n), name="risk_rows")
        self.d = cp.Parameter(n, nonneg=True, name="risk_diagonal")
        self.mean = cp.Parameter(n, name="expected_returns")
        self.sigma = cp.Parameter(n, nonneg=True, name="volatilities")
        self.scenarios = cp.Parameter((rows, n), name="scenarios")
        self.probabilities = cp.Parameter(rows, nonneg=True, name="probabilities")
        self.target = cp.Parameter(n, name="target_weights")
        self.current = cp.Parameter(n, name="current_weights")
        self.turnover = cp.Parameter(nonneg=True, name="turnover_limit")
        self.cost = cp.Parameter(nonneg=True, name="cost_rate")
        beta_needed = constraints.target is not None and (
            constraints.settings.beta_lower is not None
            or constraints.settings.beta_upper is not None
        )
        self.beta = cp.Parameter(n, name="betas") if beta_needed else None
        self.x = cp.Variable(n, name="weights")
        scale: cp.Expression | float = cp.sum(self.x) if objective.homogeneous else 1.0
        settings = constraints.settings
        # |x - current * scale| through a variable, so that the cost parameter multiplies
        # a parameter-free expression (DPP).
        trades = None
        trade_rules: list[cp.Constraint] = []
        if settings.turnover is not None or settings.cost_rate > 0:
            trades = cp.Variable(n, nonneg=True, name="trades")
            gap = self.x - self.current * scale
            trade_rules = [trades >= gap, trades >= -gap]
        centred = self.x
        if objective.name == "min_tracking_error":
            assert benchmark is not None
            centred = self.x - np.eye(n)[benchmark]
        variance = cp.sum_squares(self.a @ centred)
        if diagonal:  # Ledoit-Wolf on window rows; otherwise d is 0 and costs n variables
            variance = variance + cp.sum_squares(cp.multiply(self.d, centred))
        terms = Terms(
            x=self.x,
            variance=variance,
            mean=self.mean,
            sigma=self.sigma,
            scenarios=self.scenarios,
            probabilities=self.probabilities,
            target=self.target,
            trades=trades,
            cost=self.cost,
            risk_aversion=risk_aversion,
            level=level,
            budgets=budgets,
        )
        goal, own = expression(objective, terms)
        rules = constraints.cvxpy(
            self.x, scale, trades, self.turnover, self.beta, objective.homogeneous
        )
        self.problem = cp.Problem(cp.Minimize(goal), own + trade_rules + rules)
        self._used = {parameter.id for parameter in self.problem.parameters()}
        if not self.problem.is_dcp(dpp=True):
            raise RuntimeError(f"the {objective.name} problem is not DPP")  # a bug, not input
        self.working_set = (
            WorkingSet(objective, constraints, rows, level, solvers[0])
            if screen and screenable(objective, constraints)
            else None
        )

    def load(self, data: ProblemData) -> None:
        """Set the parameters the problem uses from one date's data (cvxpy checks each
        value it is given, so unused ones are skipped)."""
        pairs = [
            (self.a, data.a),
            (self.d, data.d),
            (self.mean, data.mean),
            (self.sigma, data.sigma),
            (self.scenarios, data.scenarios),
            (self.probabilities, data.probabilities),
            (self.target, data.target),
            (self.current, data.current),
            (self.turnover, data.turnover),
            (self.cost, data.cost),
            (self.beta, data.beta),
        ]
        for parameter, value in pairs:
            if parameter is not None and parameter.id in self._used:
                parameter.value = value

    def solve(self, data: ProblemData) -> SolveOutcome:
        """Solve with each solver of the chain until one gives usable weights.

        A solver's answer is usable when its status is optimal (or optimal but
        inaccurate) and the weights are finite and meet every constraint within
        :data:`FEASIBILITY_TOLERANCE`. Every other outcome is kept as ``"SOLVER: reason"``.

        Where a working set applies, it is tried first with the chain's first solver;
        when it gives no certified answer the chain solves the full problem (that is
        not a failure: nothing is recorded).
        """
        started = time.perf_counter()
        if self.working_set is not None:
            weights = self.working_set.solve(data)
            feasible = (
                weights is not None
                and self.constraints.violation(weights, None, None) <= FEASIBILITY_TOLERANCE
            )
            if feasible:
                return SolveOutcome(
                    weights, self.solvers[0], cp.OPTIMAL, (), time.perf_counter() - started
                )
        self.load(data)
        failures: list[str] = []
        for solver in self.solvers:
            try:
                self.problem.solve(solver=solver, warm_start=True)
            except (cp.SolverError, ValueError, ArithmeticError) as error:
                failures.append(f"{solver}: {type(error).__name__}: {error}".strip())
                continue
            status = str(self.problem.status)
            if status not in _ACCEPTED or self.x.value is None:
                failures.append(f"{solver}: {status}")
                continue
            weights = self.weights(np.asarray(self.x.value, dtype=float))
            if weights is not None and self.objective.cone == "exp":
                weights = self._polished(weights, data)
            if weights is None:
                failures.append(f"{solver}: {status} but the weights are not usable")
                continue
            worst = self.constraints.violation(
                weights, data.current if data.turnover < 1e5 else None, data.beta
            )
            if worst > FEASIBILITY_TOLERANCE:
                failures.append(f"{solver}: {status} but a constraint is off by {worst:.2g}")
                continue
            if self.working_set is not None:
                self.working_set.remember(weights)
            return SolveOutcome(
                weights, solver, status, tuple(failures), time.perf_counter() - started
            )
        return SolveOutcome(None, None, "failed", tuple(failures), time.perf_counter() - started)

    def _polished(self, weights: np.ndarray, data: ProblemData) -> np.ndarray:
        """Risk budgeting: Newton steps on ``S y = b / y`` from the solver's answer.

        Interior-point answers leave risk contributions ~1e-6 from their budgets on
        ill-conditioned covariances. The root of ``S y - b / y`` is the optimum without
        constraints; when its weights meet every constraint it is also the optimum with
        them (the problem is convex), else the solver's answer stands.
        """
        covariance = data.a.T @ data.a + np.diag(data.d**2)
        budgets = self.budgets
        y = weights / np.sqrt(weights @ covariance @ weights)  # y' S y = sum(b) = 1
        for _ in range(50):
            step = np.linalg.solve(
                covariance + np.diag(budgets / y**2), covariance @ y - budgets / y
            )
            shrink = 1.0
            while (y - shrink * step <= 0).any():
                shrink /= 2
            y = y - shrink * step
            if np.max(np.abs(step)) <= 1e-15 * np.max(y):
                break
        if not (np.isfinite(y).all() and (y > 0).all()):
            return weights
        polished = y / y.sum()
        residual = np.max(np.abs(y * (covariance @ y) - budgets))
        current = data.current if data.turnover < 1e5 else None
        if residual > 1e-10 or self.constraints.violation(polished, current, data.beta) > 1e-9:
            return weights
        return polished

    def weights(self, x: np.ndarray) -> np.ndarray | None:
        """Weights from the solver's variable (``y / sum(y)`` when homogenized)."""
        if not np.isfinite(x).all():
            return None
        if self.objective.homogeneous:
            total = x.sum()
            if not total > 0:
                return None
            return np.maximum(x, 0.0) / np.maximum(x, 0.0).sum()
        return x
