"""Rewrite checkpoints in the current file encoding without retraining them.

Each file is loaded (checksum verified) and saved again with the same weights, metadata and creation time; only the
encoding changes: byte arrays zlib-packed, long JSON records compressed, identical weights stored once. With
`--ship-ema`, a GAN that keeps an EMA copy of G also gets its live G set to that copy (`GAN.ship_ema`, what
`python -m genviz pretrain` does since 2026-12-06), so the file stores G once. Sampling is unchanged either way:
the numbers in the metadata were measured on the weights the file samples from.

With `--reevaluate`, the numbers are measured again (`python -m genviz evaluate`) and replace the recorded ones of
the same name: for when a scorer the numbers are read by was rebuilt. The script prints each number that changed.

With `--record-runs RUN ...` (one file to repack), the numbers of other training runs of the same kind and data
(other seeds, other settings) are stored beside the file's own under extra["runs"], so its page can show how the
shipped run compares with the ones not shipped (genviz.gans.ui.recorded_runs).

    .venv/bin/python scripts/repack_shipped.py checkpoints/*.safetensors [--ship-ema] [--reevaluate] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch

from genviz.core import checkpoints
from genviz.core.evaluation import evaluate_checkpoint


def _stored_half(path: Path) -> bool:
    """Whether the file stores its floating-point weights as fp16 (then it is written back as fp16)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        dtypes = {f.get_slice(k).get_dtype() for k in f.keys() if not k.startswith("__extra__.")}
    return "F16" in dtypes and "F32" not in dtypes


def measured_again(ckpt) -> dict:
    """The checkpoint's numbers as `python -m genviz evaluate` measures them now (numbers only)."""
    fresh = evaluate_checkpoint(ckpt, "cpu")
    return {k: v for k, v in fresh.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


RUN_CONFIG = ("style_mixing",)  # config values of a recorded run that tell the runs apart (besides the seed)


def run_record(ckpt) -> dict:
    """One training run's numbers, read from its loaded checkpoint: seed, the RUN_CONFIG values, train seconds and
    threads, the 1,000 samples' class counts and every recorded number."""
    extra = ckpt.meta["extra"]
    numbers = {k: v for k, v in ckpt.metrics.items() if not k.startswith("test_")}
    return {"seed": (extra.get("train_params") or {}).get("seed", 0), "dataset": ckpt.dataset,
            **{k: getattr(ckpt.config, k) for k in RUN_CONFIG if hasattr(ckpt.config, k)},
            "train_seconds": extra.get("train_seconds"), "torch_threads": extra.get("torch_threads"),
            "label_counts": extra.get("label_counts"), **numbers}


def repack(path: Path, out_dir: Path | None, ship_ema: bool, reevaluate: bool = False,
           runs: list[Path] | None = None) -> Path:
    ckpt = checkpoints.load(path)
    before = {k: v.clone() for k, v in ckpt.model.state_dict().items()}
    if ship_ema and getattr(ckpt.model, "generator_ema", None) is not None:
        ckpt.model.ship_ema()
    metrics = dict(ckpt.metrics)
    if reevaluate:
        for key, value in measured_again(ckpt).items():
            if metrics.get(key) != value:
                print(f"{path.name}: {key} {metrics.get(key)} -> {value}")
            metrics[key] = value
    meta = ckpt.meta
    if runs:
        others = [checkpoints.load(run) for run in runs]
        for run, other in zip(runs, others):
            if other.kind != ckpt.kind:
                raise SystemExit(f"{run.name} is not a {ckpt.kind} checkpoint; its numbers are not recorded.")
        meta["extra"] = {**meta["extra"], "runs": [run_record(c) for c in (ckpt, *others)]}
    target = (out_dir or path.parent) / path.name
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:  # checked before it replaces anything
        out = checkpoints.save(Path(tmp) / path.name, ckpt.model, ckpt.config, dataset=ckpt.dataset,
                               metrics=metrics, epochs=meta["epochs"], extra=meta["extra"],
                               extra_tensors=ckpt.extra_tensors, half=_stored_half(path), created=meta.get("created"))
        again = checkpoints.load(out)
        changed = [k for k, v in again.model.state_dict().items() if not torch.equal(before[k], v)]
        if changed and not (ship_ema and all(k.startswith("generator.") for k in changed)):
            raise SystemExit(f"{path.name}: weights changed on the way ({changed[0]}); left as it was.")
        if again.meta["extra"] != meta["extra"] or again.metrics != metrics:
            raise SystemExit(f"{path.name}: its records changed on the way; left as it was.")
        os.replace(out, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, help="folder to write to (default: in place)")
    parser.add_argument("--ship-ema", action="store_true", help="set a GAN's live G to its EMA copy first")
    parser.add_argument("--reevaluate", action="store_true", help="measure the numbers again (after a scorer changed)")
    parser.add_argument("--record-runs", nargs="+", type=Path, default=None,
                        help="other runs (checkpoints) whose numbers are stored beside the one file's own")
    args = parser.parse_args()
    if args.record_runs and len(args.paths) != 1:
        parser.error("--record-runs records runs beside one file; name one.")
    for path in args.paths:
        before = path.stat().st_size
        written = repack(path, args.out, args.ship_ema, args.reevaluate, args.record_runs)
        print(f"{path.name}: {before / 1e6:.3f} MB -> {written.stat().st_size / 1e6:.3f} MB")


if __name__ == "__main__":
    main()
