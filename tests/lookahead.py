"""The no-look-ahead contract, written once.

A computation takes prices (dates x assets) and returns values stamped by date. The
contract: change any price after ``t`` (or drop the prices after ``t``) and nothing
stamped ``<= t`` may change. Every generator, ensemble and allocator is registered in
:data:`REGISTRY` (see ``tests/test_no_lookahead.py``) and checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Computation = Callable[[pd.DataFrame], pd.DataFrame]

#: Name -> computation checked by the harness.
REGISTRY: dict[str, Computation] = {}


def register(name: str) -> Callable[[Computation], Computation]:
    """Add a computation to the harness under ``name``."""

    def decorate(compute: Computation) -> Computation:
        if name in REGISTRY:
            raise ValueError(f"'{name}' is registered twice")
        REGISTRY[name] = compute
        return compute

    return decorate


def perturb_after(prices: pd.DataFrame, cut: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Prices after ``cut`` multiplied by random positive factors (missing stays missing)."""
    rng = np.random.default_rng(seed)
    changed = prices.copy()
    later = changed.index > cut
    noise = np.exp(rng.normal(0.0, 0.05, size=(int(later.sum()), prices.shape[1])))
    changed.loc[later] = changed.loc[later].to_numpy() * noise
    return changed


def assert_no_lookahead(
    compute: Computation, prices: pd.DataFrame, cut: pd.Timestamp, seed: int = 0
) -> None:
    """Fail if anything stamped ``<= cut`` depends on prices after ``cut``."""
    base = compute(prices).loc[:cut]
    assert not base.empty, "nothing stamped before the cut: the check would be empty"
    perturbed = compute(perturb_after(prices, cut, seed)).loc[:cut]
    pd.testing.assert_frame_equal(base, perturbed, check_exact=True)
    truncated = compute(prices.loc[:cut]).loc[:cut]
    pd.testing.assert_frame_equal(base, truncated.reindex_like(base), check_exact=True)
