"""Dataset registry: every dataset becomes on-device float tensors (N, C, H, W) in [0, 1].

Digits ships inside scikit-learn and always works offline. The torchvision datasets live under
`GENVIZ_DATA_DIR` (default `~/.cache/genviz/data`); they are downloaded when the machine is
online, or read from files placed there (torchvision's layout, e.g. `MNIST/raw/*.gz`).

Decoding them (importing torchvision, reading the archives) costs about a second per process, so the
decoded arrays are kept as one safetensors file per dataset under `$GENVIZ_HOME/data-cache/tensors`,
written atomically and used while the source files' names, sizes and modification times are those
recorded in it; a stale, unreadable or foreign cache file is ignored and rewritten.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from genviz.core import atomic, paths
from genviz.core.errors import DatasetUnavailable, SaveError

DEFAULT = "digits"


@dataclass(frozen=True)
class ImageData:
    """A dataset split into train and test, already on one device."""

    name: str
    x_train: Tensor  # (N, C, H, W) float32 in [0, 1]
    y_train: Tensor  # (N,) int64
    x_test: Tensor
    y_test: Tensor
    classes: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def device(self) -> torch.device:
        return self.x_train.device



@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    image_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    source: str  # "bundled" | "torchvision"
    # (x_train, y_train, x_test, y_test): images (N, C, H, W) as float32 in [0, 1] or uint8 (÷ 255 on load)
    loader: Callable[[Path], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    folder: str = ""  # the folder under the data root holding the source files; "" = nothing to cache


data_dir = paths.data_dir


def _digits(_: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    # A fixed, stratified-by-chance split: same 360 test images on every machine.
    perm = np.random.default_rng(0).permutation(len(x))
    test, train = perm[:360], perm[360:]
    return x[train], y[train], x[test], y[test]


def _writable(path: Path) -> bool:
    # Permission bits too: as root, os.access says yes even for a folder marked read-only.
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o200)


def _writable_root(root: Path, folder: str) -> Path:
    """`root` if torchvision may write there; else a cache copy of its `<folder>/raw` archives.

    torchvision extracts `raw/*.gz` next to them, so a read-only mirror (a shared drive, a
    read-only checkout) is copied once into `$GENVIZ_HOME/data-cache`.
    """
    raw = root / folder / "raw"
    if _writable(root) and (not raw.exists() or _writable(raw)):
        return root
    cache = paths.data_cache_dir()
    target = cache / folder / "raw"
    if raw.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for f in raw.iterdir():
            if f.is_file() and not (target / f.name).exists():
                shutil.copyfile(f, target / f.name)
    return cache


def _torchvision(cls_name: str) -> Callable[[Path], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    def load(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        import torchvision.datasets as tvd

        cls = getattr(tvd, cls_name)
        if cls_name != "CIFAR10":
            root = _writable_root(root, cls_name)
        splits = []
        for train in (True, False):
            try:
                ds = cls(str(root), train=train, download=False)
            except RuntimeError:
                # Only the .gz archives may be present: download=True verifies and extracts them
                # without touching the network, and downloads them when they are absent.
                ds = cls(str(root), train=train, download=True)
            x = ds.data if isinstance(ds.data, np.ndarray) else ds.data.numpy()  # uint8
            x = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x[:, None]  # CIFAR is NHWC
            splits += [np.ascontiguousarray(x, dtype=np.uint8), np.asarray(ds.targets, dtype=np.int64)]
        return splits[0], splits[1], splits[2], splits[3]

    return load


_DIGITS = tuple(str(i) for i in range(10))
DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo("digits", "Digits 8×8 (scikit-learn, offline)", (1, 8, 8), _DIGITS, "bundled", _digits),
        DatasetInfo("mnist", "MNIST 28×28", (1, 28, 28), _DIGITS, "torchvision", _torchvision("MNIST"), "MNIST"),
        DatasetInfo("fashion-mnist", "Fashion-MNIST 28×28", (1, 28, 28),
                    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"), "torchvision", _torchvision("FashionMNIST"), "FashionMNIST"),
        DatasetInfo("kmnist", "Kuzushiji-MNIST 28×28", (1, 28, 28),
                    ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"), "torchvision", _torchvision("KMNIST"),
                    "KMNIST"),
        DatasetInfo("cifar10", "CIFAR-10 32×32 colour", (3, 32, 32),
                    ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
                    "torchvision", _torchvision("CIFAR10"), "cifar-10-batches-py"),
    ]
}


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetUnavailable(f"Unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}.") from None


# ---- the decoded-array cache ----------------------------------------------------------------------

CACHE_VERSION = "1"
_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def tensor_cache_path(name: str) -> Path:
    """Where the decoded arrays of dataset `name` are kept (`$GENVIZ_HOME/data-cache/tensors`)."""
    return paths.data_cache_dir() / "tensors" / f"{name}.safetensors"


def source_fingerprint(info: DatasetInfo, root: Path) -> str | None:
    """Names, sizes and modification times of the files under `root/<info.folder>` (None: none there)."""
    if not info.folder:
        return None
    folder = Path(root) / info.folder
    try:
        files = sorted(f for f in folder.rglob("*") if f.is_file())
        entries = [[str(f.relative_to(folder)), st.st_size, st.st_mtime_ns] for f in files for st in [f.stat()]]
    except OSError:
        return None
    if not entries:
        return None
    return json.dumps({"version": CACHE_VERSION, "dataset": info.name, "root": str(Path(root).resolve()),
                       "files": entries})


def _read_cache(path: Path, fingerprint: str) -> tuple[np.ndarray, ...] | None:
    """The cached arrays if `path` is a readable cache file for exactly this `fingerprint`, else None."""
    from safetensors import safe_open

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with safe_open(str(path), framework="numpy") as f:
            if (f.metadata() or {}).get("fingerprint") != fingerprint:
                return None
            return tuple(f.get_tensor(k) for k in _ARRAYS)
    except Exception:  # missing, truncated, not safetensors, wrong keys: decode the sources instead
        return None


def _write_cache(path: Path, arrays: tuple[np.ndarray, ...], fingerprint: str) -> None:
    """Best effort: a cache that cannot be written only costs the next load its decoding time."""
    from safetensors.numpy import save

    try:
        atomic.atomic_write(path, save({k: np.ascontiguousarray(a) for k, a in zip(_ARRAYS, arrays)},
                                       metadata={"fingerprint": fingerprint}))
    except (SaveError, OSError):
        pass


def _decoded(info: DatasetInfo, root: Path) -> tuple[np.ndarray, ...]:
    """The loader's arrays, from the cache when the source files are unchanged since it was written."""
    fingerprint = source_fingerprint(info, root)
    cache = tensor_cache_path(info.name)
    if fingerprint is not None:
        cached = _read_cache(cache, fingerprint)
        if cached is not None:
            return cached
    arrays = info.loader(root)
    after = source_fingerprint(info, root)  # torchvision may have extracted archives next to the sources
    if after is not None:
        _write_cache(cache, arrays, after)
    return arrays


def _images(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / np.float32(255.0) if x.dtype == np.uint8 else x


def load(name: str = DEFAULT, device: torch.device | str = "cpu", root: Path | None = None) -> ImageData:
    """Load a dataset as tensors on `device`, or raise DatasetUnavailable with what to do."""
    info = dataset_info(name)
    root = Path(root) if root is not None else data_dir()
    try:
        if info.source != "bundled" and not root.exists():
            root.mkdir(parents=True, exist_ok=True)
        x_tr, y_tr, x_te, y_te = _decoded(info, root)
        x_tr, x_te = _images(x_tr), _images(x_te)
    except DatasetUnavailable:
        raise
    except Exception as err:  # torchvision raises RuntimeError/URLError/OSError/... for missing or bad files
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise DatasetUnavailable(
            f"{info.title} is not available: it is not under {root} and could not be downloaded ({reason}). "
            f"Connect to the internet once, or put torchvision's files there (set GENVIZ_DATA_DIR to their folder)."
        ) from None
    t = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
    return ImageData(name, t(x_tr), t(y_tr), t(x_te), t(y_te), info.classes)


def fixed_examples(data: ImageData, n: int = 8, seed: int = 0) -> tuple[Tensor, Tensor]:
    """`n` test images, the same ones for every call with the same seed (for progress grids)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.x_test), generator=g)[:n].to(data.device)
    return data.x_test[idx], data.y_test[idx]
