"""Numbers for people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.portfolio.report.formatting import (
    MISSING,
    format_frame,
    money,
    number,
    percent,
    probability,
    ratio,
    years,
)
from aisfolio.portfolio.tables import format_table


def test_values_by_column():
    frame = pd.DataFrame(
        {
            "aRC": [0.10354, np.nan],
            "MLD": [4.481, 0.0],
            "IR**": [0.1, -0.12345],
            "trades": [12.0, 3.0],
        },
        index=pd.Index(["SP500/lstm", "<b>x</b>"], name="line"),
    )
    out = format_frame(frame)
    assert out.to_dict("list") == {
        "line": ["SP500/lstm", "<b>x</b>"],  # escaping is the renderers' job
        "aRC": ["10.35%", MISSING],
        "MLD": ["4.48", "0.00"],
        "IR**": ["0.100", "-0.123"],
        "trades": ["12", "3"],
    }


def test_plain_numbers_keep_four_significant_digits():
    assert [number(x) for x in (1234567.8, 12.3456, 0.00012345, 0.0)] == [
        "1,234,568",
        "12.35",
        "0.0001234",
        "0",
    ]
    assert percent(None) == MISSING and ratio(float("nan")) == MISSING


def test_a_value_that_rounds_to_zero_shows_no_sign():
    assert [ratio(x) for x in (-0.0000004, -0.0004, -0.0006, 0.0)] == [
        "0.000",
        "0.000",
        "-0.001",
        "0.000",
    ]
    assert percent(-0.000001) == "0.00%" and percent(-0.0001) == "-0.01%"
    assert years(-0.001) == "0.00"
    assert money(-0.001) == "0.00" and money(-1234.5) == "-1,234.50"


def test_probabilities_have_one_rule():
    frame = pd.DataFrame(
        {"SPA p": [0.004, 0.0], "MCS p": [1.0, 0.0002], "PSR": [1.064e-9, 0.97315]}
    )
    assert format_frame(frame).to_dict("list") == {
        "SPA p": ["0.004", "0.000"],
        "MCS p": ["1.000", "<0.001"],
        "PSR": ["<0.001", "0.973"],
    }
    assert probability(np.nan) == MISSING


def test_the_console_tables_format_as_the_report_does():
    table = pd.DataFrame(
        {
            "aRC": [0.1, np.nan],
            "IR***": [-1e-7, 0.5],
            "trades": [3.0, 4.0],
            "SPA p": [0.0001, 0.2],
            "beats benchmark": [np.True_, None],
            "rebalances": [12.0, np.nan],
        }
    )
    assert format_table(table).to_dict("list") == {
        "aRC": ["10.00%", ""],
        "IR***": ["0.000", "0.500"],
        "trades": ["3", "4"],
        "SPA p": ["<0.001", "0.200"],
        "beats benchmark": ["yes", ""],
        "rebalances": ["12", ""],
    }
