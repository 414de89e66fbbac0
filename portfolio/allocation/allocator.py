"""The allocator: target weights of return streams at rebalance dates, from the past.

:class:`Allocator` is the rolling use of an :class:`AllocationEstimator` (the decisions
themselves): it turns DataFrames into rows, drifts the weights held between decisions,
and keeps the decisions made (``history_``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from aisfolio.portfolio.allocation.constraints import BoundConstraints
from aisfolio.portfolio.allocation.estimator import AllocationEstimator, Fit
from aisfolio.portfolio.allocation.settings import AllocatorSettings

__all__ = ["Allocator", "Fit"]

log = logging.getLogger(__name__)


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
        constraints = BoundConstraints(
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
        self.settings = AllocatorSettings(
            objective=objective,
            risk=risk,
            lookback=lookback,
            min_observations=min_observations,
            halflife=halflife,
            risk_aversion=risk_aversion,
            cvar_level=cvar_level,
            risk_budgets=dict(risk_budgets) if risk_budgets else None,
            benchmark=benchmark,
            solvers=tuple(solvers) if solvers is not None else None,
            constraints=constraints,
        )
        self.history_: list[Fit] = []
        self.estimator: AllocationEstimator | None = None
        self._columns: pd.Index | None = None
        self._last: tuple[pd.Timestamp, np.ndarray] | None = None

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
        estimator = self._bind(returns.columns)
        names = estimator.names
        values = window.to_numpy(dtype=float)
        rows = values[np.isfinite(values).all(axis=1)][-self.settings.lookback :]
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
        held = self._last[1] if self._last is not None else None
        fit = estimator.decide(stamp, rows, current, mean, variances, held)
        self._last = (stamp, fit.weights.to_numpy().copy())
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
        decided, last = len(self.history_), self._last
        problems = self.estimator.problems.values() if self.estimator is not None else ()
        sets = [p.working_set for p in problems if p.working_set is not None]
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
            return pd.DataFrame(columns=self.estimator.names if self.estimator else [])
        return pd.DataFrame(
            [f.weights for f in self.history_], index=[f.date for f in self.history_]
        )

    def __repr__(self) -> str:
        s = self.settings
        return f"Allocator(objective={s.objective!r}, risk={s.risk!r}, lookback={s.lookback})"

    # -- internals --------------------------------------------------------------------

    def _bind(self, columns: pd.Index) -> AllocationEstimator:
        """The estimator of these streams: the last one when the columns are identical
        (converting them costs as much as the rest of a fit's bookkeeping), else a new
        one (constraints resolved on the new names; the weights held are forgotten)."""
        estimator = self.estimator
        if estimator is not None and self._columns is not None and columns.identical(self._columns):
            return estimator
        names = [str(c) for c in columns]
        if estimator is None or names != estimator.names:
            self.estimator = estimator = AllocationEstimator(self.settings, names)
            self._last = None
        self._columns = columns
        return estimator

    def _drifted(self, history: pd.DataFrame) -> np.ndarray | None:
        """The last decision's weights drifted by the streams' returns since its date."""
        if self._last is None or self.estimator is None:
            return None
        if [str(c) for c in history.columns] != self.estimator.names:
            return None
        when, weights = self._last
        later = history.loc[history.index > when].fillna(0.0).to_numpy()
        w = weights.copy()
        for r in later:
            growth = 1.0 + float(w @ r)
            if growth != 0:
                w = w * (1.0 + r) / growth
        return w


def _vector(values: Sequence[float] | pd.Series, names: list[str], what: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.reindex(names)
    v = np.asarray(values, dtype=float)
    if v.shape != (len(names),) or not np.isfinite(v).all():
        raise ValueError(f"{what} must be {len(names)} finite numbers, got {v!r}")
    return v
