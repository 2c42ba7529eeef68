"""What a short `genviz train` run pays for besides training: no compiler import, no torchvision, no
classifier unless sample scores are asked for (issue 18, fixed costs around training)."""
from __future__ import annotations

import json
import subprocess
import sys

from genviz.cli import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_a_one_step_run_imports_neither_dynamo_nor_torchvision(tmp_path):
    """`import torch._dynamo` (reached through torch.optim) costs more than `import torch`; torchvision pulls
    it in too. A one-step run needs neither."""
    code = ("import json, sys\nfrom genviz.cli import main\n"
            f"main(['train', 'vae', '--dataset', 'digits', '--max-steps', '1', '--latent', '2', '--set', 'hidden=16', "
            f"'--out', {str(tmp_path / 'one')!r}])\n"
            "print(json.dumps(sorted(m for m in ('torch._dynamo', 'torchvision') if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_sample_scores_only_when_asked(tmp_path, capsys):
    args = ["train", "vae", "--dataset", "digits", "--max-steps", "2", "--latent", "2", "--set", "hidden=16"]
    assert main([*args, "--out", str(tmp_path / "plain")]) == 0
    plain = json.loads(capsys.readouterr().out)["metrics"]
    assert "test_loss" in plain and "frechet_distance" not in plain
    assert main([*args, "--score", "--out", str(tmp_path / "scored")]) == 0
    scored = json.loads(capsys.readouterr().out)["metrics"]
    assert scored["test_loss"] == plain["test_loss"] and scored["frechet_distance"] > 0
    assert main(["evaluate", str(tmp_path / "plain.safetensors")]) == 0
    assert json.loads(capsys.readouterr().out)["frechet_distance"] == scored["frechet_distance"]
