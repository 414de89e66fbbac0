"""A content-addressed store of walk-forward results on disk.

Each entry is one file named by its key (a SHA-256 hex digest): a magic header, the
SHA-256 of the rest, the key itself (its length, then its text) and the body (a
pickle). The key inside the digested content is what a read checks the file against:
an intact entry copied over another key's file is not trusted (it is removed with a
warning and recomputed). Writes go to a unique temporary file in
the same directory and are renamed over the final name, so a reader sees either a
complete entry or none, whatever kills the writer, and concurrent writers of the same
key (runs and multirun jobs on one machine) are safe: they write the same bytes. A
read checks the digest; an entry that does not match (truncated, corrupted) is removed
and reported as missing, so it is recomputed, never trusted. A cache directory that
cannot be written (read-only, below a file) leaves the run without caching, with one
warning.
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

_MAGIC = b"AISFOLIO-CACHE-2\n"
_DIGEST = 32
_KEY_LENGTH = 2  # bytes of the key's length, big-endian
_LAYOUT = "v3"  # bump when the entry format changes: old entries are then ignored

#: Cache directories already reported as unwritable (one warning per directory).
_UNWRITABLE: set[Path] = set()


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
        """The pickled value under ``key`` after checking its digest and key, or None."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cache entry %s unreadable (%s): recomputing it", path, error)
            return None
        head = len(_MAGIC)
        sealed = data[head + _DIGEST :]
        if (
            data[:head] != _MAGIC
            or len(data) < head + _DIGEST + _KEY_LENGTH
            or hashlib.sha256(sealed).digest() != data[head : head + _DIGEST]
        ):
            log.warning("cache entry %s is corrupt or truncated: recomputing it", path)
            path.unlink(missing_ok=True)
            return None
        length = int.from_bytes(sealed[:_KEY_LENGTH], "big")
        stored_key = sealed[_KEY_LENGTH : _KEY_LENGTH + length]
        if stored_key != key.encode("ascii"):
            log.warning(
                "cache entry %s holds the result of another key (%s...): recomputing it",
                path,
                stored_key[:16].decode("ascii", "replace"),
            )
            path.unlink(missing_ok=True)
            return None
        return sealed[_KEY_LENGTH + length :]

    def contains(self, key: str) -> bool:
        """Whether an intact entry ``key`` exists (reads and checks it)."""
        return self.load_bytes(key) is not None

    def store(self, key: str, value: Any) -> None:
        """Store ``value`` (pickled) under ``key``."""
        self.store_bytes(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def store_bytes(self, key: str, blob: bytes) -> None:
        """Store an already pickled value under ``key``, atomically; a directory that
        cannot be written is reported once and the value is not stored."""
        path = self.path(key)
        encoded = key.encode("ascii")
        sealed = len(encoded).to_bytes(_KEY_LENGTH, "big") + encoded + blob
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{key[:16]}.", dir=path.parent)
        except OSError as error:
            self._unwritable(error)
            return
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC + hashlib.sha256(sealed).digest() + sealed)
            os.replace(temporary, path)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            self._unwritable(error)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _unwritable(self, error: OSError) -> None:
        if self.directory not in _UNWRITABLE:
            _UNWRITABLE.add(self.directory)
            log.warning(
                "cache directory %s cannot be written (%s): running without caching",
                self.directory,
                error.strerror or error,
            )

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
