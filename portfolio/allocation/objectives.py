"""Allocation objectives: one definition gives the cvxpy expression the solver minimizes
and the numpy measure the diagnostics report (:mod:`aisfolio.portfolio.measures`: CVaR and risk
contributions have one definition for the allocator and the report).

Direct objectives optimize the weights ``w``. Homogenized ones (maximum Sharpe ratio,
maximum diversification, risk budgeting) optimize ``y >= 0`` with ``w = y / sum(y)``:
the maximum Sharpe ratio becomes ``min y' S y`` subject to ``mu' y = 1`` (Cornuejols and
Tutuncu), the maximum diversification ratio the same with the volatilities in place of
``mu``, and risk budgeting ``min 1/2 y' S y - b' log(y)`` (Spinu; Bai, Scheinberg and
Tutuncu), whose optimum has risk contributions ``y_i (S y)_i = b_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

__all__ = ["OBJECTIVES", "Objective"]


@dataclass(frozen=True)
class Objective:
    """What an objective needs and how it is solved.

    Attributes
    ----------
    name : str
        Its configuration name.
    homogeneous : bool
        Solved in ``y`` with ``w = y / sum(y)`` (long-only, fully invested).
    cone : {"qp", "lp", "exp"}
        Problem class, which picks the solver chain.
    target : bool
        A closed-form target (equal weight, inverse volatility) projected on the
        constraints.
    measure : str
        What :attr:`Fit.objective_value` reports for it.
    """

    name: str
    homogeneous: bool
    cone: str
    target: bool
    measure: str


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("equal_weight", False, "qp", True, "squared distance to 1/n weights"),
        Objective("inverse_volatility", False, "qp", True, "squared distance to 1/vol weights"),
        Objective("min_variance", False, "qp", False, "variance per bar"),
        Objective("mean_variance", False, "qp", False, "mu'w - risk_aversion/2 w'Sw (to maximize)"),
        Objective("max_sharpe", True, "qp", False, "Sharpe ratio per bar, mu'w / sqrt(w'Sw)"),
        Objective("min_cvar", False, "lp", False, "CVaR of the loss per bar at cvar_level"),
        Objective("risk_parity", True, "exp", False, "largest |risk share - budget|"),
        Objective("risk_budgeting", True, "exp", False, "largest |risk share - budget|"),
        Objective("max_diversification", True, "qp", False, "diversification ratio"),
        Objective("min_tracking_error", False, "qp", False, "tracking variance per bar"),
    )
}


@dataclass
class Terms:
    """The cvxpy variables and parameters an objective is written with."""

    x: cp.Variable
    variance: cp.Expression
    mean: cp.Parameter
    sigma: cp.Parameter
    scenarios: cp.Parameter
    probabilities: cp.Parameter
    target: cp.Parameter
    trades: cp.Expression | None
    cost: cp.Parameter
    risk_aversion: float
    level: float
    budgets: np.ndarray


def expression(objective: Objective, terms: Terms) -> tuple[cp.Expression, list[cp.Constraint]]:
    """The expression to minimize and the objective's own constraints."""
    x, name = terms.x, objective.name
    extra: list[cp.Constraint] = []
    if objective.homogeneous:
        extra.append(x >= 0)
        if name == "max_sharpe":
            extra.append(terms.mean @ x == 1)
            return terms.variance, extra
        if name == "max_diversification":
            extra.append(terms.sigma @ x == 1)
            return terms.variance, extra
        return 0.5 * terms.variance - terms.budgets @ cp.log(x), extra
    costs = 0.0 if terms.trades is None else terms.cost * cp.sum(terms.trades)
    if objective.target:
        return cp.sum_squares(x - terms.target) + costs, extra
    if name == "min_variance":
        return terms.variance + costs, extra
    if name == "min_tracking_error":
        return terms.variance + costs, extra  # the variance is built around the benchmark
    if name == "mean_variance":
        return 0.5 * terms.risk_aversion * terms.variance - terms.mean @ x + costs, extra
    # min_cvar (Rockafellar-Uryasev): alpha + E[(loss - alpha)+] / (1 - level)
    t = terms.scenarios.shape[0]
    alpha = cp.Variable()
    excess = cp.Variable(t, nonneg=True)
    extra.append(excess >= -terms.scenarios @ x - alpha)
    return alpha + terms.probabilities @ excess / (1.0 - terms.level) + costs, extra
