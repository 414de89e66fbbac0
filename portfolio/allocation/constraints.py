"""Constraints of an allocation: their settings, the static feasibility checks, and
their cvxpy form.

Streams are addressed by name patterns (``fnmatch``: ``"SP500/*"`` is every line of the
S&P 500, ``"*/momentum"`` every momentum AIS), so one setting serves any set of columns.
Constraints are written on ``x`` with a scale ``s``: ``x = w`` and ``s = 1`` for the
direct objectives; ``x = y``, ``s = sum(y)`` and ``w = y / s`` for the homogenized ones
(maximum Sharpe ratio, maximum diversification, risk budgeting), where every linear
constraint on ``w`` becomes the same constraint on ``y`` scaled by ``s``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from aisfolio.portfolio.errors import ConfigError

__all__ = ["BoundConstraints", "ResolvedConstraints", "match_streams"]

#: Bound on ``sum |w - w0|`` that no portfolio reaches: the turnover limit when it is off.
UNLIMITED = 1e6


def match_streams(names: Sequence[str], patterns: str | Sequence[str]) -> np.ndarray:
    """Positions of the names matching any of the ``fnmatch`` patterns, in name order."""
    if isinstance(patterns, str):
        patterns = [patterns]
    hits = [
        i for i, name in enumerate(names) if any(fnmatch.fnmatchcase(name, p) for p in patterns)
    ]
    return np.array(hits, dtype=int)


@dataclass(frozen=True)
class GroupBound:
    """Bounds on the total weight of the streams matching ``members``."""

    name: str
    members: tuple[str, ...]
    lower: float
    upper: float


@dataclass(frozen=True)
class BoundConstraints:
    """Constraint settings, independent of the streams (see :class:`Allocator`)."""

    budget: float | None = 1.0
    leverage: float | None = None
    lower: float = 0.0
    upper: float = 1.0
    bounds: Mapping[str, Sequence[float]] = field(default_factory=dict)
    groups: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    turnover: float | None = None
    cost_rate: float = 0.0
    hedge_target: str | None = None
    beta_lower: float | None = None
    beta_upper: float | None = None
    hedge_streams: Sequence[str] = ()
    min_hedge_weight: float = 0.0

    def __post_init__(self) -> None:
        def bad(key: str, problem: str) -> ConfigError:
            return ConfigError(problem, key=f"{key}")

        if self.lower > self.upper:
            raise bad("lower", f"lower bound {self.lower} is above upper {self.upper}")
        if self.leverage is not None:
            if not self.leverage > 0:
                raise bad("leverage", f"must be > 0, got {self.leverage}")
            if self.budget is not None and abs(self.budget) > self.leverage + 1e-12:
                raise bad(
                    "leverage",
                    f"leverage {self.leverage} is below |budget| = {abs(self.budget)}",
                )
        if self.turnover is not None and not self.turnover >= 0:
            raise bad("turnover", f"must be >= 0, got {self.turnover}")
        if not self.cost_rate >= 0:
            raise bad("cost_rate", f"must be >= 0, got {self.cost_rate}")
        for pattern, pair in self.bounds.items():
            if len(pair) != 2 or pair[0] > pair[1]:
                raise bad(
                    f"bounds.{pattern}", f"needs [lower, upper] with lower <= upper, got {pair}"
                )
        for name, spec in self.groups.items():
            unknown = set(spec) - {"members", "lower", "upper"}
            if unknown or "members" not in spec:
                raise bad(
                    f"groups.{name}",
                    f"needs members (patterns) and optional lower/upper, got keys {sorted(spec)}",
                )
            if float(spec.get("lower", -np.inf)) > float(spec.get("upper", np.inf)):  # type: ignore[arg-type]
                raise bad(f"groups.{name}", "lower is above upper")
        beta_set = self.beta_lower is not None or self.beta_upper is not None
        if beta_set and self.hedge_target is None:
            raise bad("hedge_target", "beta bounds need a hedge target (a stream name or pattern)")
        if (
            self.beta_lower is not None
            and self.beta_upper is not None
            and self.beta_lower > self.beta_upper
        ):
            raise bad("beta_lower", f"{self.beta_lower} is above beta_upper {self.beta_upper}")
        if self.min_hedge_weight > 0 and not self.hedge_streams:
            raise bad("hedge_streams", "min_hedge_weight > 0 needs hedge streams (patterns)")

    def beta_clash(self, resolved: ResolvedConstraints, beta: np.ndarray) -> str:
        """Why the beta bounds are out of reach of the weight bounds and the budget at
        these betas (empty when they are not, or when the check does not apply)."""
        if self.budget is None or self.leverage is not None:
            return ""
        lowest = _extreme_beta(beta, resolved.lower, resolved.upper, self.budget, ascending=True)
        highest = _extreme_beta(beta, resolved.lower, resolved.upper, self.budget, ascending=False)
        if self.beta_upper is not None and lowest > self.beta_upper + 1e-9:
            return (
                f"beta_upper {self.beta_upper} is below the lowest beta reachable "
                f"within lower/upper/bounds and budget ({lowest:.4g})"
            )
        if self.beta_lower is not None and highest < self.beta_lower - 1e-9:
            return (
                f"beta_lower {self.beta_lower} is above the highest beta reachable "
                f"within lower/upper/bounds and budget ({highest:.4g})"
            )
        return ""

    def neutral_beta(self) -> float:
        """A common beta for every stream that meets the beta bounds whatever the weights
        (used before any history exists, when betas are unknown)."""
        lo = self.beta_lower if self.beta_lower is not None else -np.inf
        hi = self.beta_upper if self.beta_upper is not None else np.inf
        budget = self.budget if self.budget else 1.0
        point = min(max(1.0, lo), hi)
        return point / budget

    def group_bounds(self) -> list[GroupBound]:
        """The group settings as :class:`GroupBound` objects."""
        out = []
        for name, spec in self.groups.items():
            members = spec["members"]
            patterns = (members,) if isinstance(members, str) else tuple(members)  # type: ignore[arg-type]
            out.append(
                GroupBound(
                    name,
                    patterns,
                    float(spec.get("lower", -np.inf)),  # type: ignore[arg-type]
                    float(spec.get("upper", np.inf)),  # type: ignore[arg-type]
                )
            )
        return out

    def resolve(self, names: Sequence[str]) -> ResolvedConstraints:
        """Bind the settings to streams and check that they can hold together.

        Parameters
        ----------
        names : sequence of str
            The streams (columns), in order.

        Returns
        -------
        ResolvedConstraints

        Raises
        ------
        ConfigError
            Naming the settings that clash (``allocator.<name>``).
        """
        names = [str(n) for n in names]
        n = len(names)
        lower = np.full(n, float(self.lower))
        upper = np.full(n, float(self.upper))
        for pattern, (lo, hi) in self.bounds.items():
            hits = match_streams(names, pattern)
            if hits.size == 0:
                raise ConfigError(
                    f"pattern '{pattern}' matches no stream; streams are {names}",
                    key=f"bounds.{pattern}",
                )
            lower[hits], upper[hits] = float(lo), float(hi)
        groups = []
        for group in self.group_bounds():
            hits = match_streams(names, group.members)
            key = f"groups.{group.name}"
            if hits.size == 0:
                raise ConfigError(f"members {list(group.members)} match no stream", key=key)
            if group.lower > upper[hits].sum() + 1e-12:
                raise ConfigError(
                    f"lower {group.lower} exceeds the sum of its members' upper bounds "
                    f"({upper[hits].sum():g}, upper/bounds)",
                    key=key,
                )
            if group.upper < lower[hits].sum() - 1e-12:
                raise ConfigError(
                    f"upper {group.upper} is below the sum of its members' lower bounds "
                    f"({lower[hits].sum():g}, lower/bounds)",
                    key=key,
                )
            groups.append((group.name, hits, group.lower, group.upper))
        if self.budget is not None:
            if lower.sum() > self.budget + 1e-12 or upper.sum() < self.budget - 1e-12:
                raise ConfigError(
                    f"budget {self.budget} is outside [sum of lower, sum of upper] bounds = "
                    f"[{lower.sum():g}, {upper.sum():g}] (lower/upper/bounds)",
                    key="budget",
                )
        if self.leverage is not None:
            least = np.where((lower <= 0) & (upper >= 0), 0.0, np.minimum(abs(lower), abs(upper)))
            if least.sum() > self.leverage + 1e-12:
                raise ConfigError(
                    f"leverage {self.leverage} is below the least gross exposure the bounds "
                    f"allow ({least.sum():g}, lower/upper/bounds)",
                    key="leverage",
                )
        target = None
        if self.hedge_target is not None:
            hits = match_streams(names, self.hedge_target)
            if hits.size != 1:
                raise ConfigError(
                    f"'{self.hedge_target}' must match exactly one stream, matches "
                    f"{[names[i] for i in hits]}; streams are {names}",
                    key="hedge_target",
                )
            target = int(hits[0])
        hedge = match_streams(names, self.hedge_streams) if self.hedge_streams else None
        if self.min_hedge_weight > 0:
            assert hedge is not None
            if hedge.size == 0:
                raise ConfigError(
                    f"patterns {list(self.hedge_streams)} match no stream; streams are {names}",
                    key="hedge_streams",
                )
            if upper[hedge].sum() < self.min_hedge_weight - 1e-12:
                raise ConfigError(
                    f"min_hedge_weight {self.min_hedge_weight} exceeds the hedge streams' "
                    f"upper bounds ({upper[hedge].sum():g}, upper/bounds)",
                    key="min_hedge_weight",
                )
            if self.budget is not None:
                others = np.setdiff1d(np.arange(n), hedge)
                if self.min_hedge_weight + lower[others].sum() > self.budget + 1e-12:
                    raise ConfigError(
                        f"min_hedge_weight {self.min_hedge_weight} plus the other streams' "
                        f"lower bounds exceeds budget {self.budget}",
                        key="min_hedge_weight",
                    )
        return ResolvedConstraints(self, names, lower, upper, groups, target, hedge)


@dataclass(frozen=True)
class ResolvedConstraints:
    """Constraints bound to streams: bounds per stream, groups as positions."""

    settings: BoundConstraints
    names: list[str]
    lower: np.ndarray
    upper: np.ndarray
    groups: list[tuple[str, np.ndarray, float, float]]
    target: int | None
    hedge: np.ndarray | None

    def cvxpy(
        self,
        x: cp.Variable,
        s: cp.Expression | float,
        trades: cp.Variable | None,
        turnover: cp.Parameter,
        beta: cp.Parameter | None,
        homogeneous: bool,
    ) -> list[cp.Constraint]:
        """The constraints on ``x`` scaled by ``s`` (see the module docstring)."""
        c = self.settings
        out: list[cp.Constraint] = []
        if not homogeneous and c.budget is not None:
            out.append(cp.sum(x) == c.budget)
        if c.leverage is not None:
            out.append(cp.norm1(x) <= c.leverage * s)
        finite_lo = np.isfinite(self.lower)
        finite_hi = np.isfinite(self.upper)
        if finite_lo.any():
            out.append(x[finite_lo] >= self.lower[finite_lo] * s)
        if finite_hi.any():
            out.append(x[finite_hi] <= self.upper[finite_hi] * s)
        for _, hits, lo, hi in self.groups:
            total = cp.sum(x[hits])
            if np.isfinite(lo):
                out.append(total >= lo * s)
            if np.isfinite(hi):
                out.append(total <= hi * s)
        if c.turnover is not None:
            assert trades is not None  # trades >= |x - current * s|
            out.append(cp.sum(trades) <= turnover * s)
        if beta is not None:
            if c.beta_lower is not None:
                out.append(beta @ x >= c.beta_lower * s)
            if c.beta_upper is not None:
                out.append(beta @ x <= c.beta_upper * s)
        if self.hedge is not None and c.min_hedge_weight > 0:
            out.append(cp.sum(x[self.hedge]) >= c.min_hedge_weight * s)
        return out

    def violation(
        self, w: np.ndarray, current: np.ndarray | None, beta: np.ndarray | None
    ) -> float:
        """Largest violation of any constraint by weights ``w`` (0 when all hold)."""
        c = self.settings
        worst = [0.0]
        if c.budget is not None:
            worst.append(abs(w.sum() - c.budget))
        if c.leverage is not None:
            worst.append(np.abs(w).sum() - c.leverage)
        worst.append(float(np.max(self.lower - w, initial=0.0)))
        worst.append(float(np.max(w - self.upper, initial=0.0)))
        for _, hits, lo, hi in self.groups:
            worst += [lo - w[hits].sum(), w[hits].sum() - hi]
        if c.turnover is not None and current is not None:
            worst.append(np.abs(w - current).sum() - c.turnover)
        if beta is not None:
            if c.beta_lower is not None:
                worst.append(c.beta_lower - beta @ w)
            if c.beta_upper is not None:
                worst.append(beta @ w - c.beta_upper)
        if self.hedge is not None and c.min_hedge_weight > 0:
            worst.append(c.min_hedge_weight - w[self.hedge].sum())
        return float(max(worst))


def _extreme_beta(
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
