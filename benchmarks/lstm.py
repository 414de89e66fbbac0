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

``--precision`` measures instead the paper's network (512/256/128 units) on one
2,000-sample window (1,340 fitting, 660 validation samples of real S&P 500 returns):
seconds per full-batch epoch in float32 and in bf16 mixed precision (Lightning's
``precision``), each from the difference between a run of 1 and of 1 + N epochs (so
that the Trainer's start-up is left out), and how far the forecasts of the same
weights are apart in the two precisions.

    python benchmarks/lstm.py                        # the default `lstm` config, 3 assets
    python benchmarks/lstm.py --epochs 5 --skip padded  # a quicker look
    python benchmarks/lstm.py --precision            # fp32 vs bf16, the paper's network
    python benchmarks/lstm.py --paper-walk           # lstm_paper's S&P 500 walk-forward
    python benchmarks/lstm.py --paper-moves          # does the paper's MADL move the network?

``--paper-walk`` times the whole ``lstm_paper`` walk-forward of the S&P 500 over the
paper's period (``experiment=paper`` on ``../shared/data/paper_assets.csv``: 17 windows
trained together) at 1 and at 1 + N epochs in each precision, and projects its 300
epochs from the difference (a full run takes hours on 2 cores: see docs/benchmarks.md).
``--paper-moves`` trains the paper's network (Adam 0.5, bf16) for N epochs on the S&P 500
windows up to 2007 with MADL as the paper's framework differentiates it (the sign has no
gradient) and with the surrogate on scaled targets, and prints how far the weights
moved and each window's training diagnostics.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import aisfolio.portfolio as pf
from aisfolio.app.composition import build, load_config
from aisfolio.strategies.lstm import LSTMGenerator

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
    parser.add_argument(
        "--precision", action="store_true", help="fp32 vs bf16 seconds per epoch, paper network"
    )
    parser.add_argument(
        "--paper-walk", action="store_true", help="lstm_paper's S&P 500 walk-forward, projected"
    )
    parser.add_argument(
        "--paper-moves", action="store_true", help="the paper's MADL at Adam 0.5: does it move?"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="--precision: repetitions")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.precision:
        precision_benchmark(args.repeat, args.epochs or 4, args.threads)
        return
    if args.paper_walk:
        paper_walk_benchmark(args.epochs or 2)
        return
    if args.paper_moves:
        paper_moves(args.epochs or 30)
        return

    overrides = [f"generators.lstm.generator.accelerator={args.accelerator}"]
    if args.hidden:
        overrides.append(
            f"generators.lstm.generator.hidden_sizes=[{','.join(map(str, args.hidden))}]"
        )
    if args.epochs:
        overrides.append(f"generators.lstm.generator.epochs={args.epochs}")
    strategy = build(
        load_config(["generators=[lstm]", "ensemble=none", *overrides])
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


#: The paper's network.
PAPER_HIDDEN = [512, 256, 128]


def _paper_window(samples: int = 2000) -> tuple[list, list]:
    """One window of standardized S&P 500 log-return sequences, split 67/33."""
    returns = np.diff(np.log(pf.load_dataset("us_markets")["SP500"].dropna().to_numpy()))
    returns = returns[: samples + 10]
    scaled = (returns - returns.mean()) / returns.std()
    inputs = np.lib.stride_tricks.sliding_window_view(scaled, 10)[:samples, :, None]
    targets = returns[10 : 10 + samples]
    split = round(samples * 0.67)
    fit = [(inputs[:split].astype(np.float32), targets[:split].astype(np.float32))]
    validation = [(inputs[split:].astype(np.float32), targets[split:].astype(np.float32))]
    return fit, validation


def precision_benchmark(repeat: int, epochs: int, threads: int) -> None:
    """Seconds per epoch of the paper's network in fp32 and bf16, and their forecasts."""
    from aisfolio.strategies.lstm.network import SingleLSTM
    from aisfolio.strategies.lstm.training import train_models

    fit, validation = _paper_window()
    print(
        f"paper network {PAPER_HIDDEN}, 2000 samples (1340 fit, 660 validation), "
        f"{threads} torch threads; seconds per epoch = (t(1 + {epochs}) - t(1)) / {epochs}"
    )

    def train(precision: str, count: int):
        started = time.perf_counter()
        outcome = train_models(
            fit, validation, [0], PAPER_HIDDEN, "linear", "madl", count, 1e-3, 1e-6,
            "cpu", "none", "list", precision, "keras",
        )  # fmt: skip
        return time.perf_counter() - started, outcome

    per_epoch: dict[str, list[float]] = {"32-true": [], "bf16-mixed": []}
    for _ in range(repeat):
        for precision in per_epoch:
            short, _ = train(precision, 1)
            long, _ = train(precision, 1 + epochs)
            per_epoch[precision].append((long - short) / epochs)
    for precision, values in per_epoch.items():
        print(f"{precision:<11} {min(values):6.2f} to {max(values):6.2f} s per epoch")
    ratios = [a / b for a, b in zip(per_epoch["32-true"], per_epoch["bf16-mixed"], strict=True)]
    print(f"fp32 / bf16: {min(ratios):.2f}x to {max(ratios):.2f}x")

    _, outcome = train("32-true", epochs)
    network = SingleLSTM(0, 1, PAPER_HIDDEN, "linear", state=outcome.states[0])
    inputs = torch.from_numpy(np.concatenate([fit[0][0], validation[0][0]]))
    with torch.no_grad():
        fp32 = network(inputs).numpy()
        with torch.autocast("cpu", torch.bfloat16):
            bf16 = network(inputs).float().numpy()
    gap = float(np.abs(fp32 - bf16).max())
    print(
        f"same weights, forecasts in bf16 vs fp32: largest difference {gap:.3g}"
        f" ({gap / float(np.std(fp32)):.2%} of their standard deviation), "
        f"same sign on {np.mean(np.sign(fp32) == np.sign(bf16)):.1%}, "
        f"correlation {np.corrcoef(fp32, bf16)[0, 1]:.5f}"
    )


def _paper_data() -> Path | None:
    """../shared/data/paper_assets.csv, or None (with the reason printed)."""
    data = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "paper_assets.csv"
    if data.exists():
        return data
    print(f"skipped: {data} not found (the paper's assets; see docs/replication.md)")
    return None


def _paper_sp500() -> pd.Series | None:
    data = _paper_data()
    if data is None:
        return None
    return pd.read_csv(data, index_col=0, parse_dates=True)["SPY"].dropna().rename("SP500")


def paper_moves(epochs: int) -> None:
    """The paper's network at Adam 0.5 with the exact MADL and with the surrogate."""
    from aisfolio.strategies import WalkForward
    from aisfolio.strategies.lstm.network import initial_state
    from aisfolio.strategies.walk_forward import chunk_task

    prices = _paper_sp500()
    if prices is None:
        return
    prices = prices.loc[:"2007-12-31"]
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=252)
    columns = ["window", "best_epoch", "initial_validation_loss", "best_validation_loss",
               "constant_validation_loss", "forecast_std", "sign_changes", "learned"]  # fmt: skip
    start = initial_state(0, 1, PAPER_HIDDEN, "keras")
    for slope, scaled in ((None, False), (1.0, True)):
        generator = LSTMGenerator(
            hidden_sizes=PAPER_HIDDEN, epochs=epochs, learning_rate=0.5, loss="madl",
            madl_slope=slope, scale_targets=scaled, activation="relu", logger="none",
            accelerator="cpu", precision="bf16-mixed",
        )  # fmt: skip
        tasks = [chunk_task(prices, c) for c in walk.plan(prices.index, generator)]
        fitted = generator.fit_batch([task.train for task in tasks])
        forecasts = generator.predict_batch(tasks, fitted)
        moved = [
            max(float((a - b).abs().max()) for a, b in zip(m.states_[0], start, strict=True))
            for m in fitted
        ]
        print(f"\nmadl_slope={slope}, scale_targets={scaled}, Adam 0.5, {epochs} epochs")
        print("largest weight change per window:", [round(m, 3) for m in moved])
        print(
            "share of zero (flat) forecasts:", [round(float(np.mean(f == 0)), 2) for f in forecasts]
        )
        print(generator.training_log_[columns].to_string(index=False))


def paper_walk_benchmark(epochs: int) -> None:
    """Seconds per epoch of lstm_paper's whole S&P 500 walk-forward, and 300 projected."""
    data = _paper_data()
    if data is None:
        return
    config = load_config(
        [
            "experiment=paper",
            f"data.path={data}",
            "~data.columns",
            "+data.columns={SPY:SP500}",
            "generators=[lstm_paper]",
            "ensemble=none",
        ]
    )
    parts = build(config)
    strategy = parts.pipeline.strategies["lstm_paper"]
    prices = parts.source.load()["SP500"].dropna()
    generator: LSTMGenerator = strategy.generator  # type: ignore[assignment]
    generator.logger = "none"
    windows = len(strategy.walk_forward.plan(prices.index, generator))
    span = f"{prices.index[0].date()} to {prices.index[-1].date()}"
    print(f"lstm_paper, S&P 500 {span}: {windows} windows")
    for precision in ("32-true", "bf16-mixed"):
        generator.precision = precision
        times = []
        for count in (1, 1 + epochs):
            generator.epochs = count
            started = time.perf_counter()
            strategy.walk_forward.run_many(generator, [prices])
            times.append(time.perf_counter() - started)
        per_epoch = (times[1] - times[0]) / epochs
        print(
            f"{precision:<11} {per_epoch:6.1f} s per epoch of all {windows} windows; "
            f"300 epochs: {300 * per_epoch / 60:5.0f} min projected"
        )


if __name__ == "__main__":
    main()
