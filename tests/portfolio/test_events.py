"""A run keeps the warnings logged and the failed fits counted by its generators."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

import aisfolio.portfolio as pf
from aisfolio.portfolio.events import WATCHED
from aisfolio.portfolio.report import ReportSettings, build_report, write_report
from aisfolio.strategies import Generator, Strategy, WalkForward


class Grumpy(Generator):
    """Forecasts +1 and reports that some of its fits fell back."""

    def fit_predict_batch(self, tasks):
        logging.getLogger("aisfolio.strategies.grumpy").warning(
            "grumpy: %d windows fell back", len(tasks)
        )
        self.failures_ = pd.DataFrame({"reused": [2, 0], "arma00": [0, 0]}, index=["SP500", "WTI"])
        return [np.ones(task.n) for task in tasks]


def test_warnings_and_failures_reach_the_result_and_the_report(us_markets_short, tmp_path):
    prices = us_markets_short[["SP500", "WTI"]]
    result = pf.Pipeline({"grumpy": Strategy(Grumpy())}, ensembles=None).run(prices)
    events = result.events
    assert len(events) == 1
    assert (
        events.loc[0, "level"] == "warning"
        and events.loc[0, "source"] == "aisfolio.strategies.grumpy"
    )
    assert (
        events.loc[0, "message"].startswith("grumpy:")
        and "windows fell back" in events.loc[0, "message"]
    )
    assert result.fit_failures.to_dict("records") == [
        {"strategy": "grumpy", "asset": "SP500", "kind": "reused", "count": 2,
         "first": pd.NaT, "last": pd.NaT}
    ]  # fmt: skip
    write_report(build_report(result), tmp_path)
    assert "fell back" in pd.read_csv(tmp_path / "report" / "events.csv")["message"].iloc[0]
    html = (tmp_path / "report.html").read_text()
    assert "Failed fits" in html and "grumpy: " in html


def test_the_collector_is_removed_after_the_run(us_markets_short):
    prices = us_markets_short[["SP500", "WTI"]]
    pf.Pipeline({"grumpy": Strategy(Grumpy())}, ensembles=None).run(prices)
    for name in WATCHED:
        assert not [
            h for h in logging.getLogger(name).handlers if type(h).__name__ == "EventCollector"
        ]


class Dated(Generator):
    """Forecasts +1 and logs a fallback on the first bar of every chunk."""

    def fit_predict_batch(self, tasks):
        self.failure_log_ = pd.DataFrame(
            [{"asset": t.history.name, "date": t.train.index[-1], "kind": "reused", "count": 1}
             for t in tasks]
        )  # fmt: skip
        return [np.ones(task.n) for task in tasks]


def test_a_report_lists_the_failures_since_a_date(us_markets_short, tmp_path):
    prices = us_markets_short[["SP500"]]
    walk = WalkForward(refit="quarterly", min_train=5)
    result = pf.Pipeline({"dated": Strategy(Dated(), walk_forward=walk)}, ensembles=None).run(
        prices
    )
    log_ = result.fit_failure_log
    assert len(log_) == len(walk.plan(prices["SP500"].dropna().index, Dated())) > 8
    whole = result.fit_failures.set_index("kind").loc["reused"]
    assert (whole["count"], whole["first"], whole["last"]) == (
        len(log_),
        log_["date"].min(),
        log_["date"].max(),
    )
    since = "2005-12-31"
    report = build_report(result, ReportSettings(since=since))
    recent = report.fit_failures.set_index("kind").loc["reused"]
    assert recent["count"] == (log_["date"] > since).sum() < len(log_)
    assert recent["first"] > pd.Timestamp(since)
    write_report(report, tmp_path)
    assert f"dated after {since}" in (tmp_path / "report.html").read_text()
