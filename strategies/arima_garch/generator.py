"""The ARIMA(p, 0, q)-GARCH(1, 1) generator: the paper's protocol on one asset's log returns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from aisfolio.strategies.arima_garch.engines import FastEngine
from aisfolio.strategies.arima_garch.fitting import CRITERIA
from aisfolio.strategies.arima_garch.kernels import Kernel
from aisfolio.strategies.arima_garch.model import DISTRIBUTIONS
from aisfolio.strategies.base import ChunkTask, Generator
from aisfolio.strategies.returns import simple_returns

__all__ = ["ENGINES", "STATUSES", "ArimaGarch", "log_returns"]

log = logging.getLogger(__name__)

ENGINES = ("compiled", "numpy", "reference")
#: What served each forecast: ``fitted`` (parameters estimated that day), ``filtered``
#: (a day between refits: the last parameters run over the new window), ``reused`` (the
#: day's fit failed: the last good model), ``arma00`` (no good model yet: a fresh
#: ARMA(0,0)-GARCH(1,1)), ``moments`` (even that failed: the window's mean and variance).
STATUSES = ("fitted", "filtered", "reused", "arma00", "moments")
FAILED = ("reused", "arma00", "moments")
SCALE = 100.0  # the engines see percent log returns
_DAYS_PER_YEAR = 365


def log_returns(prices: pd.Series) -> np.ndarray:
    """Log returns of a price series (NaN first), refusing falls of 100% or more."""
    simple = simple_returns(prices).to_numpy(dtype=float)
    bad = np.flatnonzero(simple[1:] <= -1.0)
    if bad.size:
        date = prices.index[bad[0] + 1]
        raise ValueError(
            f"ARIMA-GARCH models log returns, undefined for a fall of 100% or more "
            f"({prices.name!r} on {date:%Y-%m-%d})"
        )
    return np.log1p(simple)


@dataclass
class _Chain:
    """What one asset carries from one decision (and chunk) to the next."""

    track: Any
    last_good: Any = None
    last_end: pd.Timestamp | None = None


class ArimaGarch(Generator):
    """Forecast the next log return with an ARIMA(p, 0, q)-GARCH(1, 1) model.

    The paper's protocol, run by the walk-forward engine with ``refit: quarterly``: on
    each chunk's first day (the first trading day of a quarter) every order
    ``p <= max_p``, ``q <= max_q`` is fitted by joint maximum likelihood and the best by
    ``criterion`` is kept; on every later day of the chunk its parameters are
    re-estimated (every ``refit_every`` bars; in between the fixed parameters are run over
    the new window), and the one-step forecast of the mean log return is the forecast.
    Each estimation window holds the log returns of the last ``window_years * 365``
    calendar days up to the decision date, whatever history the engine hands over (an
    expanding walk-forward window is the simple choice).

    Parameters
    ----------
    max_p, max_q : int, default 5
        Largest AR and MA orders searched (0 .. 5 each in the paper).
    criterion : {"aic", "bic", "hqc"}, default "aic"
        Order selection criterion.
    window_years : int, default 3
        Estimation window, in years of 365 calendar days.
    refit_every : int, default 1
        Bars between parameter re-estimations inside a chunk (1: every day).
    distribution : {"normal", "t"}, default "normal"
        Error distribution (standardized Student-t with ``2 < nu < 100`` as an option).
    engine : {"compiled", "numpy", "reference"}, default "compiled"
        ``compiled``: joint MLE with exact gradients and warm starts
        (:mod:`aisfolio.strategies.arima_garch.fitting`), the likelihood, gradient and
        filter compiled with numba (:mod:`aisfolio.strategies.arima_garch.compiled`).
        ``numpy``: the same fits with the numpy likelihood, the reference the compiled
        one is tested against (same forecasts to rounding, slower). ``reference``:
        statsmodels ARIMA for the order search and the mean, arch GARCH(1, 1) on its
        residuals, cold starts every day (:mod:`aisfolio.strategies.arima_garch.reference`):
        the straightforward baseline.
    min_observations : int, default 250
        Returns needed before the first forecast (the first windows are shorter than
        ``window_years`` when the data start later).

    Attributes
    ----------
    diagnostics_ : DataFrame
        Set by :meth:`fit_predict_batch` (the walk-forward path): one row per decision,
        indexed by (asset, date): ``mean`` and ``variance`` of the next log return,
        ``p``, ``q``, ``status`` (see :data:`STATUSES`), ``loglik`` (of the model that
        served the forecast on that window, in log-return units), ``refit`` and
        ``selected`` flags, ``evaluations`` (likelihood evaluations spent that day).
    failures_ : DataFrame
        Per asset (rows): forecasts served by each fallback (columns ``reused``,
        ``arma00``, ``moments``) and ``search_failed``, candidate orders whose fit failed
        in the order searches (they are left out of the choice).
    failure_log_ : DataFrame
        The same by date: columns ``asset``, ``date``, ``kind``, ``count``.

    Notes
    -----
    The likelihood (:mod:`aisfolio.strategies.arima_garch.model`) is conditional on the first
    ``max_p`` returns of each window (every candidate order is compared on the same
    observations), with zero pre-sample errors and the window's variance as the GARCH
    backcast; AR and MA roots are kept inside a radius of 0.95 (stationarity and
    invertibility with a margin), ``omega, alpha, beta > 0``, ``alpha + beta < 1``.
    Orders p, q <= 5 make a likelihood with several local maxima: the search and the
    daily re-estimations are built to find and follow the best one (see
    :func:`aisfolio.strategies.arima_garch.fitting.search_orders`), which no local optimizer can
    guarantee.

    Failures are never silent: they are counted in ``failures_``, flagged per day in
    ``diagnostics_`` and logged as warnings. The forecast variance is in
    ``diagnostics_["variance"]`` (see :meth:`forecast_variance`); the walk-forward engine
    keeps one forecast series per strategy.
    """

    def __init__(
        self,
        max_p: int = 5,
        max_q: int = 5,
        criterion: str = "aic",
        window_years: int = 3,
        refit_every: int = 1,
        distribution: str = "normal",
        engine: str = "compiled",
        min_observations: int = 250,
    ):
        for name, value, low in (
            ("max_p", max_p, 0),
            ("max_q", max_q, 0),
            ("window_years", window_years, 1),
            ("refit_every", refit_every, 1),
            ("min_observations", min_observations, 20),
        ):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got '{criterion}'")
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got '{distribution}'")
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got '{engine}'")
        if min_observations <= max_p + 2 * (max_p + max_q + 5):
            raise ValueError(
                f"min_observations={min_observations} is too few for orders up to "
                f"({max_p}, {max_q})"
            )
        self.max_p = int(max_p)
        self.max_q = int(max_q)
        self.criterion = criterion
        self.window_years = int(window_years)
        self.refit_every = int(refit_every)
        self.distribution = distribution
        self.engine = engine
        self.min_observations = int(min_observations)

    @property
    def min_history(self) -> int:  # type: ignore[override]
        """``min_observations`` returns need one price more."""
        return self.min_observations + 1

    # -- engines -------------------------------------------------------------------------

    def _engine(self):
        if self.engine == "reference":
            from aisfolio.strategies.arima_garch.reference import ReferenceEngine

            return ReferenceEngine(self.max_p, self.max_q, self.criterion, self.distribution)
        return FastEngine(
            self.max_p, self.max_q, self.criterion, self.distribution, kernel=Kernel(self.engine)
        )

    # -- the Generator protocol ----------------------------------------------------------

    def fit(self, train: pd.Series) -> Self:
        """Select the orders on the window ending at the last bar of ``train``."""
        self.chain_ = _Chain(self._engine().track())
        returns = log_returns(train) * SCALE
        self.first_rows_ = self._run(self.chain_, train.index, returns, len(train) - 1, 1, train)
        self.fit_date_ = train.index[-1]
        return self

    def predict_block(self, history: pd.Series, n: int) -> np.ndarray:
        """Forecasts for the last ``n`` bars; the first is the one made by :meth:`fit`."""
        first = len(history) - n
        if history.index[first] != self.fit_date_:
            raise ValueError("predict_block must start on the date of the last fit")
        returns = log_returns(history) * SCALE
        rows = self.first_rows_ + self._run(
            self.chain_, history.index, returns, first + 1, n - 1, history, offset=1
        )
        self.diagnostics_ = self._frame(rows)
        return np.array([row["mean"] for row in rows])

    chunk_dependency = "carry"

    def fit_predict_batch(self, tasks: Sequence[ChunkTask]) -> list[np.ndarray]:
        """Every chunk of every asset, each asset's chunks in order, carrying state.

        The state carried from one chunk to the next of the same asset is the last
        order search's fits (warm starts of the next search) and the last good model (the
        fallback). Everything a forecast uses is data up to its decision date. Results
        equal the chunk-by-chunk path up to the optimizer's tolerance (the same maxima
        reached from better starts; on a likelihood with several local maxima the warm
        path can only end higher). The execution layer runs the same chain one chunk at
        a time through :meth:`fit_predict_carried`, with the same results.
        """
        chains: dict[Any, _Chain] = {}
        out, records = [], []
        for task in tasks:
            key = (getattr(task, "source", None), task.history.name)
            forecasts, rows, chains[key] = self.fit_predict_carried(task, chains.get(key))
            out.append(forecasts)
            records.append(rows)
        self.collect(records)
        return out

    def fit_predict_carried(
        self, task: ChunkTask, carry: _Chain | None
    ) -> tuple[np.ndarray, list[dict[str, Any]], _Chain]:
        """One chunk from the state the previous chunk of its asset left (None: none).

        Returns the forecasts, the chunk's diagnostics rows and the state for the next
        chunk (the same object, updated).
        """
        history = task.history
        first = len(history) - task.n
        chain = carry
        if chain is None or chain.last_end is None or history.index[first] <= chain.last_end:
            chain = _Chain(self._engine().track())
        returns = log_returns(history) * SCALE
        rows = self._run(chain, history.index, returns, first, task.n, history)
        chain.last_end = history.index[-1]
        return np.array([row["mean"] for row in rows]), rows, chain

    def collect(self, records: Sequence[Any]) -> None:
        """Set ``diagnostics_`` and ``failures_`` from the chunks' rows and warn of
        fallbacks."""
        rows = [row for chunk_rows in records for row in chunk_rows]
        self.diagnostics_ = self._frame(rows)
        self.failures_ = self._failures(self.diagnostics_)
        self.failure_log_ = self._failure_log(self.diagnostics_)
        self._warn(self.failures_)

    # -- the protocol --------------------------------------------------------------------

    def _window_start(self, index: pd.DatetimeIndex, bar: int) -> int:
        """First bar whose return lies in the ``window_years`` before ``index[bar]``."""
        cut = index[bar] - pd.Timedelta(days=_DAYS_PER_YEAR * self.window_years)
        return max(1, int(np.searchsorted(index.asi8, cut.value, side="right")))

    def _run(
        self,
        chain: _Chain,
        index: pd.DatetimeIndex,
        returns: np.ndarray,
        first: int,
        n: int,
        prices: pd.Series,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Forecasts for bars ``first .. first + n - 1``; bar ``first - offset`` was the
        chunk's first decision (offset 0: it is ``first`` and the orders are selected)."""
        rows = []
        for i in range(n):
            bar = first + i
            day = i + offset
            x = returns[self._window_start(index, bar) : bar + 1]
            row: dict[str, Any] = {
                "asset": prices.name,
                "date": index[bar],
                "selected": day == 0,
                "refit": day % self.refit_every == 0,
                "search_failed": 0,
                "evaluations": 0,
            }
            model, status = None, "fitted"
            if day == 0:
                selection = chain.track.select(x)
                model = selection.model
                row["search_failed"] = selection.failed
                row["evaluations"] = selection.evaluations
            elif row["refit"]:
                if chain.last_good is not None:
                    model = chain.track.refit(x, chain.last_good)
                    row["evaluations"] = getattr(model, "evaluations", 0)
            else:
                model, status = chain.last_good, "filtered"
            if model is None:
                if chain.last_good is not None:
                    model, status = chain.last_good, "reused"
                else:
                    model, status = chain.track.cold(x, 0, 0), "arma00"
            if model is None:
                status = "moments"
                mean, variance, loglik, n_obs, order = np.mean(x), np.var(x), np.nan, 0, (0, 0)
            else:
                if status in ("fitted", "arma00"):
                    chain.last_good = model
                mean, variance, loglik, n_obs = chain.track.forecast(model, x)
                order = model.order
            row.update(
                mean=mean / SCALE,
                variance=variance / SCALE**2,
                p=order[0],
                q=order[1],
                status=status,
                loglik=loglik + n_obs * np.log(SCALE),  # of the log returns, not percent
            )
            rows.append(row)
        return rows

    # -- outputs -------------------------------------------------------------------------

    @staticmethod
    def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
        columns = [
            "mean",
            "variance",
            "p",
            "q",
            "status",
            "loglik",
            "refit",
            "selected",
            "search_failed",
            "evaluations",
        ]
        if not rows:
            return pd.DataFrame(
                columns=columns, index=pd.MultiIndex.from_tuples([], names=["asset", "date"])
            )
        frame = pd.DataFrame(rows).set_index(["asset", "date"])
        return frame[columns]

    @staticmethod
    def _failures(diagnostics: pd.DataFrame) -> pd.DataFrame:
        grouped = diagnostics.groupby(level="asset", sort=False)
        counts = pd.DataFrame(
            {
                status: grouped["status"].agg(lambda s, k=status: int((s == k).sum()))
                for status in FAILED
            }
        )
        counts["search_failed"] = grouped["search_failed"].sum()
        return counts

    @staticmethod
    def _failure_log(diagnostics: pd.DataFrame) -> pd.DataFrame:
        """One row per day served by a fallback (kind: the status) and per order search
        with failed candidates (kind ``search_failed``, count: the candidates)."""
        rows = diagnostics.reset_index()
        served = rows.loc[rows["status"].isin(FAILED), ["asset", "date", "status"]]
        served = served.rename(columns={"status": "kind"}).assign(count=1)
        searches = rows.loc[rows["search_failed"] > 0, ["asset", "date", "search_failed"]]
        searches = searches.rename(columns={"search_failed": "count"}).assign(kind="search_failed")
        columns = ["asset", "date", "kind", "count"]
        return pd.concat([served[columns], searches[columns]]).sort_values("date", kind="stable")

    def _warn(self, failures: pd.DataFrame) -> None:
        for asset, row in failures.iterrows():
            served = int(row[list(FAILED)].sum())
            if served:
                log.warning(
                    "ARIMA-GARCH on %s: %d forecasts served by a fallback (%s)",
                    asset,
                    served,
                    ", ".join(f"{k}: {int(row[k])}" for k in FAILED if row[k]),
                )
            if row["search_failed"]:
                log.info(
                    "ARIMA-GARCH on %s: %d candidate fits failed in order searches (left out)",
                    asset,
                    int(row["search_failed"]),
                )

    def forecast_variance(self) -> pd.Series:
        """Forecast variance of the next log return, by (asset, decision date)."""
        return self.diagnostics_["variance"]
