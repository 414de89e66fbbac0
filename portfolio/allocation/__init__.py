"""Convex allocation of return streams (cvxpy, compiled once, re-solved per rebalance).

:class:`Allocator` gives target weights at a date from the streams' past returns under
budget, bounds, group, turnover, cost and hedging constraints; it works on any
DataFrame of returns and as a target of :func:`portfolio.rebalance_streams`.
:class:`Allocation` places allocators in the pipeline (hedges of a base asset, or one
portfolio of all lines). Modules: ``risk`` (covariance estimates), ``objectives``,
``constraints``, ``problem`` (the compiled problem and its solver chain), ``settings``
(an allocator's checked settings), ``estimator`` (one decision from rows of returns),
``allocator`` (the rolling use: drift and the decisions so far), ``plan`` (pipeline
groups) and ``exposure`` (net exposure per asset).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "allocator": ["Allocator"],
        "estimator": ["AllocationEstimator", "Fit"],
        "settings": ["AllocatorSettings"],
        "exposure": ["decided_exposure", "net_exposure"],
        "objectives": ["OBJECTIVES"],
        "plan": ["SCOPES", "Allocation"],
        "problem": ["SOLVER_CHAINS"],
        "risk": ["ESTIMATORS", "RiskFactors", "RiskModel"],
    },
)
