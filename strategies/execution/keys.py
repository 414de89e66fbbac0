"""Cache keys: what a walk-forward result depends on, hashed.

A chunk's forecasts depend on the generator's class and parameters, the code that
computes them, and the rows the chunk may see (its task's ``history``, whose first
bars are the training window; ``n`` says where the decisions start). A chunk of a
``"carry"`` generator also depends on the state the previous chunk of its source left,
so its key includes the previous chunk's key: a chain of keys, which a run on a longer
price file (new days appended) reproduces for every chunk whose data did not change.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from aisfolio.strategies.base import ChunkTask, Generator

__all__ = ["FORMAT", "chunk_key", "code_version", "data_digest", "fit_key", "generator_digest"]

#: Version of the key and entry layout; bump to orphan every existing entry.
FORMAT = 1

_CORE = Path(__file__).resolve().parents[1]  # the strategies package


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


@cache
def _module_code(module_file: str) -> str:
    """Digest of the sources next to ``module_file`` and of ``strategies``' own modules."""
    digest = hashlib.sha256()
    folders = sorted({Path(module_file).resolve().parent, _CORE})
    for folder in folders:
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def code_version(generator: Generator) -> str:
    """The code a generator's results depend on, as a digest.

    The sources of the folder that defines the generator's class (e.g. all of
    ``strategies/arima_garch/``) and of ``strategies``' top-level modules (the protocol,
    the walk-forward engine), the aisfolio, Python and NumPy versions. Editing any of
    them orphans the generator's cache entries.

    Parameters
    ----------
    generator : Generator

    Returns
    -------
    str
    """
    module = sys.modules[type(generator).__module__]
    source = getattr(module, "__file__", None)
    code = _module_code(source) if source else type(generator).__module__
    versions = f"{_version('aisfolio')}|{sys.version_info[:2]}|{np.__version__}"
    return hashlib.sha256(f"{code}|{versions}".encode()).hexdigest()


def generator_digest(generator: Generator) -> str:
    """Class, parameters and code version of a generator."""
    cls = type(generator)
    params = sorted((str(k), repr(v)) for k, v in generator.get_params().items())
    text = f"{FORMAT}|{cls.__module__}.{cls.__qualname__}|{params!r}|{code_version(generator)}"
    return hashlib.sha256(text.encode()).hexdigest()


def data_digest(data: pd.Series | pd.DataFrame) -> str:
    """Digest of values, dates and names of a Series or DataFrame (a frame's
    ``columns.name`` included: it names the asset of a stacked input)."""
    digest = hashlib.sha256()
    frame = data.to_frame(name="") if isinstance(data, pd.Series) else data
    digest.update(repr((type(data).__name__, getattr(data, "name", None))).encode())
    digest.update(repr(([str(c) for c in frame.columns], frame.columns.name)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def chunk_key(generator: str, task: ChunkTask, previous: str | None = None) -> str:
    """Key of one chunk's result.

    Parameters
    ----------
    generator : str
        :func:`generator_digest` of the generator.
    task : ChunkTask
        The chunk (its ``history`` and ``n``; ``train`` is the start of ``history``).
    previous : str, optional
        Key of the previous chunk of the same source, for ``"carry"`` generators.

    Returns
    -------
    str
        A SHA-256 hex digest.
    """
    text = f"{generator}|{data_digest(task.history)}|{task.n}|{len(task.train)}|{previous or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def fit_key(generator: str, task: ChunkTask) -> str:
    """Key of the generator fitted on a chunk's training window (independent chunks).

    Parameters
    ----------
    generator : str
        :func:`generator_digest` of the generator.
    task : ChunkTask

    Returns
    -------
    str
    """
    return hashlib.sha256(f"fit|{generator}|{data_digest(task.train)}".encode()).hexdigest()
