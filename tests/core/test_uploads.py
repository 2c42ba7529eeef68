"""Uploaded images: good .npz and .zip files become datasets; every bad file is one sentence."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from genviz.core import uploads
from genviz.core.errors import DataFormatError


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def png_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def png_folders(classes=("cat", "dog"), per_class=5, size=(12, 10), colour=False, top="pets/") -> bytes:
    rng = np.random.default_rng(0)
    files = {}
    for c in classes:
        for i in range(per_class):
            shape = (*size, 3) if colour else size
            files[f"{top}{c}/{i}.png"] = png_bytes(rng.integers(0, 256, shape, dtype=np.uint8))
    files["__MACOSX/pets/._cat"] = b"resource fork"  # macOS junk is skipped
    return zip_bytes(files)


def test_a_uint8_npz_with_labels_becomes_a_dataset_with_a_fixed_split():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (50, 20, 20), dtype=np.uint8)
    y = np.repeat([3, 7], 25)
    up = uploads.read_upload("My Shapes.npz", npz_bytes(x=x, y=y))
    d = up.data
    assert d.name.startswith("upload-my-shapes-") and uploads.is_upload(d.name)
    assert d.image_shape == (1, 20, 20) and len(d.x_train) == 40 and len(d.x_test) == 10
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert d.classes == ("3", "7") and set(d.y_train.tolist()) <= {0, 1}
    merged = torch.cat([d.x_train, d.x_test]).flatten(1).mul(255).round().to(torch.uint8)
    assert sorted(map(bytes, merged.numpy())) == sorted(map(bytes, x.reshape(50, -1))), "every image, unchanged"
    again = uploads.read_upload("My Shapes.npz", npz_bytes(x=x, y=y)).data
    assert again.name == d.name and torch.equal(again.x_test, d.x_test), "same file, same name and split"
    assert up.title == "My Shapes.npz (yours, 50 × 20×20)"


def test_float_nchw_and_nhwc_npz_without_labels():
    x = np.random.default_rng(2).random((6, 3, 16, 16)).astype(np.float32)
    d = uploads.read_upload("c.npz", npz_bytes(x=x)).data
    assert d.image_shape == (3, 16, 16) and d.classes == ("all",) and d.n_classes == 1
    nhwc = uploads.read_upload("c.npz", npz_bytes(x=x.transpose(0, 2, 3, 1).astype(np.float64))).data
    assert nhwc.image_shape == (3, 16, 16)
    names = uploads.read_upload("n.npz", npz_bytes(x=x, y=np.array(["a", "b", "a", "b", "c", "a"]))).data
    assert names.classes == ("a", "b", "c")


def test_two_images_are_enough():
    d = uploads.read_upload("two.npz", npz_bytes(x=np.zeros((2, 8, 8), np.uint8))).data
    assert len(d.x_train) == 1 and len(d.x_test) == 1


def test_a_zip_of_png_class_folders():
    up = uploads.read_upload("pets.zip", png_folders())
    d = up.data
    assert d.image_shape == (1, 12, 10), "grey PNGs give one channel"
    assert d.classes == ("cat", "dog") and len(d.x_train) + len(d.x_test) == 10
    colour = uploads.read_upload("pets.zip", png_folders(colour=True, top="")).data
    assert colour.image_shape == (3, 12, 10)
    one = uploads.read_upload("cats.zip", png_folders(classes=("cat",), top="")).data
    assert one.classes == ("cat",)


def refusal(file_name: str, payload: bytes) -> str:
    with pytest.raises(DataFormatError) as info:
        uploads.read_upload(file_name, payload)
    message = str(info.value)
    assert "\n" not in message and message.endswith("."), message
    return message


@pytest.mark.parametrize(("file_name", "payload", "expected"), [
    ("notes.csv", b"a,b\n1,2", "neither a .npz file"),
    ("broken.npz", b"not a zip at all", "is not a .npz file"),
    ("broken.zip", b"PK\x03\x04garbage", "is not a zip archive"),
    ("nox.npz", npz_bytes(images=np.zeros((4, 8, 8), np.uint8)), "no array named x (found: images)"),
    ("flat.npz", npz_bytes(x=np.zeros((4, 64), np.uint8)), "x has shape (4, 64)"),
    ("chans.npz", npz_bytes(x=np.zeros((4, 5, 8, 8), np.uint8)), "C = 1 or 3"),
    ("ints.npz", npz_bytes(x=np.zeros((4, 8, 8), np.int64)), "dtype int64"),
    ("nan.npz", npz_bytes(x=np.full((4, 8, 8), np.nan, np.float32)), "NaN"),
    ("range.npz", npz_bytes(x=np.full((4, 8, 8), 255.0, np.float32)), "[0, 1]"),
    ("one.npz", npz_bytes(x=np.zeros((1, 8, 8), np.uint8)), "at least 2 images"),
    ("big.npz", npz_bytes(x=np.zeros((2, 65, 8), np.uint8)), "64×64"),
    ("tiny.npz", npz_bytes(x=np.zeros((2, 3, 3), np.uint8)), "4×4"),
    ("labels.npz", npz_bytes(x=np.zeros((4, 8, 8), np.uint8), y=np.zeros(3, np.int64)), "one number or name per image"),
    ("flabels.npz", npz_bytes(x=np.zeros((4, 8, 8), np.uint8), y=np.zeros(4)), "use integers or names"),
    ("many.npz", npz_bytes(x=np.zeros((200, 8, 8), np.uint8), y=np.arange(200)), "at most 100 classes"),
    ("longnames.npz", npz_bytes(x=np.zeros((2, 8, 8), np.uint8), y=np.array(["a" * 101, "b"])), "at most 100 characters"),
    ("quad.npz", npz_bytes(x=np.zeros((2, 8, 8), np.longdouble)), "uint8 (0–255) or float"),
    ("complex.npz", npz_bytes(x=np.zeros((2, 8, 8), np.complex64)), "uint8 (0–255) or float"),
])
def test_bad_npz_files_are_one_sentence(file_name, payload, expected):
    assert expected in refusal(file_name, payload)


def test_a_pickled_object_array_is_refused_without_unpickling():
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}, None], dtype=object), allow_pickle=True)
    payload = zip_bytes({"x.npy": buf.getvalue()})
    assert "pickled" in refusal("obj.npz", payload)
    labels = zip_bytes({"x.npy": _npy(np.zeros((2, 8, 8), np.uint8)), "y.npy": buf.getvalue()})
    assert "Python objects (pickled)" in refusal("objy.npz", labels)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def test_limits_are_checked_from_the_header_before_the_data_is_read(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_IMAGES", 10)
    assert "limited to 10" in refusal("n.npz", npz_bytes(x=np.zeros((11, 8, 8), np.uint8)))
    monkeypatch.setattr(uploads, "MAX_VALUES", 100)
    assert "million pixel values" in refusal("v.npz", npz_bytes(x=np.zeros((2, 8, 8), np.uint8)))
    monkeypatch.setattr(uploads, "MAX_BYTES", 10)
    assert "limited to 0 MB" in refusal("b.npz", npz_bytes(x=np.zeros((2, 8, 8), np.uint8)))


def test_a_truncated_npz_is_a_sentence():
    payload = npz_bytes(x=np.zeros((40, 8, 8), np.uint8))
    refusal("cut.npz", payload[: len(payload) // 2])


@pytest.mark.parametrize(("files", "expected"), [
    ({"../evil.png": b"x", "a/1.png": b"x"}, "points outside its folder"),
    ({"/abs/1.png": b"x", "a/1.png": b"x"}, "points outside its folder"),
    ({"a\\..\\1.png": b"x", "a/1.png": b"x"}, "points outside its folder"),
    ({"a/readme.txt": b"hello", "a/1.png": b"x"}, "not a .png"),
    ({"a/1.png": b"GIF89a....", "a/2.png": b"GIF89a...."}, "not a PNG image"),
    ({"a/1.png": b"\x89PNG\r\n\x1a\ngarbage", "a/2.png": b"\x89PNG\r\n\x1a\ngarbage"}, "could not be decoded"),
    ({"a/1.png": png_bytes(np.zeros((8, 8), np.uint8))}, "at least 2 images"),
    ({"a/1.png": png_bytes(np.zeros((8, 8), np.uint8)), "b/1.png": png_bytes(np.zeros((9, 8), np.uint8))},
     "one size"),
    ({"a/1.png": png_bytes(np.zeros((80, 8), np.uint8)), "b/1.png": png_bytes(np.zeros((80, 8), np.uint8))},
     "64×64"),
    ({"1.png": png_bytes(np.zeros((8, 8), np.uint8)), "b/1.png": png_bytes(np.zeros((8, 8), np.uint8))},
     "inside a class folder"),
    ({"t/a/x/1.png": png_bytes(np.zeros((8, 8), np.uint8)), "t/b/1.png": png_bytes(np.zeros((8, 8), np.uint8))},
     "one folder deep"),
])
def test_bad_zip_files_are_one_sentence(files, expected):
    assert expected in refusal("bad.zip", zip_bytes(files))
