"""The one rule every cost rate obeys."""

from __future__ import annotations

from aisfolio.portfolio.errors import ConfigError

__all__ = ["MAX_COST_RATE", "check_cost_rate"]

#: Cost rates must stay below this: a reversal (a position change of 2) at a rate of 0.5
#: costs the whole equity, and every metric after it is meaningless.
MAX_COST_RATE = 0.5


def check_cost_rate(rate: float, key: str) -> None:
    """Refuse a cost rate outside ``[0, MAX_COST_RATE)``, naming its config ``key``.

    Raises
    ------
    ConfigError
    """
    if not 0 <= rate < MAX_COST_RATE:
        raise ConfigError(
            f"must be >= 0 and below {MAX_COST_RATE} (a fraction of the notional traded: "
            f"0.0005 is 0.05%; at {MAX_COST_RATE} a reversal costs the whole equity), "
            f"got {rate}",
            key=key,
        )
