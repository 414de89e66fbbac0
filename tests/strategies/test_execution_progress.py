"""Progress of the execution layer: a bar on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
import re
import threading
import time

from aisfolio.strategies import WalkForward
from aisfolio.strategies.execution import Executor
from aisfolio.strategies.execution.progress import Progress, peak_memory_gb, stage
from tests.strategies.execution_helpers import (
    CountingMomentum,
    assets,
    quarterly_from,
    small_arima,
)


def test_log_lines_report_chunks_and_an_eta(sp500, caplog):
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    walk = WalkForward(refit="monthly", min_train=20)
    Executor(progress="log", log_interval=1e-9).run(CountingMomentum(), walk, [sp500])
    total = len(walk.plan(sp500.index, CountingMomentum()))
    lines = [r.getMessage() for r in caplog.records if "ETA" in r.getMessage()]
    assert lines and lines[-1].endswith("ETA 0 s")
    assert f"{total}/{total} chunks" in lines[-1]
    assert f"{total} computed" in caplog.text


def test_a_bar_counts_chunks_on_stderr(capsys):
    progress = Progress(10, "bar", "walk-forward test")
    for _ in range(10):
        progress.advance(1)
    progress.close()
    err = capsys.readouterr().err
    assert "walk-forward test" in err and "10/10" in err and "chunk" in err


def test_auto_is_a_bar_on_a_terminal_and_log_lines_elsewhere(monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    logged = Progress(3, "auto", "x")
    assert logged.mode == "log"
    logged.close()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    terminal = Progress(3, "auto", "x")
    assert terminal.mode == "bar"
    terminal.close()
    assert Progress(0, "bar", "x").mode == "off"  # nothing to compute, nothing shown


def test_chunks_stored_by_workers_count_once(tmp_path, caplog):
    """With a cache, progress also follows the entries workers store mid-job; every
    chunk still counts exactly once."""
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    inputs = assets()
    walk = quarterly_from(inputs, "2004-07-01")
    executor = Executor(progress="log", log_interval=1e-9, cache=True, cache_dir=str(tmp_path))
    executor.run(small_arima(), walk, inputs)
    total = executor.stats.computed
    counts = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.match(rf"walk-forward: (\d+)/{total} chunks", r.getMessage()))
    ]
    assert counts and counts[-1] == total and counts == sorted(counts)


def test_a_line_says_still_running_while_no_chunk_finishes(caplog):
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    progress = Progress(3, "log", "walk-forward lstm", interval=0.1)
    progress.advance(1)
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while "still running" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.close()
    [line, *_] = [r.getMessage() for r in caplog.records if "still running" in r.getMessage()]
    assert line.startswith("walk-forward lstm: 1/3 chunks,")
    assert "aisfolio-progress" not in {thread.name for thread in threading.enumerate()}


def test_a_stage_counts_its_units_and_logs_its_time_and_peak_memory(caplog):
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    with stage("significance", 2, "log", interval=1e-9, unit="group") as progress:
        progress.advance(1)
        progress.advance(1)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("significance: 1/2 groups,") for m in messages)
    assert re.fullmatch(
        r"significance: 2 groups in \d+\.\d s, peak memory \d+\.\d\d GB", messages[-1]
    )
    assert peak_memory_gb() > 0.01  # this process holds at least NumPy and pandas


def test_a_stage_that_fails_or_is_off_logs_no_end_line(caplog):
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    with stage("quiet", 3, "off", unit="group") as progress:
        progress.advance(3)
    try:
        with stage("failing", 3, "log", unit="group"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert "quiet" not in caplog.text and "failing: 3 groups in" not in caplog.text
    assert "aisfolio-progress" not in {thread.name for thread in threading.enumerate()}
