"""Running walk-forwards at scale: joblib backends (local processes, a Ray cluster),
a content-addressed result cache that makes runs resumable, and progress reporting."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "cache": ["CACHE_DIR_VARIABLE", "CacheInfo", "ChunkCache", "default_cache_dir"],
        "executor": ["BACKENDS", "ExecutionStats", "Executor", "chunk_dependency"],
        "planning": ["WalkForwardSpec"],
    },
)
