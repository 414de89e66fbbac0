"""Every online combiner under the no-look-ahead contract, on us_markets AIS lines."""

from __future__ import annotations

import pandas as pd
import pytest

from aisfolio.app.composition import pipeline_from_config
from aisfolio.ensemble import (
    AcceleratedUniversalCombiner,
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
    UniversalCombiner,
)
from aisfolio.portfolio.rebalance import rebalance_streams, union_equity
from tests.lookahead import assert_no_lookahead

CUTS = ["2004-06-15", "2005-03-01", "2006-10-02"]
COMBINERS = {
    "universal": lambda: UniversalCombiner(samples=512),
    "accelerated": lambda: AcceleratedUniversalCombiner(samples=512),
    "equal_weight": EqualWeightCombiner,
    "buy_and_hold": BuyAndHoldCombiner,
    "follow_the_best": FollowTheBestCombiner,
    "exponentiated_gradient": ExponentiatedGradientCombiner,
}


def _streams(prices: pd.DataFrame) -> pd.DataFrame:
    """Equity lines of the 9 AIS (3 assets x buy-and-hold, momentum, contrarian)."""
    result = pipeline_from_config(["ensemble=none", "backtest.start=2004-01-02"]).run(prices)
    return union_equity({n: line.equity for n, line in result.lines.items()}).fillna(1.0)


def _combined(prices: pd.DataFrame) -> pd.DataFrame:
    """Each combiner's decisions over the 9 AIS (stamped by decision date, one period per
    call as a live run feeds it), and the default combiner's wealth and held weights over
    the S&P 500 lines (3 components: the exact rule) through ``rebalance_streams``."""
    equity = _streams(prices)
    returns = equity.pct_change().fillna(0.0).to_numpy()
    frames = {}
    for name, make in COMBINERS.items():
        combiner = make()
        decided = [combiner.update(row).weights for row in returns]
        frames[f"{name}/decided"] = pd.DataFrame(
            decided, index=equity.index, columns=equity.columns
        )
    sp500 = [c for c in equity.columns if c.startswith("SP500/")]
    exact = UniversalCombiner(max_nodes=4096)  # grows its rule to period 126, then fixed
    portfolio = rebalance_streams(equity[sp500], exact, "every_bar", cost_rate=0.0005)
    frames["universal/SP500/held"] = portfolio.weights
    frames["universal/SP500/wealth"] = portfolio.equity.to_frame("equity")
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
