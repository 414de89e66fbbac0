"""The pipeline: prices in, AIS, ensembles, hedges and their metrics out.

The same object serves Python users and the Hydra CLI (:mod:`aisfolio.app.cli`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from aisfolio.ensemble.combination import Combination
from aisfolio.ensemble.groups import ALL_ASSETS, EnsembleGroup, LineKind, line_name
from aisfolio.ensemble.paper import ENSEMBLE_I, ENSEMBLE_II, HEDGE, PaperEnsembles
from aisfolio.portfolio.allocation.exposure import decided_exposure
from aisfolio.portfolio.allocation.plan import Allocation
from aisfolio.portfolio.backtest import backtest_exposure, backtest_positions
from aisfolio.portfolio.calendars import infer_periods_per_year
from aisfolio.portfolio.costs import check_cost_rate
from aisfolio.portfolio.errors import ConfigError, DataError
from aisfolio.portfolio.events import collect_events
from aisfolio.portfolio.measures import traded_notional
from aisfolio.portfolio.metrics import number_of_trades
from aisfolio.portfolio.rebalance import rebalance_streams, union_equity
from aisfolio.portfolio.results import Line, RunResult
from aisfolio.portfolio.winners import SignificanceSettings
from aisfolio.strategies.execution import Executor, WalkForwardSpec
from aisfolio.strategies.strategy import Strategy, StrategyRun
from aisfolio.strategies.timing import apply_decision_lag

__all__ = ["BacktestSettings", "Pipeline"]

log = logging.getLogger(__name__)


#: How the evaluation starts of the assets are set (see :class:`BacktestSettings`).
ALIGNMENTS = ("common", "per_asset")

#: How group lines pay their costs (see :class:`BacktestSettings`).
ACCOUNTINGS = ("per_ais", "net")


@dataclass(frozen=True)
class BacktestSettings:
    """How AIS are evaluated.

    Parameters
    ----------
    cost_rate : float, default 0.0005
        Cost per unit of traded notional (0.05%: long -> short costs 0.1%).
    start : str, optional
        First evaluation date; default (and at the earliest) the first date on which
        every strategy has a position on every asset (each asset, with ``align:
        per_asset``). Earlier data are history only.
    end : str, optional
        Last date used at all (later prices are ignored).
    periods_per_year : float, optional
        Periods per year of every calendar; default inferred from each calendar
        (252 exchange days, 365 for 7-day markets).
    align : {"common", "per_asset"}, default "common"
        ``common``: every line starts on the same date. ``per_asset``: each asset's
        lines start when its own strategies all have a position, so an asset with a
        shorter history (Bitcoin from 2014 next to the S&P 500 from 2004) does not cut
        the others'; a group line (ensemble, hedge, allocation) starts when its last
        member does.
    accounting : {"per_ais", "net"}, default "per_ais"
        How group lines (ensembles, hedges, combiners, allocations) are booked.
        ``per_ais``, the paper's: each AIS trades alone and pays its own costs, and a
        group line is the blend of its members' net returns (plus the cost of trading
        its weights at each rebalance). ``net``: a group line trades its net position
        per asset, the exposure its orders trade to (its rule's targets, held between
        rebalances, times its members' positions, through every level), and pays
        ``cost_rate * |change of the net position|`` per asset like an AIS; members
        whose positions cancel cost nothing. AIS lines are the same either way.
    """

    cost_rate: float = 0.0005
    start: str | None = None
    end: str | None = None
    periods_per_year: float | None = None
    align: str = "common"
    accounting: str = "per_ais"

    def __post_init__(self) -> None:
        check_cost_rate(self.cost_rate, "cost_rate")
        if self.periods_per_year is not None and not self.periods_per_year > 0:
            raise ConfigError(f"must be > 0, got {self.periods_per_year}", key="periods_per_year")
        if self.align not in ALIGNMENTS:
            raise ConfigError(f"'{self.align}' is not one of {', '.join(ALIGNMENTS)}", key="align")
        if self.accounting not in ACCOUNTINGS:
            raise ConfigError(
                f"'{self.accounting}' is not one of {', '.join(ACCOUNTINGS)}", key="accounting"
            )
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None:
                try:
                    pd.Timestamp(value)
                except ValueError:
                    raise ConfigError(f"'{value}' is not a date", key=key) from None
        if (
            self.start is not None
            and self.end is not None
            and pd.Timestamp(self.start) >= pd.Timestamp(self.end)
        ):
            raise ConfigError(f"{self.start} is not before end {self.end}", key="start")


@dataclass(frozen=True)
class _Market:
    """What a group's net position is booked on: the prices and the AIS positions."""

    prices: pd.DataFrame
    positions: Mapping[tuple[str, str], pd.Series]


class Pipeline:
    """Run strategies on every asset, then stacked strategies, ensembles and combiners.

    Parameters
    ----------
    strategies : mapping of str to Strategy
        Strategy label -> recipe, applied to every asset on its own prices.
    backtest : BacktestSettings, optional
        Costs, evaluation window, calendars.
    ensembles : PaperEnsembles, optional
        Which of the paper's ensembles and hedges to build; None builds none.
    stacked : mapping of str to Strategy, optional
        Second-stage strategies: their generator receives, per asset, a frame with a
        ``"price"`` column and one column per component strategy's forecast, and their
        positions become AIS of their own (``"<asset>/<label>"``).
    combiners : mapping of str to Combination, optional
        Online combinations of the component AIS, per asset and across assets.
    benchmarks : sequence of str, default ("buy_and_hold",)
        Strategies that are yardsticks, not components: left out of ensembles type I and
        II, stacking and combiners (hedges still pair them).
    allocations : mapping of str to Allocation, optional
        Convex allocators over lines (hedges of the base asset or one portfolio of all
        assets), rebalanced on their calendars; their decisions are in
        :attr:`RunResult.allocations` and their net exposures per asset in
        :attr:`RunResult.exposures`.
    execution : Executor, optional
        How walk-forwards run: backend, workers, result cache, progress (default: in
        this process, uncached). Results do not depend on it.
    significance : SignificanceSettings, optional
        Test every line against its benchmark (:mod:`aisfolio.portfolio.winners`); default: no
        tests (the CLI's config runs them).

    Examples
    --------
    >>> import portfolio as pf
    >>> from strategies import Momentum, SignalRule, Strategy
    >>> prices = pf.load_dataset("us_markets")
    >>> pipe = pf.Pipeline({"momentum": Strategy(Momentum(lookback=5), SignalRule(on_tie="long"))})
    >>> result = pipe.run(prices)
    >>> sorted(result.equity.columns)
    ['NASDAQ/momentum', 'SP500/momentum', 'WTI/momentum']
    """

    def __init__(
        self,
        strategies: Mapping[str, Strategy],
        backtest: BacktestSettings | None = None,
        ensembles: PaperEnsembles | None = None,
        stacked: Mapping[str, Strategy] | None = None,
        combiners: Mapping[str, Combination] | None = None,
        benchmarks: Sequence[str] = ("buy_and_hold",),
        allocations: Mapping[str, Allocation] | None = None,
        execution: Executor | None = None,
        significance: SignificanceSettings | None = None,
    ):
        if not strategies:
            raise ConfigError("at least one strategy is needed", key="strategies")
        clashes = set(strategies) & set(stacked or {})
        if clashes:
            raise ConfigError(f"labels used twice: {sorted(clashes)}", key="stacked")
        self.strategies = dict(strategies)
        self.backtest = backtest if backtest is not None else BacktestSettings()
        self.ensembles = ensembles
        self.stacked = dict(stacked or {})
        self.combiners = dict(combiners or {})
        self.benchmarks = tuple(benchmarks)
        self.allocations = dict(allocations or {})
        self.execution = execution if execution is not None else Executor(progress="off")
        self.significance = significance

    @property
    def components(self) -> list[str]:
        """First-stage strategies that ensembles, stacking and combiners use."""
        return [label for label in self.strategies if label not in self.benchmarks]

    def _check_asset_names(self, assets: list[str]) -> None:
        """Refuse asset names that would collide with the first part of the names of
        the run's group lines ("ensemble_II/momentum", "hedge/SP500+WTI/momentum")."""
        reserved = {
            ENSEMBLE_II: "type II ensembles",
            HEDGE: "hedges",
            ALL_ASSETS: "the lines over every asset",
            **dict.fromkeys(self.allocations, "an allocation"),
        }
        for asset in assets:
            if asset in reserved:
                raise DataError(
                    f"an asset may not be named like {reserved[asset]} ('{asset}/...' lines); "
                    "rename it with data.columns",
                    column=asset,
                )

    @collect_events
    def run(self, prices: pd.DataFrame) -> RunResult:
        """Walk forward, backtest and measure everything.

        Parameters
        ----------
        prices : DataFrame
            Validated prices: DatetimeIndex (union of the assets' calendars) by asset,
            NaN where an asset does not trade.

        Returns
        -------
        RunResult
        """
        prices = self._window(prices)
        assets = [str(a) for a in prices.columns]
        self._check_asset_names(assets)
        calendars = {asset: prices[asset].dropna() for asset in assets}
        runs: dict[tuple[str, str], StrategyRun] = {}
        log.info("walking forward: %s on %d assets", ", ".join(self.strategies), len(assets))
        specs = [
            WalkForwardSpec(s.generator, s.walk_forward, [calendars[a] for a in assets], label)
            for label, s in self.strategies.items()
        ]
        for (label, strategy), forecasts in zip(
            self.strategies.items(), self.execution.run_specs(specs), strict=True
        ):
            for asset, run in zip(assets, strategy.runs_from(forecasts), strict=True):
                runs[asset, label] = run
        if self.stacked:
            # One walk-forward per stacked strategy over every asset's frame of the first
            # stage's forecasts, each on its own calendar.
            inputs = [self._stacking_inputs(calendars[asset], asset, runs) for asset in assets]
            log.info("stacking %s on %d assets", ", ".join(self.stacked), len(assets))
            specs = [
                WalkForwardSpec(strategy.generator, strategy.walk_forward, inputs, label)
                for label, strategy in self.stacked.items()
            ]
            for (label, strategy), forecasts in zip(
                self.stacked.items(), self.execution.run_specs(specs), strict=True
            ):
                for asset, stacked in zip(assets, strategy.runs_from(forecasts), strict=True):
                    runs[asset, label] = StrategyRun(
                        forecasts=stacked.forecasts.reindex(calendars[asset].index),
                        positions=stacked.positions.reindex(calendars[asset].index),
                    )
        starts = self._evaluation_starts(calendars, runs)
        lines: dict[str, Line] = {}
        with self.execution.stage("backtest", len(runs), "line") as progress:
            for (asset, label), run in runs.items():
                outcome = backtest_positions(
                    calendars[asset], run.positions, self.backtest.cost_rate, starts[asset]
                )
                positions = outcome.positions.to_numpy()
                lines[line_name(asset, label)] = Line(
                    kind=LineKind.AIS,
                    asset=asset,
                    strategy=label,
                    equity=outcome.equity,
                    periods_per_year=self._periods_per_year(outcome.equity.index),
                    traded=traded_notional(positions),
                    trades=number_of_trades(positions),
                )
                progress.advance(1)
        market = _Market(prices, {key: run.positions for key, run in runs.items()})
        weights = self._ensembles(assets, lines, market)
        combined = [
            group
            for label, combination in self.combiners.items()
            for group in combination.groups(label, assets, self.components)
        ]
        weights |= self._evaluate_all("combiners", combined, lines, market)
        decisions = self._allocations(assets, lines, weights, market)
        result = RunResult.assemble(
            prices, runs, lines, weights, decisions, accounting=self.backtest.accounting
        )
        if self.significance is not None and self.significance.enabled:
            log.info(
                "testing the lines against their benchmarks (%d bootstrap replications)",
                self.significance.reps,
            )
            result = result.with_significance(
                self.significance, self.execution.store, self.execution.stage
            )
        return result

    def _evaluate_all(
        self,
        description: str,
        groups: list[EnsembleGroup],
        lines: dict[str, Line],
        market: _Market,
    ) -> dict[str, pd.DataFrame]:
        """Backtest ``groups`` in order (:meth:`_evaluate`); their weights by group name."""
        weights = {}
        with self.execution.stage(description, len(groups), "group") as progress:
            for group in groups:
                weights[group.name] = self._evaluate(group, lines, market)
                progress.advance(1)
        return weights

    def _allocations(
        self,
        assets: list[str],
        lines: dict[str, Line],
        weights: dict[str, pd.DataFrame],
        market: _Market,
    ) -> dict[str, pd.DataFrame]:
        """Backtest every allocation group; return each group's decisions."""
        labels = {line.strategy for line in lines.values()}
        available = [
            label for label in sorted(labels) if all(line_name(a, label) in lines for a in assets)
        ]
        planned = []
        for label, allocation in self.allocations.items():
            try:
                planned += [(label, g) for g in allocation.groups(label, assets, available)]
            except ValueError as error:
                raise ConfigError(str(error), key=f"allocations.{label}") from None
        decisions = {}
        with self.execution.stage("allocations", len(planned), "group") as progress:
            for label, group in planned:
                log.info("allocating %s", group.name)
                try:
                    weights[group.name] = self._evaluate(group, lines, market)
                except ConfigError as error:  # the allocator names its own parameter
                    raise error.under(f"allocations.{label}.allocator") from None
                decisions[group.name] = group.targets.report()  # type: ignore[attr-defined]
                progress.advance(1)
        return decisions

    def _stacking_inputs(
        self, prices: pd.Series, asset: str, runs: Mapping[tuple[str, str], StrategyRun]
    ) -> pd.DataFrame:
        """Price and component forecasts from the first bar on which all exist."""
        if not self.components:
            raise ConfigError("stacking needs at least one component strategy", key="stacked")
        columns = {"price": prices} | {
            label: runs[asset, label].forecasts for label in self.components
        }
        frame = pd.DataFrame(columns).rename_axis(columns=asset)  # names the asset
        complete = frame.notna().all(axis=1).to_numpy()
        if not complete.any():
            raise DataError("no bar on which every component has a forecast", column=asset)
        return frame.iloc[int(np.argmax(complete)) :]

    def _window(self, prices: pd.DataFrame) -> pd.DataFrame:
        if (
            not isinstance(prices.index, pd.DatetimeIndex)
            or not prices.index.is_monotonic_increasing
        ):
            raise DataError(
                "prices need a sorted DatetimeIndex (load them with portfolio.load_prices)"
            )
        if self.backtest.end is not None:
            prices = prices.loc[: pd.Timestamp(self.backtest.end)]
        return prices.dropna(how="all")

    def _evaluation_starts(
        self, calendars: Mapping[str, pd.Series], runs: Mapping[tuple[str, str], StrategyRun]
    ) -> dict[str, pd.Timestamp]:
        """Each asset's first evaluation date: the first date on which every strategy has
        a position on every asset (``common``) or on that asset (``per_asset``), or
        ``backtest.start`` when later."""
        firsts: dict[str, pd.Timestamp] = {}
        for (asset, label), run in runs.items():
            decided = run.positions.notna().to_numpy()
            if not decided.any():
                raise DataError(
                    f"too short for strategy '{label}': no decision in {len(decided)} bars",
                    column=asset,
                )
            first = run.positions.index[int(np.argmax(decided))]
            firsts[asset] = max(first, firsts.get(asset, first))
        if self.backtest.align == "common":
            latest = max(firsts.values())
            firsts = dict.fromkeys(firsts, latest)
        wanted = pd.Timestamp(self.backtest.start) if self.backtest.start is not None else None
        starts = {}
        for asset, first in firsts.items():
            if wanted is not None and wanted > first:
                first = wanted
            elif wanted is not None and wanted < first:
                # Expected with per-asset starts (an asset with a shorter history).
                report = log.info if self.backtest.align == "per_asset" else log.warning
                report(
                    "backtest.start %s is before the first decision on %s; starting on %s",
                    wanted.date(),
                    asset,
                    first.date(),
                )
            if (calendars[asset].index >= first).sum() < 2:
                raise self._too_short(asset, first, calendars[asset].index[-1], wanted)
            starts[asset] = first
        if len(set(starts.values())) == 1:
            log.info("evaluation starts on %s", next(iter(starts.values())).date())
        else:
            log.info(
                "evaluation starts: %s",
                ", ".join(f"{a} {d.date()}" for a, d in starts.items()),
            )
        return starts

    def _too_short(
        self,
        asset: str,
        start: pd.Timestamp,
        last: pd.Timestamp,
        wanted: pd.Timestamp | None,
    ) -> DataError:
        """The error for an asset with fewer than 2 bars from its evaluation start,
        saying what set that start."""
        if wanted is not None and start == wanted:
            why = "backtest.start"
        elif self.backtest.align == "common":
            why = (
                "the first date on which every asset's strategies all have a position; "
                "assets that barely overlap need backtest.align=per_asset"
            )
        else:
            why = "the first date on which its strategies all have a position"
        return DataError(
            f"fewer than 2 bars from the evaluation start {start.date()} ({why}): its "
            f"prices end on {last.date()}",
            column=asset,
        )

    def _periods_per_year(self, index: pd.DatetimeIndex) -> float:
        if self.backtest.periods_per_year is not None:
            return float(self.backtest.periods_per_year)
        return float(infer_periods_per_year(index))

    def _ensembles(
        self, assets: list[str], lines: dict[str, Line], market: _Market
    ) -> dict[str, pd.DataFrame]:
        plan = self.ensembles
        if plan is None:
            return {}
        groups = plan.type_one_groups(assets, self.components) + plan.type_two_groups(
            assets, self.components
        )
        weights = self._evaluate_all("ensembles", groups, lines, market)
        hedged = list(self.strategies) + (
            [ENSEMBLE_I] if line_name(assets[0], ENSEMBLE_I) in lines else []
        )
        try:
            hedges = plan.hedge_groups(assets, hedged)
        except ValueError as error:
            raise ConfigError(str(error), key="ensembles.hedge_base") from None
        return weights | self._evaluate_all("hedges", hedges, lines, market)

    def _evaluate(
        self, group: EnsembleGroup, lines: dict[str, Line], market: _Market
    ) -> pd.DataFrame:
        """Backtest one group, add its line, return the weights it held.

        Its rule decides from its members' lines as booked; with ``accounting: net`` the
        line is then booked on its net position per asset (:meth:`_netted`).
        """
        members = {m: lines[m].equity for m in group.members}
        # Members start at 1.0 on their first evaluation bar and are flat before it. With
        # per-asset starts the group waits for its last member (on a common start the
        # first bars differ only where a calendar has no bar on the start date).
        firsts = [line.index[0] for line in members.values()]
        start = max(firsts) if self.backtest.align == "per_asset" else min(firsts)
        equity = union_equity(members).loc[start:]
        equity = (equity / equity.iloc[0].fillna(1.0)).fillna(1.0)
        cost = group.cost_rate if group.cost_rate is not None else self.backtest.cost_rate
        portfolio = rebalance_streams(equity, group.targets, group.rebalance, group.every, cost)
        traded = portfolio.traded.to_numpy()
        lines[group.name] = Line(
            kind=group.kind,
            asset=group.asset,
            strategy=group.strategy,
            equity=portfolio.equity,
            periods_per_year=self._periods_per_year(equity.index),
            traded=traded,
            trades=int(np.count_nonzero(traded)),
            targets=portfolio.targets,
        )
        if self.backtest.accounting == "net":
            return self._netted(group.name, lines, market)
        return portfolio.weights

    def _netted(self, name: str, lines: dict[str, Line], market: _Market) -> pd.DataFrame:
        """Book group line ``name`` on its net position per asset; return the weights it
        held (its targets, decided at each close and held over the next bar)."""
        line = lines[name]
        assert line.targets is not None
        exposure = decided_exposure(name, lines, market.positions)
        netted = backtest_exposure(market.prices, exposure, self.backtest.cost_rate)
        traded = netted.traded.to_numpy()
        lines[name] = replace(
            line, equity=netted.equity, traded=traded, trades=int(np.count_nonzero(traded))
        )
        decided = line.targets.reindex(line.equity.index).ffill()
        return apply_decision_lag(decided, fill_value=np.nan)
