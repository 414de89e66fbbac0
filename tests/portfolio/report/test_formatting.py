"""Numbers for people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisfolio.portfolio.report.formatting import MISSING, format_frame, number, percent, ratio


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
