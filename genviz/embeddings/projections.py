"""PCA, t-SNE and UMAP of latent codes behind one function, plus how the points are chosen.

`project(codes, method, **params)` returns a `Projection` (coordinates, seconds, PCA's explained
variance). Parameters are checked before any work starts, and every bad request (perplexity too
large for the number of points, n_neighbors too large, NaN codes) is a `ConfigError` sentence.

Engines: PCA is scikit-learn's; t-SNE is openTSNE (Barnes-Hut gradients, or FFT-accelerated ones
from 5,000 points, Linderman et al. 2019) by default, scikit-learn's Barnes-Hut TSNE on request (`engine="sklearn"`); UMAP is
umap-learn. Inputs wider than `PREREDUCE_DIMS` are first reduced to that many principal
components for t-SNE and UMAP (the usual practice: it removes pixel noise and makes the
neighbour search several times faster); PCA itself and every metric use the full codes.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import Tensor

from genviz.core.config import check_choice, check_range
from genviz.core.errors import CheckpointError, ConfigError

METHODS: dict[str, str] = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
MAX_POINTS = 10_000
MIN_POINTS = 20
PCA_MAX_COMPONENTS = 10
PREREDUCE_DIMS = 50
TSNE_ENGINES = ("opentsne", "sklearn")
# openTSNE gradients: Barnes-Hut below this many points, FFT interpolation from it (openTSNE's own switch is
# at 10,000). FFT with 2 grid intervals per unit (`FFT_INTS_IN_INTERVAL`, openTSNE's default 1) made
# 10,000 MNIST codes 2.5× faster on 2 cores at the same 1-NN accuracy and trustworthiness (BENCHMARKS.md).
OPENTSNE_FFT_FROM = 5_000
FFT_INTS_IN_INTERVAL = 2
# Exact nearest neighbours (brute force) instead of openTSNE's Annoy forest: at MAX_POINTS = 10,000 it is both exact and
# faster, 0.44 vs 3.2 s for 20-d codes and 1.9 vs 4.6 s for 784-d pixels on 2 cores (BENCHMARKS.md, tsne_settings).
TSNE_NEIGHBOURS = "exact"
TSNE_EARLY_ITERATIONS = 250  # early exaggeration phase, counted in `iterations` (as both engines do)

# Defaults shown in the UI and used by the CLI; `check_params` fills in what a caller leaves out.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "pca": {"components": PCA_MAX_COMPONENTS},
    "tsne": {"perplexity": 30.0, "iterations": 750, "init": "pca", "engine": "opentsne"},
    # umap-learn itself runs 500 epochs up to 10,000 points and 200 above; 200 keeps 10,000 points fast
    # at the same kNN accuracy and trustworthiness (BENCHMARKS.md, "embed").
    "umap": {"n_neighbors": 15, "min_dist": 0.1, "epochs": 200},
}

# progress(fraction in [0, 1], message) — called from whatever thread runs the projection.
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Projection:
    """Low-dimensional coordinates of the points, with how they were made.

    `coords` is (n, 2), or (n, k) for PCA with k components so any two can be plotted;
    `explained_variance` is PCA's fraction of the codes' variance per component.
    """

    coords: np.ndarray
    method: str
    params: dict[str, Any]
    seconds: float
    engine: str
    explained_variance: np.ndarray | None = None
    input_dims: int = 0
    prereduced_to: int | None = None  # t-SNE / UMAP input dims after PCA pre-reduction
    notes: tuple[str, ...] = field(default_factory=tuple)

    def pair(self, first: int = 0, second: int = 1) -> np.ndarray:
        """The (n, 2) coordinates of two components (PCA) or the map itself."""
        return self.coords[:, [first, second]]


def check_codes(codes: np.ndarray) -> np.ndarray:
    """The codes as a contiguous float32 (n, d) array, or a ConfigError saying what is wrong."""
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ConfigError(f"Codes must be a table of points × dimensions; got an array of shape {arr.shape}.")
    n, d = arr.shape
    if n < MIN_POINTS:
        raise ConfigError(f"A map needs at least {MIN_POINTS} points; got {n}.")
    if n > MAX_POINTS:
        raise ConfigError(f"A map holds at most {MAX_POINTS:,} points; got {n:,}. Use fewer points.")
    if d < 1:
        raise ConfigError("The codes have no dimensions.")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise ConfigError(f"{int(bad.sum()):,} of the {n:,} codes contain NaN or infinite values, so they cannot be "
                          "projected: the model probably diverged in training. Pick or retrain another checkpoint.")
    return arr


def check_params(method: str, n_points: int, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The method's full parameter set (defaults filled in), validated for `n_points` points."""
    check_choice("Projection method", method, tuple(METHODS))
    given = dict(params or {})
    unknown = set(given) - set(DEFAULT_PARAMS[method])
    if unknown:
        raise ConfigError(f"{METHODS[method]} has no setting {', '.join(sorted(unknown))}; "
                          f"its settings are: {', '.join(DEFAULT_PARAMS[method])}.")
    p = {**DEFAULT_PARAMS[method], **given}
    if method == "pca":
        p["components"] = int(p["components"])
        check_range("PCA components", p["components"], 2, PCA_MAX_COMPONENTS)
    elif method == "tsne":
        p["perplexity"] = float(p["perplexity"])
        p["iterations"] = int(p["iterations"])
        check_choice("t-SNE initialisation", p["init"], ("pca", "random"))
        check_choice("t-SNE engine", p["engine"], TSNE_ENGINES)
        check_range("t-SNE iterations", p["iterations"], TSNE_EARLY_ITERATIONS + 50, 5000)
        # Each point needs about 3 × perplexity neighbours (openTSNE and scikit-learn both use 3·P).
        top = (n_points - 1) / 3
        if not 2 <= p["perplexity"] < top:
            if p["perplexity"] >= n_points:
                why = f"it must be smaller than the number of points ({n_points:,})"
            else:
                why = f"with {n_points:,} points it must stay below (points − 1) / 3 = {top:.1f}"
            raise ConfigError(f"Perplexity {p['perplexity']:g} is out of range: {why} and at least 2. "
                              "Lower the perplexity or use more points.")
    else:
        p["n_neighbors"] = int(p["n_neighbors"])
        p["min_dist"] = float(p["min_dist"])
        if not 2 <= p["n_neighbors"] < n_points:
            raise ConfigError(f"UMAP n_neighbors = {p['n_neighbors']} is out of range: it must be at least 2 and "
                              f"smaller than the number of points ({n_points:,}). Lower it or use more points.")
        check_range("UMAP min_dist", p["min_dist"], 0.0, 1.0)
        p["epochs"] = int(p["epochs"])
        check_range("UMAP epochs", p["epochs"], 10, 2000)
    return p


def project(codes: np.ndarray, method: str, *, progress: Progress | None = None, seed: int = 0,
            stop: threading.Event | None = None, n_jobs: int = 2, **params: Any) -> Projection:
    """Project `codes` (n, d) to 2-D (or PCA's first k components) with `method` in METHODS.

    `progress(fraction, message)` is called as work advances; `stop` (set from another thread)
    ends a t-SNE early with a ConfigError. The same seed gives the same map.
    """
    x = check_codes(codes)
    p = check_params(method, len(x), params)
    report = progress or (lambda f, m: None)
    start = time.perf_counter()
    if method == "pca":
        coords, ratio = _pca(x, p["components"], seed)
        return Projection(coords, method, p, time.perf_counter() - start, "scikit-learn PCA", ratio, x.shape[1])
    inputs, reduced = _prereduce(x, seed)
    if method == "tsne":
        if p["engine"] == "opentsne":
            gradient = "fft" if len(x) >= OPENTSNE_FFT_FROM else "bh"
            coords = _opentsne(inputs, p, seed, report, stop, n_jobs, gradient)
            engine = f"openTSNE 1.0 ({'FFT' if gradient == 'fft' else 'Barnes-Hut'})"
        else:
            report(0.0, "scikit-learn t-SNE (no progress until it finishes)")
            coords = _sklearn_tsne(inputs, p, seed, n_jobs)
            engine = "scikit-learn TSNE (Barnes-Hut)"
    else:
        report(0.0, "UMAP: neighbour graph and layout")
        coords = _umap(inputs, p, seed)
        engine = "umap-learn"
    report(1.0, "done")
    return Projection(np.ascontiguousarray(coords, dtype=np.float32), method, p, time.perf_counter() - start, engine,
                      None, x.shape[1], reduced)


def _pca(x: np.ndarray, components: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import PCA

    k = min(components, x.shape[1], len(x))
    pca = PCA(n_components=k, random_state=seed).fit(x)
    coords = pca.transform(x).astype(np.float32)
    ratio = pca.explained_variance_ratio_.astype(np.float32)
    if k < 2:  # a 1-D code: pad so a 2-D scatter still works
        coords = np.concatenate([coords, np.zeros_like(coords)], axis=1)
        ratio = np.concatenate([ratio, np.zeros(1, np.float32)])
    return coords, ratio


def _prereduce(x: np.ndarray, seed: int) -> tuple[np.ndarray, int | None]:
    dims = min(PREREDUCE_DIMS, len(x))  # a small upload has fewer points than PCA's 50 components
    if x.shape[1] <= dims:
        return x, None
    from sklearn.decomposition import PCA

    return PCA(n_components=dims, random_state=seed).fit_transform(x).astype(np.float32), dims


def _opentsne(x: np.ndarray, p: dict[str, Any], seed: int, report: Progress, stop: threading.Event | None,
              n_jobs: int, gradient: str) -> np.ndarray:
    from openTSNE import TSNE

    total = p["iterations"]

    def callback(iteration: int, error: float, embedding: Any) -> bool:
        # openTSNE restarts the count for its second phase; `phase` says which one this is.
        done = iteration + (TSNE_EARLY_ITERATIONS if phase[0] else 0)
        report(0.1 + 0.9 * done / total, f"t-SNE iteration {done} of {total} (KL {error:.3f})")
        if not phase[0] and iteration >= TSNE_EARLY_ITERATIONS:
            phase[0] = True
        return bool(stop is not None and stop.is_set())

    phase = [False]
    report(0.02, "t-SNE: nearest neighbours and affinities")
    tsne = TSNE(perplexity=p["perplexity"], n_iter=total - TSNE_EARLY_ITERATIONS,
                early_exaggeration_iter=TSNE_EARLY_ITERATIONS, initialization=p["init"], n_jobs=n_jobs,
                random_state=seed, callbacks=callback, callbacks_every_iters=25, negative_gradient_method=gradient,
                neighbors=TSNE_NEIGHBOURS,
                ints_in_interval=FFT_INTS_IN_INTERVAL if gradient == "fft" else 1, verbose=False)
    embedding = tsne.fit(x)
    if stop is not None and stop.is_set():
        raise ConfigError("The t-SNE run was stopped before it finished.")
    return np.asarray(embedding)


def _sklearn_tsne(x: np.ndarray, p: dict[str, Any], seed: int, n_jobs: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    return TSNE(perplexity=p["perplexity"], max_iter=p["iterations"], init=p["init"], learning_rate="auto",
                random_state=seed, n_jobs=n_jobs).fit_transform(x)


def _umap(x: np.ndarray, p: dict[str, Any], seed: int) -> np.ndarray:
    import warnings

    import umap

    with warnings.catch_warnings():
        # A fixed random_state makes umap-learn single-threaded and says so; we want reproducible maps.
        warnings.simplefilter("ignore")
        return umap.UMAP(n_neighbors=p["n_neighbors"], min_dist=p["min_dist"], n_epochs=p["epochs"],
                         random_state=seed).fit_transform(x)


def import_engines() -> None:
    """Import scikit-learn's PCA and openTSNE (≈1–2 s on first use) so a first map does not pay for it."""
    import openTSNE  # noqa: F401
    import sklearn.decomposition  # noqa: F401


def warm_up_umap() -> float:
    """Compile umap-learn's numba code (≈37 s once per process) on a tiny problem; returns seconds.

    The tiny fits take the same code paths as real ones: approximate (NN-descent) and exact
    neighbours, float32 input and a fixed random_state (which selects umap-learn's single-threaded
    kernels).
    """
    start = time.perf_counter()
    import warnings

    import umap

    x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Both neighbour searches: NN-descent (≥ 4,096 points) and exact (smaller maps).
        for approximate in (True, False):
            umap.UMAP(n_neighbors=10, random_state=0, n_epochs=20,
                      force_approximation_algorithm=approximate).fit_transform(x)
    return time.perf_counter() - start


# --- which points, and their codes -------------------------------------------------------------

def stratified_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """`n` indices into `labels` with each class represented in proportion, sorted; all if n ≥ len."""
    labels = np.asarray(labels)
    total = len(labels)
    if n >= total:
        return np.arange(total)
    check_range("Number of points", n, 1, total)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / total
    take = np.floor(quota).astype(int)
    # Largest remainders get the points left over, so the total is exactly n.
    for i in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def stratified_images(x: Tensor, labels: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, Tensor]:
    """`stratified_indices` of `labels` and those rows of `x` (the points every map of n images uses)."""
    idx = stratified_indices(labels, n, seed)
    return idx, x[torch.as_tensor(idx, device=x.device)]


CODE_KINDS: dict[str, str] = {"mean": "μ (deterministic code)", "sample": "z ~ q(z|x) (a posterior sample)"}


def check_encoder(model: Any, config: Any, image_shape: tuple[int, ...], name: str = "this model",
                  dataset: str = "") -> None:
    """A CheckpointError unless `model` has `encode` and was built for images of `image_shape`."""
    if not callable(getattr(model, "encode", None)):
        raise CheckpointError(f"{name} has no encoder, so it gives no codes to map; pick an autoencoder.")
    shape = tuple(getattr(config, "image_shape", ()) or ())
    if shape and shape != tuple(image_shape):
        raise CheckpointError(f"{name} encodes images of shape {shape}, but the {dataset or 'chosen'} dataset has "
                              f"{tuple(image_shape)}: pick a dataset of that shape or another model.")


@torch.inference_mode()
def encoder_codes(model: Any, images: Tensor, *, code: str = "mean", seed: int = 0, batch: int = 2048) -> np.ndarray:
    """Codes (n, d) of `images`: the encoder's deterministic code (μ for a VAE) or a posterior sample.

    Every autoencoder-family model has `encode(x) -> (B, d)`; a VAE also has `posterior(x)`
    whose `.sample(generator)` draws z ~ q(z|x). Models without a posterior have z = μ.
    """
    check_choice("Code", code, tuple(CODE_KINDS))
    sampling = code == "sample" and callable(getattr(model, "posterior", None))
    g = torch.Generator(device=images.device).manual_seed(seed)
    parts = []  # the model is used as it is (loaded checkpoints are in eval mode; a shared one is never changed)
    for i in range(0, len(images), batch):
        x = images[i: i + batch]
        z = model.posterior(x).sample(g) if sampling else model.encode(x)
        parts.append(z.reshape(len(x), -1).float().cpu())
    return torch.cat(parts).numpy()


def has_posterior(model: Any) -> bool:
    return callable(getattr(model, "posterior", None))


def pixel_codes(images: Tensor) -> np.ndarray:
    """Raw pixels as codes (n, C·H·W): the baseline every encoder is compared with."""
    return images.reshape(len(images), -1).float().cpu().numpy()


@torch.inference_mode()
def reconstruct(model: Any, images: Tensor) -> Tensor | None:
    """x̂ = D(E(x)) in [0, 1] for models that decode (μ for a VAE), else None."""
    if callable(getattr(model, "reconstruct", None)):
        return model.reconstruct(images).float().cpu()
    if callable(getattr(model, "decode", None)):
        return model.decode(model.encode(images)).float().cpu()
    return None


def map_csv(coords: np.ndarray, labels: np.ndarray, indices: np.ndarray, classes: tuple[str, ...] | list[str],
            columns: tuple[str, str] = ("x", "y")) -> str:
    """The map as CSV text: one row per point with its coordinates, label, class name and dataset index."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([columns[0], columns[1], "label", "class", "index"])
    for (a, b), y, i in zip(np.asarray(coords)[:, :2], np.asarray(labels), np.asarray(indices)):
        name = classes[int(y)] if 0 <= int(y) < len(classes) else str(int(y))
        writer.writerow([f"{a:.6g}", f"{b:.6g}", int(y), name, int(i)])
    return out.getvalue()
