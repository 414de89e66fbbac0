"""The ``aisfolio`` command: a Hydra app over :class:`aisfolio.portfolio.Pipeline`.

``aisfolio [overrides]`` runs the configured pipeline and writes its outputs into
Hydra's run directory; ``aisfolio mode=rebalance rebalance.holdings=current.csv``
also sizes the orders from the holdings to the targets; ``aisfolio -m ...`` sweeps
(and summarizes the sweep); ``aisfolio summarize DIR`` summarizes an existing sweep
directory; ``aisfolio datasets`` lists the embedded data sets; ``aisfolio cache
info|clear [overrides]`` shows or empties the result cache of the configured
``execution`` (see :mod:`aisfolio.strategies.execution`). Bad input (data or config) ends with a
message naming what is wrong and where, exit code 2, and no output left behind; a run
never removes or overwrites what its folder held before (:mod:`aisfolio.app.run_folder`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from aisfolio import conf
from aisfolio.app.composition import build, cache_directory, load_config
from aisfolio.app.config_keys import run_configured
from aisfolio.app.rebalancing import rebalance_orders
from aisfolio.app.run_folder import claim_run_folder
from aisfolio.portfolio.datasets import list_datasets
from aisfolio.portfolio.errors import EXIT_BAD_INPUT, AisfolioError, ConfigError, DataError
from aisfolio.portfolio.markdown import frame_markdown
from aisfolio.portfolio.results import RunResult
from aisfolio.portfolio.tables import format_table
from aisfolio.strategies.execution import ChunkCache
from aisfolio.strategies.run_context import TRAINING_LOGS

__all__ = ["main"]

log = logging.getLogger("aisfolio")

#: Values of the ``mode`` key.
MODES = ("backtest", "rebalance")

#: Hydra's flags that start a sweep.
MULTIRUN_FLAGS = ("-m", "--multirun")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``aisfolio`` console script and ``python -m aisfolio``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["datasets"]:
        listing = "\n".join(f"{name:<12} {text}" for name, text in list_datasets().items())
        _print_to_pipe(listing)
        return
    if args[:1] == ["cache"]:
        sys.exit(_cache_command(args[1:]))
    if args[:1] == ["summarize"]:
        from aisfolio.app.sweep_summary import summarize_command

        sys.exit(summarize_command(args[1:]))
    flags = {arg for arg in args if arg.startswith("-")}
    if not flags:  # a run (not --help, --cfg, ...)
        _check_overrides(args)
    elif flags <= set(MULTIRUN_FLAGS):
        _check_sweep([arg for arg in args if arg not in MULTIRUN_FLAGS])
    sys.argv = [sys.argv[0], *args]
    _hydra_app()


@hydra.main(config_path="pkg://aisfolio.conf", config_name="config", version_base="1.3")
def _hydra_app(config: DictConfig) -> float | None:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    folder = claim_run_folder(output_dir)
    orders = None
    try:
        mode = config.get("mode", "backtest")
        if mode not in MODES:
            raise ConfigError(f"'{mode}' is not one of {', '.join(MODES)}", key="mode")
        parts = build(config)
        parts.pipeline.execution.log_dir = str(output_dir)  # generators' training logs
        try:
            log.info("loading prices: %s", parts.source.describe())
            prices = parts.source.load()
        except ConfigError as error:  # the source names its own argument
            raise error.under("data") from None
        try:
            if mode == "rebalance":
                result, orders = rebalance_orders(parts.pipeline, prices, parts.rebalance)
            else:
                result = run_configured(parts.pipeline, prices)
        except DataError as error:
            named = error.from_file(parts.source.describe())
            if named is error:
                raise
            raise named from error
        written = parts.writer.write(
            result,
            output_dir,
            OmegaConf.to_yaml(config, resolve=True),
            orders=orders,
            stage=parts.pipeline.execution.stage,
        )
    except AisfolioError as error:
        folder.discard()
        print(f"aisfolio: error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except BaseException:
        folder.discard()
        raise
    if orders is not None:
        print(f"orders as of {orders.targets.date.date()} toward {orders.targets.line}:")
        print(frame_markdown(orders.table.round(6)))
    else:
        print(frame_markdown(format_table(result.table("ais"))))
        for which in ("combiners", "allocations"):
            table = result.table(which)
            if not table.empty and (which != "allocations" or result.allocations):
                print(frame_markdown(format_table(table)))
    logs = output_dir / TRAINING_LOGS
    trained = sum(1 for file in logs.rglob("*") if file.is_file()) if logs.is_dir() else 0
    log.info(
        "wrote %d files to %s%s",
        len(written),
        output_dir,
        f" (and {trained} training log{'s' if trained > 1 else ''} in {TRAINING_LOGS})"
        if trained
        else "",
    )
    if config.get("objective") is not None:
        return _objective(result, config.objective)
    return None


#: Hydra's wording of an unknown option of a config group, and of an unknown key.
_UNKNOWN_OPTION = re.compile(r"Could not (?:load|find) '(?P<group>[\w/]+)/(?P<option>[^']+)'")
_UNKNOWN_KEY = re.compile(r"Could not override '(?P<key>[^']+)'")
_MISSING_PLUGIN = re.compile(
    r"Could not (?:load|find) 'hydra/(?P<kind>launcher|sweeper)/(?P<name>[^'/]+)'"
)

#: The packaged config groups (one folder each).
CONF_FOLDER = Path(conf.__file__).parent

#: How to install Hydra's launchers and sweeper, and Ray.
CLUSTER_EXTRA = "pip install 'aisfolio[cluster]'"


def _print_to_pipe(text: str) -> None:
    """Print ``text``; a reader that stops early (``aisfolio datasets | head -1``) is not
    an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _check_overrides(args: list[str]) -> None:
    """Compose the config before Hydra runs it, so that a mistake in the overrides
    (an unknown key or group option, a malformed value) ends with exit code 2 and a
    message naming it, not with Hydra's exit code 1."""
    try:
        load_config(args)
    except ConfigError as error:
        print(f"aisfolio: error: {_explain(str(error))}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _check_sweep(args: list[str]) -> None:
    """Check a sweep's overrides before Hydra starts its jobs: every option of a swept
    config group once (the other swept keys at their first value), the first value of
    any other swept key (composing checks keys, not values; an ``interval`` of an
    optimizing sweeper is left to it)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        overrides = OverridesParser.create().parse_overrides(args)
    except HydraException as error:
        print(f"aisfolio: error: {_explain(str(error))}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    values: list[list[str]] = []
    for override in overrides:
        if not override.is_sweep_override():
            values.append([override.input_line])
            continue
        try:
            swept = list(override.sweep_string_iterator())
        except HydraException:  # an interval: the sweeper samples it
            continue
        group = override.key_or_group
        if not ("/" in group or (CONF_FOLDER / group).is_dir()):
            swept = swept[:1]
        values.append([f"{override.get_key_element()}={value}" for value in swept])
    first = [choices[0] for choices in values if choices]
    _check_overrides(first)
    for position, choices in enumerate(values):
        for choice in choices[1:]:
            _check_overrides([*first[:position], choice, *first[position + 1 :]])


def _explain(message: str) -> str:
    """Hydra's message, led by what is wrong in the user's words."""
    first = message.strip().splitlines()[0] if message.strip() else message
    if plugin := _MISSING_PLUGIN.search(message):
        return (
            f"Hydra's {plugin['kind']} '{plugin['name']}' is not installed; launcher=local, "
            f"launcher=ray and tuning=* need the cluster extra: {CLUSTER_EXTRA}"
        )
    if option := _UNKNOWN_OPTION.search(message):
        group = option["group"]
        available = sorted(path.stem for path in (CONF_FOLDER / group).glob("*.yaml"))
        return (
            f"config group '{group}' has no option '{option['option']}'; "
            f"available: {', '.join(available) or '(none)'}"
        )
    if key := _UNKNOWN_KEY.search(message):
        return f"config key '{key['key']}' does not exist (a typo?); {first}"
    return " ".join(line.strip() for line in message.strip().splitlines() if line.strip())


def _objective(result: RunResult, objective: DictConfig) -> float:
    """The value a sweeper (Optuna) optimizes: one metric of one line."""
    line, metric = str(objective.line), str(objective.metric)
    if line not in result.metrics.index:
        print(f"aisfolio: error: objective.line: no line '{line}'", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    if metric not in result.metrics.columns:
        print(f"aisfolio: error: objective.metric: no metric '{metric}'", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    value = float(result.metrics.loc[line, metric])
    log.info("objective %s of %s: %g", metric, line, value)
    return value


def _cache_command(args: list[str]) -> int:
    """``aisfolio cache info|clear [overrides]``: the cache the run would use."""
    if not args or args[0] not in ("info", "clear"):
        print("usage: aisfolio cache info|clear [overrides]", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        cache = ChunkCache(cache_directory(load_config(args[1:]).execution))
    except AisfolioError as error:
        print(f"aisfolio: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    info = cache.clear() if args[0] == "clear" else cache.info()
    verb = "removed" if args[0] == "clear" else "holds"
    print(f"{info.directory} {verb} {info.entries} entries, {info.size_bytes / 2**20:.1f} MiB")
    return 0
