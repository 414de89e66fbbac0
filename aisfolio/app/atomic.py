"""Outputs written all or nothing, replacing nothing: the one way the app writes a folder.

Files are written to a hidden staging folder inside the target, then renamed into it
(one file system, so each rename is atomic) only if none of their names is taken; a
failure at any point leaves the target as it was, apart from a target folder this
call created itself (and its parents it created), removed again while still empty.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

from aisfolio.portfolio.errors import OutputError

__all__ = ["write_all_or_nothing"]


def write_all_or_nothing(
    target: str | os.PathLike[str], write: Callable[[Path], None]
) -> list[Path]:
    """Run ``write(staging)`` and move what it wrote into ``target``.

    Parameters
    ----------
    target : path
        The folder the outputs go to (created, with its parents, if needed).
    write : callable
        Writes the outputs into the folder it is given.

    Returns
    -------
    list of Path
        The entries moved into ``target`` (files and folders), sorted.

    Raises
    ------
    OutputError
        If ``target`` already holds one of the names (nothing is moved).
    """
    folder = Path(target)
    created = [path for path in (folder, *folder.parents) if not path.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
    try:
        write(staging)
        return _move_all(sorted(staging.iterdir()), folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for path in created:  # innermost first; each only while empty
            if any(path.iterdir()):
                break
            path.rmdir()


def _move_all(entries: list[Path], target: Path) -> list[Path]:
    """Move ``entries`` into ``target``, all or none of them, replacing nothing.

    SIGINT and SIGTERM wait until the renames are done.
    """
    taken = sorted(entry.name for entry in entries if (target / entry.name).exists())
    if taken:
        raise OutputError(
            f"already holds {', '.join(taken)}; outputs are never overwritten", path=target
        )
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        for entry in entries:
            os.rename(entry, target / entry.name)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return [target / entry.name for entry in entries]
