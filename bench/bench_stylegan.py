"""StyleGAN's ideas at MNIST scale (issue 16): the numbers of the shipped StyleGANs and of the equal-budget
mapping-depth runs, read from checkpoints/ (rebuild them with `python -m genviz pretrain --only stylegan`).

    python bench/run.py stylegan

Each row says the checkpoint's steps, wall clock and threads; all numbers are 1,000 samples, seed 0, in the
shipped classifier's features (genviz.gans.stylegan.style_numbers).
"""
from __future__ import annotations

import json

from genviz.core import checkpoints
from genviz.gans import stylegan

KEYS = (("mixing_coarse_agreement", "share"), ("mixing_fine_agreement", "share"), ("separability_z", "probe acc."),
        ("separability_w", "probe acc."), ("ppl_z", "PPL"), ("ppl_w", "PPL"), ("noise_class_change", "share"),
        ("frechet_distance", "Fréchet"), ("sample_confidence", "confidence"))


def run() -> list[dict]:
    rows = []
    for name in ("stylegan-mnist", "stylegan-digits"):
        path = checkpoints.SHIPPED_DIR / f"{name}.safetensors"
        if not path.exists():
            continue
        meta = checkpoints.read_metadata(path)
        extra, metrics = checkpoints.read_extra(path), json.loads(meta.get("metrics") or "{}")
        cfg = json.loads(meta["config"])
        note = (f"L = {cfg['mapping_depth']}, p = {cfg.get('style_mixing')}, {extra.get('train_steps')} steps in "
                f"{extra.get('train_seconds')} s, {extra.get('torch_threads')} thread(s), seed "
                f"{(extra.get('train_params') or {}).get('seed')}")
        rows += [{"benchmark": name, "setting": key, "value": metrics[key], "unit": unit, "note": note}
                 for key, unit in KEYS if key in metrics]
    depth = stylegan.load_depth_results("mnist")
    for r in (depth or {}).get("runs", []):
        rows.append({"benchmark": "mapping depth (MNIST)", "setting": f"L = {r['mapping_depth']}",
                     "value": round(100 * (r["separability_w"] - r["separability_z"]), 1), "unit": "w − z points",
                     "note": f"z {r['separability_z']:.3f}, w {r['separability_w']:.3f}, PPL Z {r['ppl_z']:.3g} / "
                             f"W {r['ppl_w']:.3g}, mixing {r['mixing_coarse_agreement']:.3f}; {r['steps']} steps in "
                             f"{r['seconds']} s, {depth['threads']} thread(s), seed 0"})
    return rows
