"""Return streams for the allocation tests: real index returns and small synthetic sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def index_returns(us_markets: pd.DataFrame) -> pd.DataFrame:
    """Daily returns of S&P 500, NASDAQ and WTI on the days all three traded (2010-2012)."""
    prices = us_markets.loc["2010-01-01":"2012-12-31"].dropna()
    return prices.pct_change().dropna()


def synthetic(n: int, rows: int = 250, seed: int = 0, drift: float = 0.0) -> pd.DataFrame:
    """Correlated returns with a common factor, on business days from 2020."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(0.0, 0.01, rows)
    loadings = rng.uniform(0.2, 1.2, n)
    noise = rng.normal(0.0, 1.0, (rows, n)) * rng.uniform(0.005, 0.02, n)
    values = drift + factor[:, None] * loadings + noise
    return pd.DataFrame(
        values,
        index=pd.bdate_range("2020-01-01", periods=rows),
        columns=[f"s{i}" for i in range(n)],
    )
