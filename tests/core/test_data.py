from __future__ import annotations

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
    # the read-only mirror was not written to: torchvision extracted into genviz's cache instead
    assert not (shared_data / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw" / "t10k-labels-idx1-ubyte").exists()
