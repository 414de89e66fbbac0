"""Benchmark of the model confidence set's range statistic (issue 19): arch's ``MCS(method="R")``
against ``aisfolio.portfolio.confidence_set.range_statistic_pvalues`` on the same losses.

The candidates are built from the S&P 500's daily returns (arch's data set, the last
``--days`` days): each a random leverage in [-1, 1.5] of the index, lagged by 0 to 4
days, plus a constant drift and its own noise, so that some lines are close to each
other and some far. Both get the same bootstrap (500 replications, mean block length
10, the same seed) and must give the same p-values; the script checks it.

Each measurement runs in a fresh process (one BLAS and numba thread) so that its peak
resident memory (``VmHWM``) is its own; the process's memory after the imports is
printed too. Run from the repository root::

    python benchmarks/confidence_set.py                       # 50..400 both, up to 4,000 ours
    python benchmarks/confidence_set.py --both 50,100 --ours-only 800 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402

REPS = 500
BLOCK_SIZE = 10
SEED = 0


def _peak_rss_gb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e6
    return float("nan")


def _losses(candidates: int, days: int) -> np.ndarray:
    from arch.data import sp500

    returns = sp500.load()["Adj Close"].pct_change().dropna().to_numpy()[-days:]
    rng = np.random.default_rng(candidates)
    lines = [
        rng.uniform(-1.0, 1.5) * np.roll(returns, int(rng.integers(0, 5)))
        + rng.normal(0.0, 2e-4)
        + rng.normal(0.0, 1e-3, len(returns))
        for _ in range(candidates)
    ]
    return -np.column_stack(lines)


def _measure(
    implementation: str, candidates: int, days: int
) -> tuple[float, float, float, np.ndarray]:
    """(seconds, peak GB, GB after imports and data, p-values) in this fresh process."""
    from arch.bootstrap import MCS

    from aisfolio.portfolio.confidence_set import range_statistic_pvalues

    losses = _losses(candidates, days)
    if implementation == "ours":  # compile outside the timing (numba caches it on disk)
        range_statistic_pvalues(losses[:50, :3], reps=10, block_size=2, seed=0)
    before = _peak_rss_gb()
    start = time.perf_counter()
    if implementation == "arch":
        mcs = MCS(losses, size=0.1, reps=REPS, block_size=BLOCK_SIZE, method="R", seed=SEED)
        mcs.compute()
        pvalues = mcs.pvalues.sort_index().iloc[:, 0].to_numpy()
    else:
        pvalues = range_statistic_pvalues(losses, reps=REPS, block_size=BLOCK_SIZE, seed=SEED)
    seconds = time.perf_counter() - start
    return seconds, _peak_rss_gb(), before, pvalues


def _in_fresh_process(implementation: str, candidates: int, days: int):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measure, implementation, candidates, days).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--both", default="50,100,200,400", help="sizes run by arch and ours")
    parser.add_argument("--ours-only", default="800,2000,4000", help="sizes run by ours only")
    parser.add_argument("--days", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    both = [int(size) for size in args.both.split(",") if size]
    ours_only = [int(size) for size in args.ours_only.split(",") if size]

    print(f"{REPS} replications, block {BLOCK_SIZE}, {args.days} days, 1 thread")
    header = "lines | arch s | arch peak GB | ours s | ours peak GB | ratio | in set | same p"
    print(header)
    print("-" * len(header))
    for candidates in both + ours_only:
        for _ in range(args.repeats):
            ours = _in_fresh_process("ours", candidates, args.days)
            arch = _in_fresh_process("arch", candidates, args.days) if candidates in both else None
            in_set = int((ours[3] > 0.1).sum())
            if arch is None:
                print(
                    f"{candidates} | - | - | {ours[0]:.2f} | {ours[1]:.2f} "
                    f"(imports {ours[2]:.2f}) | - | {in_set} | -"
                )
                continue
            same = bool(np.array_equal(arch[3], ours[3]))
            print(
                f"{candidates} | {arch[0]:.2f} | {arch[1]:.2f} (imports {arch[2]:.2f}) | "
                f"{ours[0]:.2f} | {ours[1]:.2f} | {arch[0] / ours[0]:.0f}x | {in_set} | {same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
