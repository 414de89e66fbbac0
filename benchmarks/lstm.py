"""LSTM walk-forward training: one Trainer per window vs all windows in one batch.

Runs the `lstm` generator config (or smaller settings from the command line) over the
embedded assets, first with every (asset, window, seed) model trained together
(`batched=True`), then one Lightning Trainer per model (`batched=False`), in one process,
and prints both wall times, their ratio and the largest forecast difference.

    python benchmarks/lstm.py                       # the default `lstm` config, 3 assets
    python benchmarks/lstm.py --hidden 8 --epochs 5  # a quicker look
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import portfolio as pf
from strategies.lstm import LSTMGenerator


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hidden", type=int, nargs="+", help="LSTM widths (default: the lstm config's)"
    )
    parser.add_argument("--epochs", type=int, help="epochs (default: the lstm config's)")
    parser.add_argument("--assets", nargs="+", help="subset of us_markets assets")
    args = parser.parse_args()

    overrides = []
    if args.hidden:
        overrides.append(
            f"generators.lstm.generator.hidden_sizes=[{','.join(map(str, args.hidden))}]"
        )
    if args.epochs:
        overrides.append(f"generators.lstm.generator.epochs={args.epochs}")
    strategy = pf.build(
        pf.load_config(["generators=[lstm]", "ensemble=none", *overrides])
    ).pipeline.strategies["lstm"]
    prices = pf.load_dataset("us_markets")
    assets = args.assets or list(prices.columns)
    inputs = [prices[a].dropna() for a in assets]
    generator: LSTMGenerator = strategy.generator  # type: ignore[assignment]
    generator.logger = "none"
    plans = [strategy.walk_forward.plan(x.index, generator) for x in inputs]
    models = sum(len(p) for p in plans) * len(generator.seeds)
    print(
        f"{models} models: {len(assets)} assets x windows x {len(generator.seeds)} seed(s); "
        f"hidden {list(generator.hidden_sizes)}, {generator.epochs} epochs"
    )

    timings, forecasts = {}, {}
    for batched in (True, False):
        generator.batched = batched
        start = time.perf_counter()
        forecasts[batched] = strategy.walk_forward.run_many(generator, inputs)
        timings[batched] = time.perf_counter() - start
        label = "batched (one Trainer)" if batched else "one Trainer per model"
        print(f"{label:<24} {timings[batched]:8.1f} s")
    difference = max(
        float(np.nanmax(np.abs(a - b)))
        for a, b in zip(forecasts[True], forecasts[False], strict=True)
    )
    print(f"{'speed-up (one-by-one / batched)':<24} {timings[False] / timings[True]:8.2f}x")
    print(f"{'largest forecast difference':<24} {difference:.3g}")


if __name__ == "__main__":
    main()
