"""A small real run and its written outputs, shared by the report, targets, orders and CLI
tests (a plugin of the root conftest).

One asset is renamed ``<script>alert(1)</script>``: every report test also sees a
hostile name taken from a data file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aisfolio.app.composition import pipeline_from_config
from aisfolio.app.outputs import OutputWriter
from aisfolio.portfolio.results import RunResult

#: The hostile asset name (NASDAQ's prices).
HOSTILE = "<script>alert(1)</script>"
GENERATORS = "generators=[buy_and_hold,momentum,contrarian]"


@pytest.fixture(scope="session")
def default_run(us_markets: pd.DataFrame) -> RunResult:
    """The CLI's default run (its LSTM included) on the embedded ``us_markets``, in the
    session's result cache: later runs of the default generators there reuse its fits."""
    return pipeline_from_config().run(us_markets)


@pytest.fixture(scope="session")
def hostile_prices(us_markets_short: pd.DataFrame) -> pd.DataFrame:
    """2003-2006 closes of SP500, WTI and NASDAQ renamed to :data:`HOSTILE`."""
    return us_markets_short.rename(columns={"NASDAQ": HOSTILE})


@pytest.fixture(scope="session")
def run_result(hostile_prices: pd.DataFrame) -> RunResult:
    """buy-and-hold, momentum, contrarian, the paper's ensembles and hedges."""
    return pipeline_from_config([GENERATORS]).run(hostile_prices)


@pytest.fixture(scope="session")
def run_folder(run_result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of :func:`run_result` as the CLI writes them."""
    folder = tmp_path_factory.mktemp("run")
    OutputWriter().write(run_result, folder)
    return folder


#: The blending stages on top of :data:`GENERATORS`: stacking, a combiner, an allocation.
BLENDS = ["stacking=[meta_learner]", "combiners=[combiner]", "allocator=[min_variance]"]


@pytest.fixture(scope="session")
def full_run_folder(hostile_prices: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of a run with every blending stage (:data:`BLENDS`)."""
    result = pipeline_from_config([GENERATORS, *BLENDS]).run(hostile_prices)
    folder = tmp_path_factory.mktemp("full-run")
    OutputWriter().write(result, folder)
    return folder
