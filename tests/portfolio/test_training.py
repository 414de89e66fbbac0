"""Whether a run's trained models learned: the table, its summary and the warning."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd

from aisfolio.portfolio.training import (
    SUMMARY_COLUMNS,
    training_summary,
    training_table,
    warn_untrained,
)


def _log(asset: str, learned: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "asset": asset,
            "window": pd.bdate_range("2001-01-01", periods=len(learned)),
            "seed": 0,
            "best_epoch": [3] * len(learned),
            "sign_changes": [0.1] * len(learned),
            "directional_accuracy": [0.5] * len(learned),
            "constant_sign": [not flag for flag in learned],
            "beats_constant": [True] * len(learned),
            "learned": learned,
        }
    )


def test_the_table_labels_each_models_strategy_and_skips_generators_without_models():
    generators = {
        "lstm": SimpleNamespace(training_log_=pd.concat([_log("A", [True]), _log("B", [False])])),
        "momentum": SimpleNamespace(),
        "empty": SimpleNamespace(training_log_=_log("A", [])),
    }
    table = training_table(generators)
    assert list(table["strategy"]) == ["lstm", "lstm"]
    assert table.columns[0] == "strategy"
    assert training_table({"momentum": SimpleNamespace()}).empty


def test_the_summary_counts_per_strategy_and_asset():
    table = training_table({"lstm": SimpleNamespace(training_log_=_log("A", [True, False, False]))})
    summary = training_summary(table)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    row = summary.loc[("lstm", "A")]
    assert row["models"] == 3 and row["did not learn"] == 2
    assert row["constant sign"] == 2 / 3
    assert training_summary(pd.DataFrame()).empty


def test_models_that_did_not_learn_are_warned_about(caplog):
    table = training_table(
        {
            "lstm": SimpleNamespace(training_log_=_log("A", [True, False])),
            "lstm_paper": SimpleNamespace(training_log_=_log("A", [True])),
        }
    )
    with caplog.at_level(logging.WARNING, logger="aisfolio.portfolio.training"):
        warn_untrained(table)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith("lstm: 1 of 2 models did not learn")
