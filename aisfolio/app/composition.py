"""From a Hydra config to the objects of a run; the CLI and Python share it."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hydra import compose, initialize_config_module
from hydra.errors import HydraException, InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from aisfolio.app.config import validate_config
from aisfolio.app.config_keys import in_config_terms
from aisfolio.app.outputs import OutputWriter
from aisfolio.app.rebalancing import RebalanceSettings
from aisfolio.portfolio.errors import AisfolioError, ConfigError
from aisfolio.portfolio.pipeline import Pipeline
from aisfolio.portfolio.sources import PriceSource
from aisfolio.strategies.execution import default_cache_dir

__all__ = ["Components", "build", "cache_directory", "load_config", "pipeline_from_config"]

#: Where Hydra's InstantiationException names the node whose target failed.
_FULL_KEY = re.compile(r"^full_key: (\S+)$", re.MULTILINE)

# The folder a run or sweep starts from, resolved once per config (cached like Hydra's
# `now`, and the cache travels with the jobs of a sweep to their workers).
if not OmegaConf.has_resolver("aisfolio_cwd"):
    OmegaConf.register_new_resolver("aisfolio_cwd", os.getcwd, use_cache=True)


@dataclass(frozen=True)
class Components:
    """The configured parts of a run."""

    source: PriceSource
    pipeline: Pipeline
    writer: OutputWriter
    rebalance: RebalanceSettings = field(default_factory=RebalanceSettings)


def load_config(overrides: Sequence[str] = ()) -> DictConfig:
    """Compose the packaged configuration, as the CLI does, with Hydra overrides.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides, e.g. ``["generators.momentum.generator.lookback=5"]``.

    Returns
    -------
    DictConfig
    """
    try:
        with initialize_config_module(config_module="aisfolio.conf", version_base="1.3"):
            return compose(config_name="config", overrides=list(overrides))
    except HydraException as error:
        raise ConfigError(str(error)) from None


def build(config: DictConfig) -> Components:
    """Validate a composed config and instantiate its parts.

    Parameters
    ----------
    config : DictConfig
        A composed configuration (from the CLI or :func:`load_config`).

    Returns
    -------
    Components

    Raises
    ------
    ConfigError
        Naming the key of a typo, a wrong type or a value a class rejects.
    """
    validate_config(config)

    def group(name: str) -> dict[str, object]:
        for label in config[name]:
            if "_target_" not in config[name][label]:
                raise ConfigError(
                    f"'{label}' is configured but not selected; add it to the list, e.g. "
                    f"{name}=[...,{label}]",
                    key=f"{name}.{label}",
                )
        return {
            str(label): _instantiate(config[name][label], f"{name}.{label}")
            for label in config[name]
        }

    generators, stacking, combiners, allocators = (
        group(name) for name in ("generators", "stacking", "combiners", "allocator")
    )
    try:
        pipeline = _pipeline(config, generators, stacking, combiners, allocators)
    except ConfigError as error:
        raise in_config_terms(error) from None
    return Components(
        source=_instantiate(config.data, "data"),  # type: ignore[arg-type]
        pipeline=pipeline,
        writer=_instantiate(config.report, "report"),  # type: ignore[arg-type]
        rebalance=(
            _instantiate(config.rebalance, "rebalance")  # type: ignore[arg-type]
            if "rebalance" in config
            else RebalanceSettings()
        ),
    )


def _pipeline(
    config: DictConfig,
    generators: dict[str, object],
    stacking: dict[str, object],
    combiners: dict[str, object],
    allocators: dict[str, object],
) -> Pipeline:
    return Pipeline(
        generators,  # type: ignore[arg-type]
        backtest=_instantiate(config.backtest, "backtest"),  # type: ignore[arg-type]
        ensembles=_instantiate(config.ensemble, "ensemble"),  # type: ignore[arg-type]
        stacked=stacking,  # type: ignore[arg-type]
        combiners=combiners,  # type: ignore[arg-type]
        benchmarks=list(config.benchmarks),
        allocations=allocators,  # type: ignore[arg-type]
        execution=_instantiate(config.execution, "execution"),  # type: ignore[arg-type]
        significance=(
            _instantiate(config.significance, "significance")  # type: ignore[arg-type]
            if config.get("significance") is not None
            else None
        ),
    )


def _instantiate(node: DictConfig, key: str) -> object:
    """Build one config node, reporting a constructor's complaint under its key.

    A class names the key of its own parameter in a :class:`ConfigError`; the error
    is reported under the full key of the node that built it (Hydra's ``full_key``,
    which reaches nested nodes: ``allocator.min_variance.allocator``), else ``key``.
    """
    try:
        return instantiate(node, _convert_="all")
    except InstantiationException as error:
        cause = error.__cause__ if error.__cause__ is not None else error
        found = _FULL_KEY.search(str(error))
        where = found.group(1) if found else key
        if isinstance(cause, ConfigError):
            raise cause.under(where) from None
        if isinstance(cause, AisfolioError):
            raise cause from None
        raise ConfigError(str(cause), key=where) from None


def cache_directory(execution: DictConfig) -> Path:
    """The result cache directory of an ``execution`` config node (its ``cache_dir``,
    else the default of :func:`aisfolio.strategies.execution.default_cache_dir`)."""
    configured = execution.get("cache_dir")
    return Path(configured).expanduser() if configured else default_cache_dir()


def pipeline_from_config(overrides: Sequence[str] = ()) -> Pipeline:
    """The pipeline the CLI would run with the same overrides.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides, e.g. ``["backtest.cost_rate=0.001"]``.

    Returns
    -------
    Pipeline
    """
    return build(load_config(overrides)).pipeline
