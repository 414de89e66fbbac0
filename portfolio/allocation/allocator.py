"""The allocator: target weights of return streams at a rebalance date, from the past."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisfolio.portfolio.allocation.constraints import (
    UNLIMITED,
    BoundConstraints,
    ResolvedConstraints,
    match_streams,
)
from aisfolio.portfolio.allocation.objectives import OBJECTIVES, Objective
from aisfolio.portfolio.allocation.problem import CompiledProblem, ProblemData, solver_chain
from aisfolio.portfolio.allocation.risk import RiskFactors, RiskModel, square_root
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.measures import cvar, risk_contributions

__all__ = ["Allocator", "Fit"]

log = logging.getLogger(__name__)


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


class Allocator:
    """Convex allocation of return streams under constraints, re-solved at each rebalance.

    Usable on any DataFrame of returns (``fit``, then ``weights_`` and ``fit_``) and as
    the target of :func:`portfolio.rebalance_streams` (``weights_at``). The cvxpy
    problem is compiled once for a set of streams and re-solved with each date's data.

    Parameters
    ----------
    objective : str, default "min_variance"
        ``"equal_weight"``, ``"inverse_volatility"`` (closed-form targets, projected on
        the constraints when they do not hold), ``"min_variance"``, ``"mean_variance"``,
        ``"max_sharpe"``, ``"min_cvar"``, ``"risk_parity"``, ``"risk_budgeting"``,
        ``"max_diversification"`` or ``"min_tracking_error"``.
    risk : {"sample", "ledoit_wolf", "ewma"}, default "ledoit_wolf"
        Covariance estimator (:class:`RiskModel`).
    lookback : int, default 252
        Rows of returns used at most (the latest ones).
    min_observations : int, default 20
        Fewer rows than this: no optimization, the warm-up weights (equal weights
        projected on the constraints) are used.
    halflife : float, default 63.0
        EWMA half-life in rows.
    risk_aversion : float, default 1.0
        Mean-variance: maximize ``mu'w - risk_aversion / 2 * w'Sw``.
    cvar_level : float, default 0.95
        Confidence level of the CVaR.
    risk_budgets : dict of str to float, optional
        Risk budgeting: stream pattern -> budget (normalized to sum 1; unmatched
        streams get none, which is not allowed). Risk parity uses equal budgets.
    benchmark : str, optional
        Minimum tracking error: the stream (name or pattern) to track.
    budget : float or None, default 1.0
        Sum of the weights; None leaves it free.
    leverage : float, optional
        Upper limit of ``sum |w|``.
    lower, upper : float, default 0.0 and 1.0
        Bounds of each weight (negative ``lower``: long/short).
    bounds : dict of str to [float, float], optional
        Bounds of the streams matching a pattern, overriding ``lower``/``upper``.
    groups : dict of str to dict, optional
        Group name -> ``{"members": [patterns], "lower": x, "upper": y}``: bounds on the
        total weight of the matching streams (per asset ``"SP500/*"``, per generator
        ``"*/momentum"``, per asset class: a list of patterns).
    turnover : float, optional
        Upper limit of ``sum |w - current|`` (not applied without current weights).
    cost_rate : float, default 0.0
        Proportional cost ``cost_rate * sum |w - current|`` added to the objective (in
        the objective's units; direct objectives only).
    hedge_target : str, optional
        Stream (name or pattern matching one stream) against which betas are measured.
    beta_lower, beta_upper : float, optional
        Bounds on the portfolio's beta to ``hedge_target``.
    hedge_streams : list of str, optional
        Patterns of the hedge streams.
    min_hedge_weight : float, default 0.0
        Least total weight in the hedge streams.
    solvers : list of str, optional
        Solver chain; default by problem class (:data:`SOLVER_CHAINS`).

    Raises
    ------
    ConfigError
        A setting out of range or settings that cannot hold together, under the key
        ``allocator.<name>``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aisfolio.portfolio.allocation import Allocator
    >>> rng = np.random.default_rng(0)
    >>> returns = pd.DataFrame(rng.normal(0, [0.01, 0.02], (300, 2)), columns=["a", "b"],
    ...                        index=pd.bdate_range("2020-01-01", periods=300))
    >>> fit = Allocator("min_variance").fit(returns).fit_
    >>> round(float(fit.weights["a"]), 1)
    0.8
    """

    def __init__(
        self,
        objective: str = "min_variance",
        risk: str = "ledoit_wolf",
        lookback: int = 252,
        min_observations: int = 20,
        halflife: float = 63.0,
        risk_aversion: float = 1.0,
        cvar_level: float = 0.95,
        risk_budgets: dict[str, float] | None = None,
        benchmark: str | None = None,
        budget: float | None = 1.0,
        leverage: float | None = None,
        lower: float = 0.0,
        upper: float = 1.0,
        bounds: dict[str, list[float]] | None = None,
        groups: dict[str, dict[str, object]] | None = None,
        turnover: float | None = None,
        cost_rate: float = 0.0,
        hedge_target: str | None = None,
        beta_lower: float | None = None,
        beta_upper: float | None = None,
        hedge_streams: list[str] | None = None,
        min_hedge_weight: float = 0.0,
        solvers: list[str] | None = None,
    ):
        if objective not in OBJECTIVES:
            raise ConfigError(
                f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}",
                key="objective",
            )
        try:
            self.risk_model = RiskModel(risk, halflife)
        except ValueError as error:
            raise ConfigError(str(error), key="risk") from None
        if not (isinstance(lookback, int) and lookback >= 2):
            raise ConfigError(f"must be an integer >= 2, got {lookback!r}", key="lookback")
        if not 2 <= min_observations <= lookback:
            raise ConfigError(
                f"must be within [2, lookback = {lookback}], got {min_observations}",
                key="min_observations",
            )
        if not 0 < cvar_level < 1:
            raise ConfigError(f"must be within (0, 1), got {cvar_level}", key="cvar_level")
        if not risk_aversion > 0:
            raise ConfigError(f"must be > 0, got {risk_aversion}", key="risk_aversion")
        spec = OBJECTIVES[objective]
        if spec.homogeneous:
            clashes = []
            if budget != 1.0:
                clashes.append(f"budget = {budget} (must be 1)")
            if lower < 0:
                clashes.append(f"lower = {lower} (must be >= 0)")
            if leverage is not None:
                clashes.append("leverage (must be null)")
            if cost_rate > 0:
                clashes.append("cost_rate (must be 0; use a turnover limit)")
            if clashes:
                raise ConfigError(
                    f"{objective} is long-only and fully invested; it clashes with "
                    + ", ".join(clashes),
                    key="objective",
                )
        if objective == "risk_budgeting" and not risk_budgets:
            raise ConfigError("risk_budgeting needs risk budgets", key="risk_budgets")
        if objective == "min_tracking_error" and benchmark is None:
            raise ConfigError("min_tracking_error needs a benchmark stream", key="benchmark")
        self.objective = objective
        self.risk = risk
        self.lookback = lookback
        self.min_observations = min_observations
        self.halflife = halflife
        self.risk_aversion = risk_aversion
        self.cvar_level = cvar_level
        self.risk_budgets = dict(risk_budgets) if risk_budgets else None
        self.benchmark = benchmark
        self.solvers = list(solvers) if solvers is not None else None
        self.constraints = BoundConstraints(
            budget=budget,
            leverage=leverage,
            lower=lower,
            upper=upper,
            bounds=dict(bounds or {}),
            groups=dict(groups or {}),
            turnover=turnover,
            cost_rate=cost_rate,
            hedge_target=hedge_target,
            beta_lower=beta_lower,
            beta_upper=beta_upper,
            hedge_streams=tuple(hedge_streams or ()),
            min_hedge_weight=min_hedge_weight,
        )
        try:
            solver_chain(spec.cone, self.solvers)
        except ValueError as error:
            raise ConfigError(str(error), key="solvers") from None
        self.history_: list[Fit] = []
        self._names: list[str] | None = None
        self._columns: pd.Index | None = None
        self._index = pd.Index([])
        self._problems: dict[str, CompiledProblem] = {}
        self._resolved: ResolvedConstraints | None = None

    # -- public API -------------------------------------------------------------------

    def fit(
        self,
        returns: pd.DataFrame,
        date: object = None,
        current_weights: Sequence[float] | pd.Series | None = None,
        expected_returns: Sequence[float] | pd.Series | None = None,
        forecast_variances: Sequence[float] | pd.Series | None = None,
    ) -> Allocator:
        """Decide target weights at the close of ``date`` from returns up to it.

        Parameters
        ----------
        returns : DataFrame
            Returns of the streams (columns), one row per bar, sorted by date. Rows
            stamped after ``date`` are ignored; of the rest, the last ``lookback`` rows
            with a value for every stream are used.
        date : date-like, optional
            Decision date (default: the last row). A fit at ``t`` uses rows ``<= t``:
            the decision is made at the close of ``t``.
        current_weights : array-like, optional
            Weights held now, for the turnover limit and the cost term.
        expected_returns : array-like, optional
            Forecast returns per bar (default: the window's mean).
        forecast_variances : array-like, optional
            Forecast variances per bar (an ARIMA-GARCH forecast, say): the covariance
            keeps the window's correlations with these variances on its diagonal.
            Covariance-based objectives use it; the CVaR uses the window's scenarios.

        Returns
        -------
        Allocator
            ``self``, with ``weights_`` and ``fit_`` set and the fit appended to
            ``history_``.
        """
        if not isinstance(returns, pd.DataFrame) or returns.shape[1] == 0:
            raise ValueError("returns must be a DataFrame with at least one column")
        window = returns if date is None else returns.loc[: pd.Timestamp(date)]
        if window.empty:
            raise ValueError(f"no returns on or before {date}")
        stamp = pd.Timestamp(window.index[-1]) if date is None else pd.Timestamp(date)
        names = self._stream_names(returns.columns)
        self._bind(names)
        self._columns = returns.columns
        values = window.to_numpy(dtype=float)
        rows = values[np.isfinite(values).all(axis=1)][-self.lookback :]
        current = (
            None if current_weights is None else _vector(current_weights, names, "current_weights")
        )
        mean = (
            None
            if expected_returns is None
            else _vector(expected_returns, names, "expected_returns")
        )
        variances = (
            None
            if forecast_variances is None
            else _vector(forecast_variances, names, "forecast_variances")
        )
        if variances is not None and (variances <= 0).any():
            raise ValueError(f"forecast_variances must be > 0, got {variances}")
        fit = self._decide(stamp, rows, current, mean, variances)
        self.history_.append(fit)
        if fit.failed:
            log.warning(
                "allocation on %s failed (%s); kept the previous weights", stamp, fit.reason
            )
        return self

    @property
    def fit_(self) -> Fit:
        """The latest decision."""
        if not self.history_:
            raise AttributeError("the allocator has not been fitted")
        return self.history_[-1]

    @property
    def weights_(self) -> pd.Series:
        """The latest target weights."""
        return self.fit_.weights

    def weights_at(self, history: pd.DataFrame) -> np.ndarray:
        """Target weights at the last row of ``history`` (the rebalancing protocol).

        The current weights are the previous targets drifted by the streams' returns
        since the previous decision (as :func:`portfolio.rebalance_streams` holds them).
        """
        current = self._drifted(history)
        self.fit(history, current_weights=current)
        return self.fit_.weights.to_numpy()

    def preview_at(self, history: pd.DataFrame) -> np.ndarray:
        """The weights :meth:`weights_at` would give, leaving the decisions (``history_``)
        and the weights later calls drift from as they were.

        Only the solvers' warm starts keep the preview's solution: the working sets
        start the next fit from the weights decided last, as without the preview (with
        several optima, a linear program's answer may depend on where it starts).
        """
        decided, last = len(self.history_), getattr(self, "_last", None)
        sets = [p.working_set for p in self._problems.values() if p.working_set is not None]
        starts = [working.previous for working in sets]
        try:
            return self.weights_at(history)
        finally:
            del self.history_[decided:]
            self._last = last
            for working, start in zip(sets, starts, strict=True):
                working.previous = start

    def report(self) -> pd.DataFrame:
        """Every decision so far: one row per date with the solver's diagnostics."""
        rows = [
            {
                "date": f.date,
                "solver": f.solver,
                "status": f.status,
                "fallbacks": "; ".join(f.fallbacks),
                "failed": f.failed,
                "reason": f.reason,
                "objective_value": f.objective_value,
                "observations": f.observations,
                "seconds": f.seconds,
            }
            for f in self.history_
        ]
        columns = ["date", "solver", "status", "fallbacks", "failed", "reason",
                   "objective_value", "observations", "seconds"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("date")

    def weights_history(self) -> pd.DataFrame:
        """Target weights of every decision, one row per date."""
        if not self.history_:
            return pd.DataFrame(columns=self._names or [])
        return pd.DataFrame(
            [f.weights for f in self.history_], index=[f.date for f in self.history_]
        )

    def __repr__(self) -> str:
        return (
            f"Allocator(objective={self.objective!r}, risk={self.risk!r}, lookback={self.lookback})"
        )

    # -- internals --------------------------------------------------------------------

    def _stream_names(self, columns: pd.Index) -> list[str]:
        """The columns as stream names (the last fit's when the columns are identical:
        converting them costs as much as the rest of a fit's bookkeeping)."""
        if self._names is None or self._columns is None or not columns.identical(self._columns):
            return [str(c) for c in columns]
        return self._names

    def _bind(self, names: list[str]) -> None:
        """Resolve the constraints for these streams (and forget problems of others)."""
        if names == self._names:
            return
        resolved = self.constraints.resolve(names)
        self._budgets = self._risk_budgets(names)
        self._benchmark = None
        if self.benchmark is not None:
            hits = match_streams(names, self.benchmark)
            if hits.size != 1:
                raise ConfigError(
                    f"'{self.benchmark}' must match exactly one stream; streams are {names}",
                    key="benchmark",
                )
            self._benchmark = int(hits[0])
        self._names = names
        # One index shared by every fit's series (building it from the names each time
        # was most of a fit's pandas time).
        self._index = pd.Index(names)
        self._resolved = resolved
        self._problems = {}
        self._last: tuple[pd.Timestamp, np.ndarray] | None = None

    def _risk_budgets(self, names: list[str]) -> np.ndarray:
        n = len(names)
        if self.objective != "risk_budgeting" or not self.risk_budgets:
            return np.full(n, 1.0 / n)
        budgets = np.zeros(n)
        for pattern, value in self.risk_budgets.items():
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
        if objective.name not in self._problems:
            assert self._resolved is not None
            self._problems[objective.name] = CompiledProblem(
                objective,
                self._resolved,
                self.lookback,
                self._risk_rows(),
                self._risk_rows() != len(self._names or []) and self.risk == "ledoit_wolf",
                self.risk_aversion,
                self.cvar_level,
                self._budgets,
                self._benchmark,
                solver_chain(objective.cone, self.solvers),
            )
        return self._problems[objective.name]

    def _risk_rows(self) -> int:
        """Rows of the risk factor: the window's, or a square root of the covariance
        when there are fewer streams than rows (a smaller problem for the solver)."""
        n = len(self._names or [])
        return n if n < self.lookback else self.lookback

    def _drifted(self, history: pd.DataFrame) -> np.ndarray | None:
        last = getattr(self, "_last", None)
        if last is None or [str(c) for c in history.columns] != self._names:
            return None
        when, weights = last
        later = history.loc[history.index > when].fillna(0.0).to_numpy()
        w = weights.copy()
        for r in later:
            growth = 1.0 + float(w @ r)
            if growth != 0:
                w = w * (1.0 + r) / growth
        return w

    def _decide(
        self,
        date: pd.Timestamp,
        rows: np.ndarray,
        current: np.ndarray | None,
        mean: np.ndarray | None,
        variances: np.ndarray | None = None,
    ) -> Fit:
        assert self._names is not None and self._resolved is not None
        n = len(self._names)
        t = rows.shape[0]
        spec = OBJECTIVES[self.objective]
        if t < self.min_observations:
            return self._fallback_fit(date, rows, current, "warm_up", "")
        factors = self.risk_model.factors(rows)
        if variances is not None:
            own = factors.variances
            scale = np.sqrt(variances / np.where(own > 0, own, variances))
            factors = RiskFactors(factors.a * scale, factors.d * scale, factors.mean)
        mu = factors.mean if mean is None else mean
        beta = None
        problem_beta = self._problem(spec).beta is not None
        if problem_beta:
            j = self._resolved.target
            assert j is not None
            column = factors.times(np.eye(n)[j])  # S[:, j]
            beta = column / column[j] if column[j] > 0 else np.zeros(n)
            clash = self._beta_clash(beta)
            if clash:
                return self._fallback_fit(date, rows, current, "none", clash)
        if self.objective == "max_sharpe" and not (mu > 0).any():
            reason = "max_sharpe: no stream has a positive expected return"
            return self._fallback_fit(date, rows, current, "none", reason)
        data = self._data(spec, factors, rows, mu, current, beta)
        if (spec.target and self.constraints.cost_rate == 0) or (spec.target and current is None):
            target = data.target
            if self._resolved.violation(target, current, beta) <= 1e-12:
                return self._record(
                    date, target, "closed_form", "optimal", (), 0.0, t, factors, rows, mu, data
                )
        outcome = self._problem(spec).solve(data)
        if outcome.weights is None:
            reason = "every solver failed: " + "; ".join(outcome.fallbacks)
            return self._fallback_fit(date, rows, current, "none", reason)
        return self._record(
            date, outcome.weights, outcome.solver or "", outcome.status, outcome.fallbacks,
            outcome.seconds, t, factors, rows, mu, data,
        )  # fmt: skip

    def _beta_clash(self, beta: np.ndarray) -> str:
        """Beta bounds out of reach of the weight bounds and the budget (a pre-check)."""
        c, r = self.constraints, self._resolved
        assert r is not None
        if c.budget is None or c.leverage is not None:
            return ""
        lowest = _extreme(beta, r.lower, r.upper, c.budget, ascending=True)
        highest = _extreme(beta, r.lower, r.upper, c.budget, ascending=False)
        if c.beta_upper is not None and lowest > c.beta_upper + 1e-9:
            return (
                f"beta_upper {c.beta_upper} is below the lowest beta reachable "
                f"within lower/upper/bounds and budget ({lowest:.4g})"
            )
        if c.beta_lower is not None and highest < c.beta_lower - 1e-9:
            return (
                f"beta_lower {c.beta_lower} is above the highest beta reachable "
                f"within lower/upper/bounds and budget ({highest:.4g})"
            )
        return ""

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
        pad = self.lookback - t
        d = factors.d / root
        if spec.name == "min_cvar":  # no covariance term: skip its square root
            a = np.zeros((self._risk_rows(), n))
        elif self._risk_rows() == n:
            a = square_root(factors.covariance / unit)
            d = np.zeros(n)
        else:
            a = np.vstack([np.zeros((self._risk_rows() - t, n)), factors.a / root])
        scenarios = np.zeros((self.lookback, n))
        probabilities = np.zeros(self.lookback)
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
        if self.constraints.budget is not None:
            target = target * self.constraints.budget
        return ProblemData(
            a=a,
            d=d,
            mean=mu / unit,
            sigma=sigma / root,
            scenarios=scenarios,
            probabilities=probabilities,
            target=target,
            current=np.zeros(n) if current is None else current,
            turnover=UNLIMITED if current is None or self.constraints.turnover is None
            else float(self.constraints.turnover),
            cost=0.0 if current is None else self.constraints.cost_rate / cost_unit,
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
        name = self.objective
        if name == "min_variance":
            return variance
        if name == "min_tracking_error":
            assert self._benchmark is not None
            gap = w - np.eye(len(w))[self._benchmark]
            return float(gap @ factors.times(gap))
        if name == "mean_variance":
            return float(mu @ w) - 0.5 * self.risk_aversion * variance
        if name == "max_sharpe":
            return float(mu @ w) / np.sqrt(variance) if variance > 0 else np.nan
        if name == "min_cvar":
            return cvar(-rows @ w, self.cvar_level)
        if name == "max_diversification":
            return (
                float(np.sqrt(factors.variances) @ w) / np.sqrt(variance)
                if variance > 0
                else np.nan
            )
        if name in ("risk_parity", "risk_budgeting"):
            shares = risk_contributions(w, None, marginal)
            return float(np.max(np.abs(shares - self._budgets)))
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
        names = self._index
        self._last = (date, weights.copy())
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
        solver: str,
        reason: str,
    ) -> Fit:
        """Warm-up weights (too little history) or, after a failure, the weights held."""
        names = self._index
        n = len(names)
        failed = solver == "none"
        previous = getattr(self, "_last", None)
        if failed and current is not None:
            weights = current
        elif failed and previous is not None:
            weights = previous[1]
        else:
            weights = self._warm_up(rows, n)
        self._last = (date, weights.copy())
        if rows.shape[0] >= 2:
            factors = self.risk_model.factors(rows)
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
        assert self._resolved is not None
        budget = self.constraints.budget if self.constraints.budget is not None else 1.0
        equal = np.full(n, budget / n)
        if self._resolved.violation(equal, None, None) <= 1e-12 and self._problem_has_no_beta():
            return equal
        spec = OBJECTIVES["equal_weight"]
        problem = self._problem(spec)
        data = ProblemData(
            a=np.zeros((self._risk_rows(), n)),
            d=np.zeros(n),
            mean=np.zeros(n),
            sigma=np.zeros(n),
            scenarios=np.zeros((self.lookback, n)),
            probabilities=np.zeros(self.lookback),
            target=equal,
            current=np.zeros(n),
            turnover=UNLIMITED,
            cost=0.0,
            # Without history there are no betas: a common beta that meets the bounds
            # whatever the weights, so that the projection meets the other constraints.
            beta=np.full(n, _neutral_beta(self.constraints)) if problem.beta is not None else None,
        )
        outcome = problem.solve(data)
        return outcome.weights if outcome.weights is not None else equal

    def _problem_has_no_beta(self) -> bool:
        c = self.constraints
        return c.beta_lower is None and c.beta_upper is None


def _neutral_beta(c: BoundConstraints) -> float:
    """A common beta for every stream that meets the beta bounds whatever the weights
    (used before any history exists, when betas are unknown)."""
    lo = c.beta_lower if c.beta_lower is not None else -np.inf
    hi = c.beta_upper if c.beta_upper is not None else np.inf
    budget = c.budget if c.budget else 1.0
    point = min(max(1.0, lo), hi)
    return point / budget


def _extreme(
    beta: np.ndarray, lower: np.ndarray, upper: np.ndarray, budget: float, ascending: bool
) -> float:
    """Least (or largest) ``beta @ w`` with ``lower <= w <= upper`` and ``sum(w) = budget``
    (fill the cheapest streams first: the fractional knapsack)."""
    w = lower.copy()
    room = budget - w.sum()
    for i in np.argsort(beta if ascending else -beta, kind="stable"):
        step = min(upper[i] - w[i], room)
        w[i] += step
        room -= step
        if room <= 0:
            break
    return float(beta @ w)


def _vector(values: Sequence[float] | pd.Series, names: list[str], what: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.reindex(names)
    v = np.asarray(values, dtype=float)
    if v.shape != (len(names),) or not np.isfinite(v).all():
        raise ValueError(f"{what} must be {len(names)} finite numbers, got {v!r}")
    return v
