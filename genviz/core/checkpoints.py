"""Checkpoints: one `.safetensors` file = weights + a string map of metadata.

Loading never unpickles (safetensors holds raw tensors and a JSON header only). Writes go to
a temporary file in the same folder, are flushed and fsynced, then `os.replace`d, so a crash
mid-save leaves the previous file intact. Every way a file can be wrong maps to one sentence.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from genviz.core import paths, registry
from genviz.core.config import config_from_dict, config_to_json
from genviz.core.errors import CheckpointError, GenvizError
from genviz.core.paths import REPO_ROOT, SHIPPED_DIR, genviz_home  # noqa: F401  (re-exported)

FORMAT = "genviz-checkpoint/1"
SUFFIX = ".safetensors"
_MAX_HEADER = 100 * 1024 * 1024
_EXTRA = "__extra__."  # prefix of stored tensors that are not model weights


user_dir = paths.user_checkpoint_dir


@dataclass(frozen=True)
class Checkpoint:
    """A loaded model with its config and metadata. Treat `model` as read-only when shared."""

    path: Path
    kind: str
    config: Any
    model: nn.Module
    dataset: str
    metrics: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)  # everything else: epochs, created, extra, ...
    extra_tensors: dict[str, torch.Tensor] = field(default_factory=dict)  # e.g. progress grids, curves

    @property
    def family(self) -> str:
        return registry.get(self.kind).family

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class CheckpointInfo:
    """What the catalogue knows about a checkpoint without building its model."""

    path: Path
    kind: str
    dataset: str
    metrics: dict[str, float]
    created: str
    shipped: bool

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def label(self) -> str:
        where = "shipped" if self.shipped else "saved"
        return f"{self.name} ({self.kind}, {self.dataset}, {where})"


def _weights_digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a checkpoint is an ordinary readable file
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(
    path: str | Path,
    model: nn.Module,
    config: Any,
    *,
    dataset: str,
    metrics: dict[str, float] | None = None,
    epochs: float | None = None,
    extra: dict[str, Any] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
    half: bool = False,
) -> Path:
    """Write `model` and its metadata atomically; `half=True` stores floats as fp16 (smaller files).

    `extra` is any JSON-serialisable record (curves, training time, ...) kept with the weights;
    `extra_tensors` are arrays that are not weights (e.g. the fixed-noise grid at each saved step).
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.clone()
    for k, v in (extra_tensors or {}).items():
        v = v.detach().cpu().contiguous()
        tensors[_EXTRA + k] = (v.half() if half and v.is_floating_point() else v).clone()
    meta = {
        "format": FORMAT,
        "kind": config.kind,
        "config": config_to_json(config),
        "dataset": dataset,
        "metrics": json.dumps(metrics or {}, sort_keys=True),
        "epochs": json.dumps(epochs),
        "extra": json.dumps(extra or {}),
        "genviz_version": _version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "weights_sha256": _weights_digest(tensors),
    }
    _atomic_write(path, st_save(tensors, metadata=meta))
    return path


def _version() -> str:
    from genviz import __version__

    return __version__


def _parse_header(raw: bytes) -> Any:
    """The JSON header of a safetensors byte string, or None when it is not one."""
    if len(raw) < 8:
        return None
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > _MAX_HEADER or 8 + header_len > len(raw):
        return None
    try:
        return json.loads(raw[8 : 8 + header_len])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _read_header(path: Path) -> tuple[dict[str, Any], bytes]:
    """Return (safetensors header dict, whole file bytes) or raise a CheckpointError sentence."""
    name = path.name
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {path}.")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file.")
    raw = path.read_bytes()
    header = _parse_header(raw)
    if header is None:
        if raw[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05") or raw[:4] == b"PK\x03\x04":
            raise CheckpointError(
                f"{name} is a PyTorch pickle (.pt/.pth) file; genviz does not open pickles because loading "
                "one can run arbitrary code. Save the weights as .safetensors instead."
            )
        if len(raw) < 8:
            raise CheckpointError(f"{name} is empty or truncated ({len(raw)} bytes); it is not a checkpoint.")
        raise CheckpointError(f"{name} is not a safetensors checkpoint, or it is truncated.")
    if not isinstance(header, dict):
        raise CheckpointError(f"{name} is not a safetensors checkpoint.")
    return header, raw


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata map of a genviz checkpoint, checked for our format marker."""
    path = Path(path)
    header, _ = _read_header(path)
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file, but not a genviz checkpoint (no genviz metadata).")
    return meta


def _json_field(meta: dict[str, str], key: str, path: Path, default: Any) -> Any:
    if key not in meta:
        return default
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError:
        raise CheckpointError(f"{path.name} has a damaged '{key}' entry in its metadata.") from None


def info(path: str | Path, shipped: bool = False) -> CheckpointInfo:
    path = Path(path)
    meta = read_metadata(path)
    return CheckpointInfo(
        path=path, kind=meta.get("kind", "?"), dataset=meta.get("dataset", "?"),
        metrics=_json_field(meta, "metrics", path, {}), created=meta.get("created", ""), shipped=shipped,
    )


def load(path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Load and rebuild a checkpoint's model (in eval mode) on `device`; never unpickles."""
    path = Path(path)
    header, raw = _read_header(path)
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file, but not a genviz checkpoint (no genviz metadata).")
    try:
        tensors = st_load(raw)
    except SafetensorError as err:
        raise CheckpointError(f"{path.name} is damaged or truncated ({err}).") from None
    if meta.get("weights_sha256") != _weights_digest(tensors):
        raise CheckpointError(f"{path.name} was modified after it was saved (its weights do not match their checksum).")
    kind = meta.get("kind", "")
    try:
        spec = registry.get(kind)
        config = config_from_dict(spec.config_cls, _json_field(meta, "config", path, {}))
        model = spec.build(config)
    except GenvizError as err:
        raise CheckpointError(f"{path.name} cannot be rebuilt: {err}") from None
    extra_tensors = {k[len(_EXTRA):]: v.float() if v.is_floating_point() else v
                     for k, v in tensors.items() if k.startswith(_EXTRA)}
    tensors = {k: v for k, v in tensors.items() if not k.startswith(_EXTRA)}
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong = [k for k in own if k in tensors and tuple(own[k].shape) != tuple(tensors[k].shape)]
    if missing or unexpected or wrong:
        what = (f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}" if unexpected
                else f"{wrong[0]} has shape {tuple(tensors[wrong[0]].shape)}, expected {tuple(own[wrong[0]].shape)}")
        raise CheckpointError(f"{path.name}: its weights do not fit a '{kind}' model with its config ({what}).")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in tensors.items()})
    model.to(device).eval()
    rest = {k: v for k, v in meta.items() if k not in ("format", "config", "metrics", "kind", "dataset", "weights_sha256")}
    for key in ("epochs", "extra"):
        rest[key] = _json_field(meta, key, path, None)
    return Checkpoint(path=path, kind=kind, config=config, model=model, dataset=meta.get("dataset", "?"),
                      metrics=_json_field(meta, "metrics", path, {}), meta=rest, extra_tensors=extra_tensors)


def catalogue(dirs: list[Path] | None = None) -> list[CheckpointInfo]:
    """Every readable genviz checkpoint in the shipped folder and the user folder (bad files skipped)."""
    found = []
    for folder in dirs if dirs is not None else [SHIPPED_DIR, user_dir()]:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        shipped = folder.resolve() == SHIPPED_DIR.resolve()
        for p in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                found.append(info(p, shipped=shipped))
            except CheckpointError:
                continue
    return found
