from __future__ import annotations

import json
import math
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


def test_byte_arrays_are_stored_packed_and_a_crafted_shape_is_refused(tmp_path, model_and_config):
    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    model, config = model_and_config
    grids = torch.zeros(16, 1, 28, 28, dtype=torch.uint8)
    grids[:, :, 10:18, 12:15] = 255  # a stroke on black, as progress grids of digits are
    plain = checkpoints.save(tmp_path / "plain", model, config, dataset="digits")
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", extra_tensors={"grids": grids})
    assert path.stat().st_size - plain.stat().st_size < grids.numel() / 4  # stored packed
    ckpt = checkpoints.load(path)
    assert torch.equal(ckpt.extra_tensors["grids"], grids) and "packed" not in ckpt.meta
    # a file whose recorded shape promises more bytes than it holds (or a bomb) gives a sentence
    raw = path.read_bytes()
    meta = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])["__metadata__"]
    for shape in ([16, 1, 28, 29], [4096, 4096, 4096]):
        forged = tmp_path / "forged.safetensors"
        forged.write_bytes(st_save(st_load(raw), metadata={**meta, "packed": json.dumps({"grids": shape})}))
        with pytest.raises(CheckpointError, match="does not unpack to its recorded shape"):
            checkpoints.load(forged)


def test_identical_weights_are_stored_once_and_a_forged_alias_is_refused(tmp_path):
    """A GAN whose live G equals its EMA copy (as shipped) stores G once; both load back, checksum checked."""
    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    from genviz.gans.models import GAN, GANConfig

    torch.manual_seed(0)
    config = GANConfig(kind="biggan", image_shape=(1, 8, 8), latent_dim=8, g_width=8, d_width=8, ema=0.99)
    gan = GAN(config)
    with torch.no_grad():
        for p in gan.generator_ema.parameters():
            p.add_(0.5)  # the EMA copy drifts from the live G, as in training
    distinct = checkpoints.save(tmp_path / "distinct", gan, config, dataset="digits")
    gan.generator.load_state_dict(gan.generator_ema.state_dict())
    synced = checkpoints.save(tmp_path / "synced", gan, config, dataset="digits")
    big = {k: v.numel() * v.element_size() for k, v in gan.generator_ema.state_dict().items()
           if v.numel() * v.element_size() >= checkpoints._DEDUP_MIN}  # smaller tensors are not worth an alias
    assert sum(big.values()) > 0.8 * sum(v.numel() * v.element_size() for v in gan.generator.state_dict().values())
    assert distinct.stat().st_size - synced.stat().st_size > 0.5 * sum(big.values())
    loaded = checkpoints.load(synced).model.state_dict()
    for k, v in gan.state_dict().items():
        assert torch.equal(loaded[k], v), k
    # an alias that names a weight the file does not hold gives a sentence, not a KeyError
    raw = synced.read_bytes()
    meta = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])["__metadata__"]
    aliases = json.loads(meta["aliases"])
    assert {f"generator_ema.{k}" for k in big} <= set(aliases)
    name = next(iter(aliases))
    forged = tmp_path / "forged.safetensors"
    forged.write_bytes(st_save(st_load(raw), metadata={**meta, "aliases": json.dumps({name: "no.such.weight"})}))
    with pytest.raises(CheckpointError, match="refers to a stored weight that is not there"):
        checkpoints.load(forged)


def test_a_long_extra_record_is_stored_compressed_and_a_forged_one_is_a_sentence(tmp_path, model_and_config):
    import base64
    import zlib

    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    model, config = model_and_config
    curve = [{"step": i, "d_loss": round(1 / (i + 1), 4), "g_loss": round(i / 7, 4)} for i in range(2000)]
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", extra={"curve": curve})
    raw = path.read_bytes()
    meta = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])["__metadata__"]
    assert meta["extra"].startswith("zlib:") and len(meta["extra"]) < len(json.dumps(curve)) / 4
    assert checkpoints.load(path).meta["extra"] == {"curve": curve} == checkpoints.read_extra(path)
    bomb = "zlib:" + base64.b64encode(zlib.compress(b"[" * (20 * 2**20), 9)).decode()
    for bad in ("zlib:not base64!", "zlib:" + base64.b64encode(b"not zlib").decode(), bomb):
        forged = tmp_path / "forged.safetensors"
        forged.write_bytes(st_save(st_load(raw), metadata={**meta, "extra": bad}))
        with pytest.raises(CheckpointError, match="damaged 'extra' entry"):
            checkpoints.load(forged)


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


# --- crafted files: one sentence each, and the rest of the list still works (issue 15) ----------------------

def _write_header(path, header: dict, body: bytes = b"") -> None:
    new = json.dumps(header).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + body)


@pytest.fixture()
def saved(tmp_path, model_and_config):
    model, config = model_and_config
    return checkpoints.save(tmp_path / "good", model, config, dataset="digits", metrics={"test_loss": 1.0})


def test_deeply_nested_metadata_is_refused_before_parsing(tmp_path, saved):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep-meta.safetensors").write_bytes(saved.read_bytes())
    _rewrite_metadata(tmp_path / "deep-meta.safetensors", metrics=deep)
    raw = ('{"__metadata__": {"format": "genviz-checkpoint/1"}, "x": ' + deep + "}").encode()
    (tmp_path / "deep-header.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw)
    for name, message in (("deep-meta", "damaged 'metrics'"), ("deep-header", "nested 100,001 levels")):
        with pytest.raises(CheckpointError, match=message):
            checkpoints.load(tmp_path / f"{name}.safetensors")
    items, skipped = checkpoints.scan([tmp_path])
    assert [i.name for i in items] == ["good"]
    assert sorted(s.path.stem for s in skipped) == ["deep-header", "deep-meta"]


@pytest.mark.parametrize("entry, value", [
    ("metrics", "[1, 2]"), ("metrics", '{"fid": "high"}'), ("extra", "[1]"), ("config", '"ae"'), ("epochs", "{}"),
])
def test_metadata_entries_of_the_wrong_type_get_one_sentence(tmp_path, saved, entry, value):
    _rewrite_metadata(saved, **{entry: value})
    with pytest.raises(CheckpointError, match=f"damaged '{entry}'"):
        checkpoints.load(saved)
    if entry == "metrics":
        items, skipped = checkpoints.scan([tmp_path])
        assert not items and "damaged 'metrics'" in skipped[0].reason


def test_metadata_that_is_not_a_text_map_is_refused(tmp_path, saved):
    raw = saved.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header["__metadata__"]["metrics"] = {"a": 1}
    _write_header(saved, header, raw[8 + n :])
    with pytest.raises(CheckpointError, match="damaged metadata map"):
        checkpoints.info(saved)


def test_a_fifo_is_skipped_without_being_opened(tmp_path, saved):
    import threading

    os.mkfifo(tmp_path / "pipe.safetensors")
    result = {}
    worker = threading.Thread(target=lambda: result.update(scan=checkpoints.scan([tmp_path])), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "listing a folder with a FIFO in it hangs"
    items, skipped = result["scan"]
    assert [i.name for i in items] == ["good"]
    assert [s.path.name for s in skipped] == ["pipe.safetensors"] and "not a regular file" in skipped[0].reason
    with pytest.raises(CheckpointError, match="not a regular file"):
        checkpoints.load(tmp_path / "pipe.safetensors")


def test_nan_weights_are_refused_at_load(tmp_path, model_and_config):
    model, config = model_and_config
    with torch.no_grad():
        next(model.parameters())[0, 0] = float("inf")
        list(model.parameters())[-1][0] = float("nan")
    path = checkpoints.save(tmp_path / "nan", model, config, dataset="digits")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        checkpoints.load(path)


def test_the_catalogue_reads_headers_only(tmp_path, saved):
    """A 500 MB file (sparse here) used to be read whole by the listing: +500 MB peak RSS."""
    big = tmp_path / "big.safetensors"
    big.write_bytes(saved.read_bytes())
    os.truncate(big, 500 * 2**20)
    code = ("import resource, sys; from pathlib import Path; from genviz.core import checkpoints as c; "
            "b = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; items = c.catalogue([Path(sys.argv[1])]); "
            "print(len(items), (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - b) // 1024)")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
                         cwd=checkpoints.REPO_ROOT).stdout.split()
    assert out[0] == "2" and int(out[1]) < 50, f"listing added {out[1]} MB of peak RSS"


def test_json_depth_skips_strings():
    assert checkpoints.json_depth(b'{"a": "[[[{", "b": [[1, {"c": "\\"["}]]}') == 4
    assert checkpoints.json_depth(b"[" * 1000 + b"]" * 1000) == 1000


# --- saving: one atomic writer, sentences instead of tracebacks, names ------------------------------------

def test_full_disk_during_save_is_a_sentence_and_keeps_the_old_file(tmp_path, model_and_config, monkeypatch):
    import errno

    from genviz.core.errors import SaveError

    model, config = model_and_config
    path = checkpoints.save(tmp_path / "m", model, config, dataset="digits", metrics={"v": 1})
    before = path.read_bytes()
    real_write = os.write

    def full_disk(fd, data):
        real_write(fd, bytes(data[:4096]))  # some bytes land, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full_disk)
        with pytest.raises(SaveError, match="no space left"):
            checkpoints.save(path, model, config, dataset="digits", metrics={"v": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"], "no temp file may be left behind"


def test_read_only_folder_or_a_folder_in_the_way_is_a_sentence(tmp_path, model_and_config):
    from genviz.core.errors import SaveError

    model, config = model_and_config
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(SaveError, match="may not write to"):
            checkpoints.save(locked / "m", model, config, dataset="digits")
    finally:
        locked.chmod(0o755)
    (tmp_path / "dir.safetensors").mkdir()
    with pytest.raises(SaveError, match="is a folder"):
        checkpoints.save(tmp_path / "dir", model, config, dataset="digits")


def test_written_files_get_ordinary_permissions(tmp_path):
    from genviz.core import atomic

    umask = os.umask(0o027)
    try:
        path = atomic.atomic_write(tmp_path / "x.csv", "a,b\n")
    finally:
        os.umask(umask)
    assert path.read_text() == "a,b\n" and path.stat().st_mode & 0o777 == 0o640


def test_user_names_refuse_shipped_and_existing_names(model_and_config):
    from genviz.core.errors import AlreadyExists, ConfigError

    model, config = model_and_config
    with pytest.raises(ConfigError, match="ships with genviz"):
        checkpoints.user_path("ae-digits")
    with pytest.raises(ConfigError, match="letters, digits"):
        checkpoints.user_path("../escape")
    path = checkpoints.save(checkpoints.user_path("mine"), model, config, dataset="digits")
    with pytest.raises(AlreadyExists, match="already exists"):
        checkpoints.user_path("mine")
    assert checkpoints.user_path("mine", overwrite=True) == path


def test_resolve_out_puts_a_folder_name_inside_the_folder(tmp_path):
    assert checkpoints.resolve_out(f"{tmp_path}/new/", "ae-digits") == tmp_path / "new" / "ae-digits.safetensors"
    assert checkpoints.resolve_out(tmp_path, "ae-digits") == tmp_path / "ae-digits.safetensors"
    assert checkpoints.resolve_out(tmp_path / "m", "x") == tmp_path / "m.safetensors"


def test_stale_temp_files_of_our_pattern_are_removed(tmp_path):
    import time

    from genviz.core import atomic

    old = time.time() - 3600
    ours = [tmp_path / ".m.safetensors.a1b2c3d4.tmp", tmp_path / ".map.csv.x_9kq2zz.tmp"]
    fresh = tmp_path / ".m.safetensors.0badf00d.tmp"
    theirs = [tmp_path / ".notes.tmp", tmp_path / "m.safetensors.a1b2c3d4.tmp", tmp_path / ".m.a1b2c3d4.tmp.bak"]
    for p in [*ours, fresh, *theirs]:
        p.write_bytes(b"x")
        if p is not fresh:
            os.utime(p, (old, old))
    (tmp_path / ".dir.a1b2c3d4.tmp").mkdir()
    assert sorted(atomic.remove_stale_temp_files([tmp_path, tmp_path / "missing"])) == sorted(ours)
    assert all(p.exists() for p in [fresh, *theirs]) and (tmp_path / ".dir.a1b2c3d4.tmp").is_dir()


def test_shipped_checkpoints_folder_stays_within_its_budget():
    """checkpoints/ ships with every clone: the issue that added the later GAN ideas capped it at 40 MB."""
    total = sum(p.stat().st_size for p in checkpoints.SHIPPED_DIR.iterdir() if p.is_file())
    assert total <= 40e6, f"checkpoints/ holds {total / 1e6:.2f} MB"


def test_repack_reevaluate_replaces_the_recorded_numbers_and_keeps_weights_and_date(tmp_path, digits):
    """scripts/repack_shipped.py --reevaluate: after a scorer is rebuilt, a file's numbers are measured again
    without retraining; the weights, the other records and the creation time stay as they were."""
    import importlib.util
    from pathlib import Path

    from genviz.core.train import TrainParams, new_run

    script = Path(__file__).resolve().parents[2] / "scripts" / "repack_shipped.py"
    spec = importlib.util.spec_from_file_location("repack_shipped", script)
    repack_shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(repack_shipped)

    run = new_run("ae", digits, {"latent_dim": 2, "hidden": 8}, TrainParams(max_steps=2, batch_size=32))
    list(run.fit())
    path = checkpoints.save(tmp_path / "ae", run.model, run.config, dataset="digits",
                            metrics={"test_loss": 123.0, "note_kept": 7.0}, extra={"curve": [1, 2]},
                            created="2026-01-02T03:04:05")
    before = {k: v.clone() for k, v in checkpoints.load(path).model.state_dict().items()}
    repack_shipped.repack(path, None, False, reevaluate=True)
    again = checkpoints.load(path)
    assert again.metrics["test_loss"] != 123.0 and math.isfinite(again.metrics["test_loss"])
    assert again.metrics["note_kept"] == 7.0 and again.meta["extra"]["curve"] == [1, 2]
    assert again.meta["created"] == "2026-01-02T03:04:05"
    assert all(torch.equal(before[k], v) for k, v in again.model.state_dict().items())
    # --record-runs: another run's numbers stored beside the file's own, the weights untouched; a foreign kind refused
    other = checkpoints.save(tmp_path / "ae2", run.model, run.config, dataset="digits", metrics={"test_loss": 99.0},
                             extra={"train_params": {"seed": 3}, "train_seconds": 1.5, "torch_threads": 1})
    repack_shipped.repack(path, None, False, runs=[other])
    again = checkpoints.load(path)
    runs = again.meta["extra"]["runs"]
    assert [(r["seed"], r["test_loss" if "test_loss" in r else "dataset"]) for r in runs] == [(0, "digits"), (3, "digits")]
    assert runs[1]["train_seconds"] == 1.5 and again.meta["extra"]["curve"] == [1, 2]
    assert all(torch.equal(before[k], v) for k, v in again.model.state_dict().items())
    gan = new_run("dcgan", digits, {"latent_dim": 4, "g_width": 4, "d_width": 4}, TrainParams(max_steps=1, batch_size=16))
    list(gan.fit())
    foreign = checkpoints.save(tmp_path / "gan", gan.model, gan.config, dataset="digits")
    with pytest.raises(SystemExit, match="not a ae checkpoint"):
        repack_shipped.repack(path, None, False, runs=[foreign])
