"""A run never removes or overwrites what its folder held (aisfolio.app.run_folder)."""

from __future__ import annotations

import pytest

from aisfolio.app.outputs import OutputWriter
from aisfolio.app.run_folder import RunFolder
from aisfolio.portfolio.errors import OutputError
from tests.app.test_cli import SMALL, aisfolio

#: A quick run: two cheap generators over three years, no significance tests.
QUICK = [*SMALL, "generators=[buy_and_hold,momentum]", "significance.enabled=false"]


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_bad_input_into_an_existing_folder_keeps_the_folder_and_the_users_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("1,2\n")
    done = aisfolio("data=file", "data.path=typo.csv", "hydra.run.dir=.", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "typo.csv" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "sub"]
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert (tmp_path / "sub" / "data.csv").read_text() == "1,2\n"


def test_bad_input_into_a_new_nested_folder_removes_every_folder_it_created(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "old.txt").write_text("keep")
    done = aisfolio("data=file", "data.path=typo.csv", "hydra.run.dir=runs/a/b/c", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["old.txt"]


def test_a_second_run_into_the_same_folder_is_refused_and_the_first_is_untouched(tmp_path):
    first = aisfolio(*QUICK, "hydra.run.dir=run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = _snapshot(tmp_path / "run")
    second = aisfolio(
        *QUICK, "generators.momentum.generator.lookback=5", "hydra.run.dir=run", cwd=tmp_path
    )
    assert second.returncode == 2
    assert "already holds what a run writes" in second.stderr
    assert "hydra.run.dir" in second.stderr
    assert _snapshot(tmp_path / "run") == before


def test_a_user_file_with_an_output_name_is_never_overwritten(tmp_path):
    (tmp_path / "config.yaml").write_text("mine")
    done = aisfolio(*QUICK, "hydra.run.dir=.", cwd=tmp_path)
    assert done.returncode == 2
    assert "config.yaml" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]
    assert (tmp_path / "config.yaml").read_text() == "mine"


def test_a_run_next_to_user_files_writes_its_outputs_and_keeps_them(tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    done = aisfolio(*QUICK, "hydra.run.dir=.", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert (tmp_path / "metrics.csv").exists()


def test_a_run_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "run").write_text("a file")
    done = aisfolio(*QUICK, "hydra.run.dir=run/inner", cwd=tmp_path)
    assert done.returncode == 2
    assert "is a file" in done.stderr
    assert (tmp_path / "run").read_text() == "a file"


def test_a_sweep_into_a_folder_holding_a_sweep_is_refused(tmp_path):
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "multirun.yaml").write_text("previous")
    done = aisfolio("-m", *QUICK, "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert done.returncode == 2
    assert "already holds a sweep" in done.stderr
    assert [p.name for p in (tmp_path / "sweep").iterdir()] == ["multirun.yaml"]


def test_the_writer_replaces_nothing(run_result, tmp_path):
    (tmp_path / "metrics.csv").write_text("mine")
    with pytest.raises(OutputError, match=r"metrics\.csv"):
        OutputWriter(plot=False, full_report=False).write(run_result, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]
    assert (tmp_path / "metrics.csv").read_text() == "mine"


def test_discard_removes_only_what_appeared_after_the_survey(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old.txt").write_text("keep")
    folder = RunFolder.survey(tmp_path)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "file").write_text("x")
    (tmp_path / "old" / "added").write_text("inside an old folder: kept")
    (tmp_path / "new.txt").write_text("x")
    folder.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old", "old.txt"]
    assert (tmp_path / "old" / "added").exists()


def test_discard_of_a_created_folder_removes_it_and_its_created_parents(tmp_path):
    folder = RunFolder.survey(tmp_path / "a" / "b" / "run")
    assert not folder.existed
    assert folder.created_parents == (tmp_path / "a" / "b", tmp_path / "a")
    (tmp_path / "a" / "b" / "run").mkdir(parents=True)
    (tmp_path / "a" / "b" / "run" / "x").write_text("x")
    (tmp_path / "a" / "kept.txt").write_text("written by someone else meanwhile")
    folder.discard()
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["kept.txt"]


def test_holding_matches_names_and_prefixes(tmp_path):
    (tmp_path / ".partial-abc").mkdir()
    (tmp_path / "metrics.csv").write_text("")
    (tmp_path / "notes.txt").write_text("")
    folder = RunFolder.survey(tmp_path)
    assert folder.holding(["metrics.csv", ".partial-"]) == [".partial-abc", "metrics.csv"]
