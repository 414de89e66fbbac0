"""A universe through the CLI: 300 assets, every stage, figures of a bounded size."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd

from tests.app.cli_helpers import in_process

ASSETS = 300
#: Largest width and height of a figure in pixels, whatever the number of lines: the
#: tallest is equity.png with its most panels (12 assets and 4 kinds of groups, in 8 rows
#: of 3.6 inches at 110 dpi); the report's figures are capped at 14 inches at 90 dpi.
MAX_PIXELS = 3200


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_a_universe_of_300_assets_runs_with_figures_of_a_bounded_size(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2015-01-01", periods=420, name="date")
    returns = rng.normal(0.0003, 0.012, (len(dates), ASSETS)) + rng.normal(
        0, 0.008, (len(dates), 1)
    )
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(returns, axis=0)),
        index=dates,
        columns=[f"A{i:03d}" for i in range(ASSETS)],
    )
    prices.to_csv(tmp_path / "universe.csv")
    monkeypatch.chdir(tmp_path)
    code = in_process(
        "data=file",
        "data.path=universe.csv",
        "generators=[buy_and_hold,momentum,contrarian]",
        "significance.reps=20",
        "execution.cache=false",
        "hydra.run.dir=run",
    )
    assert code == 0
    run = tmp_path / "run"
    metrics = pd.read_csv(run / "metrics.csv", index_col=0)
    kinds = metrics["kind"].value_counts()
    assert kinds["AIS"] == 3 * ASSETS and kinds["ensemble_I"] == ASSETS
    assert kinds["hedge"] >= ASSETS - 1
    assert metrics["MCS p"].notna().sum() > ASSETS  # the tests ran over the groups
    figures = [run / "equity.png", *sorted((run / "report" / "plots").glob("*.png"))]
    assert len(figures) > 5
    for figure in figures:
        width, height = _png_size(figure)
        assert width <= MAX_PIXELS and height <= MAX_PIXELS, (figure.name, width, height)
