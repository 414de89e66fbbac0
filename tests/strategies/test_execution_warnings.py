"""Python warnings are counted per kind, in this process and in the workers, and a run
reports each kind once with its count."""

from __future__ import annotations

import logging
import warnings

import pytest

import aisfolio.portfolio as pf
from aisfolio.strategies import Strategy
from aisfolio.strategies.execution import Executor
from aisfolio.strategies.execution.warning_counts import counting_warnings, describe, record
from tests.strategies.execution_helpers import WarningMomentum


def test_each_warning_is_counted_by_kind_and_not_shown(capsys):
    with counting_warnings() as counts:
        for _ in range(3):
            warnings.warn("same text", UserWarning, stacklevel=1)
        warnings.warn("other text", RuntimeWarning, stacklevel=1)
    assert counts[("UserWarning", "test_execution_warnings", "same text")] == 3
    assert counts[("RuntimeWarning", "test_execution_warnings", "other text")] == 1
    assert capsys.readouterr().err == ""


def test_filters_that_ignore_a_kind_still_ignore_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with counting_warnings() as counts:
            warnings.warn("ignored", FutureWarning, stacklevel=1)
            warnings.warn("kept", UserWarning, stacklevel=1)
    assert [kind[2] for kind in counts] == ["kept"]


def test_nested_counts_reach_the_outer_ledger_once():
    with counting_warnings() as outer:
        with counting_warnings():
            warnings.warn("inner", UserWarning, stacklevel=1)
        with counting_warnings(propagate=False) as job:
            warnings.warn("job", UserWarning, stacklevel=1)
        record(dict(job))  # what the executor does with a job's counts
    assert sorted((kind[2], n) for kind, n in outer.items()) == [("inner", 1), ("job", 1)]


def test_counts_recorded_outside_a_run_warn_once_per_kind():
    with pytest.warns(RuntimeWarning, match=r"7 x UserWarning from sklearn: slow"):
        record({("UserWarning", "sklearn", "slow\nsecond line"): 7})
    assert describe(("A", "b", ""), 2) == "2 x A from b: "


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_a_run_lists_each_kind_once_with_its_count(backend, us_markets_short, caplog, capfd):
    prices = us_markets_short[["SP500", "WTI"]].loc[:"2004-12-31"]
    executor = Executor(backend=backend, n_jobs=2, progress="off", min_parallel_seconds=0)
    pipeline = pf.Pipeline({"noisy": Strategy(WarningMomentum(1))}, execution=executor)
    with caplog.at_level(logging.WARNING):
        result = pipeline.run(prices)
    rows = result.events[result.events["message"].str.contains("noisy fit")]
    assert len(rows) == 1  # one row for the kind, however many fits raised it
    message = rows["message"].iloc[0]
    assert message.endswith("UserWarning from execution_helpers: noisy fit (counted, not printed)")
    assert int(message.split(" x ")[0]) >= 4  # a refit per quarter and asset over 2 years
    printed = capfd.readouterr()
    assert "noisy fit" not in printed.err.replace(message, "")
    assert "noisy fit" not in printed.out
