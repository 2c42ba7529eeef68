from __future__ import annotations

import json
import subprocess
import sys

import pytest

from genviz.cli import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "ae"
    assert main(["train", "ae", "--dataset", "digits", "--epochs", "2", "--latent", "4", "--set", "hidden=32",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["kind"] == "ae" and result["metrics"]["test_loss"] > 0
    assert "step" in captured.err, "progress goes to stderr"
    assert main(["evaluate", str(out) + ".safetensors"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["kind"] == "ae" and ev["dataset"] == "digits"
    assert ev["test_loss"] == pytest.approx(result["metrics"]["test_loss"], rel=1e-4)


def test_checkpoints_json_lists_shipped_models(capsys):
    assert main(["checkpoints", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    names = {i["path"].rsplit("/", 1)[-1] for i in items}
    assert "classifier-digits.safetensors" in names
    assert all({"path", "kind", "dataset", "metrics"} <= set(i) for i in items)


@pytest.mark.parametrize("argv, message", [
    (["train", "ae", "--batch-size", "1000000000", "--out", "x"], "Batch size must be between"),
    (["train", "ae", "--latent", "0", "--out", "x"], "Latent size must be between"),
    (["train", "ae", "--lr", "1e9", "--out", "x"], "Learning rate must be between"),
    (["train", "nonsense", "--out", "x"], "Unknown model kind 'nonsense'"),
    (["train", "ae", "--set", "bogus=1", "--out", "x"], "use name=value"),
    (["evaluate", "/no/such/file.safetensors"], "No checkpoint at"),
])
def test_errors_are_one_sentence_without_traceback(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_module_entry_point_runs_in_a_fresh_process(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"\x80\x04junk")
    proc = subprocess.run([sys.executable, "-m", "genviz", "evaluate", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "pickle" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.realdata
def test_evaluate_a_team_checkpoint_uses_its_match_data(capsys, shared_data, monkeypatch):
    from genviz.core import checkpoints

    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    path = checkpoints.SHIPPED_DIR / "team-hots-tournament.safetensors"
    assert main(["evaluate", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "team" and 0.78 < out["test_accuracy"] <= 1.0


# --- issue 15: crafted files, save errors, names, temp files ------------------------------------------------

def _tiny_checkpoint(path, **meta):
    from genviz.autoencoders.models import AEConfig, Autoencoder
    from genviz.core import checkpoints

    config = AEConfig(latent_dim=3, hidden=(16,))
    return checkpoints.save(path, Autoencoder(config), config, dataset="digits", **meta)


def test_checkpoints_lists_good_files_and_gives_each_bad_one_a_sentence(tmp_path, capsys):
    import os
    import struct

    good = _tiny_checkpoint(tmp_path / "good", metrics={"test_loss": 1.0})
    raw = good.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    for name, metrics in (("deep", "[" * 100_000 + "]" * 100_000), ("listed", "[1, 2]")):
        header["__metadata__"]["metrics"] = metrics
        new = json.dumps(header).encode()
        new += b" " * ((8 - len(new) % 8) % 8)
        (tmp_path / f"{name}.safetensors").write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])
    os.mkfifo(tmp_path / "fifo.safetensors")
    for flags in ([], ["--json"]):
        assert main(["checkpoints", "--dir", str(tmp_path), *flags]) == 0
        captured = capsys.readouterr()
        assert "good.safetensors" in captured.out and "deep" not in captured.out
        lines = captured.err.splitlines()
        assert len(lines) == 3 and all(line.startswith("skipped ") for line in lines), lines
        assert "Traceback" not in captured.err


def test_evaluate_refuses_nan_weights_in_one_sentence(tmp_path, capsys):
    import torch

    from genviz.autoencoders.models import AEConfig, Autoencoder
    from genviz.core import checkpoints

    config = AEConfig(latent_dim=3, hidden=(16,))
    model = Autoencoder(config)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    path = checkpoints.save(tmp_path / "nan", model, config, dataset="digits")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "NaN or infinite" in err and err.count("\n") == 1


TRAIN = ["train", "ae", "--max-steps", "2", "--latent", "2", "--set", "hidden=16"]


def test_train_refuses_a_taken_or_unwritable_out_before_training(tmp_path, capsys):
    taken = _tiny_checkpoint(tmp_path / "taken")
    before = taken.read_bytes()
    assert main([*TRAIN, "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "step" not in err and err.count("\n") == 1
    assert taken.read_bytes() == before
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main([*TRAIN, "--out", str(locked / "m")]) == 2
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    assert "may not write to" in err and "step" not in err and err.count("\n") == 1
    (tmp_path / "dir.safetensors").mkdir()
    assert main([*TRAIN, "--out", str(tmp_path / "dir.safetensors")]) == 0, "an existing folder gets a file inside"
    assert json.loads(capsys.readouterr().out)["path"] == str(tmp_path / "dir.safetensors" / "ae-digits.safetensors")
    assert main([*TRAIN, "--out", str(taken), "--force"]) == 0
    assert taken.read_bytes() != before


def test_train_out_with_a_trailing_slash_writes_inside_the_new_folder(tmp_path, capsys):
    assert main([*TRAIN, "--out", f"{tmp_path}/newdir/"]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(tmp_path / "newdir" / "ae-digits.safetensors")
    assert not (tmp_path / "newdir.safetensors").exists()


def test_train_on_a_full_disk_is_one_sentence(tmp_path, capsys, monkeypatch):
    import errno
    import os

    def full_disk(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full_disk)
        assert main([*TRAIN, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: There is no space left") and not any("Traceback" in e for e in err)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_removes_stale_temp_files_of_killed_saves(capsys):
    import os
    import time

    from genviz.core import checkpoints

    folder = checkpoints.user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ".m.safetensors.a1b2c3d4.tmp", folder / ".m.safetensors.e5f6a7b8.tmp"
    for p in (stale, fresh):
        p.write_bytes(b"partial")
    os.utime(stale, (time.time() - 3600,) * 2)
    assert main(["checkpoints", "--dir", str(folder)]) == 0
    assert not stale.exists() and fresh.exists()


def test_sample_writes_npy_and_png_for_any_generator(tmp_path, capsys):
    import numpy as np

    from genviz.cli import main

    ckpts = ROOT / "checkpoints"
    assert main(["sample", str(ckpts / "cgan-digits.safetensors"), "--n", "12", "--labels", "cycle", "--psi", "0.5",
                 "--out", str(tmp_path / "g.npy")]) == 0
    arr = np.load(tmp_path / "g.npy")
    assert arr.shape == (12, 1, 8, 8) and 0 <= arr.min() and arr.max() <= 1
    assert main(["sample", str(ckpts / "vae-digits.safetensors"), "--n", "10", "--out", str(tmp_path / "v.png")]) == 0
    assert (tmp_path / "v.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tmp_path / "g2.npy"
    main(["sample", str(ckpts / "cgan-digits.safetensors"), "--n", "12", "--labels", "cycle", "--psi", "0.5",
          "--out", str(again)])
    assert np.array_equal(np.load(again), arr)  # same seed, same samples
    capsys.readouterr()
    for argv, message in (
        (["sample", str(ckpts / "vae-digits.safetensors"), "--psi", "1", "--out", str(tmp_path / "x.npy")], "no truncation"),
        (["sample", str(ckpts / "classifier-digits.safetensors"), "--out", str(tmp_path / "x.npy")], "draws no samples"),
        (["sample", str(ckpts / "dcgan-digits.safetensors"), "--labels", "1,2", "--out", str(tmp_path / "x.npy")],
         "not class-conditional"),
        (["sample", str(ckpts / "cgan-digits.safetensors"), "--labels", "1,12", "--out", str(tmp_path / "x.npy")],
         "classes run from 0 to 9"),
        (["sample", str(ckpts / "dcgan-digits.safetensors"), "--psi", "0", "--out", str(tmp_path / "x.npy")], "truncation ψ"),
        (["sample", str(ckpts / "dcgan-digits.safetensors"), "--out", str(tmp_path / "x.jpg")], "must end in .npy"),
    ):
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv


def test_train_on_your_own_images_from_a_file(tmp_path, capsys):
    import numpy as np

    from genviz.core import checkpoints, uploads

    rng = np.random.default_rng(0)
    npz = tmp_path / "My Shapes.npz"
    np.savez(npz, x=rng.integers(0, 256, (40, 10, 10), dtype=np.uint8), y=np.arange(40) % 2)
    assert main(["train", "ae", "--dataset", str(npz), "--max-steps", "2", "--latent", "4", "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = uploads.read_upload(npz.name, npz.read_bytes()).data.name
    assert result["dataset"] == expected and result["path"].endswith("ae-my-shapes.safetensors")
    assert checkpoints.load(result["path"]).dataset == expected, "the app finds it when it gets the same file"
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"junk")
    assert main(["train", "ae", "--dataset", str(bad), "--out", str(tmp_path / "x")]) != 0
    assert "is not a .npz file" in capsys.readouterr().err
    assert main(["train", "ae", "--dataset", str(tmp_path / "none.zip"), "--out", str(tmp_path / "y")]) != 0
    assert "no such file" in capsys.readouterr().err
