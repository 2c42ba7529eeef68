"""`python -m genviz embed (CHECKPOINT|pixels) --dataset D --method pca|tsne|umap --n N --out map.csv`.

Writes the map as CSV (coordinates, label, class, index) and prints one JSON object with its
numbers: knn1, knn5, trustworthiness, compactness, the same kNN in the full code space, seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from genviz.core import atomic, checkpoints, data, device
from genviz.core import device as devices
from genviz.core.config import check_choice
from genviz.embeddings import metrics as embedding_metrics
from genviz.embeddings import projections


@dataclass(frozen=True)
class EmbedRun:
    """A map of n stratified points and its scores, as the CLI and the benchmark make it."""

    source: str
    dataset: str
    split: str
    codes: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    classes: tuple[str, ...]
    projection: Any  # projections.Projection
    scores: Any  # embedding_metrics.MapScores
    space: Any  # embedding_metrics.SpaceScores
    score_seconds: float

    def summary(self) -> dict[str, Any]:
        p = self.projection
        return {"source": self.source, "dataset": self.dataset, "split": self.split, "n": int(len(self.labels)),
                "dims": int(self.codes.shape[1]), "method": p.method, "params": p.params, "engine": p.engine,
                "knn1": round(self.scores.knn1, 4), "knn5": round(self.scores.knn5, 4),
                "trustworthiness": round(self.scores.trustworthiness, 4),
                "compactness": round(self.scores.compactness, 4),
                "latent_knn1": round(self.space.knn1, 4), "latent_knn5": round(self.space.knn5, 4),
                "latent_compactness": round(self.space.compactness, 4), "latent_spread": round(self.space.spread, 4),
                "seconds": round(p.seconds, 3), "score_seconds": round(self.score_seconds, 3)}


def clamp_note(dataset: str, split: str, n: int, available: int, other_split: str, other_available: int) -> str | None:
    """The sentence that says `n` points were asked for but fewer are used, or None when none were dropped."""
    used = min(n, available, projections.MAX_POINTS)
    if used >= n:
        return None
    if used < available:
        return f"a map holds at most {projections.MAX_POINTS:,} points; using {used:,} of the {n:,} asked for."
    hint = f"; pass --split {other_split} for {min(other_available, projections.MAX_POINTS):,}" \
        if other_available > available else ""
    return f"{dataset} {split} split has {available:,} images; using {used:,}{hint}."


def load_codes(source: str, dataset: str | None, split: str, n: int, seed: int, code: str = "mean",
               device: str | None = None, note=None):
    """(name, dataset, codes, labels, indices, classes) for raw pixels or a checkpoint's encoder.

    `note(sentence)` hears when fewer than `n` points exist (the split is smaller, or the map's cap).
    """
    import torch


    dev = devices.pick(device)
    ckpt = None if source == "pixels" else checkpoints.load(source, dev)
    name = "pixels" if ckpt is None else ckpt.name
    dataset = dataset or (ckpt.dataset if ckpt is not None else data.DEFAULT)
    imgs = data.load(dataset, dev)
    x, y = (imgs.x_test, imgs.y_test) if split == "test" else (imgs.x_train, imgs.y_train)
    other_split, other = ("train", imgs.x_train) if split == "test" else ("test", imgs.x_test)
    message = clamp_note(dataset, split, n, len(x), other_split, len(other))
    if message and note is not None:
        note(message)
    labels = y.cpu().numpy()
    idx = projections.stratified_indices(labels, min(n, projections.MAX_POINTS), seed)
    chosen = x[torch.as_tensor(idx, device=x.device)]
    if ckpt is None:
        codes = projections.pixel_codes(chosen)
    else:
        projections.check_encoder(ckpt.model, ckpt.config, imgs.image_shape, ckpt.name, dataset)
        codes = projections.encoder_codes(ckpt.model, chosen, code=code, seed=seed)
    return name, dataset, codes, labels[idx], idx, imgs.classes


def embed(source: str, *, dataset: str | None = None, method: str = "tsne", n: int = 2000, split: str = "test",
          seed: int = 0, code: str = "mean", device: str | None = None, progress=None, codes_cache: dict | None = None,
          note=None, **params: Any) -> EmbedRun:
    """Make one map and score it. `codes_cache` (a dict) reuses codes across calls with the same points."""
    check_choice("Split", split, ("test", "train"))
    key = (source, dataset, split, n, seed, code)
    loaded = codes_cache.get(key) if codes_cache is not None else None
    if loaded is None:
        loaded = load_codes(source, dataset, split, n, seed, code, device, note=note)
        if codes_cache is not None:
            codes_cache[key] = loaded
    name, dataset, codes, labels, idx, classes = loaded
    proj = projections.project(codes, method, seed=seed, progress=progress, **params)
    start = time.perf_counter()
    scores = embedding_metrics.score_map(codes, proj.pair(0, 1), labels, seed=seed)
    space = embedding_metrics.score_space(codes, labels, seed=seed)
    return EmbedRun(name, dataset, split, codes, labels, idx, classes, proj, scores, space,
                    time.perf_counter() - start)


def cmd_embed(args: argparse.Namespace) -> int:
    device.configure_threads(args.threads)
    if args.out:
        atomic.check_writable(args.out)  # before the projection, which can take minutes
    params = {k: getattr(args, k) for k in ("perplexity", "iterations", "init", "engine", "n_neighbors", "min_dist",
                                                                      "epochs")
              if getattr(args, k) is not None}
    last = [-1.0]

    def progress(fraction: float, message: str) -> None:
        if args.verbose and fraction - last[0] >= 0.1:
            last[0] = fraction
            print(f"{fraction:4.0%} {message}", file=sys.stderr, flush=True)

    run = embed(args.source, dataset=args.dataset, method=args.method, n=args.n, split=args.split, seed=args.seed,
                code=args.code, device=args.device, progress=progress,
                note=lambda s: print(f"note: {s}", file=sys.stderr, flush=True), **params)
    summary = run.summary()
    if args.out:
        out = atomic.atomic_write(args.out, projections.map_csv(run.projection.pair(0, 1), run.labels, run.indices,
                                                                 run.classes))
        summary["out"] = str(out)
    print(json.dumps(summary))
    return 0


def add_embed_command(sub: Any) -> None:
    """Register `embed` on the CLI's subparsers (listed in genviz.cli.EXTRA_COMMANDS)."""
    p = sub.add_parser("embed", help="map raw pixels or an autoencoder's codes with PCA / t-SNE / UMAP; print its "
                                     "kNN accuracy and trustworthiness as JSON")
    p.add_argument("source", help="a checkpoint path, or 'pixels' for the raw-pixel baseline")
    p.add_argument("--dataset", help="dataset (default: the checkpoint's, or digits for pixels)")
    p.add_argument("--method", choices=["pca", "tsne", "umap"], default="tsne")
    p.add_argument("--n", type=int, default=2000, help="points, stratified by class (at most 10,000)")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--code", choices=["mean", "sample"], default="mean", help="VAE: μ or a posterior sample z")
    p.add_argument("--perplexity", type=float)
    p.add_argument("--iterations", type=int, help="t-SNE iterations, 250 of early exaggeration included")
    p.add_argument("--init", choices=["pca", "random"])
    p.add_argument("--engine", choices=["opentsne", "sklearn"], help="t-SNE engine (default openTSNE)")
    p.add_argument("--n-neighbors", dest="n_neighbors", type=int)
    p.add_argument("--min-dist", dest="min_dist", type=float)
    p.add_argument("--epochs", type=int, help="UMAP layout epochs (default 200)")
    p.add_argument("--out", help="write the map here as CSV: x, y, label, class, index")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    p.set_defaults(fn=cmd_embed)
