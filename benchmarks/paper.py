"""The reference paper's replication: ``experiment=paper`` on the paper's five assets.

Runs the paper's protocol (``conf/experiment/paper.yaml``) on the price file of
``../shared/data`` (S&P 500 as the dividend-adjusted SPY, Bitcoin, gold, natural gas,
wheat; 2004 to 2022-03-29, evaluated from 2005-01-03), prints tables 2, 3 and 5 in the
paper's layout with the significance columns, then the rows whose published numbers we
have next to ours with the differences, and writes every output of a run (tables,
report) and that comparison (``paper_comparison.csv``) into ``--out``. Without the data
file it says why and stops (exit code 0).

The paper's LSTM (512/256/128 units, 300 epochs) is a GPU job; on a CPU ``--lstm small``
(the default) keeps its protocol (long-only ReLU output, MADL, yearly retraining, best
validation weights) with 32/16 units and 30 epochs. ``--lstm paper`` runs it as
published. Walk-forward results are cached (``execution.cache``), so a rerun only redoes
what changed.

Run from the repository root::

    python benchmarks/paper.py                     # --lstm small, outputs in outputs/paper/<time>
    python benchmarks/paper.py --lstm paper        # on a GPU
    python benchmarks/paper.py --data prices.csv   # another file with the same columns
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "paper_assets.csv"

#: Published numbers we have (DESIGN.md): table 2, S&P 500 rows, 2005-01-03 to 2022-03-29.
PUBLISHED = {
    ("SP500", "buy_and_hold"): {"aRC": 0.1035, "aSD": 0.1948, "MD": 0.5525, "MLD": 4.48,
                                "IR**": 0.100},
    ("SP500", "lstm_paper"): {"aRC": 0.0723, "aSD": 0.1492, "MD": 0.2843, "IR**": 0.123},
}  # fmt: skip

SMALL_LSTM = [
    "generators.lstm_paper.generator.hidden_sizes=[32,16]",
    "generators.lstm_paper.generator.epochs=30",
]


def comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Our numbers next to the published ones, for the rows we have both of."""
    rows = []
    for (asset, strategy), published in PUBLISHED.items():
        if (asset, strategy) not in table.index:
            continue
        for metric, theirs in published.items():
            ours = float(table.loc[(asset, strategy), metric])
            rows.append(
                {
                    "asset": asset,
                    "strategy": strategy,
                    "metric": metric,
                    "paper": theirs,
                    "aisfolio": ours,
                    "difference": ours - theirs,
                }
            )
    return pd.DataFrame(rows).set_index(["asset", "strategy", "metric"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DATA), help="price file with the paper's assets")
    parser.add_argument("--lstm", choices=["small", "paper"], default="small")
    parser.add_argument(
        "--out",
        default=str(ROOT / "outputs" / "paper" / time.strftime("%Y-%m-%d_%H-%M-%S")),
        help="output folder (a new one: outputs are never overwritten)",
    )
    parser.add_argument("overrides", nargs="*", help="more Hydra overrides")
    args = parser.parse_args()
    data = Path(args.data)
    if not data.exists():
        print(
            f"skipped: {data} not found. The replication needs the paper's assets "
            "(../shared/data/paper_assets.csv beside the repository; see its README and "
            "docs/replication.md)."
        )
        return 0

    import torch

    from aisfolio.app.composition import build, load_config
    from aisfolio.portfolio.markdown import frame_markdown
    from aisfolio.portfolio.tables import format_table

    overrides = ["experiment=paper", f"data.path={data}", *args.overrides]
    if args.lstm == "small":
        overrides += SMALL_LSTM
    config = load_config(overrides)
    parts = build(config)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" torch device {device}; python {sys.version.split()[0]}"
    )
    print("overrides:", " ".join(overrides))
    started = time.perf_counter()
    prices = parts.source.load()
    result = parts.pipeline.run(prices)
    elapsed = time.perf_counter() - started
    stats = parts.pipeline.execution.stats
    print(
        f"run: {elapsed:.0f} s wall ({stats.fits} windows fitted, {stats.cached} chunks"
        " from the cache)\n"
    )
    from omegaconf import OmegaConf

    written = parts.writer.write(result, args.out, OmegaConf.to_yaml(config, resolve=True))
    for which, title in (
        ("ais", "Table 2: AIS"),
        ("ensembles", "Table 3: ensembles"),
        ("hedges", "Table 5: S&P 500 hedges"),
    ):
        print(title)
        print(frame_markdown(format_table(result.table(which))))
    published = comparison(result.table("ais"))
    print("Published numbers we have (DESIGN.md) against ours:")
    print(published.to_string(float_format=lambda v: f"{v:.4f}"))
    published.to_csv(Path(args.out) / "paper_comparison.csv")
    print(f"\n{len(written) + 1} files written to {args.out} (paper_comparison.csv included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
