"""Shared fixtures: the embedded real prices that the arch package ships."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile

import pandas as pd
import pytest
import torch

from aisfolio.portfolio.datasets import load_dataset

pytest_plugins = ["tests.run_fixtures"]

# One intra-op thread: the tests' tensors are tiny, and a second thread only spins when
# the machine is busy.
torch.set_num_threads(1)

_SESSION_CACHE = tempfile.mkdtemp(prefix="aisfolio-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """Module- and session-scoped fixtures run before the per-test cache below: they,
    too, get a private cache, never the user's."""
    from aisfolio.strategies.execution import CACHE_DIR_VARIABLE

    os.environ[CACHE_DIR_VARIABLE] = _SESSION_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def us_markets() -> pd.DataFrame:
    """S&P 500, NASDAQ and WTI daily closes, 1999-2018, each on its own calendar."""
    return load_dataset("us_markets")


@pytest.fixture(scope="session")
def us_markets_short(us_markets: pd.DataFrame) -> pd.DataFrame:
    """Four years of ``us_markets`` (2003-2006), for tests that rerun a pipeline often."""
    return us_markets.loc["2003-01-01":"2006-12-31"].dropna(how="all")


@pytest.fixture(scope="session")
def sp500(us_markets: pd.DataFrame) -> pd.Series:
    """S&P 500 closes on their own calendar."""
    return us_markets["SP500"].dropna()


@pytest.fixture(autouse=True)
def _private_result_cache(tmp_path_factory, monkeypatch):
    """Each test (and every CLI it runs) gets its own result cache, never the user's."""
    from aisfolio.strategies.execution import CACHE_DIR_VARIABLE

    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def session_result_cache(monkeypatch) -> str:
    """The session's result cache instead of the test's own, for tests that run the
    default generators and only read results (cached forecasts are bit-identical to
    computed ones): they reuse the LSTM fits of the session's ``default_run``."""
    from aisfolio.strategies.execution import CACHE_DIR_VARIABLE

    monkeypatch.setenv(CACHE_DIR_VARIABLE, _SESSION_CACHE)
    return _SESSION_CACHE


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """A CLI run in this process lets Hydra configure logging (handlers on this test's
    captured stdout, which pytest closes): later tests then log to a closed file."""
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    known = {id(state[0]) for state in saved}
    for name in list(logging.root.manager.loggerDict):
        added = logging.getLogger(name)
        if id(added) not in known:
            added.handlers.clear()
    for logger, handlers, level, propagate, disabled in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.fixture(scope="session")
def ray_head():
    """A local Ray instance on 127.0.0.1 (2 CPUs), shut down after the tests using it;
    yields the address other processes join it by."""
    ray = pytest.importorskip("ray", reason="ray is in the dev extra")
    context = ray.init(
        _node_ip_address="127.0.0.1",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield context.address_info["gcs_address"]
    ray.shutdown()
