"""Shared fixtures: the embedded real prices that the arch package ships."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from portfolio.datasets import load_dataset

# One intra-op thread: the tests' tensors are tiny, and a second thread only spins when
# the machine is busy.
torch.set_num_threads(1)


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
    from strategies.execution import CACHE_DIR_VARIABLE

    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path_factory.mktemp("cache")))


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
