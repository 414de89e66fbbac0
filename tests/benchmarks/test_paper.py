"""The replication script says why it skips without the paper's data, and compares the
rows it has published numbers for."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location(
        "paper_benchmark", ROOT / "benchmarks" / "paper.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_the_data_it_says_why_and_stops(tmp_path):
    missing = tmp_path / "nowhere.csv"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "paper.py"), "--data", str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert f"skipped: {missing} not found" in done.stdout


def test_the_published_rows_are_compared_metric_by_metric():
    paper = _script()
    index = pd.MultiIndex.from_tuples([("SP500", "buy_and_hold"), ("SP500", "momentum")])
    table = pd.DataFrame(
        {"aRC": [0.1025, 0.01], "aSD": [0.1933, 0.2], "MD": [0.5519, 0.5], "MLD": [4.5, 9.0],
         "IR**": [0.095, 0.0]},
        index=index,
    )  # fmt: skip
    compared = paper.comparison(table)
    assert list(compared.index.get_level_values("strategy").unique()) == ["buy_and_hold"]
    row = compared.loc[("SP500", "buy_and_hold", "aRC")]
    assert (row["paper"], row["aisfolio"]) == (0.1035, 0.1025)
    assert row["difference"] == pytest.approx(-0.001)
