"""Benchmark of the allocator (issue 7): a problem compiled once and re-solved, against
rebuilding the cvxpy problem at every date and against skfolio's ``MeanRisk``.

Work: weekly rebalancing (first bar of each week) over ``--years`` years of daily
returns of 50, 200 and 500 streams; at each date the last ``--lookback`` rows give a
sample covariance (``T - 1`` denominator) or ``T`` equally likely scenarios. Problems:
minimum variance and minimum CVaR at 95%, long-only, fully invested, at most
``--cap`` per stream. Synthetic returns with a factor structure (5 factors with random
loadings plus idiosyncratic noise of random size, seed ``--seed``).

Contestants, in one process and on the same windows:

- ``parametrized``: :class:`aisfolio.portfolio.allocation.Allocator` (``risk="sample"``), its
  cvxpy problems compiled once per stream set and re-solved with new parameter values
  (its default solver chain; Clarabel first for the variance, HiGHS for the CVaR), at
  every weekly date. With 32 streams or more both objectives are first solved on a
  working set of streams (last date's holdings and the best-looking others, a small
  problem compiled once per size) whose answer is certified by the full problem's
  optimality conditions (:mod:`aisfolio.portfolio.allocation.screening`); the full compiled
  problem answers when that fails (counted as ``ws_misses``). The variance first tries
  the exact weights of last date's active set, without a solver, certified the same way
  (counted as ``ws_direct``).
- ``rebuild``: the problem written with constants and built anew at each date
  (``cp.Problem(...).solve(solver=...)``), as code without parameters does: the
  variance as a dense ``quad_form`` (the fastest cold form found), the CVaR as the
  allocator's linear program.
- ``skfolio``: ``MeanRisk(risk_measure=VARIANCE or CVAR, min_weights=0,
  max_weights=cap, budget=1, solver=...)`` with ``EmpiricalPrior`` and
  ``EmpiricalCovariance`` (``ddof=1``), fitted on the same window.

Both baselines use the solver the allocator used (its default chain: Clarabel for the
variance, HiGHS for the CVaR linear program; ``--solvers`` changes it), so that the
comparison is of formulation and compilation, not of solvers.

The parametrized allocator runs every date (its total time is the "20 years weekly"
figure); the baselines, which are slower, run on every ``--baseline-every``-th date
(default: enough for about 40 dates) and are compared per rebalance. Reported: seconds
per rebalance, the ratios, the largest absolute weight difference to the parametrized
allocator on the common dates, and the largest relative objective gap (baseline's
variance or CVaR minus the allocator's, over the allocator's: positive when the
baseline's weights are worse, which tells which side an accuracy difference is on).

Run from the repository root (skfolio: ``pip install -e ".[bench]"``, or
``pip install --no-deps skfolio`` where its pins clash; skipped, saying so, if missing)::

    OMP_NUM_THREADS=1 python benchmarks/allocation.py                  # 50, 200, 500 streams
    OMP_NUM_THREADS=1 python benchmarks/allocation.py --streams 50 --years 5   # quick
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import cvxpy as cp
import numpy as np
import pandas as pd

from aisfolio.portfolio.allocation import Allocator
from aisfolio.portfolio.measures import cvar
from aisfolio.strategies.schedule import schedule_positions

try:  # optional: the bench extra
    from skfolio import RiskMeasure
    from skfolio.moments import EmpiricalCovariance
    from skfolio.optimization import MeanRisk
    from skfolio.prior import EmpiricalPrior
except ImportError:  # pragma: no cover - depends on the environment
    MeanRisk = None

OBJECTIVES = ("min_variance", "min_cvar")
LEVEL = 0.95


def synthetic_returns(n: int, rows: int, seed: int) -> pd.DataFrame:
    """Daily returns with 5 common factors and idiosyncratic noise."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(0.0002, 0.01, (rows, 5))
    loadings = rng.normal(0.6, 0.4, (5, n))
    noise = rng.normal(0.0, 1.0, (rows, n)) * rng.uniform(0.005, 0.02, n)
    index = pd.bdate_range("2000-01-03", periods=rows)
    return pd.DataFrame(
        factors @ loadings + noise, index=index, columns=[f"s{i}" for i in range(n)]
    )


def rebuild(objective: str, window: np.ndarray, cap: float, solver: str) -> np.ndarray:
    """The same problem with constants, built from scratch, solved by ``solver``."""
    t, n = window.shape
    w = cp.Variable(n)
    rules = [cp.sum(w) == 1, w >= 0, w <= cap]
    if objective == "min_variance":
        # The covariance as a dense quadratic form (divided by the mean variance), the
        # fastest cold form measured: 1.4x to 2.4x faster with Clarabel than the
        # allocator's factor form sum_squares(A w), which a compiled problem needs (a
        # parameter covariance matrix in quad_form is not DPP).
        centred = (window - window.mean(axis=0)) / np.sqrt(t - 1)
        covariance = centred.T @ centred
        goal = cp.quad_form(w, cp.psd_wrap(covariance / np.mean(np.diag(covariance))))
    else:
        alpha = cp.Variable()
        excess = cp.Variable(t, nonneg=True)
        rules.append(excess >= -window @ w - alpha)
        goal = alpha + cp.sum(excess) / (t * (1 - LEVEL))
    cp.Problem(cp.Minimize(goal), rules).solve(solver=solver)
    return np.asarray(w.value, dtype=float)


#: Clarabel's tolerances for the untimed accuracy check of skfolio's weights (its
#: defaults, 1e-8, stop its second-order-cone form short of the optimum by about 1e-4
#: in the weights).
TIGHT_CLARABEL = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11}


def with_skfolio(
    objective: str,
    window: np.ndarray,
    cap: float,
    solver: str,
    solver_params: dict[str, float] | None = None,
) -> np.ndarray:
    measure = RiskMeasure.VARIANCE if objective == "min_variance" else RiskMeasure.CVAR
    model = MeanRisk(
        solver_params=solver_params,
        risk_measure=measure,
        min_weights=0.0,
        max_weights=cap,
        budget=1.0,
        cvar_beta=LEVEL,
        prior_estimator=EmpiricalPrior(covariance_estimator=EmpiricalCovariance()),
        solver=solver if solver in ("CLARABEL", "SCS", "HIGHS") else "CLARABEL",
    )  # skfolio writes the variance as a second-order cone: not for OSQP
    return np.asarray(model.fit(window).weights_, dtype=float)


def objective_value(objective: str, window: np.ndarray, w: np.ndarray) -> float:
    """The true objective of weights ``w`` on a window (variance or CVaR of the loss)."""
    if objective == "min_variance":
        return float(w @ np.cov(window, rowvar=False) @ w)
    return cvar(-window @ w, LEVEL)


def run_one(objective: str, n: int, args: argparse.Namespace) -> dict[str, object]:
    rows = args.years * 252 + args.lookback
    returns = synthetic_returns(n, rows, args.seed + n)
    dates = schedule_positions(returns.index, "weekly", first=args.lookback - 1)
    allocator = Allocator(
        objective,
        risk="sample",
        lookback=args.lookback,
        min_observations=args.lookback,
        upper=args.cap,
        cvar_level=LEVEL,
        solvers=args.solvers,
    )
    values = returns.to_numpy()
    ours: dict[int, np.ndarray] = {}
    started = time.perf_counter()
    first = None
    for t in dates:
        window = returns.iloc[t - args.lookback + 1 : t + 1]
        allocator.fit(window)
        ours[t] = allocator.weights_.to_numpy()
        if first is None:
            first = time.perf_counter() - started  # includes the one compilation
    total = time.perf_counter() - started
    failures = int(allocator.report()["failed"].sum())
    working = allocator._problems[objective].working_set
    solvers = allocator.report()["solver"].value_counts().to_dict()
    every = args.baseline_every or max(1, len(dates) // 40)
    sampled = dates[::every]
    row: dict[str, object] = {
        "objective": objective,
        "streams": n,
        "rebalances": len(dates),
        "parametrized_total_s": total,
        "parametrized_first_s": first,
        "parametrized_s": total / len(dates),
        "baseline_dates": len(sampled),
        "failures": failures,
        "solvers": solvers,
        "ws_direct": working.direct if working is not None else 0,
        "ws_rounds": working.rounds if working is not None else 0,
        "ws_misses": working.misses if working is not None else 0,
    }
    # The baselines use the solver the allocator used most.
    solver = max(solvers, key=solvers.get)
    row["solver"] = solver
    for name, solve in (("rebuild", rebuild), ("skfolio", with_skfolio)):
        if name == "skfolio" and (MeanRisk is None or args.no_skfolio):
            row[f"{name}_s"] = np.nan
            continue
        diff, gap = 0.0, -np.inf
        found = {}
        started = time.perf_counter()
        for t in sampled:
            found[t] = solve(objective, values[t - args.lookback + 1 : t + 1], args.cap, solver)
        row[f"{name}_s"] = (time.perf_counter() - started) / len(sampled)
        for t, w in found.items():
            window = values[t - args.lookback + 1 : t + 1]
            diff = max(diff, float(np.max(np.abs(w - ours[t]))))
            mine = objective_value(objective, window, ours[t])
            gap = max(gap, (objective_value(objective, window, w) - mine) / abs(mine))
        # > 0: the baseline's weights have a worse objective than the allocator's.
        row[f"{name}_objective_gap"] = gap
        row[f"{name}_ratio"] = row[f"{name}_s"] / row["parametrized_s"]
        row[f"{name}_max_weight_diff"] = diff
    if "skfolio_s" in row and np.isfinite(row["skfolio_s"]) and solver == "CLARABEL":
        # Untimed: skfolio solved to tight tolerances, to tell its default stopping
        # point from a different optimum.
        row["skfolio_tight_max_weight_diff"] = max(
            float(
                np.max(
                    np.abs(
                        with_skfolio(objective, window, args.cap, solver, TIGHT_CLARABEL) - ours[t]
                    )
                )
            )
            for t in sampled
            for window in [values[t - args.lookback + 1 : t + 1]]
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--years", type=int, default=20, help="years of weekly rebalancing")
    parser.add_argument("--lookback", type=int, default=252, help="rows per window")
    parser.add_argument("--cap", type=float, default=0.1, help="largest weight per stream")
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES), choices=OBJECTIVES)
    parser.add_argument(
        "--baseline-every", type=int, default=0, help="baselines on every k-th date (0: ~40)"
    )
    parser.add_argument("--no-skfolio", action="store_true", help="skip skfolio")
    parser.add_argument(
        "--solvers", nargs="+", default=None, help="the allocator's solver chain (default: its own)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("aisfolio.portfolio").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)
    if MeanRisk is None and not args.no_skfolio:
        print("skfolio is not installed: its column is skipped (pip install -e '.[bench]')")
    rows = []
    for objective in args.objectives:
        for n in args.streams:
            row = run_one(objective, n, args)
            rows.append(row)
            print(
                f"{objective:>13} n={n:<4} {row['rebalances']} rebalances: "
                f"parametrized {row['parametrized_total_s']:.1f} s in all "
                f"({1000 * row['parametrized_s']:.1f} ms each, "
                f"first {row['parametrized_first_s']:.2f} s), baselines with {row['solver']}: "
                f"rebuild {1000 * row['rebuild_s']:.1f} ms ({row['rebuild_ratio']:.2f}x), "
                + (
                    f"skfolio {1000 * row['skfolio_s']:.1f} ms ({row['skfolio_ratio']:.2f}x), "
                    if "skfolio_ratio" in row
                    else ""
                )
                + f"max |dw| rebuild {row['rebuild_max_weight_diff']:.1e}"
                + (
                    f" skfolio {row['skfolio_max_weight_diff']:.1e}"
                    if "skfolio_max_weight_diff" in row
                    else ""
                )
                + (
                    f" (skfolio at Clarabel tolerances 1e-11, untimed:"
                    f" {row['skfolio_tight_max_weight_diff']:.1e})"
                    if "skfolio_tight_max_weight_diff" in row
                    else ""
                )
                + f"; failures {row['failures']}, solvers {row['solvers']}, working set: "
                + f"{row['ws_direct']} dates without a solver, {row['ws_rounds']} small "
                + f"solves, {row['ws_misses']} without certificate",
                flush=True,
            )
    table = pd.DataFrame(rows).set_index(["objective", "streams"])
    with pd.option_context(
        "display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3g}".format
    ):
        print(table.drop(columns=["solvers"]))


if __name__ == "__main__":
    main()
