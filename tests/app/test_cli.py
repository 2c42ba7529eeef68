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
