"""Benchmark of a universe (issue 19): time and peak memory of a whole run against the
number of assets.

For each size, a synthetic universe is written to a CSV (seeded: a common market factor
plus independent noise, geometric random walks on business days), and the CLI runs on
it as a user runs it, in a subprocess under ``/usr/bin/time -v``: the default run's cheap
generators (buy-and-hold, momentum, contrarian), the paper's ensembles and hedges and
the full report, with or without the significance tests. Printed per size: wall time,
peak resident memory (the run's process and its largest worker), lines, exit status;
then each stage's time and the run's process's peak memory at its end, read from the
lines the run logs when a stage ends (``<stage>: <count> in <s> s, peak memory <GB> GB``).

Run from the repository root::

    python benchmarks/universe.py                          # 50, 200, 500 assets x 20 years
    python benchmarks/universe.py --sizes 2000 --years 5
    python benchmarks/universe.py --significance           # with the SPA and MCS tests
    python benchmarks/universe.py --sizes 2000 --years 5 --backends loky,ray \
        execution.min_parallel_seconds=0             # every chunk to the workers

With several ``--backends`` each size runs once per backend (``execution.backend``; Ray:
a new local instance), and the script says whether every backend wrote the same
metrics and equity lines as the first (exactly, bit for bit). The peak memory of Ray's
worker processes, which are not the run's children, is not in the peak column.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BARS_PER_YEAR = 252
STAGE_END = re.compile(r"\] - (.+?): \d+ \w+ in ([\d.]+) s, peak memory ([\d.]+) GB$", re.M)


def write_universe(path: Path, assets: int, years: int, seed: int = 0) -> None:
    """A CSV of ``assets`` synthetic daily closes over ``years`` years of business days."""
    rng = np.random.default_rng(seed)
    bars = years * BARS_PER_YEAR
    dates = pd.bdate_range("2000-01-03", periods=bars)
    returns = rng.normal(0.0002, 0.012, (bars, assets)) + rng.normal(0.0, 0.008, (bars, 1))
    prices = pd.DataFrame(
        100.0 * np.exp(np.cumsum(returns, axis=0)),
        index=pd.Index(dates, name="date"),
        columns=[f"A{i:04d}" for i in range(assets)],
    )
    prices.to_csv(path)


def run_once(
    prices: Path,
    folder: Path,
    significance: bool,
    backend: str = "loky",
    overrides: tuple[str, ...] = (),
) -> dict[str, object]:
    """One CLI run under ``/usr/bin/time -v``: wall seconds, peak memory, exit status."""
    command = [
        "/usr/bin/time",
        "-v",
        str(Path(sys.executable).with_name("aisfolio")),
        "data=file",
        f"data.path={prices}",
        "generators=[buy_and_hold,momentum,contrarian]",
        f"significance.enabled={str(significance).lower()}",
        "execution.cache=false",
        f"execution.backend={backend}",
        f"hydra.run.dir={folder}",
        *overrides,
    ]
    environment = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment)
    wall = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    lines = pd.read_csv(folder / "metrics.csv").shape[0] if done.returncode == 0 else 0
    stages = {
        name.split(" ")[0]: (float(seconds), float(memory))
        for name, seconds, memory in STAGE_END.findall(done.stdout)
    }
    return {
        "stages": stages,
        "wall_s": wall,
        "peak_gb": int(peak.group(1)) / 1e6 if peak else float("nan"),
        "lines": lines,
        "exit": done.returncode,
        "error": done.stderr.strip().splitlines()[-1] if done.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,500", help="numbers of assets")
    parser.add_argument("--years", type=int, default=20, help="years of daily prices")
    parser.add_argument("--significance", action="store_true", help="run the SPA and MCS tests")
    parser.add_argument("--backends", default="loky", help="execution backends, e.g. loky,ray")
    parser.add_argument("overrides", nargs="*", help="more Hydra overrides of every run")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print(
        f"# universe benchmark: {args.years} years of daily prices, buy-and-hold, momentum, "
        f"contrarian, ensembles, hedges, report; significance "
        f"{'on' if args.significance else 'off'}; {os.cpu_count()} CPUs visible"
    )
    print(
        "| assets | backend | lines | wall | peak memory (largest process) | same results | exit |"
    )
    print("|---|---|---|---|---|---|---|")
    stages: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as work:
        for assets in (int(size) for size in args.sizes.split(",")):
            prices = Path(work) / f"prices{assets}.csv"
            write_universe(prices, assets, args.years)
            first = None
            for backend in backends:
                folder = Path(work) / f"run{assets}-{backend}"
                row = run_once(prices, folder, args.significance, backend, tuple(args.overrides))
                stages[f"{assets} {backend}"] = row["stages"]  # type: ignore[assignment]
                same = "-"
                if first is None:
                    first = folder
                elif row["exit"] == 0:
                    same = str(_same_results(first, folder))
                print(
                    f"| {assets} | {backend} | {row['lines']} | {row['wall_s']:.0f} s | "
                    f"{row['peak_gb']:.2f} GB | {same} | {row['exit']} {row['error']} |",
                    flush=True,
                )
    names = list(dict.fromkeys(name for by_stage in stages.values() for name in by_stage))
    print("\nper stage: seconds (peak memory of the run's process so far, GB)\n")
    print("| assets, backend | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for run, by_stage in stages.items():
        cells = [
            f"{by_stage[name][0]:.1f} s ({by_stage[name][1]:.2f})" if name in by_stage else "-"
            for name in names
        ]
        print(f"| {run} | " + " | ".join(cells) + " |")


def _same_results(first: Path, other: Path) -> bool:
    """Whether two runs wrote exactly the same metrics and equity lines."""
    try:
        pd.testing.assert_frame_equal(
            pd.read_csv(first / "metrics.csv"), pd.read_csv(other / "metrics.csv"), check_exact=True
        )
        pd.testing.assert_frame_equal(
            pd.read_parquet(first / "equity.parquet"),
            pd.read_parquet(other / "equity.parquet"),
            check_exact=True,
        )
    except AssertionError:
        return False
    return True


if __name__ == "__main__":
    main()
