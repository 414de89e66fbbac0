"""Benchmark of the ARIMA-GARCH generator (issue 3): the fast engine against the reference.

Part 1, one year of daily forecasts on the embedded S&P 500 under the paper's full
protocol (orders p, q <= 5 re-selected by AIC on the first trading day of each quarter,
parameters re-estimated every day on the last 3 x 365 calendar days, normal errors), run
by the walk-forward engine with both engines in the same process: their wall times, the
ratio, and the agreement of their forecasts (sign agreement, correlation of the means
and of the variances), fallbacks of each.

Part 2, the full protocol with the fast engine on S&P 500, NASDAQ and WTI over a span
(default 2000-2018), one process per asset on ``--jobs`` cores: the wall time, per asset
the CPU time, orders chosen, fallbacks. A shorter span is extrapolated to 2000-2018 by
the number of decisions, and the output says so.

Part 3 (``--audit N``), the global-maximum audit: on N windows of the protocol (S&P 500
and WTI), the fast engine's order search with orders up to ``--audit-order`` against the
independent oracle of the tests (``tests/strategies/test_arima_garch_oracle.py``)
fitted to the engine's chosen order, and the share of windows where the maximized
log-likelihoods agree within 1e-3.

Run from the repository root (one BLAS thread per process unless set)::

    python benchmarks/arima_garch.py                        # parts 1 and 2, 2000-2018
    python benchmarks/arima_garch.py --year 2018 --span 2016-01-01:2018-12-31 --audit 40
    python benchmarks/arima_garch.py --no-reference          # part 2 only
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
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


def part_one(prices: pd.Series, year: int) -> dict[str, float]:
    start, end = f"{year}-01-01", f"{year}-12-31"
    print(f"\n## Part 1: S&P 500, {year}, paper protocol, fast vs reference (one process)")
    fast, fast_failures, fast_wall, fast_cpu = _run("compiled", prices, start, end)
    print(
        f"fast engine:      {fast_wall:8.1f} s wall, {fast_cpu:8.1f} s CPU ({len(fast)} forecasts)"
    )
    reference, ref_failures, ref_wall, ref_cpu = _run("reference", prices, start, end)
    print(
        f"reference engine: {ref_wall:8.1f} s wall, {ref_cpu:8.1f} s CPU "
        f"({len(reference)} forecasts)"
    )
    same = (np.sign(fast["mean"]) == np.sign(reference["mean"])).mean()
    figures = {
        "fast_s": fast_wall,
        "reference_s": ref_wall,
        "ratio": ref_wall / fast_wall,
        "cpu_ratio": ref_cpu / fast_cpu,
        "sign_agreement": float(same),
        "mean_correlation": float(np.corrcoef(fast["mean"], reference["mean"])[0, 1]),
        "variance_correlation": float(np.corrcoef(fast["variance"], reference["variance"])[0, 1]),
    }
    print(
        f"speed ratio (reference / fast): {figures['ratio']:.1f}x wall, "
        f"{figures['cpu_ratio']:.1f}x CPU"
    )
    print(
        f"forecasts: sign agreement {same:.1%}, correlation of means "
        f"{figures['mean_correlation']:.3f}, of variances {figures['variance_correlation']:.3f}"
    )
    for name, frame, failures in (
        ("fast", fast, fast_failures),
        ("reference", reference, ref_failures),
    ):
        orders = frame.groupby(["p", "q"]).size().sort_values(ascending=False)
        print(
            f"{name}: orders {', '.join(f'({p},{q})x{n}' for (p, q), n in orders.items())}; "
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
    if not args.no_reference:
        part_one(pf.load_dataset("us_markets")["SP500"].dropna(), args.year)
    if not args.no_full:
        part_two(tuple(args.span.split(":")), args.jobs)
    if args.audit:
        part_three(args.audit, args.audit_order)


if __name__ == "__main__":
    main()
