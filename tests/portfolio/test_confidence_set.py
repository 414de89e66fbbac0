"""The range-statistic model confidence set against arch's implementation of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import MCS
from hypothesis import given, settings
from hypothesis import strategies as st

from aisfolio.portfolio.confidence_set import range_statistic_pvalues
from aisfolio.portfolio.significance import model_confidence_set


def _arch_pvalues(losses: np.ndarray, *, reps: int, block_size: int, seed: int) -> np.ndarray:
    mcs = MCS(losses, size=0.1, reps=reps, block_size=block_size, method="R", seed=seed)
    mcs.compute()
    return mcs.pvalues.sort_index().iloc[:, 0].to_numpy()


@settings(max_examples=40, deadline=None)
@given(
    periods=st.integers(30, 300),
    candidates=st.integers(2, 14),
    spread=st.sampled_from([0.0, 1e-4, 1e-3, 1e-2]),
    correlation=st.floats(0.0, 0.999),
    reps=st.integers(10, 80),
    block_size=st.integers(1, 8),
    seed=st.integers(0, 2**31 - 1),
)
def test_pvalues_equal_arch(periods, candidates, spread, correlation, reps, block_size, seed):
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((periods, 1))
    own = rng.standard_normal((periods, candidates))
    losses = 0.01 * (np.sqrt(correlation) * common + np.sqrt(1 - correlation) * own)
    losses += rng.normal(0.0, spread, candidates)
    ours = range_statistic_pvalues(losses, reps=reps, block_size=block_size, seed=seed)
    expected = _arch_pvalues(losses, reps=reps, block_size=block_size, seed=seed)
    np.testing.assert_array_equal(ours, expected)


def test_pvalues_equal_arch_on_real_returns_of_many_lines(sp500):
    """Eighty lines made from the S&P 500 (scaled, shifted and lagged copies): the set, the
    order of elimination and every p-value as arch's."""
    returns = sp500.pct_change().dropna().iloc[-1200:].to_numpy()
    rng = np.random.default_rng(7)
    lines = [
        rng.uniform(-1.0, 1.5) * np.roll(returns, rng.integers(0, 5))
        + rng.normal(0, 2e-4)
        + rng.normal(0, 1e-3, len(returns))
        for _ in range(80)
    ]
    losses = -np.column_stack(lines)
    ours = range_statistic_pvalues(losses, reps=100, block_size=6, seed=11)
    np.testing.assert_array_equal(ours, _arch_pvalues(losses, reps=100, block_size=6, seed=11))
    assert 0 < (ours > 0.1).sum() < 80
    assert ours.max() == 1.0


def test_a_clearly_best_candidate_alone_has_pvalue_one_and_the_rest_small():
    rng = np.random.default_rng(0)
    losses = rng.normal(0.0, 0.01, (2000, 5))
    losses[:, 3] -= 0.01
    pvalues = range_statistic_pvalues(losses, reps=200, block_size=3, seed=0)
    assert pvalues[3] == 1.0
    assert (np.delete(pvalues, 3) < 0.01).all()


def test_fewer_than_two_candidates_are_refused():
    with pytest.raises(ValueError, match="at least two candidates"):
        range_statistic_pvalues(np.zeros((50, 1)), reps=10, block_size=2, seed=0)


def test_model_confidence_set_uses_it_for_the_range_statistic(sp500):
    returns = sp500.pct_change().dropna().iloc[-800:]
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {f"line {i}": returns + rng.normal(1e-4 * i, 2e-3, len(returns)) for i in range(6)}
    )
    table = model_confidence_set(frame, reps=150, block_size=4, seed=9)
    expected = _arch_pvalues(-frame.to_numpy(), reps=150, block_size=4, seed=9)
    np.testing.assert_array_equal(table["pvalue"].to_numpy(), expected)
    assert (table["included"] == (table["pvalue"] > 0.10)).all()


def test_a_candidate_worse_by_the_same_amount_every_period_is_out_for_certain():
    """A pair whose bootstrap standard deviation is exactly 0 (losses in 1/1024ths: every
    sum is exact) gives an infinite statistic, not a division error."""
    rng = np.random.default_rng(0)
    base, other = rng.integers(-8, 8, (2, 512)) / 1024
    losses = np.column_stack([base, base + 1 / 1024, other])
    pvalues = range_statistic_pvalues(losses, reps=50, block_size=3, seed=0)
    assert pvalues[1] == 0.0  # always worse than the first
    assert pvalues.max() == 1.0 and np.isfinite(pvalues).all()
