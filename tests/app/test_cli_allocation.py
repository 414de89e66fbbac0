"""The CLI with allocators: the hedge experiment's outputs, and bad settings (exit 2)."""

import pandas as pd
import pytest

from tests.app.cli_helpers import refused
from tests.app.test_cli import SMALL, aisfolio


def test_the_hedge_experiment_from_the_cli(tmp_path, default_run, session_result_cache):
    done = aisfolio("experiment=hedges", "data.end=2004-12-31", "hydra.run.dir=run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| ensemble_I | SP500+WTI | min_cvar |" in done.stdout
    table = pd.read_csv(tmp_path / "run" / "allocations.csv")
    assert set(table["method"]) == {"hedge", "min_variance", "min_cvar", "risk_parity"}
    decisions = pd.read_csv(tmp_path / "run" / "allocation_decisions.csv")
    assert len(decisions) > 0
    exposures = pd.read_parquet(tmp_path / "run" / "allocation_exposures.parquet")
    assert "min_variance/SP500+WTI/ensemble_I/WTI" in exposures.columns


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            ["allocator.min_variance.allocator.lower=0.6"],
            "config key 'allocator.min_variance.allocator.budget'",
        ),
        (
            ["+allocator.min_variance.allocator.bounds={nope:[0,1]}"],
            "config key 'allocator.min_variance.allocator.bounds.nope'",
        ),
        (["+allocator.min_variance.allocator.upperr=1"], "allocator.min_variance.allocator.upperr"),
    ],
)
def test_bad_allocator_settings_exit_2_naming_the_key(
    overrides, fragment, tmp_path, capsys, monkeypatch
):
    cheap = "generators=[buy_and_hold,momentum,contrarian]"  # the allocator's keys matter
    args = [*SMALL, cheap, "allocator=min_variance", *overrides]
    assert fragment in refused(*args, folder=tmp_path, capsys=capsys, monkeypatch=monkeypatch)
