from __future__ import annotations

import json
import os
import pickle
import struct

import pytest
import torch

from genviz.autoencoders.models import AEConfig, Autoencoder
from genviz.core import checkpoints
from genviz.core.errors import CheckpointError


@pytest.fixture()
def model_and_config():
    torch.manual_seed(0)
    config = AEConfig(latent_dim=3, hidden=(16,))
    return Autoencoder(config), config


def test_round_trip_keeps_weights_config_metrics(tmp_path, model_and_config):
    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", metrics={"test_loss": 1.5},
                            epochs=2, extra={"curve": [1, 2]}, extra_tensors={"grid": torch.ones(2, 3)})
    assert path.name == "m.safetensors"
    ckpt = checkpoints.load(path)
    assert ckpt.kind == "ae" and ckpt.config == config and ckpt.dataset == "digits"
    assert ckpt.metrics == {"test_loss": 1.5} and ckpt.meta["extra"] == {"curve": [1, 2]} and ckpt.meta["epochs"] == 2
    assert torch.equal(ckpt.extra_tensors["grid"], torch.ones(2, 3))
    for k, v in model.state_dict().items():
        assert torch.equal(ckpt.model.state_dict()[k], v)
    assert not ckpt.model.training
    info = checkpoints.catalogue([tmp_path])
    assert [i.name for i in info] == ["m"] and info[0].metrics == {"test_loss": 1.5}


def test_half_precision_is_smaller_and_loads_as_float32(tmp_path, model_and_config):
    model, config = model_and_config
    full = checkpoints.save(tmp_path / "full", model, config, dataset="digits")
    half = checkpoints.save(tmp_path / "half", model, config, dataset="digits", half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    w = checkpoints.load(half).model.state_dict()["encoder.1.0.weight"]
    assert w.dtype == torch.float32
    assert torch.allclose(w, model.state_dict()["encoder.1.0.weight"], atol=1e-3)


def test_pickle_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.safetensors"
    bad.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        checkpoints.load(bad)
    pt = tmp_path / "model.pt"
    torch.save({"x": torch.ones(1)}, pt)
    with pytest.raises(CheckpointError, match="pickle"):
        checkpoints.load(pt)
    assert not marker.exists()


@pytest.mark.parametrize("payload, message", [
    (b"", "empty or truncated"),
    (b"hello world, not a checkpoint", "not a safetensors"),
    (struct.pack("<Q", 10) + b"{not json}", "not a safetensors checkpoint"),
])
def test_garbage_files_get_one_sentence(tmp_path, payload, message):
    p = tmp_path / "x.safetensors"
    p.write_bytes(payload)
    with pytest.raises(CheckpointError, match=message):
        checkpoints.load(p)


def test_truncated_file(tmp_path, model_and_config):
    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated|damaged"):
        checkpoints.load(path)


def test_foreign_safetensors_file(tmp_path):
    from safetensors.torch import save_file

    p = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, p)
    with pytest.raises(CheckpointError, match="not a genviz checkpoint"):
        checkpoints.load(p)


def _rewrite_metadata(path, **changes):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header["__metadata__"].update(changes)
    new = json.dumps(header).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])


def test_tampered_config_does_not_fit_weights(tmp_path, model_and_config):
    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits")
    _rewrite_metadata(path, config=json.dumps({**json.loads(checkpoints.read_metadata(path)["config"]), "latent_dim": 5}))
    with pytest.raises(CheckpointError, match="do not fit"):
        checkpoints.load(path)
    _rewrite_metadata(path, config=json.dumps({"kind": "ae", "latent_dim": 0}))
    with pytest.raises(CheckpointError, match="Latent size must be between"):
        checkpoints.load(path)
    _rewrite_metadata(path, kind="nonsense")
    with pytest.raises(CheckpointError, match="Unknown model kind"):
        checkpoints.load(path)


def test_tampered_weights_fail_the_checksum(tmp_path, model_and_config):
    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits")
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="modified after it was saved"):
        checkpoints.load(path)


def test_interrupted_save_leaves_old_file_intact(tmp_path, model_and_config, monkeypatch):
    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", metrics={"v": 1})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut during save")

    monkeypatch.setattr(checkpoints.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoints.save(path, model, config, dataset="digits", metrics={"v": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"], "no temp file may be left behind"
    assert checkpoints.load(path).metrics == {"v": 1}


def test_catalogue_skips_bad_files_and_lists_shipped():
    shipped = checkpoints.catalogue([checkpoints.SHIPPED_DIR])
    assert shipped and all(c.shipped for c in shipped)
    assert {"classifier-digits", "ae-digits"} <= {c.name for c in shipped}


def test_header_length_that_looks_like_a_pickle_opcode_still_loads(tmp_path, model_and_config):
    """A safetensors header of 0x280 bytes starts with b'\\x80\\x02', the pickle protocol-2 marker."""
    model, config = model_and_config
    for k in range(2000):
        path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", extra={"pad": "x" * k})
        if path.read_bytes()[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
            break
    else:
        pytest.skip("could not craft the header length")
    assert checkpoints.load(path).meta["extra"]["pad"] == "x" * k
