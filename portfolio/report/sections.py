"""The report's content, laid out once for every format: titled sections of formatted
tables and figures (:mod:`aisfolio.portfolio.report.html` and
:mod:`aisfolio.portfolio.report.markdown` render the same sections)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from aisfolio.ensemble.groups import LineKind
from aisfolio.ensemble.meta_generator import stopped_fits
from aisfolio.portfolio.report.formatting import date, format_frame, integer, percent, ratio, years
from aisfolio.portfolio.report.model import Report
from aisfolio.portfolio.report.plots import Plot
from aisfolio.portfolio.report.tearsheet import KEY_METRICS
from aisfolio.portfolio.stacking_log import latest_refits
from aisfolio.portfolio.training import training_summary

__all__ = ["Section", "Table", "report_sections"]


@dataclass(frozen=True)
class Table:
    """A table of text cells (already formatted), with a caption."""

    caption: str
    frame: pd.DataFrame

    @property
    def header(self) -> list[str]:
        """Column names."""
        return [str(c) for c in self.frame.columns]

    @property
    def rows(self) -> list[list[str]]:
        """Cells, row by row."""
        return [[str(v) for v in row] for row in self.frame.itertuples(index=False)]


@dataclass(frozen=True)
class Section:
    """A titled part of a report: notes, tables and figures (by plot key)."""

    key: str
    title: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)


def _table(
    caption: str, frame: pd.DataFrame, formats: dict[str, Callable[[object], str]] | None = None
) -> Table:
    return Table(caption, format_frame(frame, formats))


def _performance(report: Report) -> Section:
    focus = [n for n in (report.line, report.benchmark) if n]
    full, year = report.metrics_full, report.metrics_last_year
    summary = pd.concat(
        {"full history": full.loc[focus], "last year": year.loc[focus]}, names=["period"]
    ).swaplevel()
    summary = summary.drop(columns=["kind", "asset", "strategy"]).reindex(focus, level=0)
    tables = [_table("Portfolio line and benchmark", summary)]
    for kinds, title in (
        ((LineKind.AIS,), "AIS"),
        ((LineKind.ENSEMBLE_I, LineKind.ENSEMBLE_II, LineKind.COMBINER), "Ensembles and combiners"),
        ((LineKind.HEDGE,), "Hedges"),
    ):
        rows = full["kind"].isin(kinds)
        if rows.any():
            # The line's name carries its asset and strategy (metrics.csv has them apart).
            shown = full[rows].drop(columns=["asset", "strategy"])
            last = year[rows.reindex(year.index, fill_value=False)]
            tables.append(_table(f"{title}: full history", shown))
            tables.append(_table(f"{title}: last year", last.drop(columns=["asset", "strategy"])))
    return Section(
        "performance",
        "Performance",
        notes=[
            "aRC annualized return, aSD annualized volatility, MD maximum drawdown, MLD "
            "longest loss duration (years), IR* = aRC/aSD, IR** = IR*·|aRC|/MD, "
            "IR*** = aRC³/(aSD·MD·MLD); the last year is each line's last year of bars.",
        ],
        tables=tables,
        plots=["equity", "drawdowns", "rolling_ir", "groups"],
    )


#: Formats of the key-metrics rows by the kind of number (tearsheet.KEY_METRICS).
_KINDS = {"date": date, "percent": percent, "ratio": ratio, "years": years}


def _tearsheet(report: Report) -> Section | None:
    sheet = report.tearsheet
    if sheet is None:
        return None
    key = pd.DataFrame(
        {
            column: [
                _KINDS[KEY_METRICS[metric]](value)
                for metric, value in sheet.key_metrics[column].items()
            ]
            for column in sheet.key_metrics.columns
        },
        index=sheet.key_metrics.index,
    ).reset_index()
    monthly = sheet.monthly.rename(columns=str)
    tables = [
        Table("Key metrics", key),
        _table(
            "Returns per calendar year",
            sheet.yearly,
            dict.fromkeys([str(c) for c in sheet.yearly.columns], percent),
        ),
        _table(
            "Worst drawdowns",
            sheet.drawdowns,
            {"trough": date, "recovered": date, "depth": percent, "days": integer},
        ),
        _table("Monthly returns", monthly, dict.fromkeys(monthly.columns, percent)),
    ]
    versus = f" against {sheet.benchmark}" if sheet.benchmark else ""
    return Section(
        "tearsheet",
        f"Tearsheet: {sheet.line}",
        notes=[
            f"The portfolio line{versus} (report.line and report.benchmark choose them). "
            "CAGR is aRC, volatility aSD; win rate: the share of bars with a positive "
            "return among those that moved; months and years compound the line's returns "
            "over each calendar period (the first from the line's first value); a "
            "drawdown runs from a peak to the first bar back at it; rolling measures over "
            f"the last {sheet.window} bars.",
        ],
        tables=tables,
        plots=["monthly", "yearly", "distribution", "rolling"],
    )


def _blending(report: Report) -> Section | None:
    if report.combiners.empty and report.allocation_outcomes.empty:
        return None
    tables = []
    if not report.combiners.empty:
        tables.append(_table("Online combiners", report.combiners))
    if not report.allocation_outcomes.empty:
        tables.append(
            _table("Allocations: decisions and solver outcomes", report.allocation_outcomes)
        )
    if not report.allocation_exposures.empty:
        exposures = report.allocation_exposures
        tables.append(
            _table(
                "Allocations: net exposure per asset at the last decision",
                exposures,
                dict.fromkeys([str(c) for c in exposures.columns], percent),
            )
        )
    return Section(
        "blending",
        "Combiners and allocations",
        notes=[
            "How the blending stages weighted their members over time. Effective members: "
            "1 / Σw² of the weights' shares (1: everything on one member; N: equal "
            "weights on N). An allocation decision is optimal when its first solver "
            "solved it; a fallback used another solver or rule; a failed one kept the "
            "previous weights. Every member's weight at the last bar is in the Weights "
            "section; over time, in ensemble_weights.parquet.",
        ],
        tables=tables,
        plots=["blend_weights"],
    )


def _winners(report: Report) -> Section | None:
    if report.significance.empty:
        return None
    return Section(
        "significance",
        "Are the winners real?",
        notes=[
            "Each group of lines against one benchmark: the SPA p-value (Hansen) is the "
            "probability of a best line this good if none beats the benchmark, corrected "
            "for having picked the best of the group; 'beats benchmark' is its stepwise "
            "verdict at the configured level. The model confidence set (benchmark "
            "included) keeps the lines that cannot be told apart from the best. PSR: the "
            "probability that the line's true Sharpe ratio is above zero. Stationary "
            "block bootstrap of net daily returns.",
        ],
        tables=[_table("Tests against the benchmark", report.significance)],
    )


def _orders(report: Report) -> Section | None:
    if report.orders is None:
        return None
    orders = report.orders
    summary = pd.DataFrame([orders.summary])
    targets = orders.targets
    return Section(
        "orders",
        "Orders",
        notes=[
            f"Targets: {targets.source}, decided at the close of "
            f"{targets.date.strftime('%Y-%m-%d')}. Orders = targets − holdings, in weight of "
            "the portfolio; trades smaller than the minimum trade size are not made (order 0, "
            "flagged). Expected cost = cost rate × expected turnover.",
        ],
        tables=[
            _table("Summary", summary),
            _table("Orders", orders.table),
            _table(
                "Target weights per stream",
                targets.streams.rename("target").rename_axis("stream").to_frame(),
            ),
            _table(
                "Net exposure per asset",
                targets.assets.rename("exposure").rename_axis("asset").to_frame(),
            ),
        ],
    )


def _weights(report: Report) -> Section:
    mine = (
        report.weights.xs(report.line, level="line")
        if report.line in report.weights.index.get_level_values(0)
        else None
    )
    tables = []
    if mine is not None:
        tables.append(_table(f"Current weights of {report.line}", mine))
    tables.append(_table("Every ensemble, hedge and combiner", report.weights))
    turnover = report.turnover[report.turnover["line"] == report.line].drop(columns="line")
    if len(turnover):
        tables.append(
            _table(f"Turnover per rebalance of {report.line}", turnover.set_index("date"))
        )
    return Section(
        "weights",
        "Weights and turnover",
        notes=[
            (
                "held: weights over the last bar (the last rebalance's targets: net "
                "accounting holds them between rebalances)"
                if report.accounting == "net"
                else "held: weights over the last bar (drifted since the last rebalance)"
            )
            + "; target: the weights the rule gives at the last close, what a rebalance "
            "trades to.",
        ],
        tables=tables,
        plots=["weights", "turnover"],
    )


def _signals(report: Report) -> Section:
    return Section(
        "signals",
        "Forecasts and signals",
        notes=[
            "Last forecast and position of every strategy per asset, decided at the close "
            "of each asset's last trading day; agreement is the share of strategies on the "
            "majority side (long, short or flat).",
        ],
        tables=[
            _table("Forecasts", report.forecasts.rename_axis(index="asset", columns=None)),
            _table("Positions", report.positions.rename_axis(index="asset", columns=None)),
            _table("Agreement", report.agreement),
        ],
    )


def _risk(report: Report) -> Section:
    window = report.settings.window
    level = percent(report.settings.cvar_level, 0)
    return Section(
        "risk",
        "Risk",
        notes=[
            f"Volatility annualized; CVaR: the {level} expected shortfall of one bar's "
            "return (Rockafellar-Uryasev, the measure the min_cvar allocator minimizes); "
            f"beta to {report.benchmark or 'no benchmark'}; 'recent' and the contributions "
            f"use the last {window} bars. Contributions: weight × (Σw) / √(w'Σw), annualized; "
            "shares add up to 100% of a line that holds something (an exposure below "
            "0.0001% of the portfolio counts as none; nothing held: no shares).",
        ],
        tables=[
            _table("Portfolio line and benchmark", report.line_risk),
            _table("Risk contributions per stream", report.stream_risk.rename_axis("stream")),
            _table("Risk contributions per asset", report.asset_risk.rename_axis("asset")),
            _table("Correlation of the streams", report.correlation.rename_axis("stream")),
        ],
        plots=["stream_risk", "asset_risk", "ais_correlation"],
    )


def _events(report: Report) -> Section:
    since = report.settings.since
    notes = [f"Solver fallbacks and failed fits dated after {since}."] if since else []
    if report.events.empty and report.fit_failures.empty and report.solver_fallbacks.empty:
        notes.append("No warnings, fallbacks or failed fits during this run.")
    tables = []
    if not report.solver_fallbacks.empty:
        tables.append(_table("Allocation solver fallbacks and failures", report.solver_fallbacks))
    if not report.fit_failures.empty:
        tables.append(_table("Failed fits (forecasts served by a fallback)", report.fit_failures))
    if not report.events.empty:
        tables.append(_table("Warnings logged", report.events))
    return Section("events", "Fallbacks and failed fits", notes=notes, tables=tables)


#: Models listed one by one in the report when they did not learn (the rest: training.csv).
UNTRAINED_SHOWN = 30

#: Columns of the report's table of the models that did not learn.
UNTRAINED_COLUMNS = [
    "strategy",
    "asset",
    "window",
    "seed",
    "best_epoch",
    "best_validation_loss",
    "constant_validation_loss",
    "constant_sign",
    "sign_changes",
]


def _training(report: Report) -> Section | None:
    if report.training.empty:
        return None
    training = report.training
    failed = training[~training["learned"].astype(bool)]
    notes = [
        f"{len(training)} models trained, {len(failed)} did not learn. A model did not learn "
        "when its forecasts kept one sign over its whole test block, or when its best "
        "validation loss was not below that of the best constant forecast (chosen in "
        "hindsight on the validation targets). Losses are in the units of the training "
        "targets; every model's row is in training.csv."
    ]
    tables = [_table("Per strategy and asset", training_summary(training))]
    if not failed.empty:
        shown = failed[UNTRAINED_COLUMNS].head(UNTRAINED_SHOWN)
        shown = shown.assign(window=pd.to_datetime(shown["window"]).dt.strftime("%Y-%m-%d"))
        more = len(failed) - len(shown)
        caption = "Models that did not learn" + (
            f" (first {len(shown)}; {more} more in training.csv)" if more > 0 else ""
        )
        tables.append(_table(caption, shown.set_index("strategy")))
    return Section("training", "Model training", notes=notes, tables=tables)


#: Columns of the meta-learner's last refit per strategy and asset in the report.
STACKING_SHOWN = ("date", "training rows", "kept", "dropped", "abstained", "fallback")


def _stacking(report: Report) -> Section | None:
    if report.stacking.empty:
        return None
    stacking = report.stacking
    last = latest_refits(stacking)
    blend = [c for c in last.columns if c.startswith(("alpha ", "weight ", "oof rmse "))]
    shown = last[[c for c in STACKING_SHOWN if c in last.columns] + blend]
    shown = shown.assign(date=pd.to_datetime(shown["date"]).dt.strftime("%Y-%m-%d"))
    search, final = stopped_fits(stacking)
    notes = [
        f"{len(stacking)} refits of the meta-learner. At each, components that are "
        "near-copies of a better one, or nearly constant, are dropped; Ridge, Lasso and "
        "ElasticNet are tuned on chronological folds and blended by inverse out-of-fold "
        "RMSE. Every refit's row is in stacking.csv.",
    ]
    if search or final:
        notes.append(
            f"Coordinate-descent fits that stopped at max_iter: {search} in the "
            "regularization searches (expected at the small-alpha end of the grid), "
            f"{final} of the chosen models."
        )
    components = shown[[c for c in shown.columns if c not in blend]]
    tables = [
        _table("Last refit per strategy and asset: components", components),
        _table("Last refit per strategy and asset: meta-models", _meta_models(last, blend)),
    ]
    return Section("stacking", "Meta-learner", notes=notes, tables=tables)


def _meta_models(last: pd.DataFrame, blend: list[str]) -> pd.DataFrame:
    """One row per (strategy, asset, meta-model): its alpha, out-of-fold RMSE and blend
    weight at the last refit (``stacking.csv`` has them as columns per model)."""
    long = last[blend].stack().rename("value").reset_index(level=-1)
    long.columns = ["measure", "value"]
    model = long["measure"].str.rsplit(" ", n=1).str[1]
    measure = long["measure"].str.rsplit(" ", n=1).str[0]
    frame = long.assign(model=model.to_numpy(), measure=measure.to_numpy())
    frame = frame.set_index("model", append=True).pivot(columns="measure", values="value")
    return frame.reindex(columns=[c for c in ("alpha", "oof rmse", "weight") if c in frame])


def report_sections(report: Report, plots: list[Plot]) -> list[Section]:
    """The sections of a report, in order, keeping only figures that exist.

    Parameters
    ----------
    report : Report
    plots : list of Plot
        From :func:`aisfolio.portfolio.report.plots.report_plots`.

    Returns
    -------
    list of Section
    """
    available = {plot.key for plot in plots}
    sections = [
        s
        for s in (
            _orders(report),
            _performance(report),
            _tearsheet(report),
            _winners(report),
            _blending(report),
            _weights(report),
            _signals(report),
            _risk(report),
            _training(report),
            _stacking(report),
            _events(report),
        )
        if s is not None
    ]
    return [
        Section(s.key, s.title, s.notes, s.tables, [k for k in s.plots if k in available])
        for s in sections
    ]
