"""An allocator's settings, checked once: what to optimize, with which risk model and
under which constraints (see :class:`aisfolio.portfolio.allocation.Allocator` for each)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aisfolio.portfolio.allocation.constraints import BoundConstraints
from aisfolio.portfolio.allocation.objectives import OBJECTIVES
from aisfolio.portfolio.allocation.problem import solver_chain
from aisfolio.portfolio.allocation.risk import RiskModel
from aisfolio.portfolio.errors import ConfigError

__all__ = ["AllocatorSettings"]


@dataclass(frozen=True)
class AllocatorSettings:
    """The settings of an :class:`~aisfolio.portfolio.allocation.Allocator`.

    Raises
    ------
    ConfigError
        A setting out of range or settings that cannot hold together, under the key of
        the allocator's parameter.
    """

    objective: str = "min_variance"
    risk: str = "ledoit_wolf"
    lookback: int = 252
    min_observations: int = 20
    halflife: float = 63.0
    risk_aversion: float = 1.0
    cvar_level: float = 0.95
    risk_budgets: Mapping[str, float] | None = None
    benchmark: str | None = None
    solvers: tuple[str, ...] | None = None
    constraints: BoundConstraints = dataclasses.field(default_factory=BoundConstraints)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ConfigError(
                f"unknown objective '{self.objective}'; choose one of {', '.join(OBJECTIVES)}",
                key="objective",
            )
        try:
            RiskModel(self.risk, self.halflife)
        except ValueError as error:
            raise ConfigError(str(error), key="risk") from None
        lookback = self.lookback
        if not (isinstance(lookback, int) and lookback >= 2):
            raise ConfigError(f"must be an integer >= 2, got {lookback!r}", key="lookback")
        if not 2 <= self.min_observations <= lookback:
            raise ConfigError(
                f"must be within [2, lookback = {lookback}], got {self.min_observations}",
                key="min_observations",
            )
        if not 0 < self.cvar_level < 1:
            raise ConfigError(f"must be within (0, 1), got {self.cvar_level}", key="cvar_level")
        if not self.risk_aversion > 0:
            raise ConfigError(f"must be > 0, got {self.risk_aversion}", key="risk_aversion")
        spec = OBJECTIVES[self.objective]
        c = self.constraints
        if spec.homogeneous:
            clashes = []
            if c.budget != 1.0:
                clashes.append(f"budget = {c.budget} (must be 1)")
            if c.lower < 0:
                clashes.append(f"lower = {c.lower} (must be >= 0)")
            if c.leverage is not None:
                clashes.append("leverage (must be null)")
            if c.cost_rate > 0:
                clashes.append("cost_rate (must be 0; use a turnover limit)")
            if clashes:
                raise ConfigError(
                    f"{self.objective} is long-only and fully invested; it clashes with "
                    + ", ".join(clashes),
                    key="objective",
                )
        if self.objective == "risk_budgeting" and not self.risk_budgets:
            raise ConfigError("risk_budgeting needs risk budgets", key="risk_budgets")
        if self.objective == "min_tracking_error" and self.benchmark is None:
            raise ConfigError("min_tracking_error needs a benchmark stream", key="benchmark")
        try:
            solver_chain(spec.cone, list(self.solvers) if self.solvers is not None else None)
        except ValueError as error:
            raise ConfigError(str(error), key="solvers") from None

    @property
    def risk_model(self) -> RiskModel:
        """The covariance estimator."""
        return RiskModel(self.risk, self.halflife)

    def with_patterns(self, fill: Callable[[str], str]) -> AllocatorSettings:
        """These settings with ``fill`` applied to every stream pattern (hedge target and
        streams, bounds, group members, benchmark): a hedge's ``{base}``/``{partner}``."""
        c = self.constraints
        constraints = dataclasses.replace(
            c,
            hedge_target=fill(c.hedge_target) if c.hedge_target is not None else None,
            hedge_streams=tuple(fill(p) for p in c.hedge_streams),
            bounds={fill(k): v for k, v in c.bounds.items()},
            groups={
                k: {**v, "members": [fill(m) for m in _patterns(v["members"])]}
                for k, v in c.groups.items()
            },
        )
        benchmark = fill(self.benchmark) if self.benchmark is not None else None
        return dataclasses.replace(self, constraints=constraints, benchmark=benchmark)


def _patterns(members: object) -> list[str]:
    return [members] if isinstance(members, str) else list(members)  # type: ignore[call-overload]
