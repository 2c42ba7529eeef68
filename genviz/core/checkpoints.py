"""Checkpoints: one `.safetensors` file = weights + a string map of metadata.

Loading never unpickles (safetensors holds raw tensors and a JSON header only). Writes go
through `core.atomic` (temporary file in the same folder, fsync, `os.replace`), so a crash or a
full disk mid-save leaves the previous file intact. The catalogue reads headers only (8-byte
length + a size-capped JSON header, nesting depth checked before parsing), never opens anything
but regular files, and every way a file can be wrong maps to one sentence.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from genviz import __version__
from genviz.core import atomic, paths, registry
from genviz.core.config import config_from_dict, config_to_json
from genviz.core.errors import AlreadyExists, CheckpointError, ConfigError, GenvizError, SaveError
from genviz.core.paths import REPO_ROOT, SHIPPED_DIR, genviz_home  # noqa: F401  (re-exported)

FORMAT = "genviz-checkpoint/1"
SUFFIX = ".safetensors"
_MAX_HEADER = 16 * 1024 * 1024  # ours are < 200 KB; the catalogue reads no more than this per file
_MAX_DEPTH = 32  # JSON nesting allowed in a header or a metadata entry (ours: 4)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}")
_PICKLE_MARKS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
_EXTRA = "__extra__."  # prefix of stored tensors that are not model weights
# Byte arrays among them (progress grids of digits: mostly black) are stored zlib-packed, about 4× smaller; the
# metadata entry "packed" gives each one's shape. Unpacking is bounded by that shape (no zip bombs).
_PACK_MIN = 4096  # bytes; smaller arrays are stored as they are
_MAX_UNPACKED = 256 * 1024 * 1024
_ZLIB_TEXT = "zlib:"  # marks a metadata entry stored as base64 of zlib-compressed JSON
_MAX_TEXT = _MAX_HEADER  # the most text a compressed metadata entry may unpack to: what a plain header may hold
_DEDUP_MIN = 1024  # bytes; smaller weights are stored even when another one is identical


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


def _dedup(tensors: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Identical weights stored once: each repeat becomes an alias of the first name with the same bytes (a
    shipped GAN's live G, synced to its EMA copy, costs nothing). Returns the tensors to store and the aliases."""
    first: dict[tuple[str, tuple[int, ...], bytes], str] = {}
    stored: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    for k, v in tensors.items():
        if v.numel() * v.element_size() >= _DEDUP_MIN:
            key = (str(v.dtype), tuple(v.shape), hashlib.sha256(v.reshape(-1).view(torch.uint8).numpy()).digest())
            seen = first.setdefault(key, k)
            if seen != k and torch.equal(stored[seen], v):
                aliases[k] = seen
                continue
        stored[k] = v
    return stored, aliases


def _expand(tensors: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> dict[str, torch.Tensor]:
    """The stored tensors plus the aliases `_dedup` wrote; a sentence when an alias names no stored weight."""
    aliases = _json_field(meta, "aliases", path, {}, dict)
    for name, source in aliases.items():
        if not isinstance(source, str) or source not in tensors or name in tensors or name.startswith(_EXTRA):
            raise CheckpointError(f"{path.name} is damaged: its weight '{name}' refers to a stored weight that is not "
                                  "there.")
    return {**tensors, **{name: tensors[source] for name, source in aliases.items()}}


def _pack_text(text: str) -> str:
    """Long JSON (training curves: 20-70 KB a file) stored zlib-compressed, base64 in the text-only header."""
    if len(text) < _PACK_MIN:
        return text
    return _ZLIB_TEXT + base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def _inflate(data: bytes, limit: int) -> bytes | None:
    """zlib `data` unpacked, reading at most limit + 1 bytes (no zip bombs); None when it is not a whole zlib
    stream or holds more than `limit` bytes."""
    unpacker = zlib.decompressobj()
    try:
        out = unpacker.decompress(data, limit + 1)
    except zlib.error:
        return None
    return out if unpacker.eof and len(out) <= limit else None


def _unpack_text(text: str) -> str | None:
    """`_pack_text` undone, within _MAX_TEXT; None when the entry does not decode."""
    if not text.startswith(_ZLIB_TEXT):
        return text
    try:
        data = _inflate(base64.b64decode(text[len(_ZLIB_TEXT):], validate=True), _MAX_TEXT)
        return None if data is None else data.decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


def encode(
    model: nn.Module,
    config: Any,
    *,
    dataset: str,
    metrics: dict[str, float] | None = None,
    epochs: float | None = None,
    extra: dict[str, Any] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
    half: bool = False,
    created: str | None = None,
) -> bytes:
    """The bytes of a checkpoint file for `model`; `half=True` stores floats as fp16 (smaller files).
    `created` (UTC, ISO 8601) defaults to now; a file rewritten without retraining keeps its own.

    `extra` is any JSON-serialisable record (curves, training time, ...) kept with the weights;
    `extra_tensors` are arrays that are not weights (e.g. the fixed-noise grid at each saved step).
    """
    weights = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        if half and v.is_floating_point():
            v = v.half()
        weights[k] = v.clone()
    extras: dict[str, torch.Tensor] = {}
    packed: dict[str, list[int]] = {}
    for k, v in (extra_tensors or {}).items():
        v = v.detach().cpu().contiguous()
        if v.dtype == torch.uint8 and v.numel() >= _PACK_MIN:
            packed[k] = list(v.shape)
            v = torch.frombuffer(bytearray(zlib.compress(v.numpy().tobytes(), 9)), dtype=torch.uint8)
        extras[_EXTRA + k] = (v.half() if half and v.is_floating_point() else v).clone()
    stored, aliases = _dedup(weights)
    meta = {
        "format": FORMAT,
        "kind": config.kind,
        "config": config_to_json(config),
        "dataset": dataset,
        "metrics": json.dumps(metrics or {}, sort_keys=True),
        "epochs": json.dumps(epochs),
        "extra": _pack_text(json.dumps(extra or {})),
        "genviz_version": _version(),
        "created": created or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        # of every tensor, aliased weights included: `load` checks it after expanding the aliases
        "weights_sha256": _weights_digest({**weights, **extras}),
    }
    if packed:
        meta["packed"] = json.dumps(packed)
    if aliases:
        meta["aliases"] = json.dumps(aliases)
    return st_save({**stored, **extras}, metadata=meta)


def _unpack(extra: dict[str, torch.Tensor], meta: dict[str, str], path: Path) -> dict[str, torch.Tensor]:
    """The byte arrays `encode` packed, restored to their shapes; a sentence when one does not unpack to its shape."""
    packed = _json_field(meta, "packed", path, {}, dict)
    out = dict(extra)
    for k, shape in packed.items():
        ok = (k in extra and extra[k].dtype == torch.uint8 and isinstance(shape, list)
              and all(isinstance(n, int) and 0 <= n for n in shape))
        size = int(np.prod(shape)) if ok else -1
        data = _inflate(extra[k].numpy().tobytes(), size) if ok and size <= _MAX_UNPACKED else None
        if data is None or len(data) != size:
            raise CheckpointError(f"{path.name} is damaged: its stored array '{k}' does not unpack to its recorded shape.")
        out[k] = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape)
    return out


def with_suffix(path: str | Path) -> Path:
    path = Path(path)
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def save(path: str | Path, model: nn.Module, config: Any, **kwargs: Any) -> Path:
    """Write `model` and its metadata atomically to `path` (+ .safetensors); see `encode` for the rest.

    A full disk or a read-only folder raises a SaveError sentence and leaves any old file as it was.
    """
    return atomic.atomic_write(with_suffix(path), encode(model, config, **kwargs))


def shipped_names() -> set[str]:
    """Names of the checkpoints that ship with genviz: a user's save may not shadow them."""
    return {p.stem for p in SHIPPED_DIR.glob(f"*{SUFFIX}")}


def resolve_out(out: str | Path, default_stem: str) -> Path:
    """A CLI `--out`: a folder (existing, or written with a trailing /) gets `default_stem` inside it."""
    text = str(out)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return Path(text) / (default_stem + SUFFIX)
    return with_suffix(text)


def check_save_target(path: str | Path, *, overwrite: bool = False) -> Path:
    """Raise a SaveError sentence unless a checkpoint may be written at `path` (+ .safetensors) now.

    Refuses a shipped name in the user folder (ConfigError), an existing file unless `overwrite`
    (AlreadyExists), a folder in the way or an unwritable folder; call it before a long run.
    """
    path = with_suffix(path)
    if path.stem in shipped_names() and path.parent.resolve() == user_dir().resolve():
        raise ConfigError(f"'{path.stem}' is the name of a checkpoint that ships with genviz; choose another name "
                          "so both stay visible.")
    if path.is_dir():
        raise SaveError(f"{path} is a folder; give a file name instead.")
    if path.exists() and not overwrite:
        raise AlreadyExists(f"A checkpoint called '{path.stem}' already exists at {path}.")
    return atomic.check_writable(path)


def user_path(name: str, *, overwrite: bool = False) -> Path:
    """Where the checkpoint `name` goes in the user folder, after checking the name and the target."""
    name = name.strip().removesuffix(SUFFIX)
    if not _NAME.fullmatch(name):
        raise ConfigError("A checkpoint name uses letters, digits, '-', '_' or '.', starts with a letter or "
                          "digit, and has at most 80 characters.")
    return check_save_target(user_dir() / (name + SUFFIX), overwrite=overwrite)


def _version() -> str:
    return __version__


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("{"), ord("[")]] = 1
_OPEN[[ord("}"), ord("]")]] = -1


def json_depth(text: bytes) -> int:
    """The deepest [ / { nesting of JSON text, found without parsing it (string contents skipped)."""
    skeleton = np.frombuffer(_JSON_STRING.sub(b"", text), dtype=np.uint8)
    return int(np.cumsum(_OPEN[skeleton], dtype=np.int64).max(initial=0))


_BAD = object()


def _loads(text: bytes | str) -> Any:
    """Parsed JSON, or `_BAD` when it is not JSON or nests deeper than `_MAX_DEPTH`."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if json_depth(raw) > _MAX_DEPTH:
        return _BAD
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _BAD


def _open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading if it is a regular file; pipes, devices and folders are never opened."""
    name = path.name
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise CheckpointError(f"{path} is a folder, not a checkpoint file.")
        if not stat.S_ISREG(mode):
            raise CheckpointError(f"{name} is not a regular file (a pipe, socket or device), so genviz does not read it.")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        f = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat above
            f.close()
            raise CheckpointError(f"{name} is not a regular file, so genviz does not read it.")
        return f
    except FileNotFoundError:
        raise CheckpointError(f"No checkpoint at {path}.") from None
    except OSError as err:
        raise CheckpointError(f"{name} cannot be read ({err.strerror or err}).") from None


def _header_from(f: BinaryIO, name: str) -> dict[str, Any]:
    """The safetensors header dict at the start of `f` (reads 8 + its length bytes), or a sentence."""
    size = os.fstat(f.fileno()).st_size
    head = f.read(8)

    def refuse(reason: str) -> CheckpointError:
        if head[:2] in _PICKLE_MARKS or head[:4] == b"PK\x03\x04":
            return CheckpointError(
                f"{name} is a PyTorch pickle (.pt/.pth) file; genviz does not open pickles because loading "
                "one can run arbitrary code. Save the weights as .safetensors instead."
            )
        return CheckpointError(reason)

    if len(head) < 8:
        raise refuse(f"{name} is empty or truncated ({len(head)} bytes); it is not a checkpoint.")
    (header_len,) = struct.unpack("<Q", head)
    if header_len > _MAX_HEADER or 8 + header_len > size:
        raise refuse(f"{name} is not a safetensors checkpoint, or it is truncated.")
    raw = f.read(header_len)
    if len(raw) < header_len:
        raise refuse(f"{name} is not a safetensors checkpoint, or it is truncated.")
    depth = json_depth(raw)
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"{name} has a header nested {depth:,} levels deep; it is not a genviz checkpoint.")
    header = _loads(raw)
    if header is _BAD:
        raise refuse(f"{name} is not a safetensors checkpoint, or it is truncated.")
    if not isinstance(header, dict):
        raise CheckpointError(f"{name} is not a safetensors checkpoint.")
    return header


def _metadata(header: dict[str, Any], path: Path) -> dict[str, str]:
    """The header's metadata map, checked to be text → text with our format marker."""
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise CheckpointError(f"{path.name} has a damaged metadata map (every entry must be text).")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file, but not a genviz checkpoint (no genviz metadata).")
    return meta


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata map of a genviz checkpoint, checked for our format marker; reads the header only."""
    path = Path(path)
    with _open_regular(path) as f:
        header = _header_from(f, path.name)
    return _metadata(header, path)


def _json_field(meta: dict[str, str], key: str, path: Path, default: Any, types: type | tuple[type, ...] = object) -> Any:
    if key not in meta:
        return default
    text = _unpack_text(meta[key])
    value = _BAD if text is None else _loads(text)
    if value is _BAD or not isinstance(value, types):
        raise CheckpointError(f"{path.name} has a damaged '{key}' entry in its metadata.")
    return value


def read_extra(path: str | Path) -> dict[str, Any]:
    """A checkpoint's `extra` record (curves, training time, ...), read from its header only."""
    path = Path(path)
    return _json_field(read_metadata(path), "extra", path, None, (dict, type(None))) or {}


def _metrics(meta: dict[str, str], path: Path) -> dict[str, float]:
    metrics = _json_field(meta, "metrics", path, {}, dict)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()):
        raise CheckpointError(f"{path.name} has a damaged 'metrics' entry in its metadata (every metric must be a number).")
    return metrics


def info(path: str | Path, shipped: bool = False) -> CheckpointInfo:
    path = Path(path)
    meta = read_metadata(path)
    return CheckpointInfo(
        path=path, kind=meta.get("kind", "?"), dataset=meta.get("dataset", "?"),
        metrics=_metrics(meta, path), created=meta.get("created", ""), shipped=shipped,
    )


def load(path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Load and rebuild a checkpoint's model (in eval mode) on `device`; never unpickles."""
    path = Path(path)
    with _open_regular(path) as f:
        meta = _metadata(_header_from(f, path.name), path)
        metrics = _metrics(meta, path)
        f.seek(0)
        try:
            raw = f.read()
        except OSError as err:
            raise CheckpointError(f"{path.name} cannot be read ({err.strerror or err}).") from None
    try:
        tensors = st_load(raw)
    except SafetensorError as err:
        raise CheckpointError(f"{path.name} is damaged or truncated ({err}).") from None
    del raw
    tensors = _expand(tensors, meta, path)
    if meta.get("weights_sha256") != _weights_digest(tensors):
        raise CheckpointError(f"{path.name} was modified after it was saved (its weights do not match their checksum).")
    broken = next((k for k, v in tensors.items()
                   if not k.startswith(_EXTRA) and v.is_floating_point() and not torch.isfinite(v).all()), None)
    if broken is not None:
        raise CheckpointError(f"{path.name} has weights that are NaN or infinite ({broken}), so it cannot draw "
                              "anything; retrain it or pick another checkpoint.")
    kind = meta.get("kind", "")
    try:
        spec = registry.get(kind)
        config = config_from_dict(spec.config_cls, _json_field(meta, "config", path, {}, dict))
        model = spec.build(config)
    except GenvizError as err:
        raise CheckpointError(f"{path.name} cannot be rebuilt: {err}") from None
    extra_tensors = _unpack({k[len(_EXTRA):]: v.float() if v.is_floating_point() else v
                             for k, v in tensors.items() if k.startswith(_EXTRA)}, meta, path)
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
    rest = {k: v for k, v in meta.items()
            if k not in ("format", "config", "metrics", "kind", "dataset", "weights_sha256", "packed", "aliases")}
    rest["epochs"] = _json_field(meta, "epochs", path, None, (int, float, type(None)))
    rest["extra"] = _json_field(meta, "extra", path, None, (dict, type(None)))
    return Checkpoint(path=path, kind=kind, config=config, model=model, dataset=meta.get("dataset", "?"),
                      metrics=metrics, meta=rest, extra_tensors=extra_tensors)


@dataclass(frozen=True)
class Skipped:
    """A file the catalogue could not list, and the sentence that says why."""

    path: Path
    reason: str


def scan(dirs: list[Path] | None = None) -> tuple[list[CheckpointInfo], list[Skipped]]:
    """Every readable genviz checkpoint in the shipped and user folders, and each other file's reason.

    Reads headers only (a few KB per file, however large the file), and never opens a pipe or device.
    """
    found, skipped = [], []
    for folder in dirs if dirs is not None else [SHIPPED_DIR, user_dir()]:
        folder = Path(folder)
        try:
            if not folder.is_dir():
                continue
            shipped = folder.resolve() == SHIPPED_DIR.resolve()
            files = sorted(folder.glob(f"*{SUFFIX}"))
        except OSError:
            continue
        for p in files:
            try:
                found.append(info(p, shipped=shipped))
            except CheckpointError as err:
                skipped.append(Skipped(p, str(err)))
    return found, skipped


def catalogue(dirs: list[Path] | None = None) -> list[CheckpointInfo]:
    """Every readable genviz checkpoint in the shipped folder and the user folder (bad files skipped)."""
    return scan(dirs)[0]
