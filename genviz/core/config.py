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


def bounded(default: Any, low: float, high: float, label: str) -> Any:
    """A config field with its allowed range declared once: `check_fields` validates it, and the
    registry's widgets and CLI flags read the same range (`field_range`)."""
    return dataclasses.field(default=default, metadata={"range": (low, high), "label": label})


def field_range(cls: type, name: str) -> tuple[float, float, str] | None:
    """(low, high, label) of a `bounded` field of the dataclass `cls`, or None."""
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == name and "range" in f.metadata:
            low, high = f.metadata["range"]
            return low, high, f.metadata["label"]
    return None


def check_fields(config: Any) -> None:
    """Check every `bounded` field of `config` against its declared range."""
    for f in dataclasses.fields(config):
        if "range" in f.metadata:
            value = getattr(config, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{f.metadata['label']} must be a number; got {value!r}.")
            check_range(f.metadata["label"], value, *f.metadata["range"])


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
    upgrade = getattr(cls, "upgrade", None)
    if upgrade is not None:  # a config saved by an earlier layout of the same class
        data = upgrade(data)
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
