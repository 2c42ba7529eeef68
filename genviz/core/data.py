"""Dataset registry: every dataset becomes on-device float tensors (N, C, H, W) in [0, 1].

Digits ships inside scikit-learn and always works offline. The torchvision datasets live under
`GENVIZ_DATA_DIR` (default `~/.cache/genviz/data`); they are downloaded when the machine is
online, or read from files placed there (torchvision's layout, e.g. `MNIST/raw/*.gz`).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from genviz.core import paths
from genviz.core.errors import DatasetUnavailable

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
    loader: Callable[[Path], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


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
            data = ds.data if isinstance(ds.data, np.ndarray) else ds.data.numpy()
            x = data.astype(np.float32) / 255.0
            x = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x[:, None]  # CIFAR is NHWC
            splits += [np.ascontiguousarray(x), np.asarray(ds.targets, dtype=np.int64)]
        return splits[0], splits[1], splits[2], splits[3]

    return load


_DIGITS = tuple(str(i) for i in range(10))
DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo("digits", "Digits 8×8 (scikit-learn, offline)", (1, 8, 8), _DIGITS, "bundled", _digits),
        DatasetInfo("mnist", "MNIST 28×28", (1, 28, 28), _DIGITS, "torchvision", _torchvision("MNIST")),
        DatasetInfo("fashion-mnist", "Fashion-MNIST 28×28", (1, 28, 28),
                    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"), "torchvision", _torchvision("FashionMNIST")),
        DatasetInfo("kmnist", "Kuzushiji-MNIST 28×28", (1, 28, 28),
                    ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"), "torchvision", _torchvision("KMNIST")),
        DatasetInfo("cifar10", "CIFAR-10 32×32 colour", (3, 32, 32),
                    ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
                    "torchvision", _torchvision("CIFAR10")),
    ]
}


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetUnavailable(f"Unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}.") from None


def load(name: str = DEFAULT, device: torch.device | str = "cpu", root: Path | None = None) -> ImageData:
    """Load a dataset as tensors on `device`, or raise DatasetUnavailable with what to do."""
    info = dataset_info(name)
    root = Path(root) if root is not None else data_dir()
    try:
        if info.source != "bundled" and not root.exists():
            root.mkdir(parents=True, exist_ok=True)
        x_tr, y_tr, x_te, y_te = info.loader(root)
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
