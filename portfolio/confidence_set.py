"""Hansen, Lunde and Nason's model confidence set with the range statistic, for hundreds
or thousands of candidates.

``arch.bootstrap.MCS(method="R")`` holds the bootstrapped difference of every pair of
candidates in every replication (replications x candidates x candidates floats: 2.6 GB
for 800 candidates and 500 replications, several copies of it alive at once) and takes
the maximum over the remaining pairs again at each of the candidates' elimination steps,
so its time grows with the cube of the candidates times the replications. The same
numbers need much less:

- a replication's mean losses are its resampling counts times the losses (one matrix
  product for all replications); the pairwise variances are sums over replications of
  squared differences of two columns, computed pair by pair;
- the elimination order depends only on the observed standardized differences (fixed
  per pair), so it is found first, with each remaining row's maximum kept up to date;
- the bootstrap statistic of each step is the maximum over the pairs of the remaining
  set; walking the elimination order backwards, the set grows by one candidate at a
  time and the maximum is updated with that candidate's pairs only.

Time: replications x candidates^2 (plus the elimination order, about candidates^2);
memory: replications x candidates plus two candidates x candidates arrays. The bootstrap
indices are arch's (same stationary bootstrap, same seed), and the p-values equal arch's
(tests/portfolio/test_confidence_set.py). One difference: when two different pairs tie
exactly for the largest statistic, arch removes both rows of the first pair; this module
removes the first pair's worse candidate only, as the procedure states. And two
candidates whose losses differ by the same amount on every period (a bootstrap standard
deviation of exactly 0) are told apart for certain: the worse is eliminated with an
infinite statistic and p-value 0, where arch's comparison with NaN fails.
"""

from __future__ import annotations

import numba
import numpy as np
from arch.bootstrap import StationaryBootstrap

__all__ = ["range_statistic_pvalues"]


def range_statistic_pvalues(
    losses: np.ndarray, *, reps: int, block_size: int, seed: int
) -> np.ndarray:
    """MCS p-values of every candidate with the range statistic ``T_R``.

    Parameters
    ----------
    losses : ndarray, shape (periods, candidates)
        Losses of the candidates (at least two), no missing values.
    reps : int
        Bootstrap replications.
    block_size : int
        Mean block length of the stationary bootstrap.
    seed : int
        Seed of the bootstrap (arch's ``StationaryBootstrap(..., seed=seed)``).

    Returns
    -------
    ndarray, shape (candidates,)
        The MCS p-value of each candidate (the running maximum of the elimination steps'
        p-values; 1 for the last candidate left). A candidate is in the set of level
        ``size`` when its p-value is above ``size``.
    """
    values = np.ascontiguousarray(losses, dtype=float)
    periods, candidates = values.shape
    if candidates < 2:
        raise ValueError(f"need at least two candidates, got {candidates}")
    counts = _resampling_counts(periods, reps=reps, block_size=block_size, seed=seed)
    means = values.mean(axis=0)
    # Deviations of each replication's mean losses from the sample's: candidates x reps.
    deviations = np.ascontiguousarray((counts @ values / periods - means).T)
    scale = _pair_scales(deviations)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero scale: certain, infinite
        standardized = (means[:, None] - means[None, :]) / scale
    order, statistics = _elimination_order(standardized)
    exceed = _bootstrap_exceedances(deviations, scale, order, statistics)
    steps = np.maximum.accumulate(exceed / reps)
    pvalues = np.ones(candidates)
    pvalues[order[:-1]] = steps
    return pvalues


def _resampling_counts(periods: int, *, reps: int, block_size: int, seed: int) -> np.ndarray:
    """How often each period is drawn in each replication (reps x periods), from the
    indices arch's MCS draws with the same seed."""
    bootstrap = StationaryBootstrap(block_size, np.arange(periods), seed=seed)
    counts = np.empty((reps, periods))
    for rep, (data, _) in enumerate(bootstrap.bootstrap(reps)):
        counts[rep] = np.bincount(data[0], minlength=periods)
    return counts


@numba.njit(cache=True, error_model="numpy")
def _pair_scales(deviations: np.ndarray) -> np.ndarray:
    """Bootstrap standard deviation of each pair's mean-loss difference (arch's
    definition: the root mean square of the recentred differences; 1 on the diagonal)."""
    candidates, reps = deviations.shape
    scale = np.ones((candidates, candidates))
    for i in range(candidates):
        for j in range(i + 1, candidates):
            total = 0.0
            for rep in range(reps):
                difference = deviations[i, rep] - deviations[j, rep]
                total += difference * difference
            scale[i, j] = scale[j, i] = np.sqrt(total / reps)
    return scale


@numba.njit(cache=True, error_model="numpy")
def _elimination_order(standardized: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidates in the order the procedure eliminates them (the last one stays), and
    the observed statistic of each elimination step.

    At each step the statistic is the largest standardized difference ``(L_i - L_j) /
    s_ij`` over the remaining pairs (the diagonal, 0, included), and the candidate
    eliminated is the ``i`` of the first such pair in row-major order.
    """
    candidates = standardized.shape[0]
    remaining = np.ones(candidates, dtype=np.bool_)
    row_max = np.empty(candidates)
    row_arg = np.empty(candidates, dtype=np.int64)
    for i in range(candidates):
        row_max[i] = standardized[i, 0]
        row_arg[i] = 0
        for j in range(1, candidates):
            if standardized[i, j] > row_max[i]:
                row_max[i] = standardized[i, j]
                row_arg[i] = j
    order = np.empty(candidates, dtype=np.int64)
    statistics = np.empty(candidates - 1)
    for step in range(candidates - 1):
        worst = -1
        for i in range(candidates):
            if remaining[i] and (worst < 0 or row_max[i] > row_max[worst]):
                worst = i
        order[step] = worst
        statistics[step] = row_max[worst]
        remaining[worst] = False
        for i in range(candidates):
            if remaining[i] and row_arg[i] == worst:
                row_max[i] = -np.inf
                for j in range(candidates):
                    if remaining[j] and standardized[i, j] > row_max[i]:
                        row_max[i] = standardized[i, j]
                        row_arg[i] = j
    for i in range(candidates):
        if remaining[i]:
            order[candidates - 1] = i
    return order, statistics


@numba.njit(cache=True, error_model="numpy")
def _bootstrap_exceedances(
    deviations: np.ndarray, scale: np.ndarray, order: np.ndarray, statistics: np.ndarray
) -> np.ndarray:
    """For each elimination step, how many replications' range statistic over the set
    remaining at that step exceeds the observed one.

    Walks the steps backwards: the set of step ``k`` is that of step ``k + 1`` plus the
    candidate eliminated at step ``k``, so each replication's maximum grows by that
    candidate's pairs with the set.
    """
    candidates, reps = deviations.shape
    largest = np.zeros(reps)  # one candidate left: only the diagonal, 0
    exceed = np.empty(candidates - 1)
    for step in range(candidates - 2, -1, -1):
        added = order[step]
        for position in range(step + 1, candidates):
            other = order[position]
            for rep in range(reps):
                value = abs(deviations[added, rep] - deviations[other, rep]) / scale[added, other]
                if value > largest[rep]:
                    largest[rep] = value
        count = 0
        for rep in range(reps):
            if statistics[step] < largest[rep]:
                count += 1
        exceed[step] = count
    return exceed
