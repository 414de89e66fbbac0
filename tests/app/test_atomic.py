"""Outputs are written all or nothing and replace nothing."""

from __future__ import annotations

import pytest

from aisfolio.app.atomic import write_all_or_nothing
from aisfolio.portfolio.errors import OutputError


def _two_files(folder):
    (folder / "a.csv").write_text("a")
    (folder / "plots").mkdir()
    (folder / "plots" / "b.png").write_text("b")


def test_everything_written_is_moved_and_nothing_else_is_left(tmp_path):
    moved = write_all_or_nothing(tmp_path / "run", _two_files)
    assert [p.name for p in moved] == ["a.csv", "plots"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["a.csv", "plots"]
    assert (tmp_path / "run" / "plots" / "b.png").read_text() == "b"


def test_a_taken_name_moves_nothing_and_keeps_the_user_file(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="already holds plots"):
        write_all_or_nothing(tmp_path, _two_files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "plots"]
    assert list((tmp_path / "plots").iterdir()) == []


def test_a_failed_write_leaves_no_trace_not_even_the_folder_it_made(tmp_path):
    def fail(folder):
        (folder / "half.csv").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_all_or_nothing(tmp_path / "new" / "run", fail)
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError):
        write_all_or_nothing(tmp_path / "kept", fail)
    assert (tmp_path / "kept").is_dir() and not any((tmp_path / "kept").iterdir())
