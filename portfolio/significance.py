"""Are the winners real? Bootstrap tests of strategies against benchmarks, and the
deflated Sharpe ratio of the best setting of a sweep.

- :func:`spa_test`: Hansen's test for superior predictive ability (``arch.bootstrap.SPA``):
  the null is that no strategy beats the benchmark; a small p-value says at least one does.
- :func:`model_confidence_set`: Hansen, Lunde and Nason's model confidence set: the
  strategies that cannot be told apart from the best one (the range statistic computed
  by :mod:`aisfolio.portfolio.confidence_set` for hundreds of lines, the max statistic by
  ``arch.bootstrap.MCS``).
- :func:`deflated_sharpe_ratio`: Bailey and Lopez de Prado (2014), the probability that
  the best of ``n_trials`` settings has a true Sharpe ratio above zero, correcting for the
  selection among trials and for non-normal returns.

Losses are negative net returns, so "better" means a higher mean return; both bootstrap
tests use the stationary bootstrap with blocks of Politis and White's optimal length
unless a length is given, because strategy returns are serially dependent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from arch.bootstrap import MCS, SPA, optimal_block_length
from scipy import stats

from aisfolio.portfolio.confidence_set import range_statistic_pvalues

__all__ = [
    "EULER_MASCHERONI",
    "SPAResult",
    "block_length",
    "deflated_sharpe_ratio",
    "expected_maximum_sharpe",
    "model_confidence_set",
    "probabilistic_sharpe_ratio",
    "spa_test",
]

EULER_MASCHERONI = 0.5772156649015329


def _aligned(returns: pd.DataFrame, benchmark: pd.Series | None = None) -> pd.DataFrame:
    frame = returns.copy()
    if benchmark is not None:
        frame = frame.join(benchmark.rename("__benchmark__"), how="inner")
    frame = frame.dropna()
    if len(frame) < 20:
        raise ValueError(f"need at least 20 common observations, got {len(frame)}")
    return frame


def block_length(losses: pd.DataFrame) -> int:
    """Mean of Politis and White's optimal stationary-bootstrap block lengths (>= 1).

    Constant columns have no defined length and are left out of the mean.
    """
    varying = losses.loc[:, losses.std() > 0]
    if varying.shape[1] == 0:
        return 1
    lengths = optimal_block_length(varying.to_numpy())["stationary"].to_numpy()
    finite = lengths[np.isfinite(lengths)]
    return max(1, round(float(finite.mean()))) if finite.size else 1


@dataclass(frozen=True)
class SPAResult:
    """Outcome of :func:`spa_test`.

    Attributes
    ----------
    pvalues : pandas.Series
        Hansen's lower, consistent and upper p-values (consistent is the one to read).
    block_size : int
        Mean block length of the stationary bootstrap.
    better : list of str
        Strategies with a higher mean return than the benchmark and significant at
        ``size`` by the stepwise procedure (empty when none is).
    """

    pvalues: pd.Series
    block_size: int
    better: list[str]

    @property
    def pvalue(self) -> float:
        """The consistent p-value."""
        return float(self.pvalues["consistent"])


def spa_test(
    returns: pd.DataFrame,
    benchmark: pd.Series,
    *,
    size: float = 0.05,
    reps: int = 1000,
    block_size: int | None = None,
    seed: int = 0,
) -> SPAResult:
    """Hansen's SPA test: does any strategy have a higher mean return than the benchmark?

    Parameters
    ----------
    returns : DataFrame
        Net returns of the strategies (columns), one row per period.
    benchmark : Series
        Net returns of the benchmark on the same periods (rows are aligned on the index;
        rows missing in either are dropped).
    size : float, default 0.05
        Level of the stepwise selection of the better strategies.
    reps : int, default 1000
        Bootstrap replications.
    block_size : int, optional
        Mean block length; default from :func:`block_length` of the loss differentials.
    seed : int, default 0
        Seed of the bootstrap (same seed, same p-values).
    """
    frame = _aligned(returns, benchmark)
    losses = -frame.drop(columns="__benchmark__")
    benchmark_losses = -frame["__benchmark__"]
    differentials = losses.sub(benchmark_losses, axis=0)
    # A strategy equal to the benchmark (every differential 0) cannot beat it, and its
    # zero variance would break the studentized statistic: it leaves the test.
    losses = losses.loc[:, differentials.std() > 0]
    if losses.shape[1] == 0:
        ones = pd.Series(1.0, index=["lower", "consistent", "upper"])
        return SPAResult(pvalues=ones, block_size=1, better=[])
    if block_size is None:
        block_size = block_length(differentials[losses.columns])
    spa = SPA(benchmark_losses, losses, block_size=block_size, reps=reps, seed=seed)
    spa.compute()
    chosen = spa.better_models(size, pvalue_type="consistent")
    columns = list(losses.columns)
    better = [str(i if i in columns else columns[int(i)]) for i in chosen]
    return SPAResult(pvalues=spa.pvalues.rename(None), block_size=block_size, better=better)


def model_confidence_set(
    returns: pd.DataFrame,
    *,
    size: float = 0.10,
    reps: int = 1000,
    block_size: int | None = None,
    method: str = "R",
    seed: int = 0,
) -> pd.DataFrame:
    """The strategies that cannot be told apart from the best at level ``size``.

    Parameters
    ----------
    returns : DataFrame
        Net returns of the candidates (columns), one row per period; rows with a
        missing value are dropped.
    size : float, default 0.10
        The set contains the best strategy with probability at least ``1 - size``.
    reps, block_size, seed
        As in :func:`spa_test`.
    method : {"R", "max"}, default "R"
        Hansen, Lunde and Nason's range or max statistic.

    Returns
    -------
    DataFrame
        One row per strategy: ``pvalue`` (the MCS p-value) and ``included`` (bool).
    """
    losses = -_aligned(returns)
    # Identical candidates (a strategy that always holds what the benchmark holds) make
    # the statistic's variance zero: the set is found on one of each, and a copy shares
    # its original's verdict.
    first_of_values: dict[bytes, str] = {}
    original = {
        column: first_of_values.setdefault((losses[column].to_numpy() + 0.0).tobytes(), column)
        for column in losses.columns
    }
    unique = losses[list(dict.fromkeys(original.values()))]
    out = pd.DataFrame(
        {"pvalue": 1.0, "included": True}, index=pd.Index(returns.columns, name="strategy")
    )
    if unique.shape[1] > 1:
        if block_size is None:
            block_size = block_length(unique.sub(unique.mean(axis=1), axis=0))
        if method == "R":
            values = range_statistic_pvalues(
                unique.to_numpy(), reps=reps, block_size=block_size, seed=seed
            )
            pvalues = pd.Series(values, index=unique.columns)
        else:
            mcs = MCS(unique, size=size, reps=reps, block_size=block_size, method=method, seed=seed)
            mcs.compute()
            pvalues = mcs.pvalues.iloc[:, 0]
        out["pvalue"] = [float(pvalues[original[c]]) for c in returns.columns]
        out["included"] = out["pvalue"] > size
    return out


def probabilistic_sharpe_ratio(returns: pd.Series, threshold: float = 0.0) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``threshold``.

    Bailey and Lopez de Prado (2012): ``Phi((SR - SR*) sqrt(T - 1) /
    sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2))`` with the per-period SR, the sample
    skewness and the (non-excess) kurtosis.
    """
    values = pd.Series(returns).dropna().to_numpy(dtype=float)
    if len(values) < 3 or values.std(ddof=1) == 0:
        raise ValueError("need at least 3 returns that are not all equal")
    sharpe = values.mean() / values.std(ddof=1)
    skew = float(stats.skew(values))
    kurtosis = float(stats.kurtosis(values, fisher=False))
    spread = math.sqrt(max(1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2, 1e-12))
    return float(stats.norm.cdf((sharpe - threshold) * math.sqrt(len(values) - 1) / spread))


def expected_maximum_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios with true value 0 and the given
    variance across trials (the false-discovery threshold SR0 of the deflated SR)."""
    if n_trials < 2:
        raise ValueError(f"need at least 2 trials, got {n_trials}")
    if not sharpe_variance >= 0:
        raise ValueError(
            f"the variance of the trials' Sharpe ratios must be >= 0, got {sharpe_variance}"
        )
    gamma = EULER_MASCHERONI
    quantiles = (1 - gamma) * stats.norm.ppf(1 - 1 / n_trials) + gamma * stats.norm.ppf(
        1 - 1 / (n_trials * math.e)
    )
    return float(math.sqrt(sharpe_variance) * quantiles)


def deflated_sharpe_ratio(
    returns: pd.Series, trial_sharpes: np.ndarray | pd.Series | list[float]
) -> float:
    """Deflated Sharpe ratio of the selected strategy among several trials.

    Parameters
    ----------
    returns : Series
        Per-period returns of the selected (best) setting.
    trial_sharpes : array-like
        Per-period Sharpe ratios of every setting tried (the selected one included);
        their number and variance set the selection threshold.

    Returns
    -------
    float
        The probability that the selected setting's true Sharpe ratio is above zero,
        after the correction for having picked the best of ``len(trial_sharpes)``.
    """
    sharpes = np.asarray(trial_sharpes, dtype=float)
    sharpes = sharpes[np.isfinite(sharpes)]
    threshold = expected_maximum_sharpe(len(sharpes), float(sharpes.var(ddof=1)))
    return probabilistic_sharpe_ratio(returns, threshold)
