"""One table from a kind name ("ae", "vae", "dcgan", ...) to everything that makes it.

A `KindSpec` says which config class describes the model, how to build the module, which
training recipe trains it, and which hyperparameters a page or the CLI may set. Adding a model
is one `register(...)` call in its family module; pages and the CLI read this table.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from torch import nn

from genviz.core.config import field_range
from genviz.core.errors import ConfigError

# Modules that call `register` at import. A family adds its module here.
_FAMILY_MODULES = (
    "genviz.autoencoders.recipes",
    "genviz.classifier.recipe",
    "genviz.gans.recipes",
    "genviz.team.recipe",
    "genviz.translation.recipe",
)


@dataclass(frozen=True)
class ParamSpec:
    """A user-settable model hyperparameter, enough to draw a widget and a CLI flag."""

    name: str  # the config field it sets
    label: str
    kind: str  # "int" | "float" | "log" (float on a log slider) | "choice" | "bool"
    default: Any
    low: float | None = None
    high: float | None = None
    options: tuple[Any, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class KindSpec:
    kind: str
    family: str  # "autoencoder" | "gan" | "classifier" | "team" | "translation"
    title: str
    config_cls: type
    build: Callable[[Any], nn.Module]
    recipe: Callable[[Any], Any]  # config -> Recipe (see genviz.core.train)
    # make_config(image_shape, n_classes, **param values) -> config instance
    make_config: Callable[..., Any]
    params: tuple[ParamSpec, ...] = ()
    description: str = ""
    default_train: dict[str, Any] = field(default_factory=dict)  # TrainParams overrides
    trainable_in_app: bool = True
    # Extra held-out metrics for `python -m genviz evaluate` and shipped checkpoints:
    # evaluate(model, config, data: ImageData) -> dict. The recipe's own evaluate() (prefixed "test_")
    # is always reported too.
    evaluate: Callable[..., dict[str, Any]] | None = None
    # For kinds that do not train on images (team): evaluate_checkpoint(checkpoint, device) -> dict,
    # used by `python -m genviz evaluate` instead of loading an image dataset.
    evaluate_checkpoint: Callable[..., dict[str, Any]] | None = None
    # For kinds whose training data is not one dataset of genviz.core.data (cyclegan: the domain pair named by
    # its `pair` setting): load_data(values, device) -> an ImageData, used by the CLI and the Train page.
    load_data: Callable[..., Any] | None = None


_REGISTRY: dict[str, KindSpec] = {}
_loaded = False


def _with_ranges(spec: KindSpec) -> KindSpec:
    """Fill each numeric ParamSpec's range from its config field (declared once, with `bounded`).

    A ParamSpec may state a range only for a field that declares none; stating one for a bounded
    field is a programming error, because the widget and the validation would then disagree.
    """
    params = []
    for p in spec.params:
        declared = field_range(spec.config_cls, p.name)
        if declared is not None:
            if p.low is not None or p.high is not None:
                raise ValueError(f"{spec.kind}.{p.name}: the range is declared on {spec.config_cls.__name__}; "
                                 "do not repeat it in the ParamSpec.")
            p = replace(p, low=declared[0], high=declared[1])
        elif p.kind in ("int", "float", "log") and (p.low is None or p.high is None):
            raise ValueError(f"{spec.kind}.{p.name}: a numeric setting needs a range (on its config field).")
        params.append(p)
    return replace(spec, params=tuple(params))


def register(spec: KindSpec) -> KindSpec:
    spec = _with_ranges(spec)
    _REGISTRY[spec.kind] = spec
    return spec


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _FAMILY_MODULES:
            importlib.import_module(module)


def get(kind: str) -> KindSpec:
    _load()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ConfigError(f"Unknown model kind '{kind}'; known kinds: {', '.join(sorted(_REGISTRY))}.") from None


def kinds(family: str | None = None) -> list[KindSpec]:
    _load()
    return [s for s in _REGISTRY.values() if family is None or s.family == family]
