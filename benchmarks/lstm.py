"""LSTM walk-forward training: one Trainer per window vs all windows advanced together.

Runs the `lstm` generator config (or smaller settings from the command line) over the
embedded assets in one process, with every (asset, window, seed) model trained

- one by one, one Lightning Trainer each (`batching=none`, the baseline);
- together as a list of torch.nn.LSTM models, one optimizer step for all
  (`batching=list`, what `auto` picks on a CPU);
- together as one network with a model axis over padded samples (`batching=padded`,
  what `auto` picks on a GPU),

and prints the wall times, the ratios to the baseline and the largest forecast
difference to it.

    python benchmarks/lstm.py                        # the default `lstm` config, 3 assets
    python benchmarks/lstm.py --epochs 5 --skip padded  # a quicker look
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import portfolio as pf
from strategies.lstm import LSTMGenerator

LABELS = {
    "none": "one Trainer per model",
    "list": "list, one Trainer",
    "padded": "padded, one Trainer",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--hidden", type=int, nargs="+", help="LSTM widths (default: the lstm config's)"
    )
    parser.add_argument("--epochs", type=int, help="epochs (default: the lstm config's)")
    parser.add_argument("--assets", nargs="+", help="subset of us_markets assets")
    parser.add_argument("--accelerator", default="cpu", help="cpu (default), gpu or auto")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["list", "padded"], help="layouts to leave out"
    )
    args = parser.parse_args()

    overrides = [f"generators.lstm.generator.accelerator={args.accelerator}"]
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
        f"hidden {list(generator.hidden_sizes)}, {generator.epochs} epochs, "
        f"accelerator {args.accelerator}"
    )

    timings, forecasts = {}, {}
    for batching in [b for b in LABELS if b not in args.skip]:
        generator.batching = batching
        start = time.perf_counter()
        forecasts[batching] = strategy.walk_forward.run_many(generator, inputs)
        timings[batching] = time.perf_counter() - start
        line = f"{LABELS[batching]:<24} {timings[batching]:8.1f} s"
        if batching != "none":
            difference = max(
                float(np.nanmax(np.abs(a - b)))
                for a, b in zip(forecasts[batching], forecasts["none"], strict=True)
            )
            speed_up = timings["none"] / timings[batching]
            line += f"   speed-up {speed_up:6.2f}x   largest forecast difference {difference:.3g}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
