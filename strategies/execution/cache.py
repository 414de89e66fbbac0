"""A content-addressed store of walk-forward results on disk.

Each entry is one file named by its key (a SHA-256 hex digest): a magic header, the
SHA-256 of the body, and the body (a pickle). Writes go to a unique temporary file in
the same directory and are renamed over the final name, so a reader sees either a
complete entry or none, whatever kills the writer, and concurrent writers of the same
key (runs and multirun jobs on one machine) are safe: they write the same bytes. A
read checks the digest; an entry that does not match (truncated, corrupted) is removed
and reported as missing, so it is recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CACHE_DIR_VARIABLE", "CacheInfo", "ChunkCache", "default_cache_dir"]

log = logging.getLogger(__name__)

#: Environment variable naming the cache directory (when the config leaves it unset).
CACHE_DIR_VARIABLE = "AISFOLIO_CACHE_DIR"

_MAGIC = b"AISFOLIO-CACHE-1\n"
_DIGEST = 32
_LAYOUT = "v1"  # bump when the entry format changes: old entries are then ignored


def default_cache_dir() -> Path:
    """``$AISFOLIO_CACHE_DIR``, else ``$XDG_CACHE_HOME/aisfolio``, else
    ``~/.cache/aisfolio``."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "aisfolio"


@dataclass(frozen=True)
class CacheInfo:
    """What a cache directory holds."""

    directory: Path
    entries: int
    size_bytes: int


@dataclass(frozen=True)
class ChunkCache:
    """Entries keyed by hex digests under ``directory`` (picklable: only a path).

    Parameters
    ----------
    directory : path
        Where entries live (created on the first write).
    """

    directory: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", Path(self.directory).expanduser())

    @property
    def _root(self) -> Path:
        return self.directory / _LAYOUT

    def path(self, key: str) -> Path:
        """File of the entry ``key``."""
        return self._root / key[:2] / f"{key}.entry"

    def load(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or not intact."""
        blob = self.load_bytes(key)
        return None if blob is None else pickle.loads(blob)

    def load_bytes(self, key: str) -> bytes | None:
        """The pickled value under ``key`` after checking its digest, or None."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cache entry %s unreadable (%s): recomputing it", path, error)
            return None
        head = len(_MAGIC)
        body = data[head + _DIGEST :]
        if (
            data[:head] != _MAGIC
            or len(data) < head + _DIGEST
            or hashlib.sha256(body).digest() != data[head : head + _DIGEST]
        ):
            log.warning("cache entry %s is corrupt or truncated: recomputing it", path)
            path.unlink(missing_ok=True)
            return None
        return body

    def contains(self, key: str) -> bool:
        """Whether an intact entry ``key`` exists (reads and checks it)."""
        return self.load_bytes(key) is not None

    def store(self, key: str, value: Any) -> None:
        """Store ``value`` (pickled) under ``key``."""
        self.store_bytes(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def store_bytes(self, key: str, blob: bytes) -> None:
        """Store an already pickled value under ``key``, atomically."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{key[:16]}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC + hashlib.sha256(blob).digest() + blob)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def info(self) -> CacheInfo:
        """Number of entries and bytes on disk (temporary files of writers included)."""
        entries = size = 0
        if self.directory.exists():
            for file in self.directory.rglob("*"):
                if file.is_file():
                    size += file.stat().st_size
                    entries += file.suffix == ".entry"
        return CacheInfo(self.directory, entries, size)

    def clear(self) -> CacheInfo:
        """Delete every entry (of every layout version); returns what was there."""
        before = self.info()
        if self.directory.exists():
            for layout in self.directory.glob("v[0-9]*"):
                if layout.is_dir():
                    shutil.rmtree(layout)
        return before
