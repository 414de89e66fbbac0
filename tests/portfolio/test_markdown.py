"""One Markdown table writer for the report, the run's table files and the console."""

from __future__ import annotations

import pandas as pd

from aisfolio.portfolio.markdown import frame_markdown, markdown_table


def test_numbers_right_text_left_and_every_cell_escaped():
    table = markdown_table(["line", "IR**", "aRC"], [["<b>a|b</b>", "0.120", "1.50%"]])
    header, rule, row = table.splitlines()
    assert header == "| line | IR\\*\\* | aRC |"
    assert rule == "| :--- | ---: | ---: |"
    assert row == "| &lt;b&gt;a\\|b&lt;/b&gt; | 0.120 | 1.50% |"


def test_a_frame_keeps_its_index_as_leading_columns():
    frame = pd.DataFrame({"IR*": ["0.1", ""]}, index=pd.Index(["SP500", "WTI"], name="asset"))
    lines = frame_markdown(frame).splitlines()
    assert lines[0] == "| asset | IR\\* |"
    assert lines[2:] == ["| SP500 | 0.1 |", "| WTI |  |"]


def test_the_written_tables_escape_the_paper_column_names(run_folder):
    for name in ("table2_ais.md", "metrics.md", "report.md"):
        text = (run_folder / name).read_text()
        assert "IR\\*\\*" in text, name
        assert "| IR** |" not in text, name
