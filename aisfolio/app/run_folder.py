"""The run folder: what a run may write into it, and what it may remove.

A run never removes or overwrites anything that was in its folder before it started.
Before Hydra writes anything, :class:`RunFolderGuard` surveys ``hydra.run.dir``: a
folder that already holds a run (Hydra's ``.hydra`` record, the job log, or any output
a run writes) is refused with exit code 2, so that a second run cannot mix its files
with the first one's. A run stopped by bad input (or interrupted) removes only the
entries it created, the folder itself only if the run created it, and then the empty
parent folders it created.

In a multirun the sweep folder is surveyed at the start: one that already holds a
sweep is refused. Each job's folder is then new; a failed job removes what it created
after Hydra's set-up and keeps Hydra's record of the job (its ``.hydra`` folder and
log), which the sweep summary lists as a failed job.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from aisfolio.portfolio.errors import EXIT_BAD_INPUT, OutputError
from aisfolio.strategies.run_context import TRAINING_LOGS

__all__ = ["RUN_OUTPUTS", "RunFolder", "RunFolderGuard", "claim_run_folder"]

#: Names a run writes at the top of its folder besides Hydra's record and the writer's
#: files: the staging folder prefix and the training logs of the LSTM.
RUN_OUTPUTS = (TRAINING_LOGS, ".partial-")

#: Files that mark a folder as holding a sweep (Hydra's and the sweep summary's).
SWEEP_MARKERS = ("multirun.yaml", "sweep_summary.html", "sweep_summary.csv")

#: The folders surveyed before Hydra wrote into them, by absolute path.
_SURVEYED: dict[Path, RunFolder] = {}


@dataclass(frozen=True)
class RunFolder:
    """A run's folder as it was before the run wrote anything.

    Attributes
    ----------
    path : pathlib.Path
        The folder (absolute).
    existed : bool
        Whether it existed before the run.
    before : frozenset of str
        Its entries (names at the top) before the run.
    created_parents : tuple of pathlib.Path
        Its ancestors that did not exist before the run, nearest first.
    """

    path: Path
    existed: bool
    before: frozenset[str]
    created_parents: tuple[Path, ...]

    @classmethod
    def survey(cls, path: str | Path) -> RunFolder:
        """Record what ``path`` holds now.

        Raises
        ------
        OutputError
            If ``path`` (or one of its ancestors) is a file, or cannot be listed.
        """
        folder = Path(path).absolute()
        missing = []
        ancestor = folder
        while not ancestor.exists() and ancestor != ancestor.parent:
            missing.append(ancestor)
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise OutputError(f"'{ancestor}' is a file, not a folder", path=folder)
        if missing and missing[0] == folder:
            return cls(folder, False, frozenset(), tuple(missing[1:]))
        try:
            entries = frozenset(entry.name for entry in folder.iterdir())
        except OSError as error:
            raise OutputError(f"cannot be listed ({error.strerror})", path=folder) from error
        return cls(folder, True, entries, ())

    def holding(self, names: Iterable[str]) -> list[str]:
        """The entries among ``names`` (or starting with a name ending in ``-``) that
        were in the folder before the run."""
        wanted = list(names)
        return sorted(
            entry
            for entry in self.before
            if entry in wanted or any(w.endswith("-") and entry.startswith(w) for w in wanted)
        )

    def discard(self) -> None:
        """Remove what the run created: entries that were not there before, the folder
        itself if the run created it, and then the empty ancestors it created."""
        if not self.path.is_dir():
            return
        for entry in self.path.iterdir():
            if entry.name in self.before:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if self.existed:
            return
        for folder in (self.path, *self.created_parents):
            try:
                folder.rmdir()
            except OSError:  # not empty (something else wrote there) or already gone
                return


def claim_run_folder(path: str | Path) -> RunFolder:
    """The survey of ``path`` made before Hydra wrote into it, or a survey made now
    (a multirun job: Hydra's record of the job then counts as already there)."""
    folder = Path(path).absolute()
    surveyed = _SURVEYED.pop(folder, None)
    return surveyed if surveyed is not None else RunFolder.survey(folder)


def run_names(hydra_config: DictConfig) -> list[str]:
    """The names a run writes at the top of its folder, for ``hydra`` settings."""
    from aisfolio.app.outputs import OUTPUT_NAMES

    names = [*OUTPUT_NAMES, *RUN_OUTPUTS, f"{hydra_config.job.name}.log"]
    if hydra_config.output_subdir is not None:
        names.append(str(hydra_config.output_subdir))
    return names


def _listed(names: list[str], shown: int = 4) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _refuse_holding(path: str, names: Iterable[str], what: str, key: str) -> RunFolder:
    """Survey ``path``; end the command (exit code 2) if it holds any of ``names``
    (``what`` they make it hold) or cannot be a folder."""
    try:
        folder = RunFolder.survey(path)
        previous = folder.holding(names)
        if previous:
            raise OutputError(
                f"already holds {what} ({_listed(previous)}); choose another {key} "
                "(aisfolio never overwrites or removes files)",
                path=folder.path,
            )
    except OutputError as error:
        print(f"aisfolio: error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    return folder


class RunFolderGuard(Callback):
    """Hydra callback that keeps a run from touching what its folder held before.

    Configured in ``conf/config.yaml`` under ``hydra.callbacks.run_folder``.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Survey ``hydra.run.dir``; refuse one that holds a run (exit code 2)."""
        folder = _refuse_holding(
            config.hydra.run.dir, run_names(config.hydra), "what a run writes", "hydra.run.dir"
        )
        _SURVEYED[folder.path] = folder

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Refuse a ``hydra.sweep.dir`` that holds a sweep (exit code 2)."""
        _refuse_holding(config.hydra.sweep.dir, SWEEP_MARKERS, "a sweep", "hydra.sweep.dir")
