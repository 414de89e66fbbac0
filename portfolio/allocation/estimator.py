"""Allocation decisions for one set of streams: target weights at a date from the rows of
returns given, with the solver's diagnostics. No memory of earlier decisions: the rolling
use (drift, the decisions so far) is :class:`~aisfolio.portfolio.allocation.Allocator`'s;
only the compiled problems and their solvers' warm starts are kept between calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio.allocation.constraints import UNLIMITED, match_streams
from aisfolio.portfolio.allocation.objectives import OBJECTIVES, Objective
from aisfolio.portfolio.allocation.problem import CompiledProblem, ProblemData, solver_chain
from aisfolio.portfolio.allocation.risk import RiskFactors, square_root
from aisfolio.portfolio.allocation.settings import AllocatorSettings
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.measures import cvar, risk_contributions

__all__ = ["AllocationEstimator", "Fit"]


@dataclass(frozen=True)
class Fit:
    """One allocation decision and how it was reached.

    Attributes
    ----------
    date : Timestamp
        Decision date: the close of the last row used.
    weights : Series
        Target weights by stream.
    objective_value : float
        The objective's measure at the weights (see :data:`OBJECTIVES`), NaN when
        no solve happened.
    solver : str
        Solver that gave the weights, ``"closed_form"``, ``"warm_up"`` (too little
        history) or ``"none"`` (every solver failed).
    status : str
        Solver status (``"optimal"``), or ``"failed"``.
    fallbacks : tuple of str
        Solvers that failed before, as ``"SOLVER: reason"``.
    failed : bool
        True when every solver failed and the previous weights were kept.
    reason : str
        Why it failed (empty otherwise).
    risk_contributions : Series
        Shares of the portfolio variance, summing to 1.
    observations : int
        Rows of returns used.
    seconds : float
        Solver time.
    """

    date: pd.Timestamp
    weights: pd.Series
    objective_value: float
    solver: str
    status: str
    fallbacks: tuple[str, ...]
    failed: bool
    reason: str
    risk_contributions: pd.Series
    observations: int
    seconds: float


class AllocationEstimator:
    """Decides target weights of the streams ``names`` under ``settings``.

    Parameters
    ----------
    settings : AllocatorSettings
    names : list of str
        The streams, in column order: the constraints' patterns are resolved on them.

    Raises
    ------
    ConfigError
        A pattern that matches no stream (or several where one is needed), or
        constraints that cannot hold on these streams.
    """

    def __init__(self, settings: AllocatorSettings, names: list[str]):
        self.settings = settings
        self.names = names
        #: One index shared by every decision's series (building it from the names each
        #: time was most of a fit's pandas time).
        self.index = pd.Index(names)
        self.resolved = settings.constraints.resolve(names)
        self.budgets = self._risk_budgets(names)
        self.benchmark: int | None = None
        if settings.benchmark is not None:
            hits = match_streams(names, settings.benchmark)
            if hits.size != 1:
                raise ConfigError(
                    f"'{settings.benchmark}' must match exactly one stream; streams are {names}",
                    key="benchmark",
                )
            self.benchmark = int(hits[0])
        #: Compiled problems by objective name (kept: each is compiled once).
        self.problems: dict[str, CompiledProblem] = {}
        self._risk_model = settings.risk_model

    def decide(
        self,
        date: pd.Timestamp,
        rows: np.ndarray,
        current: np.ndarray | None = None,
        mean: np.ndarray | None = None,
        variances: np.ndarray | None = None,
        held: np.ndarray | None = None,
    ) -> Fit:
        """The decision at the close of ``date``.

        Parameters
        ----------
        date : Timestamp
        rows : ndarray, shape (observations, streams)
            Complete rows of returns up to ``date``, at most ``lookback`` of them.
        current : ndarray, optional
            Weights held now (turnover limit, cost term; kept if every solver fails).
        mean, variances : ndarray, optional
            Forecast returns and variances per bar (see :meth:`Allocator.fit`).
        held : ndarray, optional
            Without ``current``, the weights kept if every solver fails (the previous
            decision's); else the warm-up weights are.

        Returns
        -------
        Fit
        """
        n = len(self.names)
        t = rows.shape[0]
        objective = self.settings.objective
        spec = OBJECTIVES[objective]
        if t < self.settings.min_observations:
            return self._fallback_fit(date, rows, current, held, "warm_up", "")
        factors = self._risk_model.factors(rows)
        if variances is not None:
            own = factors.variances
            scale = np.sqrt(variances / np.where(own > 0, own, variances))
            factors = RiskFactors(factors.a * scale, factors.d * scale, factors.mean)
        mu = factors.mean if mean is None else mean
        beta = None
        if self._problem(spec).beta is not None:
            j = self.resolved.target
            assert j is not None
            column = factors.times(np.eye(n)[j])  # S[:, j]
            beta = column / column[j] if column[j] > 0 else np.zeros(n)
            clash = self.settings.constraints.beta_clash(self.resolved, beta)
            if clash:
                return self._fallback_fit(date, rows, current, held, "none", clash)
        if objective == "max_sharpe" and not (mu > 0).any():
            reason = "max_sharpe: no stream has a positive expected return"
            return self._fallback_fit(date, rows, current, held, "none", reason)
        data = self._data(spec, factors, rows, mu, current, beta)
        cost_rate = self.settings.constraints.cost_rate
        if (spec.target and cost_rate == 0) or (spec.target and current is None):
            target = data.target
            if self.resolved.violation(target, current, beta) <= 1e-12:
                return self._record(
                    date, target, "closed_form", "optimal", (), 0.0, t, factors, rows, mu, data
                )
        outcome = self._problem(spec).solve(data)
        if outcome.weights is None:
            reason = "every solver failed: " + "; ".join(outcome.fallbacks)
            return self._fallback_fit(date, rows, current, held, "none", reason)
        return self._record(
            date, outcome.weights, outcome.solver or "", outcome.status, outcome.fallbacks,
            outcome.seconds, t, factors, rows, mu, data,
        )  # fmt: skip

    def _risk_budgets(self, names: list[str]) -> np.ndarray:
        n = len(names)
        objective, risk_budgets = self.settings.objective, self.settings.risk_budgets
        if objective != "risk_budgeting" or not risk_budgets:
            return np.full(n, 1.0 / n)
        budgets = np.zeros(n)
        for pattern, value in risk_budgets.items():
            hits = match_streams(names, pattern)
            if hits.size == 0 or not value > 0:
                raise ConfigError(
                    f"pattern '{pattern}' must match a stream and have a budget > 0 "
                    f"(got {value}); streams are {names}",
                    key=f"risk_budgets.{pattern}",
                )
            budgets[hits] = float(value)
        if (budgets <= 0).any():
            missing = [names[i] for i in np.flatnonzero(budgets <= 0)]
            raise ConfigError(f"no budget for {missing}", key="risk_budgets")
        return budgets / budgets.sum()

    def _problem(self, objective: Objective) -> CompiledProblem:
        if objective.name not in self.problems:
            settings = self.settings
            solvers = list(settings.solvers) if settings.solvers is not None else None
            self.problems[objective.name] = CompiledProblem(
                objective,
                self.resolved,
                settings.lookback,
                self._risk_rows(),
                self._risk_rows() != len(self.names) and settings.risk == "ledoit_wolf",
                settings.risk_aversion,
                settings.cvar_level,
                self.budgets,
                self.benchmark,
                solver_chain(objective.cone, solvers),
            )
        return self.problems[objective.name]

    def _risk_rows(self) -> int:
        """Rows of the risk factor: the window's, or a square root of the covariance
        when there are fewer streams than rows (a smaller problem for the solver)."""
        n, lookback = len(self.names), self.settings.lookback
        return n if n < lookback else lookback

    def _data(
        self,
        spec: Objective,
        factors: RiskFactors,
        rows: np.ndarray,
        mu: np.ndarray,
        current: np.ndarray | None,
        beta: np.ndarray | None,
    ) -> ProblemData:
        n = rows.shape[1]
        t = rows.shape[0]
        variances = np.sum(factors.a**2, axis=0) + factors.d**2
        sigma = np.sqrt(variances)
        # The objective is divided by a positive unit (average variance, or volatility
        # for the CVaR) so that solvers see numbers near 1; the argmin is unchanged.
        unit = float(np.mean(variances)) if np.mean(variances) > 0 else 1.0
        root = np.sqrt(unit)
        lookback, constraints = self.settings.lookback, self.settings.constraints
        pad = lookback - t
        d = factors.d / root
        if spec.name == "min_cvar":  # no covariance term: skip its square root
            a = np.zeros((self._risk_rows(), n))
        elif self._risk_rows() == n:
            a = square_root(factors.covariance / unit)
            d = np.zeros(n)
        else:
            a = np.vstack([np.zeros((self._risk_rows() - t, n)), factors.a / root])
        scenarios = np.zeros((lookback, n))
        probabilities = np.zeros(lookback)
        cost_unit = unit
        if spec.name == "min_cvar":
            scenarios[pad:] = rows / root
            probabilities[pad:] = 1.0 / t
            cost_unit = root
        if spec.name == "inverse_volatility":
            inverse = np.where(sigma > 0, 1.0 / np.maximum(sigma, 1e-300), 0.0)
            target = inverse / inverse.sum() if inverse.sum() > 0 else np.full(n, 1.0 / n)
        else:
            target = np.full(n, 1.0 / n)
        if constraints.budget is not None:
            target = target * constraints.budget
        return ProblemData(
            a=a,
            d=d,
            mean=mu / unit,
            sigma=sigma / root,
            scenarios=scenarios,
            probabilities=probabilities,
            target=target,
            current=np.zeros(n) if current is None else current,
            turnover=UNLIMITED if current is None or constraints.turnover is None
            else float(constraints.turnover),
            cost=0.0 if current is None else constraints.cost_rate / cost_unit,
            beta=beta,
        )  # fmt: skip

    def _measure(
        self,
        w: np.ndarray,
        marginal: np.ndarray,
        factors: RiskFactors,
        rows: np.ndarray,
        mu: np.ndarray,
        target: np.ndarray,
    ) -> float:
        """The objective's value at ``w`` (``marginal``: ``S w``)."""
        variance = float(w @ marginal)
        name = self.settings.objective
        if name == "min_variance":
            return variance
        if name == "min_tracking_error":
            assert self.benchmark is not None
            gap = w - np.eye(len(w))[self.benchmark]
            return float(gap @ factors.times(gap))
        if name == "mean_variance":
            return float(mu @ w) - 0.5 * self.settings.risk_aversion * variance
        if name == "max_sharpe":
            return float(mu @ w) / np.sqrt(variance) if variance > 0 else np.nan
        if name == "min_cvar":
            return cvar(-rows @ w, self.settings.cvar_level)
        if name == "max_diversification":
            return (
                float(np.sqrt(factors.variances) @ w) / np.sqrt(variance)
                if variance > 0
                else np.nan
            )
        if name in ("risk_parity", "risk_budgeting"):
            shares = risk_contributions(w, None, marginal)
            return float(np.max(np.abs(shares - self.budgets)))
        return float(np.sum((w - target) ** 2))

    def _record(
        self,
        date: pd.Timestamp,
        weights: np.ndarray,
        solver: str,
        status: str,
        fallbacks: tuple[str, ...],
        seconds: float,
        t: int,
        factors: RiskFactors,
        rows: np.ndarray,
        mu: np.ndarray,
        data: ProblemData,
    ) -> Fit:
        names = self.index
        marginal = factors.times(weights)
        return Fit(
            date=date,
            weights=pd.Series(weights, index=names, name=date),
            objective_value=self._measure(weights, marginal, factors, rows, mu, data.target),
            solver=solver,
            status=status,
            fallbacks=fallbacks,
            failed=False,
            reason="",
            risk_contributions=pd.Series(risk_contributions(weights, None, marginal), index=names),
            observations=t,
            seconds=seconds,
        )

    def _fallback_fit(
        self,
        date: pd.Timestamp,
        rows: np.ndarray,
        current: np.ndarray | None,
        held: np.ndarray | None,
        solver: str,
        reason: str,
    ) -> Fit:
        """Warm-up weights (too little history) or, after a failure, the weights held."""
        names = self.index
        n = len(names)
        failed = solver == "none"
        if failed and current is not None:
            weights = current
        elif failed and held is not None:
            weights = held
        else:
            weights = self._warm_up(rows, n)
        weights = weights.copy()
        if rows.shape[0] >= 2:
            factors = self._risk_model.factors(rows)
            contributions = risk_contributions(weights, None, factors.times(weights))
        else:
            contributions = np.full(n, np.nan)
        return Fit(
            date=date,
            weights=pd.Series(weights, index=names, name=date),
            objective_value=np.nan,
            solver=solver,
            status="failed" if failed else "warm_up",
            fallbacks=(),
            failed=failed,
            reason=reason,
            risk_contributions=pd.Series(contributions, index=names),
            observations=rows.shape[0],
            seconds=0.0,
        )

    def _warm_up(self, rows: np.ndarray, n: int) -> np.ndarray:
        """Equal weights (times the budget), projected on the constraints if needed."""
        constraints, lookback = self.settings.constraints, self.settings.lookback
        budget = constraints.budget if constraints.budget is not None else 1.0
        equal = np.full(n, budget / n)
        if self.resolved.violation(equal, None, None) <= 1e-12 and self._problem_has_no_beta():
            return equal
        spec = OBJECTIVES["equal_weight"]
        problem = self._problem(spec)
        data = ProblemData(
            a=np.zeros((self._risk_rows(), n)),
            d=np.zeros(n),
            mean=np.zeros(n),
            sigma=np.zeros(n),
            scenarios=np.zeros((lookback, n)),
            probabilities=np.zeros(lookback),
            target=equal,
            current=np.zeros(n),
            turnover=UNLIMITED,
            cost=0.0,
            # Without history there are no betas: a common beta that meets the bounds
            # whatever the weights, so that the projection meets the other constraints.
            beta=np.full(n, constraints.neutral_beta()) if problem.beta is not None else None,
        )
        outcome = problem.solve(data)
        return outcome.weights if outcome.weights is not None else equal

    def _problem_has_no_beta(self) -> bool:
        c = self.settings.constraints
        return c.beta_lower is None and c.beta_upper is None
