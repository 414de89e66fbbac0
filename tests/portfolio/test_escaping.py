"""Text from data files is neutralized wherever a run writes it (aisfolio.portfolio.escaping)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from aisfolio.app.composition import pipeline_from_config
from aisfolio.app.outputs import OutputWriter
from aisfolio.portfolio.escaping import csv_cell, markdown_cell, terminal_text, write_csv
from tests.run_fixtures import GENERATORS, HOSTILE

#: An asset name a spreadsheet would run as a formula.
FORMULA = '=HYPERLINK("http://example.invalid","x")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-A1", "'-A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-0.5", "-0.5"),  # a number stays a number
        ("SP500", "SP500"),
        (3.0, 3.0),
    ],
)
def test_csv_cells_a_spreadsheet_would_evaluate_get_a_quote(value, expected):
    assert csv_cell(value) == expected


def test_markdown_and_terminal_text():
    assert markdown_cell("<b>|x</b>") == "&lt;b&gt;\\|x&lt;/b&gt;"
    assert terminal_text("\x1b[31mred\x1b[0m\x07") == "[31mred[0m"
    assert "\x1b" not in markdown_cell("\x1b[2J")


def test_write_csv_neutralizes_values_labels_and_multiindex_levels(tmp_path):
    frame = pd.DataFrame(
        {"asset": [FORMULA, "SP500"], "value": [-1.0, 2.0]},
        index=pd.MultiIndex.from_tuples([("=a", "x"), ("b", "@y")], names=["k", "l"]),
    )
    write_csv(frame, tmp_path / "out.csv")
    rows = list(csv.reader((tmp_path / "out.csv").open()))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells and "'=a" in cells and "'@y" in cells
    assert "-1.0" in cells  # numbers untouched
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_a_formula_like_asset_name_is_neutralized_in_every_csv_of_a_run(us_markets_short, tmp_path):
    prices = us_markets_short.rename(columns={"NASDAQ": FORMULA, "WTI": HOSTILE})
    result = pipeline_from_config([GENERATORS]).run(prices)
    OutputWriter(plot=False).write(result, tmp_path)
    files = sorted(tmp_path.rglob("*.csv"))
    assert len(files) > 10
    for path in files:
        cells = [cell for row in csv.reader(path.open(encoding="utf-8")) for cell in row]
        for cell in cells:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
            if cell.startswith("-"):
                float(cell)  # a negative number, never text
    metrics = (tmp_path / "metrics.csv").read_text()
    assert "'" + FORMULA.replace('"', '""') in metrics
    for name in ("metrics.md", "table2_ais.md", "report.md"):
        text = (tmp_path / name).read_text()
        assert HOSTILE not in text and "&lt;script&gt;" in text, name
