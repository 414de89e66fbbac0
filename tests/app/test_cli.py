"""The ``aisfolio`` command, run as a user runs it (a subprocess in a fresh folder); the
mistakes that stop a run before any work run in this process, which is quicker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aisfolio import conf
from tests.app.cli_helpers import refused
from tests.portfolio.bad_inputs import make_bad_inputs

SMALL = ["data.end=2002-12-31"]


def aisfolio(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI as ``python -m aisfolio`` (the console script calls the same main)."""
    return subprocess.run(
        [sys.executable, "-m", "aisfolio", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _override(key: str, value: object) -> str:
    if value is None:
        return f"data.{key}=null"
    if isinstance(value, list):
        return f"data.{key}=[{','.join(map(str, value))}]"
    if isinstance(value, dict):
        return f"data.{key}={{{','.join(f'{k}:{v}' for k, v in value.items())}}}"
    return f"data.{key}={value}"


def test_a_run_writes_every_output(tmp_path):
    done = aisfolio(*SMALL, "hydra.run.dir=run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    for name in [
        "metrics.csv",
        "metrics.md",
        "table2_ais.csv",
        "table2_ais.md",
        "table3_ensembles.md",
        "table5_hedges.md",
        "equity.parquet",
        "positions.parquet",
        "equity.png",
        "config.yaml",
    ]:
        assert (run / name).stat().st_size > 0, name
    metrics = pd.read_csv(run / "metrics.csv", index_col="line")
    assert "hedge/SP500+WTI/ensemble_I" in metrics.index
    equity = pd.read_parquet(run / "equity.parquet")
    assert set(metrics.index) == set(equity.columns)
    assert "| SP500 | momentum |" in done.stdout
    # Hydra's own record (.hydra, aisfolio.log) aside, the counts are every file written.
    ours = [p for p in run.rglob("*") if p.is_file() and ".hydra" not in p.parts]
    logs = [p for p in ours if "lightning_logs" in p.parts]
    assert logs
    counts = f"wrote {len(ours) - len(logs) - 1} files to {run} (and {len(logs)} training log"
    assert counts in done.stdout
    assert not list(run.glob(".partial-*"))


def test_net_accounting_is_a_backtest_key_and_the_report_says_so(tmp_path):
    done = aisfolio(
        *SMALL,
        "generators=[buy_and_hold,momentum,contrarian]",
        "backtest.accounting=net",
        "significance.enabled=false",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    metrics = pd.read_csv(run / "metrics.csv", index_col="line")
    assert set(metrics["accounting"]) == {"net"}
    # Momentum and contrarian of one lookback cancel: their netted ensemble never trades.
    assert metrics.loc["SP500/ensemble_I", "trades"] == 0
    assert metrics.loc["SP500/ensemble_I", "aRC"] == 0.0
    html = (run / "report.html").read_text()
    assert "accounting: <b>net (each group line trades its net position per asset)</b>" in html
    assert "- accounting: **net (each group line" in (run / "report.md").read_text()


def test_a_multirun_sweeps_the_momentum_lookback(tmp_path, default_run, session_result_cache):
    done = aisfolio(
        "-m",
        *SMALL,
        "generators.momentum.generator.lookback=1,5",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    jobs = sorted((tmp_path / "sweep").glob("*/metrics.csv"))
    assert len(jobs) == 2
    first, second = (pd.read_csv(job, index_col="line") for job in jobs)
    assert first.loc["SP500/momentum", "aRC"] != second.loc["SP500/momentum", "aRC"]
    assert "lookback: 5" in (jobs[1].parent / "config.yaml").read_text()


def test_datasets_are_listed(tmp_path):
    done = aisfolio("datasets", cwd=tmp_path)
    assert done.returncode == 0 and "us_markets" in done.stdout


def test_help_names_the_groups(tmp_path):
    done = aisfolio("--help", cwd=tmp_path)
    assert done.returncode == 0
    groups = dict(
        line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line and "," in line
    )
    shipped = sorted(p.stem for p in (Path(conf.__file__).parent / "generators").glob("*.yaml"))
    assert groups["generators"].split(", ") == shipped
    assert {"combiner", "combiner_accelerated"} <= set(groups["combiners"].split(", "))
    assert "aisfolio datasets" in done.stdout


# Every bad file runs through the CLI in tests/portfolio/test_bad_inputs.py (in this
# process); these run as the user's shell runs them.
BAD_NAMES = ["missing_file", "non_numeric", "parquet_non_numeric"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_price_files_exit_2_with_the_message_and_write_nothing(name, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    case = {c.name: c for c in make_bad_inputs(inputs)}[name]
    work = tmp_path / "work"
    work.mkdir()
    overrides = [_override(key, value) for key, value in case.options.items()]
    done = aisfolio("data=file", f"data.path={case.path}", *overrides, cwd=work)
    assert done.returncode == 2, done.stderr
    for fragment in case.expected:
        assert fragment in done.stderr, (fragment, done.stderr)
    assert list(work.iterdir()) == [], "a failed run must leave nothing behind"


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("generators.momentum.generator.lookback=abc", "generators.momentum.generator.lookback"),
        ("generators.momentum.walk_forward.refit=hourly", "generators.momentum"),
        ("backtest.cost_rate=-1", "backtest.cost_rate"),
        ("backtest.cost_rate=1.0", "backtest.cost_rate"),
        ("backtest.cost_rate=0.5", "below 0.5"),
        ("ensemble.hedge_base=GOLD", "config key 'ensemble.hedge_base': hedge_base 'GOLD'"),
    ],
)
def test_bad_config_values_exit_2_naming_the_key(override, fragment, tmp_path, capsys, monkeypatch):
    err = refused(*SMALL, override, folder=tmp_path, capsys=capsys, monkeypatch=monkeypatch)
    assert fragment in err


def test_a_typo_in_a_key_is_refused(tmp_path):
    """As the user's shell runs it: a subprocess."""
    done = aisfolio("generators.momentum.generator.lookbak=3", cwd=tmp_path)
    assert done.returncode == 2
    assert "lookbak" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("backtest.cost_rat=0.001", ["config key 'backtest.cost_rat' does not exist"]),
        (
            "generators=[buy_and_hold,foo]",
            ["config group 'generators' has no option 'foo'", "available: arima_garch,", "lstm"],
        ),
        ("allocator=foo", ["config group 'allocator' has no option 'foo'", "min_variance"]),
        ("generators.momentum.generator.lookback=5,10", ["Ambiguous value", "--multirun"]),
    ],
)
def test_hydra_level_mistakes_exit_2_naming_the_key_or_the_options(
    override, fragments, tmp_path, capsys, monkeypatch
):
    err = refused(override, folder=tmp_path, capsys=capsys, monkeypatch=monkeypatch)
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (["backtest.cost_rat=0.1,0.2"], ["config key 'backtest.cost_rat' does not exist"]),
        (
            ["backtest.cost_rate=0.1,0.2", "generators=[momentum],[lstmx]"],
            ["config group 'generators' has no option 'lstmx'", "available: arima_garch,"],
        ),
        (["launcher=local", "allocator=none,foo"], ["group 'allocator' has no option 'foo'"]),
        (["backtest.start=2001-01-01,"], ["mismatched input"]),
    ],
)
def test_a_sweep_with_a_mistake_in_any_value_exits_2_before_any_job(
    overrides, fragments, tmp_path, capsys, monkeypatch
):
    err = refused(
        "-m",
        *overrides,
        "hydra.sweep.dir=sweep",
        folder=tmp_path,
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err


def test_lightning_logs_go_to_the_run_directory(tmp_path):
    done = aisfolio(
        "generators=[buy_and_hold,lstm]",
        "generators.lstm.generator.hidden_sizes=[4]",
        "generators.lstm.generator.epochs=2",
        "ensemble=none",
        "data.end=2001-12-31",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    logs = list((tmp_path / "run" / "lightning_logs").glob("version_*/metrics.csv"))
    assert len(logs) == 1
    assert "validation_loss" in logs[0].read_text().splitlines()[0]
    training = pd.read_csv(tmp_path / "run" / "training.csv")
    assert set(training["asset"]) == {"SP500", "NASDAQ", "WTI"}
    assert {"best_epoch", "constant_validation_loss", "learned"} <= set(training.columns)
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Model training" in report
    assert f"{len(training)} models trained" in report
    untrained = int((~training["learned"]).sum())
    events = pd.read_csv(tmp_path / "run" / "report" / "events.csv")
    warned = events["message"].str.contains("models did not learn").sum()
    assert warned == (1 if untrained else 0)


def test_an_option_that_needs_the_cluster_extra_says_how_to_install_it(tmp_path, monkeypatch):
    done = aisfolio("hydra/launcher=nosuch", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Hydra's launcher 'nosuch' is not installed" in done.stderr
    assert "pip install 'aisfolio[cluster]'" in done.stderr
    assert list(tmp_path.iterdir()) == []
    import importlib.util

    from aisfolio.strategies.execution import Executor

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    with pytest.raises(ValueError, match=r"needs Ray, which is not installed: pip install"):
        Executor(backend="ray")


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    # `aisfolio datasets | grep -q us_markets`: the reader may close the pipe first.
    process = subprocess.Popen(
        [sys.executable, "-m", "aisfolio", "datasets"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr
