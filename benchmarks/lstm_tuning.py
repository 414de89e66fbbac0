"""How the default `lstm` config was chosen: training settings measured on 1999-2005 only.

Trains the walk-forward models of the three embedded assets (S&P 500, NASDAQ, WTI) on
their first seven years (refits up to 2005, so nothing of the evaluation years after
it is seen) for each candidate setting, three seeds each, and prints per candidate
what the models' diagnostics say (``LSTMGenerator.training_log_``):

- ``learned``: share of models whose forecasts change sign over their test block and
  whose best validation loss beats the best constant forecast's;
- ``beats``: share whose best validation loss beats the best constant forecast's;
- ``one sign``: share whose forecasts keep one sign over the whole test block;
- ``flips``: median share of consecutive forecasts that change sign;
- ``best epoch``: median epoch of the best validation loss;
- seconds of training (2 torch threads, one process).

    python benchmarks/lstm_tuning.py                 # every candidate (a few minutes)
    python benchmarks/lstm_tuning.py --only chosen   # one of them
    python benchmarks/lstm_tuning.py --only chosen --end 2018-12-31   # afterwards: all years
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import pandas as pd
import torch

import aisfolio.portfolio as pf
from aisfolio.strategies import WalkForward
from aisfolio.strategies.lstm import LSTMGenerator
from aisfolio.strategies.walk_forward import chunk_task

#: The last date the measurement sees.
END = "2005-12-31"

#: What every candidate shares (the default config's network and protocol).
COMMON = {"hidden_sizes": (16, 8), "sequence_length": 10, "logger": "none", "accelerator": "cpu"}

#: Candidate settings; "chosen" is conf/generators/lstm.yaml.
CANDIDATES = {
    "before (madl tanh(1e4 x), raw targets, torch biases, 1e-3, 20 ep)": {
        "loss": "madl", "madl_slope": 1e4, "scale_targets": False, "biases": "torch",
        "learning_rate": 1e-3, "epochs": 20,
    },
    "madl s1, scaled, torch biases, 1e-2, 50 ep": {
        "biases": "torch", "learning_rate": 1e-2, "epochs": 50,
    },
    "madl s1, scaled, keras biases, 1e-3, 50 ep": {"learning_rate": 1e-3, "epochs": 50},
    "madl s1, scaled, keras biases, 3e-3, 50 ep": {"learning_rate": 3e-3, "epochs": 50},
    "madl s1, scaled, keras biases, 1e-2, 50 ep": {"learning_rate": 1e-2, "epochs": 50},
    "madl s1, scaled, keras biases, 1e-2, 20 ep": {"learning_rate": 1e-2, "epochs": 20},
    "madl s1, scaled, keras biases, 1e-2, 100 ep": {"learning_rate": 1e-2, "epochs": 100},
    "chosen": {"learning_rate": 3e-2, "epochs": 50},
    "madl s1, scaled, keras biases, 3e-2, 20 ep": {"learning_rate": 3e-2, "epochs": 20},
    "madl s1, scaled, keras biases, 1e-1, 50 ep": {"learning_rate": 1e-1, "epochs": 50},
    "gmadl a1, scaled, keras biases, 1e-2, 50 ep": {
        "loss": "gmadl", "gmadl_slope": 1.0, "learning_rate": 1e-2, "epochs": 50,
    },
    "mse, scaled, keras biases, 1e-2, 50 ep": {"loss": "mse", "learning_rate": 1e-2, "epochs": 50},
}  # fmt: skip

#: Settings every candidate starts from (overridden by its own).
BASE = {"loss": "madl", "madl_slope": 1.0, "scale_targets": True, "biases": "keras"}


def measure(
    settings: dict[str, object], seeds: tuple[int, ...], end: str = END
) -> dict[str, float]:
    """Train every model of the candidate and summarize its training log."""
    generator = LSTMGenerator(**COMMON, **{**BASE, **settings}, seeds=seeds)
    prices = pf.load_dataset("us_markets").loc[:end]
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=252)
    tasks = []
    for source, asset in enumerate(prices.columns):
        series = prices[asset].dropna()
        tasks += [chunk_task(series, c, source) for c in walk.plan(series.index, generator)]
    started = time.perf_counter()
    generator.fit_predict_batch(tasks)
    seconds = time.perf_counter() - started
    log = generator.training_log_
    return {
        "models": len(log),
        "learned": log["learned"].mean(),
        "beats": log["beats_constant"].mean(),
        "one sign": log["constant_sign"].mean(),
        "flips": log["sign_changes"].median(),
        "best epoch": log["best_epoch"].median(),
        "seconds": seconds,
        **{f"learned {a}": v for a, v in log.groupby("asset")["learned"].mean().items()},
        **{
            f"beats {a} seed {seed}": v
            for (a, seed), v in log.groupby(["asset", "seed"])["beats_constant"].mean().items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", help="candidate names (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--end", default=END, help=f"last date seen (default {END})")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("aisfolio.strategies").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    rows = {}
    for name, settings in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        rows[name] = measure(settings, tuple(args.seeds), args.end)
        print(f"{name}: {rows[name]}", flush=True)
    table = pd.DataFrame.from_dict(rows, orient="index")
    print(f"\nrefits up to {args.end}, seeds {args.seeds}, {args.threads} torch threads")
    print(table.to_markdown(floatfmt=".2f") if _has_tabulate() else table.round(2).to_string())


def _has_tabulate() -> bool:
    import importlib.util

    return importlib.util.find_spec("tabulate") is not None


if __name__ == "__main__":
    main()
