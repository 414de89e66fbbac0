"""Benchmark: the cold default run on a quiet machine and on a busy one (issue 19).

The default ``aisfolio`` run (embedded data: buy-and-hold, momentum, contrarian and the
LSTM) as a user runs it (a subprocess, an empty result cache each time), first with the
machine quiet, then while ``--hogs`` processes (default: one per core) spin on the
cores, and each time under the thread settings a user may have: none, and
``OMP_NUM_THREADS`` set to the number of cores. It prints the wall times, the busy / quiet
ratio per setting, and whether every run gave the same metrics (the executor gives
every job ``execution.threads_per_job`` threads, whatever the environment says).

Run from the repository root::

    python benchmarks/busy.py               # 2 repeats
    python benchmarks/busy.py --repeats 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _spin(stop: multiprocessing.synchronize.Event) -> None:
    """Keep one core busy until ``stop`` is set."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _default_run(environment: dict[str, str]) -> tuple[float, bytes]:
    """Wall time of one cold default run, and its metrics.csv."""
    with tempfile.TemporaryDirectory() as work:
        env = {**environment, "AISFOLIO_CACHE_DIR": str(Path(work) / "cache")}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "aisfolio", f"hydra.run.dir={work}/run"],
            env=env,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started, (Path(work) / "run" / "metrics.csv").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    base = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    settings = {"no thread variables": base, f"OMP_NUM_THREADS={cores}": {
        **base, "OMP_NUM_THREADS": str(cores)}}  # fmt: skip
    times: dict[tuple[str, str], list[float]] = {}
    outputs = set()
    for repeat in range(args.repeats):
        for state in ("quiet", "busy"):
            stop = multiprocessing.Event()
            hogs = []
            if state == "busy":
                hogs = [
                    multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(args.hogs)
                ]
                for hog in hogs:
                    hog.start()
            try:
                for name, environment in settings.items():
                    seconds, metrics = _default_run(environment)
                    times.setdefault((name, state), []).append(seconds)
                    outputs.add(metrics)
                    print(f"repeat {repeat + 1}, {state}, {name}: {seconds:.1f} s", flush=True)
            finally:
                stop.set()
                for hog in hogs:
                    hog.join()
    print(f"\n{cores} cores, {args.hogs} spinning processes when busy")
    for name in settings:
        quiet, busy = times[name, "quiet"], times[name, "busy"]
        ratios = [b / q for q, b in zip(quiet, busy, strict=True)]
        print(
            f"{name}: quiet {min(quiet):.1f}-{max(quiet):.1f} s, busy {min(busy):.1f}-"
            f"{max(busy):.1f} s, busy / quiet {min(ratios):.2f}-{max(ratios):.2f}"
        )
    print(f"identical metrics in every run: {len(outputs) == 1}")


if __name__ == "__main__":
    main()
