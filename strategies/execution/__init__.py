"""Running walk-forwards at scale: joblib backends (local processes, a Ray cluster),
a content-addressed result cache that makes runs resumable, and progress reporting."""

from aisfolio.strategies.execution.cache import (
    CACHE_DIR_VARIABLE,
    CacheInfo,
    ChunkCache,
    default_cache_dir,
)
from aisfolio.strategies.execution.executor import (
    BACKENDS,
    ExecutionStats,
    Executor,
    WalkForwardSpec,
    chunk_dependency,
)

__all__ = [
    "BACKENDS",
    "CACHE_DIR_VARIABLE",
    "CacheInfo",
    "ChunkCache",
    "ExecutionStats",
    "Executor",
    "WalkForwardSpec",
    "chunk_dependency",
    "default_cache_dir",
]
