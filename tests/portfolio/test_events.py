"""A run keeps the warnings logged and the failed fits counted by its generators."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

import portfolio as pf
from portfolio.report import build_report, write_report
from strategies import Generator, Strategy


class Grumpy(Generator):
    """Forecasts +1 and reports that some of its fits fell back."""

    def fit_predict_batch(self, tasks):
        logging.getLogger("strategies.grumpy").warning("grumpy: %d windows fell back", len(tasks))
        self.failures_ = pd.DataFrame({"reused": [2, 0], "arma00": [0, 0]}, index=["SP500", "WTI"])
        return [np.ones(task.n) for task in tasks]


def test_warnings_and_failures_reach_the_result_and_the_report(us_markets_short, tmp_path):
    prices = us_markets_short[["SP500", "WTI"]]
    result = pf.Pipeline({"grumpy": Strategy(Grumpy())}, ensembles=None).run(prices)
    events = result.events
    assert len(events) == 1
    assert events.loc[0, "level"] == "warning" and events.loc[0, "source"] == "strategies.grumpy"
    assert (
        events.loc[0, "message"].startswith("grumpy:")
        and "windows fell back" in events.loc[0, "message"]
    )
    assert result.fit_failures.to_dict("records") == [
        {"strategy": "grumpy", "asset": "SP500", "kind": "reused", "count": 2}
    ]
    write_report(build_report(result), tmp_path)
    assert "fell back" in pd.read_csv(tmp_path / "report" / "events.csv")["message"].iloc[0]
    html = (tmp_path / "report.html").read_text()
    assert "Failed fits" in html and "grumpy: " in html


def test_the_collector_is_removed_after_the_run(us_markets_short):
    prices = us_markets_short[["SP500", "WTI"]]
    pf.Pipeline({"grumpy": Strategy(Grumpy())}, ensembles=None).run(prices)
    for name in ("strategies", "ensemble", "portfolio"):
        assert not [
            h for h in logging.getLogger(name).handlers if type(h).__name__ == "EventCollector"
        ]
