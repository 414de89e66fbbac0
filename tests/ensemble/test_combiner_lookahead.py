"""Every online combiner under the no-look-ahead contract, on us_markets AIS lines."""

from __future__ import annotations

import pandas as pd
import pytest

from ensemble import (
    AcceleratedUniversalCombiner,
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
    UniversalCombiner,
)
from portfolio import Pipeline
from portfolio.rebalance import rebalance_streams, union_equity
from tests.lookahead import assert_no_lookahead

CUTS = ["2004-06-15", "2005-03-01", "2006-10-02"]
COMBINERS = {
    "universal": lambda: UniversalCombiner(max_nodes=1024),
    "universal_sampled": lambda: UniversalCombiner(samples=512),
    "accelerated": lambda: AcceleratedUniversalCombiner(samples=512),
    "equal_weight": EqualWeightCombiner,
    "buy_and_hold": BuyAndHoldCombiner,
    "follow_the_best": FollowTheBestCombiner,
    "exponentiated_gradient": ExponentiatedGradientCombiner,
}
#: Combiners also run through rebalance_streams (every bar, with costs).
REBALANCED = ("universal", "accelerated")


def _streams(prices: pd.DataFrame) -> pd.DataFrame:
    """Equity lines of the 9 AIS (3 assets x buy-and-hold, momentum, contrarian)."""
    result = Pipeline.from_config(["ensemble=none", "backtest.start=2004-01-02"]).run(prices)
    return union_equity({n: line.equity for n, line in result.lines.items()}).fillna(1.0)


def _combined(prices: pd.DataFrame) -> pd.DataFrame:
    """Each combiner's decisions (stamped by decision date) per asset and across assets,
    and the rebalanced wealth and held weights of the default and accelerated ones."""
    equity = _streams(prices)
    returns = equity.pct_change().fillna(0.0)
    sp500 = [c for c in equity.columns if c.startswith("SP500/")]
    frames = {}
    for name, make in COMBINERS.items():
        for scope, columns in (("SP500", sp500), ("all", list(equity.columns))):
            decided = make().update_many(returns[columns])
            frames[f"{name}/{scope}/decided"] = pd.DataFrame(
                decided, index=equity.index, columns=columns
            )
        if name in REBALANCED:
            portfolio = rebalance_streams(equity[sp500], make(), "every_bar", cost_rate=0.0005)
            frames[f"{name}/SP500/held"] = portfolio.weights
            frames[f"{name}/SP500/wealth"] = portfolio.equity.to_frame("equity")
    return pd.concat(frames, axis=1)


@pytest.mark.parametrize("cut", CUTS)
def test_no_combiner_output_stamped_before_a_change_depends_on_it(cut, us_markets_short):
    assert_no_lookahead(_combined, us_markets_short, pd.Timestamp(cut))


def test_the_check_catches_a_combiner_that_peeks(us_markets_short):
    def peeking(prices: pd.DataFrame) -> pd.DataFrame:
        returns = _streams(prices).pct_change().fillna(0.0)
        decided = UniversalCombiner(samples=64).update_many(returns)
        # Weights decided after tomorrow's returns, stamped today.
        return pd.DataFrame(decided, index=returns.index).shift(-1).fillna(0.0)

    with pytest.raises(AssertionError):
        assert_no_lookahead(peeking, us_markets_short, pd.Timestamp(CUTS[1]))
