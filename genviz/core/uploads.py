"""Your own images as a dataset: a `.npz` of arrays or a `.zip` of PNG folders becomes an `ImageData`.

Uploads are untrusted bytes, so every limit is checked before anything large is allocated: the file
size, the number of images, their size, and (for a `.npz`) each array's header before its data is
read. Arrays load with `allow_pickle=False`; zip members are read in memory and never extracted.
Every refusal is one `DataFormatError` sentence.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import torch

from genviz.core.data import ImageData
from genviz.core.errors import DataFormatError

MAX_BYTES = 50 * 1024 * 1024  # the file as uploaded
MAX_IMAGES = 70_000
MAX_SIDE = 64
MIN_SIDE = 4
MIN_IMAGES = 2
MAX_CLASSES = 100
# Pixel values in all (N·C·H·W): the float32 dataset stays ≤ 256 MB per session. MNIST's 70,000
# 28×28 images are 55 million; a compressed .npz could otherwise unpack to gigabytes.
MAX_VALUES = 64_000_000
MAX_LABEL_BYTES = 400  # a label name of up to 100 characters (numpy stores 4 bytes a character)
MAX_PNG_BYTES = 1024 * 1024  # one ≤ 64×64 PNG is a few kB; more is not an image of ours
TEST_SHARE = 0.2  # held-out share of the images (at least one, at most 10,000)
PREFIX = "upload-"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IGNORED = ("__MACOSX/",)  # macOS adds these resource-fork folders to every zip it makes
_IGNORED_NAMES = (".DS_Store", "Thumbs.db")
LIMITS = (f"at most {MAX_BYTES // 2**20} MB, {MAX_IMAGES:,} images of at most {MAX_SIDE}×{MAX_SIDE} pixels, "
          f"at least {MIN_IMAGES} images")


@dataclass(frozen=True)
class UploadedImages:
    """A dataset made from one uploaded file: `data.name` is `upload-<file stem>-<content hash>`."""

    data: ImageData
    title: str
    file_name: str


def is_upload(name: str) -> bool:
    """Whether a dataset name was made by `read_upload` (such datasets live in one session)."""
    return name.startswith(PREFIX)


def read_upload(file_name: str, payload: bytes) -> UploadedImages:
    """Turn an uploaded `.npz` (x: N×H×W or N×C×H×W, uint8 or float in [0, 1]; optional y labels) or
    `.zip` (one folder of PNGs per class) into a dataset on the CPU, or raise DataFormatError."""
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix not in (".npz", ".zip"):
        raise DataFormatError(f"'{file_name}' is neither a .npz file (arrays x and optional y) nor a .zip of "
                              "PNG folders (one folder per class); upload one of those.")
    if len(payload) > MAX_BYTES:
        raise DataFormatError(f"'{file_name}' is {len(payload) / 2**20:.1f} MB; uploads are limited to "
                              f"{MAX_BYTES // 2**20} MB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except (zipfile.BadZipFile, ValueError, OSError):
        what = "a .npz file (numpy.savez)" if suffix == ".npz" else "a zip archive"
        raise DataFormatError(f"'{file_name}' is not {what}: it could not be opened.") from None
    with archive:
        try:
            x, y, classes = _read_npz(file_name, payload, archive) if suffix == ".npz" else _read_png_zip(file_name, archive)
        except DataFormatError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError, RuntimeError,
                NotImplementedError) as err:
            reason = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            raise DataFormatError(f"'{file_name}' could not be read ({reason}).") from None
    digest = hashlib.sha256(payload).hexdigest()[:8]
    name = f"{PREFIX}{file_slug(file_name)}-{digest}"
    data = _split(name, x, y, classes)
    n, c, h, w = x.shape
    title = f"{file_name} (yours, {n:,} × {h}×{w}{' colour' if c == 3 else ''})"  # the file first: boxes are narrow
    return UploadedImages(data, title, file_name)


# ---- .npz -----------------------------------------------------------------------------------


def _read_npz(file_name: str, payload: bytes, archive: zipfile.ZipFile) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    members = {PurePosixPath(i.filename).stem: i for i in archive.infolist() if i.filename.endswith(".npy")}
    if "x" not in members:
        found = ", ".join(sorted(members)) or "none"
        raise DataFormatError(f"'{file_name}' has no array named x (found: {found}); save the images with "
                              "numpy.savez(file, x=images, y=labels).")
    x_shape, x_dtype = _npy_header(archive, members["x"])
    _check_image_header(x_shape, x_dtype)
    y_dtype = None
    if "y" in members:
        y_shape, y_dtype = _npy_header(archive, members["y"])
        if y_dtype.kind in "iuU" and y_dtype.itemsize > MAX_LABEL_BYTES:  # '<U1000000' would need gigabytes
            raise DataFormatError(f"The labels y are {_dtype_name(y_dtype)}; names may have at most "
                                  f"{MAX_LABEL_BYTES // 4} characters.")
        if y_dtype.hasobject or len(y_shape) != 1 or y_shape[0] != x_shape[0]:
            raise DataFormatError(f"The labels y must be one number or name per image (shape ({x_shape[0]},)); "
                                  f"got shape {tuple(y_shape)} of {_dtype_name(y_dtype)}.")
    with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
        x = arrays["x"]
        y = arrays["y"] if y_dtype is not None else None
    images = _to_nchw_float(x)
    labels, classes = _labels(y, len(images))
    return images, labels, classes


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """An array's shape and dtype from its .npy header, without reading its data."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f, max_header_size=10_000)
    return tuple(int(s) for s in shape), dtype


def _dtype_name(dtype: np.dtype) -> str:
    return "Python objects (pickled)" if dtype.hasobject else f"dtype {dtype}"


def _check_image_header(shape: tuple[int, ...], dtype: np.dtype) -> None:
    if dtype.hasobject:
        raise DataFormatError("x holds Python objects (a pickled array); genviz loads only plain numeric arrays: "
                              "save x as uint8 or float.")
    if dtype != np.uint8 and (dtype.kind != "f" or dtype.itemsize > 8):
        raise DataFormatError(f"x has dtype {dtype}; images must be uint8 (0–255) or float (0–1).")
    if len(shape) not in (3, 4):
        raise DataFormatError(f"x has shape {shape}; images must be N×H×W (grey) or N×C×H×W with C = 1 or 3.")
    n = shape[0]
    if len(shape) == 3:
        c, h, w = 1, shape[1], shape[2]
    elif shape[1] in (1, 3):
        c, h, w = shape[1:]
    elif shape[3] in (1, 3):  # N×H×W×C, as PIL and TensorFlow store images
        h, w, c = shape[1:]
    else:
        raise DataFormatError(f"x has shape {shape}; images must be N×H×W (grey) or N×C×H×W with C = 1 or 3.")
    _check_counts(n, c, h, w)


def _check_counts(n: int, c: int, h: int, w: int) -> None:
    if n < MIN_IMAGES:
        raise DataFormatError(f"A dataset needs at least {MIN_IMAGES} images; this file has {n}.")
    if n > MAX_IMAGES:
        raise DataFormatError(f"This file has {n:,} images; uploads are limited to {MAX_IMAGES:,}.")
    if max(h, w) > MAX_SIDE or min(h, w) < MIN_SIDE:
        raise DataFormatError(f"The images are {h}×{w} pixels; uploads take images from {MIN_SIDE}×{MIN_SIDE} to "
                              f"{MAX_SIDE}×{MAX_SIDE}: resize them first.")
    if n * c * h * w > MAX_VALUES:
        raise DataFormatError(f"{n:,} images of {c}×{h}×{w} are {n * c * h * w / 1e6:.0f} million pixel values; "
                              f"uploads are limited to {MAX_VALUES / 1e6:.0f} million (MNIST is 55 million).")


def _to_nchw_float(x: np.ndarray) -> np.ndarray:
    if x.ndim == 3:
        x = x[:, None]
    elif x.shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    if x.dtype == np.uint8:
        return np.ascontiguousarray(x, dtype=np.float32) / np.float32(255.0)
    x = x.astype(np.float32)  # float16 and float64 too
    if not np.isfinite(x).all():
        raise DataFormatError("x contains NaN or infinite values; every pixel must be a number in [0, 1].")
    low, high = float(x.min()), float(x.max())
    if low < 0.0 or high > 1.0:
        raise DataFormatError(f"Float images must lie in [0, 1]; these run from {low:g} to {high:g}. Divide by "
                              "255 (or save them as uint8).")
    return np.ascontiguousarray(x)


def _labels(y: np.ndarray | None, n: int) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Labels as 0..K-1 with their names (sorted distinct values); None when the file has none."""
    if y is None:
        return None, ("all",)
    if y.dtype.kind not in "iuU":
        raise DataFormatError(f"The labels y have dtype {y.dtype}; use integers or names (strings).")
    values, codes = np.unique(y, return_inverse=True)
    if len(values) > MAX_CLASSES:
        raise DataFormatError(f"y has {len(values)} distinct labels; genviz takes at most {MAX_CLASSES} classes.")
    return codes.reshape(n).astype(np.int64), tuple(str(v) for v in values)


# ---- .zip of PNG folders --------------------------------------------------------------------


def _read_png_zip(file_name: str, archive: zipfile.ZipFile) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    members = []
    for info in archive.infolist():
        name = info.filename
        if info.is_dir() or name.startswith(_IGNORED) or PurePosixPath(name).name in _IGNORED_NAMES:
            continue
        parts = name.split("/")
        if name.startswith(("/", "\\")) or "\\" in name or ".." in parts or ":" in parts[0]:
            raise DataFormatError(f"The zip holds a path that points outside its folder ('{name[:80]}'); "
                                  "it is refused.")
        if not name.lower().endswith(".png"):
            raise DataFormatError(f"The zip may hold only PNG images in class folders; '{name[:80]}' is not a .png.")
        if info.file_size > MAX_PNG_BYTES:
            raise DataFormatError(f"'{name[:80]}' is {info.file_size / 2**20:.1f} MB, too large for an image of at "
                                  f"most {MAX_SIDE}×{MAX_SIDE} pixels.")
        members.append((info, parts))
    if len(members) > MAX_IMAGES:
        raise DataFormatError(f"The zip holds {len(members):,} images; uploads are limited to {MAX_IMAGES:,}.")
    if len(members) < MIN_IMAGES:
        raise DataFormatError(f"A dataset needs at least {MIN_IMAGES} images; the zip holds {len(members)} PNG files.")
    folders = _class_folders([parts[:-1] for _, parts in members])
    class_names = tuple(sorted(set(folders)))
    if len(class_names) > MAX_CLASSES:
        raise DataFormatError(f"The zip has {len(class_names)} class folders; genviz takes at most {MAX_CLASSES}.")
    pixels: np.ndarray | None = None
    for i, (info, _) in enumerate(members):
        rgb = _decode_png(archive, info)
        if pixels is None:
            h, w = rgb.shape[:2]
            _check_counts(len(members), 1, h, w)
            pixels = np.empty((len(members), h, w, 3), dtype=np.uint8)
        elif rgb.shape != pixels.shape[1:]:
            raise DataFormatError(f"All images must have one size; '{members[0][0].filename[:60]}' is "
                                  f"{pixels.shape[1]}×{pixels.shape[2]} but '{info.filename[:60]}' is "
                                  f"{rgb.shape[0]}×{rgb.shape[1]}.")
        pixels[i] = rgb
    assert pixels is not None
    grey = bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all())
    x = pixels[..., :1] if grey else pixels
    n, h, w, c = x.shape
    _check_counts(n, c, h, w)
    images = np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)
    index = {name: k for k, name in enumerate(class_names)}
    labels = np.array([index[f] for f in folders], dtype=np.int64)
    return images, (labels if len(class_names) > 1 else None), class_names


def _class_folders(dirs: list[list[str]]) -> list[str]:
    """Each image's class: its folder below the folders all images share (`<class>/<image>.png`,
    optionally inside one top folder). Images directly at the top are one class, "all"."""
    if all(not d for d in dirs):
        return ["all"] * len(dirs)
    if any(not d for d in dirs):
        raise DataFormatError("Put every PNG inside a class folder (<class>/<image>.png); some are at the top of the zip.")
    common = 0
    shortest = min(len(d) for d in dirs)
    while common < shortest - 1 and len({d[common] for d in dirs}) == 1:
        common += 1
    if all(d == dirs[0] for d in dirs):  # one folder: one class named after it
        return [dirs[0][-1]] * len(dirs)
    deep = next((d for d in dirs if len(d) != common + 1), None)
    if deep is not None:
        raise DataFormatError("Put the PNGs one folder deep, one folder per class (<class>/<image>.png); found "
                              f"'{'/'.join(deep)[:80]}/…'.")
    return [d[common] for d in dirs]


def _decode_png(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    from PIL import Image

    with archive.open(info) as f:
        raw = f.read(MAX_PNG_BYTES + 1)
    if not raw.startswith(PNG_SIGNATURE) or len(raw) > MAX_PNG_BYTES:
        raise DataFormatError(f"'{info.filename[:80]}' is not a PNG image.")
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as im:
            w, h = im.size
            if max(w, h) > MAX_SIDE or min(w, h) < MIN_SIDE:
                raise DataFormatError(f"'{info.filename[:80]}' is {h}×{w} pixels; uploads take images from "
                                      f"{MIN_SIDE}×{MIN_SIDE} to {MAX_SIDE}×{MAX_SIDE}: resize them first.")
            return np.asarray(im.convert("RGB"))
    except DataFormatError:
        raise
    except Exception:  # PIL raises many types (OSError, SyntaxError, ValueError, zlib.error) for broken files
        raise DataFormatError(f"'{info.filename[:80]}' could not be decoded as a PNG image.") from None


# ---- the dataset ----------------------------------------------------------------------------


def file_slug(file_name: str) -> str:
    """A file name's stem as lower-case letters, digits and dashes (at most 24), for dataset ids and file names."""
    stem = PurePosixPath(file_name.replace("\\", "/")).stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:24] or "images"


def _split(name: str, x: np.ndarray, y: np.ndarray | None, classes: tuple[str, ...]) -> ImageData:
    """A fixed shuffled split (seed 0): the same file always gives the same train and test images."""
    n = len(x)
    labels = y if y is not None else np.zeros(n, dtype=np.int64)
    n_test = min(10_000, max(1, int(round(n * TEST_SHARE))))
    perm = np.random.default_rng(0).permutation(n)
    test, train = perm[:n_test], perm[n_test:]
    t = torch.from_numpy
    return ImageData(name, t(np.ascontiguousarray(x[train])), t(labels[train]), t(np.ascontiguousarray(x[test])),
                     t(labels[test]), classes)
