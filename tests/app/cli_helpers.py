"""Running the CLI in the test process (quicker than a subprocess for runs that stop
early), with the process state a run changes given back afterwards."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from aisfolio.app.cli import main


def in_process(*args: str) -> int:
    """Run ``aisfolio *args`` here; return its exit code (0 when it returns)."""
    argv, environment = list(sys.argv), dict(os.environ)
    try:
        with pytest.raises(SystemExit) as stop:
            main(list(args))
            raise SystemExit(0)
    finally:
        sys.argv = argv  # main hands its arguments to Hydra through sys.argv
        os.environ.clear()
        os.environ.update(environment)  # what the run set (the result cache variable)
    return int(stop.value.code or 0)


def refused(*args: str, folder: Path, capsys, monkeypatch) -> str:
    """Run ``aisfolio *args`` here from ``folder``; assert that it exits 2 and leaves
    ``folder`` empty; return what it printed on stderr."""
    monkeypatch.chdir(folder)
    capsys.readouterr()
    code = in_process(*args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert list(folder.iterdir()) == [], "a refused run must leave nothing behind"
    return err
