"""Typed validation of composed configs, from the classes the configs build.

Every config node with a ``_target_`` is checked against a structured config (a
dataclass) derived from the target's constructor signature: its parameter names and
type hints. A typo in a key or a value of the wrong type is reported with the full
dotted key before anything runs. There is one source of truth for parameters: the
classes themselves.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from aisfolio.portfolio.errors import ConfigError

__all__ = ["schema_of", "validate_config"]

_HYDRA_KEYS = {"_target_", "_convert_", "_recursive_", "_partial_", "_args_"}


def _plain_type(annotation: Any) -> Any:
    """An OmegaConf-compatible form of a type hint (``Any`` where there is none)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation in (int, float, str, bool):
        return annotation
    if origin in (types.UnionType, typing.Union):
        kept = [_plain_type(a) for a in args if a is not type(None)]
        if len(kept) == 1 and kept[0] is not Any:
            return kept[0] | None
        return Any
    if origin in (list, tuple, Sequence) or annotation in (list, tuple):
        item = _plain_type(args[0]) if args else Any
        return list[item] if item in (int, float, str, bool) else list[Any]
    if origin in (dict, Mapping) and len(args) == 2 and args[0] is str:
        value = _plain_type(args[1])
        return dict[str, value] if value in (int, float, str, bool) else dict[str, Any]
    return Any


@functools.cache
def schema_of(cls: type) -> type:
    """A dataclass with one typed field per constructor parameter of ``cls``.

    Parameters
    ----------
    cls : type
        Any class whose ``__init__`` has keyword parameters.

    Returns
    -------
    type
        A dataclass usable with ``OmegaConf.structured``; nested objects are ``Any``
        (they are validated as configs of their own ``_target_``).
    """
    signature = inspect.signature(cls)
    try:
        hints = typing.get_type_hints(cls.__init__)
    except (NameError, TypeError):
        hints = {}
    fields: list[tuple[str, Any, Any]] = [
        ("_target_", str, dataclasses.field(default=f"{cls.__module__}.{cls.__qualname__}"))
    ]
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        field_type = _plain_type(hints.get(name, Any))
        default = parameter.default
        if default is inspect.Parameter.empty:
            spec = dataclasses.field(default=None) if field_type is Any else dataclasses.field()
        elif isinstance(default, list | tuple | dict):
            frozen = list(default) if isinstance(default, tuple) else default
            spec = dataclasses.field(default_factory=lambda value=frozen: type(value)(value))
        elif not isinstance(default, int | float | str | bool | type(None)):
            # Objects (a default SignalRule, a dataclass factory) are configured as nodes.
            spec = dataclasses.field(default=None)
            field_type = Any
        else:
            spec = dataclasses.field(default=default)
        fields.append((name, field_type, spec))
    return dataclasses.make_dataclass(f"{cls.__name__}Config", fields)


def validate_config(node: Any, key: str = "") -> None:
    """Check every ``_target_`` node of a config against its class's schema.

    Parameters
    ----------
    node : DictConfig or ListConfig
        A composed config (or part of one).
    key : str
        Dotted path of ``node``, for messages.

    Raises
    ------
    ConfigError
        Naming the full key of an unknown key, a value of the wrong type or a
        ``_target_`` that cannot be imported.
    """
    if isinstance(node, ListConfig):
        for i, item in enumerate(node):
            validate_config(item, f"{key}[{i}]")
        return
    if not isinstance(node, DictConfig):
        return
    if "_target_" in node:
        _check_against_target(node, key)
    for child in node:
        if child in _HYDRA_KEYS:
            continue
        validate_config(node._get_node(child), f"{key}.{child}" if key else str(child))


def _check_against_target(node: DictConfig, key: str) -> None:
    target = node["_target_"]
    try:
        cls = get_class(target)
    except Exception as error:  # hydra raises several types for a bad import path
        raise ConfigError(f"cannot import _target_ '{target}': {error}", key=key) from None
    schema = OmegaConf.structured(schema_of(cls))
    plain = OmegaConf.create(
        {
            k: v
            for k, v in OmegaConf.to_container(node, resolve=True).items()
            if k not in _HYDRA_KEYS - {"_target_"}
        }
    )
    for child in plain:
        if child not in schema:
            allowed = ", ".join(k for k in schema if k != "_target_")
            where = f"{key}.{child}" if key else str(child)
            raise ConfigError(f"unknown key for {cls.__name__}; its keys are: {allowed}", key=where)
    try:
        OmegaConf.merge(schema, {k: v for k, v in plain.items() if not _is_nested_target(v)})
    except OmegaConfBaseException as error:
        inner = getattr(error, "full_key", None) or ""
        where = f"{key}.{inner}" if key and inner else key or inner
        raise ConfigError(str(error).splitlines()[0], key=where) from None


def _is_nested_target(value: Any) -> bool:
    return isinstance(value, DictConfig) and "_target_" in value
