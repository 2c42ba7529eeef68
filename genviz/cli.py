"""The genviz command line: `python -m genviz {train,evaluate,checkpoints,pretrain,...}`.

Progress goes to stderr, results to stdout (JSON where a script would read them). A user error
is one sentence on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from genviz import pretrained
from genviz.core import atomic, checkpoints, data, device, exports, paths, registry, uploads
from genviz.core.config import PRECISIONS, check_range
from genviz.core.errors import AlreadyExists, ConfigError, DataFormatError, GenvizError
from genviz.core.evaluation import evaluate_checkpoint
from genviz.core.train import TrainParams, new_run, save_run
from genviz.embeddings.cli import add_embed_command
from genviz.team.cli import add_team_command


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _param_value(raw: str, kind: str) -> Any:
    if kind == "int":
        return int(raw)
    if kind in ("float", "log"):
        return float(raw)
    if kind == "bool":
        return raw.lower() in ("1", "true", "yes", "on")
    return raw


def _parse_sets(spec, items: list[str]) -> dict[str, Any]:
    """`--set name=value` pairs, typed by the kind's ParamSpecs (unknown names are refused)."""
    params = {p.name: p for p in spec.params}
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or name not in params:
            raise ConfigError(f"--set {item!r}: use name=value with a name from: {', '.join(params) or '(none)'}.")
        try:
            out[name] = _param_value(raw, params[name].kind)
        except ValueError:
            raise ConfigError(f"--set {item!r}: '{raw}' is not a valid {params[name].kind} value.") from None
    return out


def _image_data(dataset: str, dev: torch.device) -> data.ImageData:
    """A built-in dataset by name, or your own images from a .npz / .zip file (as the app's uploader reads
    them, so a model trained here is found again when the app gets the same file)."""
    path = Path(dataset)
    if path.suffix.lower() not in (".npz", ".zip"):
        return data.load(dataset, dev)
    if not path.is_file():
        raise DataFormatError(f"--dataset {dataset}: no such file.")
    if path.stat().st_size > uploads.MAX_BYTES:
        raise DataFormatError(f"--dataset {dataset} is {path.stat().st_size / 2**20:.1f} MB; your own images are "
                              f"limited to {uploads.MAX_BYTES // 2**20} MB.")
    d = uploads.read_upload(path.name, path.read_bytes()).data
    return data.ImageData(d.name, d.x_train.to(dev), d.y_train.to(dev), d.x_test.to(dev), d.y_test.to(dev), d.classes)


def _dataset_label(dataset: str) -> str:
    """A dataset's part of a default checkpoint name: its name, or a file's slug."""
    return uploads.file_slug(dataset) if Path(dataset).suffix.lower() in (".npz", ".zip") else dataset


def cmd_train(args: argparse.Namespace) -> int:
    spec = registry.get(args.kind)
    try:  # an unwritable or taken --out is refused now, not after the training
        out = checkpoints.check_save_target(checkpoints.resolve_out(args.out, f"{args.kind}-{_dataset_label(args.dataset)}"),
                                            overwrite=args.force)
    except AlreadyExists as err:
        raise AlreadyExists(f"{err} Pass --force to replace it, or choose another --out.") from None
    dev = device.pick(args.device)
    device.configure_threads(args.threads)
    values = {p.name: p.default for p in spec.params}
    values.update(_parse_sets(spec, args.set or []))
    if args.latent is not None:
        values["latent_dim"] = args.latent
    train_values = {**spec.default_train}
    for key in ("epochs", "batch_size", "lr", "seed", "max_steps", "precision"):
        if getattr(args, key) is not None:
            train_values[key] = getattr(args, key)
    params = TrainParams(**train_values)  # validated before anything is allocated
    imgs = spec.load_data(values, dev) if spec.load_data is not None else _image_data(args.dataset, dev)
    run = new_run(args.kind, imgs, values, params, dev)
    for rec in run.fit():
        test = " ".join(f"test_{k}={v:.4g}" for k, v in rec.test_metrics.items())
        train = " ".join(f"{k}={v:.4g}" for k, v in rec.metrics.items())
        _progress(f"step {rec.step}/{rec.total_steps} epoch {rec.epoch:.2f} {train} {test} ({rec.examples_per_s:.0f}/s)")
    out = save_run(run, out, imgs, sample_scores=args.score)
    seconds, metrics = round(run.seconds, 2), run.metrics
    print(json.dumps({"path": str(out), "kind": args.kind, "dataset": imgs.name, "seconds": seconds,
                      "metrics": metrics}))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    dev = device.pick(args.device)
    device.configure_threads()
    ckpt = checkpoints.load(args.path, dev)
    metrics = evaluate_checkpoint(ckpt, dev)
    print(json.dumps({"path": str(ckpt.path), "kind": ckpt.kind, "dataset": ckpt.dataset, **metrics}))
    return 0


def cmd_checkpoints(args: argparse.Namespace) -> int:
    dirs = [Path(d) for d in args.dir] if args.dir else None
    items, skipped = checkpoints.scan(dirs)
    for s in skipped:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"path": str(c.path), "kind": c.kind, "dataset": c.dataset, "metrics": c.metrics,
                           "created": c.created, "shipped": c.shipped} for c in items]))
        return 0
    for c in items:
        nums = ", ".join(f"{k}={v:.4g}" for k, v in c.metrics.items() if isinstance(v, (int, float)))
        print(f"{c.path}\t{c.kind}\t{c.dataset}\t{nums}")
    if not items:
        print("No checkpoints found.", file=sys.stderr)
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    dev = str(device.pick(args.device))
    device.configure_threads(args.threads)
    specs = list(pretrained.select(args.only))
    if not specs:
        raise ConfigError(f"No shipped checkpoint matches {args.only}; see genviz/pretrained.py for names.")
    total = time.perf_counter()
    for spec in specs:
        start = time.perf_counter()
        path = pretrained.build(spec, dev, Path(args.out) if args.out else None, log=_progress if args.verbose else lambda s: None)
        print(json.dumps({"name": spec.name, "path": str(path), "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    _progress(f"rebuilt {len(specs)} checkpoint(s) in {time.perf_counter() - total:.0f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m genviz", description="Train, evaluate and inspect generative models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and save a checkpoint")
    p.add_argument("kind", help="model kind, e.g. ae, vae, dcgan (see genviz/core/registry.py)")
    p.add_argument("--dataset", default="digits",
                   help="digits, mnist, fashion-mnist, kmnist, cifar10, or your own images: a .npz (x, optional y) "
                        "or a .zip of PNG class folders, read as the app's uploader reads them")
    p.add_argument("--epochs", type=float)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--max-steps", dest="max_steps", type=int)
    p.add_argument("--precision", choices=PRECISIONS,
                   help="arithmetic of training steps: bf16 mixed precision where the hardware has it (auto, the default)")
    p.add_argument("--latent", type=int, help="latent size (shorthand for --set latent_dim=N)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a model setting, e.g. --set beta=4")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", required=True,
                   help="checkpoint path (.safetensors added if missing); a folder gets KIND-DATASET.safetensors inside")
    p.add_argument("--force", action="store_true", help="replace an existing checkpoint at --out")
    p.add_argument("--score", action="store_true",
                   help="also score 1,000 samples with the dataset's classifier (confidence, Fréchet distance) "
                        "before saving; `python -m genviz evaluate PATH` does it later")
    p.set_defaults(fn=cmd_train)

    p = sub.add_parser("evaluate", help="print a checkpoint's held-out metrics as JSON")
    p.add_argument("path")
    p.add_argument("--device", default=None)
    p.set_defaults(fn=cmd_evaluate)

    p = sub.add_parser("checkpoints", help="list shipped and saved checkpoints")
    p.add_argument("--json", action="store_true")
    p.add_argument("--dir", action="append", help="look only in this folder (repeatable)")
    p.set_defaults(fn=cmd_checkpoints)

    p = sub.add_parser("pretrain", help="rebuild the shipped checkpoints (see genviz/pretrained.py)")
    p.add_argument("--only", nargs="*", help="names or kinds to rebuild (default: all)")
    p.add_argument("--out", help="folder (default: the repo's checkpoints/)")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(fn=cmd_pretrain)

    for add in EXTRA_COMMANDS:
        add(sub)
    return parser


def _labels_arg(raw: str | None, n: int, n_classes: int) -> torch.Tensor | None:
    if raw is None:
        return None
    if raw == "cycle":
        return torch.arange(n) % n_classes
    try:
        values = [int(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--labels takes 'cycle' or class numbers like 0,1,2; got '{raw}'.") from None
    if not values or not all(0 <= v < n_classes for v in values):
        raise ConfigError(f"--labels: classes run from 0 to {n_classes - 1}; got '{raw}'.")
    return torch.tensor(values).repeat(-(-n // len(values)))[:n]


def cmd_sample(args: argparse.Namespace) -> int:
    """N samples of any generator (a GAN, a VAE's or AAE's prior, a vanilla AE decoding N(0, I)) as .npy
    (N×C×H×W in [0, 1]) or a PNG grid."""
    check_range("--n", args.n, 1, 100_000)
    out = Path(args.out)
    if out.suffix not in (".npy", ".png"):
        raise ConfigError(f"--out must end in .npy (an array) or .png (a grid); got '{out.name}'.")
    atomic.check_writable(out)
    dev = device.pick(args.device)
    ckpt = checkpoints.load(args.path, dev)
    model = ckpt.model
    if not hasattr(model, "sample"):
        raise ConfigError(f"{ckpt.name} is a '{ckpt.kind}' model, which draws no samples.")
    options = inspect.signature(model.sample).parameters
    kwargs: dict[str, Any] = {}
    if args.psi is not None:
        if "psi" not in options:
            raise ConfigError(f"{ckpt.name} ({ckpt.kind}) has no truncation; --psi is for GANs.")
        kwargs["psi"] = args.psi
    labels = _labels_arg(args.labels, args.n, getattr(ckpt.config, "n_classes", 10))
    if labels is not None:
        if "labels" not in options or not getattr(ckpt.config, "conditional", False):
            raise ConfigError(f"{ckpt.name} is not class-conditional; --labels needs a cGAN, AC-GAN or BigGAN.")
        kwargs["labels"] = labels.to(dev)
    model.eval()
    images = model.sample(args.n, torch.Generator(device=dev).manual_seed(args.seed), **kwargs).float().cpu()
    # The same bytes as the sample pages' download buttons.
    atomic.atomic_write(out, exports.samples_npy(images) if out.suffix == ".npy" else exports.samples_png(images))
    print(json.dumps({"path": str(out), "checkpoint": str(ckpt.path), "n": args.n, "shape": list(images.shape),
                      "seed": args.seed, **({"psi": args.psi} if args.psi is not None else {})}))
    return 0


def _add_sample_command(sub: Any) -> None:
    p = sub.add_parser("sample", help="write N samples of a generator as .npy (N×C×H×W in [0, 1]) or a PNG grid")
    p.add_argument("path", help="a checkpoint (.safetensors)")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--out", required=True, help="FILE.npy or FILE.png")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--psi", type=float, help="truncate z at ψ (GANs)")
    p.add_argument("--labels", help="classes to draw: 'cycle' or e.g. 0,1,2 (conditional GANs)")
    p.add_argument("--device", default=None)
    p.set_defaults(fn=cmd_sample)


# Each family adds its subcommands here: each function takes the subparsers object and registers one
# parser with `set_defaults(fn=...)`.
EXTRA_COMMANDS: list[Callable[[Any], None]] = [_add_sample_command, add_team_command, add_embed_command]


def _remove_stale_temp_files() -> None:
    """Temporary files of killed saves (ours only, older than 10 minutes) in the folders we save to."""
    atomic.remove_stale_temp_files([paths.user_checkpoint_dir(), paths.SHIPPED_DIR])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _remove_stale_temp_files()
    try:
        return args.fn(args)
    except GenvizError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
