"""Model configs: frozen dataclasses that round-trip through JSON and validate themselves."""
from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, TypeVar

from genviz.core.errors import ConfigError

C = TypeVar("C")


def check_range(name: str, value: float, low: float, high: float) -> None:
    """Raise ConfigError unless low <= value <= high (the message names the allowed range)."""
    if not (low <= value <= high):  # also catches NaN
        raise ConfigError(f"{name} must be between {low:g} and {high:g}; got {value:g}.")


PRECISIONS = ("auto", "fp32", "bf16")  # TrainParams.precision: the arithmetic of training steps (see genviz.core.train)


def check_choice(name: str, value: str, options: typing.Iterable[str]) -> None:
    options = tuple(options)
    if value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}; got '{value}'.")


def config_to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_to_json(config: Any) -> str:
    return json.dumps(config_to_dict(config), sort_keys=True)


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Build `cls` from a JSON-like dict: unknown keys are refused, lists become tuples."""
    if not isinstance(data, dict):
        raise ConfigError(f"A {cls.__name__} must be a JSON object.")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"Unknown setting(s) for {cls.__name__}: {', '.join(unknown)}.")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        if isinstance(value, list) and "tuple" in str(hints.get(key, "")):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"Settings do not fit {cls.__name__}: {err}.") from None
