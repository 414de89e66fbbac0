"""Benchmark of the ARIMA-GARCH generator (issues 3 and 20): the compiled engine, the numpy
engine and the naive refit on the same protocol.

Part 0, the compiled engine's first call: a fresh process compiles the kernels and the
optimizer into an empty numba cache (``NUMBA_CACHE_DIR`` pointed at a new folder), then a
second fresh process loads them from that cache; both times printed.

Part 1, one year of daily forecasts on the embedded S&P 500 under the paper's full
protocol (orders p, q <= 5 re-selected by AIC on the first trading day of each quarter,
parameters re-estimated every day on the last 3 x 365 calendar days, normal errors), run
by the walk-forward engine with the three engines in the same process: ``compiled``
(numba likelihood, gradient, filter and optimizer), ``numpy`` (the same algorithm over the
numpy likelihood, the reference the compiled one is tested against) and ``reference``
(the naive refit: statsmodels ARIMA + arch GARCH on its residuals, cold starts every
day). Wall and CPU times, the ratios, the largest difference between the compiled and
numpy forecasts, and the agreement of the compiled and reference forecasts.

Part 2, the full protocol with the compiled engine on S&P 500, NASDAQ and WTI over a
span (default 2000-2018), one process per asset on ``--jobs`` cores: the wall time, per
asset the CPU time, orders chosen, fallbacks. A shorter span is extrapolated to
2000-2018 by the number of decisions, and the output says so.

Part 3 (``--audit N``), the global-maximum audit: on N windows of the protocol (S&P 500
and WTI), the order search with orders up to ``--audit-order`` against the independent
oracle of the tests (``tests/strategies/test_arima_garch_oracle.py``) fitted to the
chosen order, and the share of windows where the maximized log-likelihoods agree within
1e-3.

Run from the repository root (one BLAS thread per process unless set)::

    python benchmarks/arima_garch.py                        # parts 0, 1 and 2, 2000-2018
    python benchmarks/arima_garch.py --year 2018 --span 2016-01-01:2018-12-31 --audit 40
    python benchmarks/arima_garch.py --no-reference          # parts 0 and 2
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import aisfolio.portfolio as pf  # noqa: E402
from aisfolio.strategies import SignalRule, Strategy, WalkForward  # noqa: E402
from aisfolio.strategies.arima_garch import ArimaGarch  # noqa: E402

PAPER = {"max_p": 5, "max_q": 5, "criterion": "aic", "window_years": 3, "refit_every": 1}
FULL_SPAN = ("2000-01-01", "2018-12-31")


def _strategy(engine: str, prices: pd.Series, start: str, **settings) -> Strategy:
    first = int(np.searchsorted(prices.index, pd.Timestamp(start)))
    walk = WalkForward(window="expanding", min_train=first + 1, refit="quarterly")
    return Strategy(ArimaGarch(engine=engine, **{**PAPER, **settings}), SignalRule(), walk)


def _run(engine: str, prices: pd.Series, start: str, end: str, **settings):
    prices = prices.loc[:end]
    strategy = _strategy(engine, prices, start, **settings)
    wall, cpu = time.perf_counter(), time.process_time()
    strategy.run(prices)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return strategy.generator.diagnostics_, strategy.generator.failures_, wall, cpu


COMPILE_PROBE = (
    "import time; t = time.perf_counter(); "
    "from aisfolio.strategies.arima_garch import compiled; i = time.perf_counter(); "
    "compiled.warm_up(); w = time.perf_counter(); print(i - t, w - i)"
)


def part_zero() -> dict[str, float]:
    print("\n## Part 0: the compiled engine's first call in a fresh process")
    figures = {}
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty cache (compiles)", "warm cache (loads)"):
            output = subprocess.run(
                [sys.executable, "-c", COMPILE_PROBE],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            imported, first = float(output[0]), float(output[1])
            print(f"{label}: import {imported:.2f} s, first call of every kernel {first:.2f} s")
            figures[label] = first
    return figures


def part_one(prices: pd.Series, year: int) -> dict[str, float]:
    from aisfolio.strategies.arima_garch import compiled

    compiled.warm_up()  # compiled or loaded from the cache: part 0 measures that
    start, end = f"{year}-01-01", f"{year}-12-31"
    print(f"\n## Part 1: S&P 500, {year}, paper protocol, three engines (one process)")
    runs = {}
    for engine in ("compiled", "numpy", "reference"):
        frame, failures, wall, cpu = _run(engine, prices, start, end)
        runs[engine] = frame, failures, wall, cpu
        print(f"{engine:>9} engine: {wall:8.2f} s wall, {cpu:8.2f} s CPU ({len(frame)} forecasts)")
    walls = {engine: run[2] for engine, run in runs.items()}
    cpus = {engine: run[3] for engine, run in runs.items()}
    fast, numpy_, naive = (runs[e][0] for e in ("compiled", "numpy", "reference"))
    gap = (fast["mean"] - numpy_["mean"]).abs()
    figures = {
        "compiled_s": walls["compiled"],
        "numpy_s": walls["numpy"],
        "reference_s": walls["reference"],
        "ratio": walls["reference"] / walls["compiled"],
        "cpu_ratio": cpus["reference"] / cpus["compiled"],
        "numpy_ratio": walls["reference"] / walls["numpy"],
        "compiled_vs_numpy": walls["numpy"] / walls["compiled"],
        "largest_forecast_difference": float(gap.max()),
        "loglik_gap": float((fast.loglik - numpy_.loglik).abs().max()),
        "sign_agreement": float((np.sign(fast["mean"]) == np.sign(naive["mean"])).mean()),
        "mean_correlation": float(np.corrcoef(fast["mean"], naive["mean"])[0, 1]),
        "variance_correlation": float(np.corrcoef(fast["variance"], naive["variance"])[0, 1]),
    }
    print(
        f"naive / compiled: {figures['ratio']:.1f}x wall, {figures['cpu_ratio']:.1f}x CPU; "
        f"naive / numpy: {figures['numpy_ratio']:.1f}x; numpy / compiled: "
        f"{figures['compiled_vs_numpy']:.1f}x"
    )
    print(
        f"compiled vs numpy: largest difference of the mean forecasts "
        f"{figures['largest_forecast_difference']:.2e} (log return in percent), of the "
        f"maximized log-likelihoods {figures['loglik_gap']:.2e}; same orders on every day: "
        f"{bool((fast[['p', 'q']].values == numpy_[['p', 'q']].values).all())}"
    )
    print(
        f"compiled vs naive (different models, see docs/benchmarks.md): sign agreement "
        f"{figures['sign_agreement']:.1%}, correlation of means "
        f"{figures['mean_correlation']:.3f}, of variances {figures['variance_correlation']:.3f}"
    )
    for engine, (frame, failures, _, _) in runs.items():
        orders = frame.groupby(["p", "q"]).size().sort_values(ascending=False)
        print(
            f"{engine}: orders {', '.join(f'({p},{q})x{n}' for (p, q), n in orders.items())}; "
            f"fallbacks {failures.iloc[0].to_dict()}"
        )
    return figures


def _one_asset(args):
    asset, start, end = args
    prices = pf.load_dataset("us_markets")[asset].dropna()
    frame, failures, wall, cpu = _run("compiled", prices, start, end)
    return asset, frame, failures, wall, cpu


def part_two(span: tuple[str, str], jobs: int) -> dict[str, float]:
    start, end = span
    print(f"\n## Part 2: S&P 500, NASDAQ, WTI, {start} .. {end}, paper protocol, {jobs} cores")
    tasks = [(asset, start, end) for asset in ("SP500", "NASDAQ", "WTI")]
    wall = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_one_asset, tasks))
    wall = time.perf_counter() - wall
    decisions = 0
    for asset, frame, failures, asset_wall, cpu in results:
        decisions += len(frame)
        orders = frame.groupby(["p", "q"]).size().sort_values(ascending=False).head(4)
        print(
            f"{asset}: {len(frame)} forecasts, {asset_wall:.0f} s wall, {cpu:.0f} s CPU, "
            f"{1000 * cpu / len(frame):.1f} ms CPU per forecast; top orders "
            f"{', '.join(f'({p},{q})x{n}' for (p, q), n in orders.items())}; "
            f"fallbacks {failures.iloc[0].to_dict()}"
        )
    cpu = sum(result[4] for result in results)
    print(f"wall time on {jobs} cores: {wall:.0f} s ({wall / 60:.1f} min); CPU {cpu:.0f} s")
    prices = pf.load_dataset("us_markets")
    full = sum(
        int(prices[a].dropna().loc[FULL_SPAN[0] : FULL_SPAN[1]].size)
        for a in ("SP500", "NASDAQ", "WTI")
    )
    figures = {"wall_s": wall, "cpu_s": cpu, "decisions": decisions}
    if decisions < full:
        figures["extrapolated_s"] = wall * full / decisions
        print(
            f"extrapolated to 2000-2018 ({full} forecasts) by the number of forecasts: "
            f"{figures['extrapolated_s']:.0f} s wall ({figures['extrapolated_s'] / 60:.1f} min), "
            f"{cpu * full / decisions:.0f} s CPU, {cpu * full / decisions / jobs / 60:.1f} min "
            f"on {jobs} idle cores"
        )
    return figures


def part_three(count: int, order: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from aisfolio.strategies.arima_garch.fitting import search_orders, select
    from aisfolio.strategies.arima_garch.model import Window
    from tests.strategies.test_arima_garch_oracle import oracle_fit

    print(f"\n## Part 3: global-maximum audit, {count} windows, orders up to ({order}, {order})")
    prices = pf.load_dataset("us_markets")
    rows = []
    for asset in ("SP500", "WTI"):
        x = 100 * np.diff(np.log(prices[asset].dropna().to_numpy()))
        for end in np.linspace(1600, len(x) - 1, count // 2).astype(int):
            window = Window.of(x[end - 755 : end + 1], order)
            chosen, _ = select(search_orders(window, order, order), "aic", window.n)
            fit = search_orders(window, order, order)[chosen]
            _, oracle = oracle_fit(window.x, order, *chosen, starts=6)
            rows.append({"asset": asset, "order": chosen, "gap": -fit.nll - oracle})
    table = pd.DataFrame(rows)
    agree = float((table.gap.abs() < 1e-3).mean())
    below = float((table.gap < -1e-3).mean())
    above = float((table.gap > 1e-3).mean())
    print(
        f"log-likelihood within 1e-3 of the oracle: {agree:.1%}; engine materially below: "
        f"{below:.1%} (largest shortfall {min(table.gap.min(), 0):.2e}); engine above "
        f"(the oracle's starts missed the maximum): {above:.1%}"
    )
    return {"agree": agree, "below": below, "above": above}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2018, help="year of part 1")
    parser.add_argument("--span", default=":".join(FULL_SPAN), help="start:end of part 2")
    parser.add_argument("--jobs", type=int, default=2, help="processes in part 2")
    parser.add_argument("--no-reference", action="store_true", help="skip part 1")
    parser.add_argument("--no-full", action="store_true", help="skip part 2")
    parser.add_argument("--audit", type=int, default=0, help="windows in part 3 (0: skip)")
    parser.add_argument("--audit-order", type=int, default=2, help="largest order in part 3")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(f"# ARIMA-GARCH benchmark ({os.cpu_count()} CPUs visible, 1 BLAS thread per process)")
    part_zero()
    if not args.no_reference:
        part_one(pf.load_dataset("us_markets")["SP500"].dropna(), args.year)
    if not args.no_full:
        part_two(tuple(args.span.split(":")), args.jobs)
    if args.audit:
        part_three(args.audit, args.audit_order)


if __name__ == "__main__":
    main()
