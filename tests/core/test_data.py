from __future__ import annotations

import numpy as np
import pytest
import torch

from genviz.core import data
from genviz.core.errors import DatasetUnavailable


def test_digits_shapes_ranges_and_fixed_split(digits):
    assert digits.x_train.shape == (1437, 1, 8, 8) and digits.x_test.shape == (360, 1, 8, 8)
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert 0.0 <= float(digits.x_train.min()) and float(digits.x_train.max()) <= 1.0
    assert set(digits.y_test.tolist()) == set(range(10))
    again = data.load("digits")
    assert torch.equal(again.x_test, digits.x_test), "the train/test split must be the same every time"
    assert digits.image_shape == (1, 8, 8) and digits.n_classes == 10


def test_unknown_dataset_is_a_sentence():
    with pytest.raises(DatasetUnavailable, match="Unknown dataset 'nope'"):
        data.load("nope")


def test_missing_torchvision_dataset_says_what_to_do(tmp_path):
    with pytest.raises(DatasetUnavailable, match="GENVIZ_DATA_DIR"):
        data.load("kmnist", root=tmp_path)


def test_corrupt_archive_is_reported(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (raw / name).write_bytes(b"not a gzip file")
    with pytest.raises(DatasetUnavailable, match="MNIST 28×28 is not available"):
        data.load("mnist", root=tmp_path)


def test_fixed_examples_are_reproducible(digits):
    a, ya = data.fixed_examples(digits, 6, seed=3)
    b, yb = data.fixed_examples(digits, 6, seed=3)
    assert torch.equal(a, b) and torch.equal(ya, yb) and a.shape == (6, 1, 8, 8)


@pytest.mark.realdata
@pytest.mark.parametrize("name, classes0", [("mnist", "0"), ("fashion-mnist", "T-shirt/top")])
def test_real_torchvision_data(shared_data, name, classes0):
    d = data.load(name, root=shared_data)
    assert d.x_train.shape == (60000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert 0.0 <= float(d.x_test.min()) and float(d.x_test.max()) == 1.0
    assert d.classes[0] == classes0
    assert torch.bincount(d.y_test).tolist()[:2] == ([980, 1135] if name == "mnist" else [1000, 1000])
    cached = data.load(name, root=shared_data)  # from $GENVIZ_HOME/data-cache/tensors this time
    assert data.tensor_cache_path(name).is_file()
    assert torch.equal(cached.x_train, d.x_train) and torch.equal(cached.y_test, d.y_test)
    # the read-only mirror was not written to: torchvision extracted into genviz's cache instead
    assert not (shared_data / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw" / "t10k-labels-idx1-ubyte").exists()


def _fake_dataset(monkeypatch, root, calls):
    """A torchvision-like dataset 'fake' whose source is one file under root/FAKE; counts decodings."""
    def loader(_root):
        calls.append(1)
        x = np.arange(2 * 16, dtype=np.uint8).reshape(2, 1, 4, 4)
        return x, np.array([0, 1]), x[:1], np.array([1])

    info = data.DatasetInfo("fake", "Fake 4×4", (1, 4, 4), ("a", "b"), "torchvision", loader, "FAKE")
    monkeypatch.setitem(data.DATASETS, "fake", info)
    (root / "FAKE").mkdir(parents=True)
    (root / "FAKE" / "images.bin").write_bytes(b"first")


def test_decoded_arrays_are_cached_and_redone_when_the_source_changes(tmp_path, monkeypatch):
    calls = []
    _fake_dataset(monkeypatch, tmp_path, calls)
    first = data.load("fake", root=tmp_path)
    assert calls == [1] and data.tensor_cache_path("fake").is_file()
    again = data.load("fake", root=tmp_path)
    assert calls == [1], "the second load reads the cache, not the sources"
    assert torch.equal(again.x_train, first.x_train) and torch.equal(again.y_test, first.y_test)
    assert again.x_train.dtype == torch.float32 and float(again.x_train.max()) == pytest.approx(31 / 255)
    (tmp_path / "FAKE" / "images.bin").write_bytes(b"changed!")
    data.load("fake", root=tmp_path)
    assert calls == [1, 1], "a changed source file invalidates the cache"
    data.load("fake", root=tmp_path)
    assert calls == [1, 1]


@pytest.mark.parametrize("garbage", [b"", b"not a safetensors file", b"\xff" * 8 + b"{}"])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(tmp_path, monkeypatch, garbage):
    calls = []
    _fake_dataset(monkeypatch, tmp_path, calls)
    expected = data.load("fake", root=tmp_path)
    data.tensor_cache_path("fake").write_bytes(garbage)
    got = data.load("fake", root=tmp_path)  # no traceback: the sources are decoded again
    assert calls == [1, 1] and torch.equal(got.x_test, expected.x_test)
    data.load("fake", root=tmp_path)
    assert calls == [1, 1], "the rewritten cache is used again"


def test_a_failed_load_leaves_no_cache(tmp_path):
    with pytest.raises(DatasetUnavailable):
        data.load("kmnist", root=tmp_path)
    assert not data.tensor_cache_path("kmnist").exists()
