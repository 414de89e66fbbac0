"""Every example of the README runs: the Python blocks, and each CLI command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
CLI_COMMANDS = [
    line.split("#")[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    for line in block.splitlines()
    if line.startswith(".venv/bin/aisfolio")
]


def test_the_readme_has_examples():
    assert PYTHON_BLOCKS and len(CLI_COMMANDS) >= 8


# The examples share one result cache, as a user's runs share theirs: those on the
# default generators reuse the LSTM fits of the session's default run.


@pytest.mark.parametrize("block", PYTHON_BLOCKS)
def test_python_example_runs(block, tmp_path, monkeypatch, default_run, session_result_cache):
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})


@pytest.mark.parametrize("command", CLI_COMMANDS)
def test_cli_example_runs(command, tmp_path, us_markets, default_run, session_result_cache):
    # The user's file of the "your own prices" example, from real closes.
    us_markets.loc[:"2006-06-30"].rename_axis("date").to_csv(tmp_path / "prices.csv")
    # The holdings file of the rebalancing example, as the README shows it.
    holdings = re.search(r"```csv\n(asset,weight.*?)```", README, flags=re.S)
    assert holdings is not None
    (tmp_path / "holdings.csv").write_text(holdings.group(1))
    args = shlex.split(command)[1:]
    if "--help" not in args and "--cfg" not in args and args != ["datasets"]:
        args.append("backtest.end=2006-06-30")  # a short history keeps the suite quick
    done = subprocess.run(
        [sys.executable, "-m", "aisfolio", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
