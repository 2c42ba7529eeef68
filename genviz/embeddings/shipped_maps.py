"""The default maps, computed once and shipped: `checkpoints/maps-<dataset>.json`.

The Embedding explorer opens on a t-SNE of 2,000 test images' pixels; computed on first visit that is
14–18 s on MNIST with 2 cores (27 s on Fashion-MNIST), and UMAP first compiles for about a minute.
The shipped file holds those default maps (raw pixels, test split, seed 0, each method's default
parameters, t-SNE and UMAP) with their scores. A map is used only for exactly its request, and only
when the points' codes hash to the digest stored with it: a different copy of the dataset, or any
other setting, computes the map as before. The file is plain JSON (no pickle), read with a size cap;
a file that does not parse or does not fit is ignored (the map is computed instead).

Rebuild: `python -m genviz pretrain --only maps` (about a minute per dataset).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from genviz.core import atomic, checkpoints, data
from genviz.embeddings import metrics as embedding_metrics
from genviz.embeddings import projections

FORMAT = "genviz-maps/1"
MAX_BYTES = 4 * 2**20
METHODS = ("tsne", "umap")  # PCA takes well under a second: not worth shipping
DEFAULT_POINTS = 2000
DECIMALS = 4


@dataclass(frozen=True)
class ShippedMap:
    projection: projections.Projection
    scores: embedding_metrics.MapScores
    space: embedding_metrics.SpaceScores
    seconds: float  # what computing it took when it was built


def path_for(dataset: str, folder: Path | None = None) -> Path:
    return (folder or checkpoints.SHIPPED_DIR) / f"maps-{dataset}.json"


def codes_digest(codes: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(codes, dtype=np.float32).tobytes()).hexdigest()


def request_key(dataset: str, split: str, n: int, seed: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps([dataset, split, int(n), int(seed), method, sorted(params.items())], sort_keys=True)


_cache: dict[Path, tuple[float, dict[str, dict]]] = {}


def _entries(path: Path) -> dict[str, dict]:
    """The file's maps by request key ({} when missing, too large, or not a maps file)."""
    try:
        stat = path.stat()
        if not path.is_file() or stat.st_size > MAX_BYTES:
            return {}
        cached = _cache.get(path)
        if cached is not None and cached[0] == stat.st_mtime:
            return cached[1]
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("maps"), list):
            return {}
        found = {e["key"]: e for e in doc["maps"] if isinstance(e, dict) and isinstance(e.get("key"), str)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    _cache[path] = (stat.st_mtime, found)
    return found


def find(dataset: str, split: str, n: int, seed: int, method: str, params: dict[str, Any], codes: np.ndarray,
         folder: Path | None = None) -> ShippedMap | None:
    """The shipped map of exactly this request and these codes, or None."""
    entry = _entries(path_for(dataset, folder)).get(request_key(dataset, split, n, seed, method, params))
    if entry is None or entry.get("codes_sha256") != codes_digest(codes):
        return None
    try:
        p = entry["projection"]
        coords = np.asarray(p["coords"], dtype=np.float32)
        if coords.shape != (len(codes), 2) or not np.isfinite(coords).all():
            return None
        proj = projections.Projection(coords, method, dict(params), float(p["seconds"]), str(p["engine"]),
                                      None, int(p["input_dims"]), p.get("prereduced_to"))
        scores = embedding_metrics.MapScores(**entry["scores"])
        space = embedding_metrics.SpaceScores(**entry["space"])
        return ShippedMap(proj, scores, space, float(entry["seconds"]))
    except (KeyError, TypeError, ValueError):
        return None


def default_points(imgs: data.ImageData, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """The explorer's default points (raw pixels of the test split): codes, labels, n."""
    labels = imgs.y_test.cpu().numpy()
    n = min(DEFAULT_POINTS, projections.MAX_POINTS, len(labels))
    idx, chosen = projections.stratified_images(imgs.x_test, labels, n, seed)
    return projections.pixel_codes(chosen), labels[idx], n


def build(dataset: str, device: str = "cpu", folder: Path | None = None,
          log: Callable[[str], None] = lambda s: None) -> Path:
    """Compute the default maps of `dataset` and write them (atomically) to `maps-<dataset>.json`."""
    imgs = data.load(dataset, device)
    codes, labels, n = default_points(imgs)
    space = embedding_metrics.score_space(codes, labels, seed=0)
    maps = []
    for method in METHODS:
        params = projections.check_params(method, n, {})
        start = time.perf_counter()
        proj = projections.project(codes, method, seed=0, **params)
        scores = embedding_metrics.score_map(codes, proj.pair(0, 1), labels, seed=0)
        seconds = time.perf_counter() - start
        log(f"maps-{dataset}: {method} in {seconds:.1f} s, 1-NN {scores.knn1:.3f}")
        maps.append({
            "key": request_key(dataset, "test", n, 0, method, params), "codes_sha256": codes_digest(codes),
            "projection": {"coords": np.round(proj.coords[:, :2].astype(np.float64), DECIMALS).tolist(),
                           "seconds": round(proj.seconds, 3), "engine": proj.engine, "input_dims": proj.input_dims,
                           "prereduced_to": proj.prereduced_to},
            "scores": asdict(scores), "space": asdict(space), "seconds": round(seconds, 3)})
    path = path_for(dataset, folder)
    text = json.dumps({"format": FORMAT, "dataset": dataset, "maps": maps}, separators=(",", ":"))
    atomic.atomic_write(path, text)
    return path
