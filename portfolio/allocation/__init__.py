"""Convex allocation of return streams (cvxpy, compiled once, re-solved per rebalance).

:class:`Allocator` gives target weights at a date from the streams' past returns under
budget, bounds, group, turnover, cost and hedging constraints; it works on any
DataFrame of returns and as a target of :func:`portfolio.rebalance_streams`.
:class:`Allocation` places allocators in the pipeline (hedges of a base asset, or one
portfolio of all lines). Modules: ``risk`` (covariance estimates), ``objectives``,
``constraints``, ``problem`` (the compiled problem and its solver chain),
``allocator``, ``plan`` (pipeline groups) and ``exposure`` (net exposure per asset).
"""

from aisfolio.portfolio.allocation.allocator import Allocator, Fit
from aisfolio.portfolio.allocation.exposure import net_exposure
from aisfolio.portfolio.allocation.objectives import OBJECTIVES, cvar, risk_contributions
from aisfolio.portfolio.allocation.plan import SCOPES, Allocation
from aisfolio.portfolio.allocation.problem import SOLVER_CHAINS
from aisfolio.portfolio.allocation.risk import ESTIMATORS, RiskFactors, RiskModel

__all__ = [
    "ESTIMATORS",
    "OBJECTIVES",
    "SCOPES",
    "SOLVER_CHAINS",
    "Allocation",
    "Allocator",
    "Fit",
    "RiskFactors",
    "RiskModel",
    "cvar",
    "net_exposure",
    "risk_contributions",
]
