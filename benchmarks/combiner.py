"""Benchmark of the online combiners of strategies (issue 6).

Part (a), the standard online portfolio selection data sets shipped by
``universal-portfolios`` (NYSE(O), NYSE(N), TSE, SP500, MSCI, DJIA; daily price
relatives): two sets of simple components per data set, the assets themselves and 16
constant-rebalanced mixes of them (the uniform mix and 15 random Dirichlet(1) mixes,
seed 0). For each: terminal wealth, aRC, Sharpe, MD and IR** of the universal combiner,
its accelerated variant, the baselines and the best and worst components, and the first
period from which the combiner's wealth stays above the best component's. No costs in
this part (the convention of the online portfolio selection literature, and of the
package's ``UP``).

Speed, in the same process: ``universal.algos.UP(eval_points=S)`` and
``aisfolio.ensemble.UniversalCombiner(samples=S)`` on the same components and the same number of
sampled mixes, from prices to terminal wealth; the ratio of their times, their wealths,
and the spread of the combiner's log-wealth over ``--seeds`` seeds (the sampling error:
both are Monte Carlo estimates of Cover's integral, the package's with pseudo-random
Dirichlet samples, ours with scrambled Sobol' points).

Part (b), the project's own AIS on the embedded data (``us_markets``, 1999-2018):
buy-and-hold, momentum and contrarian per asset from
``aisfolio.pipeline_from_config(["ensemble=none"])``, combined per asset (3 components,
the exact rule) and across assets (9 components, sampled), rebalanced every bar through
``aisfolio.portfolio.rebalance.rebalance_streams`` with the backtest's cost rate (0.05% of the
weight traded). Same measures, dates instead of periods.

Part (c), the accelerated variant's trade-off: terminal wealth and Sharpe ratio against
the sharpness of the posterior (1 is the universal combiner), on both kinds of data.

Part (d), the exact two-component rule on real data: every pair of the 36 NYSE(O)
stocks (Cover's own test bed), how often the universal pair ends above both stocks, and
the slack in Cover's bound against the best constant mix of the pair.

Run from the repository root (part (a) needs ``pip install universal-portfolios``; it is
skipped, saying so, when the package is missing)::

    python benchmarks/combiner.py                  # defaults: 4096 samples, 3 seeds, 1 BLAS thread
    python benchmarks/combiner.py --samples 16384 --datasets nyse_o,djia --no-ais
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import logging
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

import aisfolio.portfolio as pf
from aisfolio.app.composition import pipeline_from_config
from aisfolio.ensemble import (
    AcceleratedUniversalCombiner,
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
    OnlineCombiner,
    UniversalCombiner,
)
from aisfolio.portfolio import metrics
from aisfolio.portfolio.rebalance import rebalance_streams, union_equity

DATASETS = ("nyse_o", "nyse_n", "tse", "sp500", "msci", "djia")
SHARPNESS = (1.0, 4.0, 16.0, 64.0, 256.0)


def combiners(samples: int | None) -> dict[str, Callable[[], OnlineCombiner]]:
    """The compared combiners; ``samples=None`` keeps the defaults (exact for K <= 3)."""
    universal = {} if samples is None else {"samples": samples}
    return {
        "universal": lambda: UniversalCombiner(**universal),
        "accelerated (sharpness 16)": lambda: AcceleratedUniversalCombiner(**universal),
        "equal weight": EqualWeightCombiner,
        "buy and hold": BuyAndHoldCombiner,
        "follow the best": FollowTheBestCombiner,
        "exponentiated gradient (0.05)": ExponentiatedGradientCombiner,
    }


# -- measures --------------------------------------------------------------------------------


def measures(equity: np.ndarray, periods_per_year: float) -> dict[str, float]:
    """Terminal wealth and the paper's measures of an equity line starting at 1."""
    return {
        "wealth": float(equity[-1] / equity[0]),
        "aRC": metrics.annualized_return(equity, periods_per_year),
        "Sharpe": metrics.sharpe_ratio(equity, periods_per_year),
        "MD": metrics.max_drawdown(equity),
        "IR**": metrics.information_ratio_2(equity, periods_per_year),
    }


def stays_above_from(line: pd.Series, best: pd.Series) -> str:
    """First label from which ``line`` stays strictly above ``best`` to the end, or "never"."""
    below = np.flatnonzero(line.to_numpy() <= best.to_numpy())
    if len(below) == 0:
        return str(line.index[0])
    if below[-1] == len(line) - 1:
        return "never"
    label = line.index[below[-1] + 1]
    return str(label.date()) if isinstance(label, pd.Timestamp) else str(label)


def free_equity(combiner: OnlineCombiner, returns: np.ndarray) -> np.ndarray:
    """Equity of a combiner held without costs: weights decided after row t earn row t+1."""
    combiner.reset(returns.shape[1])
    first = combiner.weights
    decided = combiner.update_many(returns)
    held = np.vstack([first, decided[:-1]])
    return np.cumprod(np.einsum("ij,ij->i", held, 1.0 + returns))


def table(
    lines: dict[str, pd.Series], components: pd.DataFrame, periods_per_year: float
) -> pd.DataFrame:
    """Measures of the combined lines and of the best and worst components."""
    final = components.iloc[-1] / components.iloc[0]
    best, worst = final.idxmax(), final.idxmin()
    rows = {}
    for name, line in lines.items():
        rows[name] = {
            **measures(line.to_numpy(), periods_per_year),
            "above best from": stays_above_from(line, components[best]),
        }
    for label, column in ((f"best component: {best}", best), (f"worst component: {worst}", worst)):
        rows[label] = {**measures(components[column].to_numpy(), periods_per_year)}
        rows[label]["above best from"] = ""
    return pd.DataFrame(rows).T


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            if np.isnan(value):
                return ""
            if float(value).is_integer() and abs(value) >= 10**digits:
                return str(int(value))
            return f"{value:.{digits}g}"
        return str(value)

    header = "| " + " | ".join([frame.index.name or "", *map(str, frame.columns)]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = [
        "| " + " | ".join([str(i), *(cell(v) for v in row)]) + " |"
        for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return "\n".join([header, rule, *body])


# -- part (a): online portfolio selection data sets ------------------------------------------


def olps_components(prices: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Equity lines (1 at the start) of the components: the assets, or 16 CRP mixes."""
    relatives = (prices / prices.shift(1)).fillna(1.0)
    if kind == "assets":
        return relatives.cumprod()
    k = prices.shape[1]
    mixes = np.vstack([np.full(k, 1.0 / k), np.random.default_rng(0).dirichlet(np.ones(k), 15)])
    names = ["CRP uniform", *(f"CRP {i}" for i in range(1, 16))]
    return pd.DataFrame(relatives.to_numpy() @ mixes.T, index=prices.index, columns=names).cumprod()


def run_up(components: pd.DataFrame, samples: int) -> tuple[float, float]:
    """universal-portfolios' UP on the components' equity lines: (seconds, wealth)."""
    from universal.algos import UP

    np.random.seed(0)  # noqa: NPY002 -- UP draws its mixes from the global generator
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")  # the package's pandas-3 chained-assignment warning
        start = time.perf_counter()
        wealth = float(UP(eval_points=samples).run(components).total_wealth)
        return time.perf_counter() - start, wealth


def run_ours(components: pd.DataFrame, samples: int, seed: int) -> tuple[float, UniversalCombiner]:
    """UniversalCombiner from the same equity lines to terminal wealth: (seconds, combiner)."""
    start = time.perf_counter()
    returns = components.pct_change().fillna(0.0).to_numpy()
    combiner = UniversalCombiner(samples=samples, seed=seed)
    combiner.update_many(returns)
    # Its log_wealth_ covers every row; the first row's gross is 1 (as for UP).
    return time.perf_counter() - start, combiner


def monte_carlo_error(combiner: UniversalCombiner) -> float:
    """Relative standard error of a mean of i.i.d. uniform mixes' wealths (UP's estimator).

    ``sd(W(b)) / mean(W(b)) / sqrt(S)`` under the uniform prior, estimated from the
    combiner's own (quasi-random) mixes: about the error of UP's log-wealth.
    """
    wealth = np.exp(combiner.mix_log_wealth_ - combiner.mix_log_wealth_.max())
    return float(wealth.std(ddof=1) / wealth.mean() / np.sqrt(len(wealth)))


def part_a(names: list[str], samples: int, seeds: int) -> None:
    try:
        from universal import tools
    except ImportError as error:
        print(
            "\n## (a) Online portfolio selection data sets: SKIPPED\n\n"
            f"universal-portfolios is not importable ({error}); it ships the NYSE(O), NYSE(N),"
            " TSE, SP500, MSCI and DJIA data sets and the UP baseline. Install it with "
            "`pip install universal-portfolios` (with `--no-deps` next to pandas 3, plus "
            "cvxopt, seaborn, plotly and six, which it imports) to run this part."
        )
        return
    speed_rows = {}
    sweep_rows = {}
    for name in names:
        prices = tools.dataset(name)
        for kind in ("assets", "crp"):
            components = olps_components(prices, kind)
            returns = components.pct_change().fillna(0.0).to_numpy()
            k, periods = components.shape[1], len(components) - 1
            lines = {
                label: pd.Series(free_equity(make(), returns), index=components.index)
                for label, make in combiners(samples).items()
            }
            title = f"{name} ({'the assets' if kind == 'assets' else '16 CRP mixes'})"
            print(f"\n### (a) {title}: K = {k}, T = {periods}, no costs\n")
            print(markdown(table(lines, components, 252.0)))

            up_time, up_wealth = run_up(components, samples)
            ours = [run_ours(components, samples, seed) for seed in range(seeds)]
            log_wealths = np.array([c.log_wealth_ for _, c in ours])
            mc_error = monte_carlo_error(ours[0][1])
            speed_rows[title] = {
                "K": k,
                "T": periods,
                "UP s": up_time,
                "ours s": ours[0][0],
                "speed-up": up_time / ours[0][0],
                "UP wealth": up_wealth,
                "ours wealth": float(np.exp(log_wealths[0])),
                "ours log sd (seeds)": float(log_wealths.std(ddof=1)) if seeds > 1 else np.nan,
                "UP log s.e. (MC)": mc_error,
                "abs(log UP - log ours)": abs(np.log(up_wealth) - log_wealths[0]),
            }
            if kind == "assets":
                row = {}
                for sharpness in SHARPNESS:
                    make = AcceleratedUniversalCombiner(sharpness, samples=samples)
                    equity = free_equity(make, returns)
                    row[f"s={sharpness:g} wealth"] = equity[-1]
                    row[f"s={sharpness:g} Sharpe"] = metrics.sharpe_ratio(equity, 252.0)
                sweep_rows[title] = row
    print(f"\n### (a) Speed and agreement with universal-portfolios' UP ({samples} samples)\n")
    print(markdown(pd.DataFrame(speed_rows).T))
    print("\n### (c) Accelerated variant on the data sets (assets, no costs)\n")
    print(markdown(pd.DataFrame(sweep_rows).T))


def best_mix(gross: np.ndarray) -> float:
    """log-wealth of the best constant mix of two components (grid, then refined)."""

    def log_wealth(u: float) -> float:
        return float(np.log(u * gross[:, 0] + (1.0 - u) * gross[:, 1]).sum())

    grid = np.linspace(0.0, 1.0, 101)
    values = np.log(np.outer(gross[:, 0], grid) + np.outer(gross[:, 1], 1.0 - grid)).sum(axis=0)
    u = grid[np.argmax(values)]
    bounds = (max(0.0, u - 0.01), min(1.0, u + 0.01))
    refined = minimize_scalar(lambda v: -log_wealth(v), bounds=bounds, method="bounded")
    return max(float(values.max()), -float(refined.fun))


def part_d(samples_check: int = 5) -> None:
    """Every pair of NYSE(O) stocks combined by the K = 2 rule: does it beat both?"""
    try:
        from universal import tools
    except ImportError:
        print("\n## (d) NYSE(O) pairs: SKIPPED (universal-portfolios is not importable)")
        return
    prices = tools.dataset("nyse_o")
    returns = prices.pct_change().fillna(0.0).to_numpy()
    wealth = np.cumprod(1.0 + returns, axis=0)
    periods = len(returns) - 1
    rows, slack = [], []
    start = time.perf_counter()
    pairs = list(itertools.combinations(range(prices.shape[1]), 2))
    for i, j in pairs:
        combiner = UniversalCombiner(max_nodes=1024)  # exact to period 2046, then fixed
        free = free_equity(combiner, returns[:, [i, j]])
        best = wealth[:, i] if wealth[-1, i] >= wealth[-1, j] else wealth[:, j]
        worst = np.minimum(wealth[-1, i], wealth[-1, j])
        slack.append(np.log(free[-1]) - (best_mix(1.0 + returns[:, [i, j]]) - np.log(periods + 1)))
        above = stays_above_from(pd.Series(free), pd.Series(best))
        rows.append(
            {
                "pair": f"{prices.columns[i]}+{prices.columns[j]}",
                "universal": free[-1],
                "best stock": best[-1],
                "worst stock": worst,
                "universal / best": free[-1] / best[-1],
                "above best from period": above,
            }
        )
    seconds = time.perf_counter() - start
    frame = pd.DataFrame(rows).set_index("pair")
    rng = np.random.default_rng(0)
    deviations = []
    for k in rng.choice(len(pairs), samples_check, replace=False):
        i, j = pairs[k]
        exact = UniversalCombiner()  # 4096 nodes: exact through period 8190
        exact.update_many(returns[:, [i, j]])
        fixed = UniversalCombiner(max_nodes=1024)
        fixed.update_many(returns[:, [i, j]])
        deviations.append(abs(exact.log_wealth_ - fixed.log_wealth_))
    beats = frame["universal / best"] > 1
    print(
        f"\n### (d) NYSE(O): every pair of the 36 stocks, K = 2, T = {periods}, no costs\n\n"
        f"{len(pairs)} pairs in {seconds:.1f} s. The universal pair beats both stocks in "
        f"{int(beats.sum())} pairs ({beats.mean():.0%}) and the worse one in "
        f"{int((frame['universal'] > frame['worst stock']).sum())}; median universal / best "
        f"{frame['universal / best'].median():.3f}. Cover's bound "
        f"log W >= log W(best constant mix) - log(T + 1) holds on every pair: smallest slack "
        f"{min(slack):.2f} nats (best mix: 101-point grid, then refined). Rule: "
        f"Gauss-Legendre, exact through period 2046 (max_nodes=1024), then fixed; on "
        f"{samples_check} random pairs "
        f"its log-wealth is within {max(deviations):.1e} of the exact 4096-node rule.\n"
    )
    print(markdown(frame.sort_values("universal / best", ascending=False).head(8)))


# -- part (b): the project's AIS -------------------------------------------------------------


def describe(combiner: UniversalCombiner) -> str:
    """Which rule a universal combiner used over its run."""
    k, nodes = combiner.n_components_, combiner.nodes_
    if combiner.samples or k > 3:
        return f"{nodes} quasi-random mixes (sampled)"
    if combiner.exact_:
        return f"exact ({nodes} Gauss nodes)"
    n = round(nodes ** (1 / (k - 1)))
    return f"exact through period {2 * n - 2}, then the fixed {nodes}-node Gauss rule"


def part_b(samples: int | None) -> None:
    prices = pf.load_dataset("us_markets")
    pipeline = pipeline_from_config(["ensemble=none"])
    result = pipeline.run(prices)
    cost = pipeline.backtest.cost_rate
    equity = union_equity({n: line.equity for n, line in result.lines.items()}).fillna(1.0)
    s = float(pf.infer_periods_per_year(equity.index))
    assets = list(prices.columns)
    groups = {asset: [c for c in equity.columns if c.startswith(f"{asset}/")] for asset in assets}
    groups["all assets"] = list(equity.columns)
    sweep_rows = {}
    for group, members in groups.items():
        components = equity[members]
        lines, seconds, notes = {}, {}, {}
        makers = combiners(samples)
        if len(members) <= 3:  # the exact rule's sampled approximation, for comparison
            makers["universal (4096 samples)"] = lambda: UniversalCombiner(samples=4096)
        for label, make in makers.items():
            combiner = make()
            start = time.perf_counter()
            held = rebalance_streams(components, combiner, "every_bar", cost_rate=cost)
            seconds[label] = time.perf_counter() - start
            lines[label] = held.equity
            if isinstance(combiner, UniversalCombiner):
                notes[label] = describe(combiner)
        frame = table(lines, components, s)
        frame["seconds"] = pd.Series(seconds)
        print(
            f"\n### (b) us_markets AIS, {group}: K = {len(members)}, "
            f"{equity.index[0].date()} to {equity.index[-1].date()}, every bar, cost {cost:g}\n"
        )
        print(markdown(frame))
        for label, note in notes.items():
            print(f"\n{label}: {note}")
        row = {}
        for sharpness in SHARPNESS:
            combiner = AcceleratedUniversalCombiner(sharpness)
            line = rebalance_streams(components, combiner, "every_bar", cost_rate=cost).equity
            row[f"s={sharpness:g} wealth"] = float(line.iloc[-1])
            row[f"s={sharpness:g} Sharpe"] = metrics.sharpe_ratio(line.to_numpy(), s)
        sweep_rows[group] = row
    print("\n### (c) Accelerated variant on the AIS (every bar, with costs)\n")
    print(markdown(pd.DataFrame(sweep_rows).T))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=4096, help="sampled mixes (part a)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the sampling spread")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="part (a) data sets")
    parser.add_argument("--no-olps", action="store_true", help="skip part (a)")
    parser.add_argument("--no-ais", action="store_true", help="skip parts (b)")
    parser.add_argument(
        "--blas-threads", type=int, default=1, help="BLAS threads for both UP and ours (0: default)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    limit = contextlib.nullcontext()
    if args.blas_threads > 0:
        # Both algorithms are memory-bound matrix products; a pinned thread count keeps
        # timings reproducible on a shared machine (threaded BLAS stalls when cores are busy).
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.blas_threads, user_api="blas")
    start = time.perf_counter()
    with limit:
        if not args.no_olps:
            part_a(args.datasets.split(","), args.samples, args.seeds)
            part_d()
        if not args.no_ais:
            part_b(None)
    threads = args.blas_threads or "default"
    print(f"\ntotal {time.perf_counter() - start:.0f} s (BLAS threads: {threads})")


if __name__ == "__main__":
    main()
