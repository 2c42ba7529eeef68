"""The Streamlit side of the Embeddings pages: cached codes, maps computed off the script thread
with visible progress, a shared store of finished maps, and the UMAP warm-up.

- Codes of the chosen points are `st.cache_data`, keyed by (checkpoint path, mtime, dataset,
  split, n, seed, code kind).
- A map (projection + its scores) is computed by a `map_job` of the session (a BackgroundJob, stopped
  with the session), which reports progress the page polls from a fragment; finished maps go into one
  `LRUStore` shared by all sessions (`st.cache_resource`), keyed by the same values plus method and
  parameters. Going back to a map, or a rerun that only changes colouring or a selection, recomputes nothing.
- umap-learn compiles its numba code on the first fit of every process (≈37 s). A background
  thread warms it up once per server process, from the first page that calls `umap_warmup()`.
  A UMAP request that arrives earlier first makes the PCA map of the same points (a second) and
  files it as a stand-in (`stand_in`): the page draws it, says why, and swaps in the UMAP map when
  the compile and the fit are done, so nobody looks at an empty page while numba compiles.
"""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import streamlit as st
import torch

from genviz import ui as backend
from genviz.core import data, figures
from genviz.core.checkpoints import Checkpoint
from genviz.core.jobs import BackgroundJob, JobSnapshot, LRUStore
from genviz.embeddings import metrics as embedding_metrics
from genviz.embeddings import projections, shipped_maps
from genviz.embeddings.figures import MapPanel, map_figure

UMAP_COMPILE_SECONDS = 37.0  # measured alone on 2 cores (FACTS.md); used only to estimate progress
SPLITS = {"test": "held-out (test)", "train": "training"}


# ---- what is mapped ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where the codes come from: raw pixels (path "") or a checkpoint's encoder."""

    path: str = ""
    mtime: float = 0.0
    name: str = "raw pixels"
    code: str = "mean"
    decodes: bool = False

    @property
    def pixels(self) -> bool:
        return not self.path

    @property
    def title(self) -> str:
        if self.pixels:
            return "raw pixels"
        return f"{self.name} · {'z sample' if self.code == 'sample' else 'μ'}"


@dataclass(frozen=True)
class PointSet:
    source: Source
    dataset: str
    split: str
    n: int
    seed: int


@dataclass(frozen=True)
class MapSpec:
    points: PointSet
    method: str
    params: tuple[tuple[str, Any], ...]

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def title(self) -> str:
        p = self.param_dict
        detail = {"pca": "", "tsne": f" (perplexity {p.get('perplexity', 0):g})",
                  "umap": f" (n_neighbors {p.get('n_neighbors', 0)}, min_dist {p.get('min_dist', 0):g})"}[self.method]
        return f"{projections.METHODS[self.method]}{detail} of {self.points.source.title}"


def make_spec(points: PointSet, method: str, params: dict[str, Any]) -> MapSpec:
    """A validated request (bad parameters raise their ConfigError sentence here, before any work)."""
    checked = projections.check_params(method, points.n, params)
    return MapSpec(points, method, tuple(sorted(checked.items())))


@dataclass(frozen=True)
class Points:
    codes: np.ndarray  # (n, d) float32
    labels: np.ndarray  # (n,)
    indices: np.ndarray  # (n,) positions in the dataset split


@dataclass(frozen=True)
class MapResult:
    projection: projections.Projection
    scores: embedding_metrics.MapScores  # of components (0, 1)
    space: embedding_metrics.SpaceScores
    seconds: float  # projection + scores
    shipped: bool = False  # read from the shipped default maps (seconds: what building it took)


def split_images(imgs: data.ImageData, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    return (imgs.x_test, imgs.y_test) if split == "test" else (imgs.x_train, imgs.y_train)


def source_from(ckpt: Checkpoint | None, code: str = "mean") -> Source:
    if ckpt is None:
        return Source()
    path = str(ckpt.path)
    mtime = os.path.getmtime(path) if os.path.exists(path) else 0.0
    code = code if projections.has_posterior(ckpt.model) else "mean"
    return Source(path, mtime, ckpt.name, code, callable(getattr(ckpt.model, "decode", None)))


@st.cache_data(show_spinner="Encoding the points…", max_entries=12)
def _points(path: str, mtime: float, dataset: str, split: str, n: int, seed: int, code: str,
            _model: Any, _imgs: data.ImageData) -> Points:
    x, y = split_images(_imgs, split)
    labels = y.cpu().numpy()
    idx, chosen = projections.stratified_images(x, labels, n, seed)
    codes = projections.pixel_codes(chosen) if not path else projections.encoder_codes(_model, chosen, code=code,
                                                                                         seed=seed)
    return Points(codes, labels[idx], idx)


def points(ps: PointSet, ckpt: Checkpoint | None, imgs: data.ImageData) -> Points:
    """The codes, labels and dataset indices of a point set (cached)."""
    if not ps.source.pixels:
        projections.check_encoder(ckpt.model, ckpt.config, imgs.image_shape, ckpt.name, imgs.name)
    return _points(ps.source.path, ps.source.mtime, ps.dataset, ps.split, ps.n, ps.seed, ps.source.code,
                   None if ckpt is None else ckpt.model, imgs)


# ---- UMAP warm-up ------------------------------------------------------------------------------

class UmapWarmup:
    """Compiles umap-learn once in a daemon thread; `done`, `elapsed` and `error` are safe to read."""

    def __init__(self) -> None:
        self.started = time.time()  # also imports PCA's and openTSNE's modules first
        self.seconds: float | None = None
        self.error: str | None = None
        self._done = threading.Event()
        # scikit-learn's modules are imported on this thread first (≈2 s, once per process): while the warm-up
        # thread imported them, the page's digits loader saw a partially initialised sklearn.base ("cannot
        # import name 'clone' from partially initialized module") and fell back with a wrong message.
        import sklearn.datasets  # noqa: F401

        projections.import_engines()
        threading.Thread(target=self._run, name="genviz-umap-warmup", daemon=True).start()

    def _run(self) -> None:
        try:
            self.seconds = projections.warm_up_umap()
        except Exception as err:  # noqa: BLE001 — the UMAP job will raise it properly later
            self.error = f"{type(err).__name__}: {err}"
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.time() - self.started

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)


@st.cache_resource(show_spinner=False)
def _umap_warmup() -> UmapWarmup:
    return UmapWarmup()


def umap_warmup() -> UmapWarmup | None:
    """Start (once per server process) and return the UMAP warm-up; None where it is switched off.

    It runs under a real server only (not in AppTest or scripts), unless GENVIZ_UMAP_WARMUP=1;
    GENVIZ_UMAP_WARMUP=0 switches it off.
    """
    flag = os.environ.get("GENVIZ_UMAP_WARMUP", "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return None
    if flag not in ("1", "true", "yes", "on"):
        from streamlit.runtime import Runtime

        # AppTest installs a mock Runtime; only `streamlit run` has the real one.
        if not Runtime.exists() or type(Runtime.instance()) is not Runtime:
            return None
    return _umap_warmup()


# ---- finished maps, shared; map jobs, per session ----------------------------------------------

@st.cache_resource(show_spinner=False)
def map_store() -> LRUStore:
    """Finished maps and scores for every session, least recently used dropped first."""
    return LRUStore(capacity=64)


@dataclass(frozen=True)
class JobState:
    """What the page shows of a map job."""

    status: str  # "running" | "done" | "failed"
    fraction: float
    message: str
    elapsed: float
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class MapProgress:
    fraction: float
    message: str


def map_state(snap: JobSnapshot) -> JobState:
    """A map job's snapshot as the page shows it (a stopped job is a failed map: "Stopped.")."""
    if snap.status == "done":
        return JobState("done", 1.0, "done", snap.elapsed)
    if snap.status == "stopped":
        return JobState("failed", 0.0, "stopped", snap.elapsed, "Stopped.")
    if snap.status == "failed":
        return JobState("failed", 0.0, "failed", snap.elapsed, snap.error)
    p = snap.latest or MapProgress(0.0, "starting")
    return JobState("running", float(np.clip(p.fraction, 0, 1)), p.message, snap.elapsed)


def map_job(spec: MapSpec, pts: Points, store: LRUStore, warmup: UmapWarmup | None) -> BackgroundJob:
    """A job (not started) that computes one map (projection, then its scores) and files it in `store`.

    Its thread never calls Streamlit; progress from inside the projection goes through `job.report`.
    Stop ends a t-SNE between iterations; other engines finish and are discarded.
    """

    def compute(target: MapSpec, stop: threading.Event, share: float = 1.0):
        """Project and score `target`'s points and file the map in `store` (progress scaled by `share`)."""
        start = time.perf_counter()  # the map's own time, not the wait for UMAP's compile
        # Projection takes 90% of the bar, scoring the rest.
        proj = projections.project(pts.codes, target.method, seed=target.points.seed, stop=stop,
                                   progress=lambda f, m: job.report(MapProgress(share * 0.9 * f, m)),
                                   **target.param_dict)
        if stop.is_set():
            return
        yield MapProgress(share * 0.92, "scoring the map: kNN accuracy and trustworthiness")
        scores = embedding_metrics.score_map(pts.codes, proj.pair(0, 1), pts.labels, seed=target.points.seed)
        space = store.get(("space", target.points))
        if space is None:
            yield MapProgress(share * 0.97, "kNN accuracy in the full code space")
            space = embedding_metrics.score_space(pts.codes, pts.labels, seed=target.points.seed)
            store.put(("space", target.points), space)
        store.put(target, MapResult(proj, scores, space, time.perf_counter() - start))

    def run(stop: threading.Event):
        if spec.method == "umap":
            if warmup is not None and not warmup.done and store.get(stand_in_spec(spec)) is None:
                yield from compute(stand_in_spec(spec), stop, share=0.05)  # a map to look at meanwhile
            yield from _wait_for_umap(warmup, stop)
            if stop.is_set():
                return
        yield from compute(spec, stop)
        yield MapProgress(1.0, "done")

    # threads=None: the engines (openTSNE, UMAP, scikit-learn) choose their own threads, as before.
    job = BackgroundJob(run, name="map", keep_history=1, threads=None, stop_wait_s=0)
    return job


STAND_IN_NOTE = ("UMAP compiles its numba code once per server process (about {seconds:.0f} s on 2 idle cores). "
                 "Meanwhile this is the **PCA** map of the same points; the UMAP map replaces it when it is ready.")


def stand_in_spec(spec: MapSpec) -> MapSpec:
    """The PCA map of `spec`'s points, drawn while UMAP compiles."""
    return make_spec(spec.points, "pca", {})


def stand_in(slot: str) -> tuple[MapSpec, MapResult] | None:
    """(PCA spec, its map) while the slot's UMAP job waits for the compile and the stand-in is ready."""
    run: MapRun | None = st.session_state.get(f"embed_job:{slot}")
    if run is None or run.spec.method != "umap" or not map_state(run.job.snapshot()).running:
        return None
    pca = stand_in_spec(run.spec)
    result = map_store().get(pca)
    return None if result is None else (pca, result)


def stand_in_note() -> str:
    return STAND_IN_NOTE.format(seconds=UMAP_COMPILE_SECONDS)


def _wait_for_umap(warmup: UmapWarmup | None, stop: threading.Event):
    if warmup is None:
        yield MapProgress(0.02, "UMAP: the first run in this process also compiles numba code (about "
                                f"{UMAP_COMPILE_SECONDS:.0f} s on 2 cores)")
        return
    while not warmup.wait(0.25):
        if stop.is_set():
            return
        yield MapProgress(0.6 * min(0.97, warmup.elapsed / UMAP_COMPILE_SECONDS),
                          f"UMAP compiles its numba code once per server process: {warmup.elapsed:.0f} s so far "
                          f"(about {UMAP_COMPILE_SECONDS:.0f} s on 2 idle cores, longer while other work runs; it "
                          "started in the background when this server first opened an Embeddings page)")


@dataclass(frozen=True)
class MapRun:
    """A slot's map job and what it computes."""

    spec: MapSpec
    job: BackgroundJob


def request(slot: str, spec: MapSpec, get_points: Callable[[], Points]) -> MapResult | JobState:
    """The finished map for `spec`, or the state of this session's job computing it (started if needed).

    `slot` names the map on the page ("explorer", "a", "b"): a new request in a slot stops the
    slot's previous job.
    """
    store = map_store()
    done = store.get(spec)
    if done is not None:
        return done
    key = f"embed_job:{slot}"
    run: MapRun | None = st.session_state.get(key)
    # A job of an earlier connection of this session was stopped with it: start again.
    if run is not None and run.spec == spec and backend.session_job(key) is run.job:
        state = map_state(run.job.snapshot())
        finished = store.get(spec) if state.status == "done" else None
        return finished if finished is not None else state
    pts = get_points()
    projections.check_codes(pts.codes)  # NaN codes: the sentence now, not from the thread
    shipped = _shipped(spec, pts)
    if shipped is not None:
        store.put(spec, shipped)
        return shipped
    job = map_job(spec, pts, store, umap_warmup() if spec.method == "umap" else None)
    st.session_state[key] = MapRun(spec, job)
    backend.start_job(key, job)  # stops the slot's previous job
    return map_state(job.snapshot())


def _shipped(spec: MapSpec, pts: Points) -> MapResult | None:
    """The shipped default map (embeddings.shipped_maps) for exactly this request and these codes, if any."""
    if not spec.points.source.pixels:
        return None
    ps = spec.points
    found = shipped_maps.find(ps.dataset, ps.split, ps.n, ps.seed, spec.method, spec.param_dict, pts.codes)
    return None if found is None else MapResult(found.projection, found.scores, found.space, found.seconds, shipped=True)


def job_state(slot: str) -> JobState | None:
    run: MapRun | None = st.session_state.get(f"embed_job:{slot}")
    return None if run is None else map_state(run.job.snapshot())


def forget_job(slot: str) -> None:
    st.session_state.pop(f"embed_job:{slot}", None)


def pair_scores(spec: MapSpec, result: MapResult, first: int, second: int,
                get_points: Callable[[], Points]) -> embedding_metrics.MapScores:
    """Scores of another pair of PCA components (computed once, then shared)."""
    if (first, second) == (0, 1):
        return result.scores
    key = ("pair", spec, first, second)
    store = map_store()
    found = store.get(key)
    if found is None:
        pts = get_points()
        with st.spinner(f"Scoring PC{first + 1} × PC{second + 1}…"):
            found = embedding_metrics.score_map(pts.codes, result.projection.pair(first, second), pts.labels,
                                                seed=spec.points.seed)
        store.put(key, found)
    return found


# ---- figures and images ------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=16)
def _thumbnails(dataset: str, split: str, n: int, seed: int, _imgs: data.ImageData, _indices: np.ndarray) -> np.ndarray:
    x, _ = split_images(_imgs, split)
    return x[torch.as_tensor(_indices, device=x.device)].cpu().numpy()


@st.cache_resource(show_spinner=False, max_entries=12)
def _figure(specs: tuple[MapSpec, ...], pairs: tuple[tuple[int, int], ...], thumbs: bool, height: int,
            _results: tuple[MapResult, ...], _labels: np.ndarray, _indices: np.ndarray, _classes: tuple[str, ...],
            _imgs: data.ImageData):
    panels = []
    for spec, result, (i, j) in zip(specs, _results, pairs):
        if spec.method == "pca":
            ratio = result.projection.explained_variance
            xt, yt = (f"PC{k + 1} ({ratio[k]:.0%} of variance)" for k in (i, j))
        else:
            xt = yt = ""
        panels.append(MapPanel(result.projection.pair(i, j), spec.title if len(specs) > 1 else "", xt, yt))
    ps = specs[0].points
    hover = _thumbnails(ps.dataset, ps.split, ps.n, ps.seed, _imgs, _indices) if thumbs else None
    return map_figure(panels, _labels, _classes, image_ids=_indices, thumbnails=hover, height=height)


def figure(specs: list[MapSpec], results: list[MapResult], pairs: list[tuple[int, int]], pts_labels: np.ndarray,
           pts_indices: np.ndarray, imgs: data.ImageData, *, thumbs: bool, height: int = 560):
    """The (cached, read-only) plotly figure of one or two maps of the same points."""
    return _figure(tuple(specs), tuple(pairs), thumbs, height, tuple(results), pts_labels, pts_indices, imgs.classes,
                   imgs)


def labels_and_indices(ps: PointSet, imgs: data.ImageData) -> tuple[np.ndarray, np.ndarray]:
    """Labels and dataset indices of a point set without computing any codes."""
    return _labels_and_indices(ps.dataset, ps.split, ps.n, ps.seed, imgs)


@st.cache_data(show_spinner=False, max_entries=16)
def _labels_and_indices(dataset: str, split: str, n: int, seed: int, _imgs: data.ImageData) -> tuple[np.ndarray, np.ndarray]:
    labels = split_images(_imgs, split)[1].cpu().numpy()
    idx = projections.stratified_indices(labels, n, seed)
    return labels[idx], idx


def selected_rows(event: Any) -> list[int]:
    """Map rows of the points a plotly selection event names (customdata[0]), in order, unique."""
    try:
        points = event.selection.points
    except AttributeError:
        return []
    rows: list[int] = []
    for p in points or []:
        row = _first(p.get("customdata")) if isinstance(p, dict) else None
        if row is not None and row not in rows:
            rows.append(row)
    return rows


def _first(custom: Any) -> int | None:
    """customdata[0] of a selected point; the browser sends [row, id], or {"0": row, "1": id} for typed arrays."""
    if isinstance(custom, dict):
        custom = [custom[k] for k in sorted(custom, key=lambda k: int(k) if str(k).isdigit() else 10**9)]
    if isinstance(custom, (list, tuple)) and custom:
        custom = custom[0]
    try:
        return int(custom)
    except (TypeError, ValueError):
        return None


def images(imgs: data.ImageData, split: str, indices: np.ndarray) -> torch.Tensor:
    x, _ = split_images(imgs, split)
    return x[torch.as_tensor(np.asarray(indices, dtype=np.int64), device=x.device)].cpu()


def neighbour_rows(pts: Points, row: int, k: int = 8) -> np.ndarray:
    """Rows of the k nearest points to `row` in the full code space (itself excluded)."""
    found = embedding_metrics.nearest_neighbours(pts.codes, k + 1, query=pts.codes[row: row + 1])[0]
    return found[found != row][:k]


def reconstructions(ckpt: Checkpoint | None, imgs: data.ImageData, split: str, indices: np.ndarray) -> torch.Tensor | None:
    if ckpt is None:
        return None
    x, _ = split_images(imgs, split)
    return projections.reconstruct(ckpt.model, x[torch.as_tensor(np.asarray(indices, dtype=np.int64), device=x.device)])


# ---- widgets -----------------------------------------------------------------------------------

def url_default(key: str, param: str, default: Any, options: list | None = None) -> None:
    """Seed widget `key` from `?param=` (cast to the default's type) the first time a session sees it."""
    if key in st.session_state:
        return
    raw = st.query_params.get(param)
    value = default
    if raw is not None:
        try:
            value = type(default)(raw) if not isinstance(default, bool) else raw.lower() in ("1", "true", "yes")
        except (TypeError, ValueError):
            value = default
    if options is not None and value not in options:
        value = default
    st.session_state[key] = value


def choose_source(prefix: str, settings: backend.Settings, imgs: data.ImageData, label: str = "Points from", *,
                  default: str = "pixels", prefer_kind: str = "") -> tuple[Source, Checkpoint | None]:
    """Raw pixels or an autoencoder's codes (μ or a posterior sample); mirrors `?<prefix>_src=`.

    Only autoencoders of the dataset shown (`imgs`) are offered; `prefer_kind` (default "vae") preselects that
    kind's reference model (e.g. "vae-mnist"), then other shipped ones of that kind, then the user's.
    """
    url_default(f"{prefix}_src", f"{prefix}_src", default, ["pixels", "encoder"])
    model_key = f"{prefix}_model"
    prefer_kind = prefer_kind or "vae"
    settings = replace(settings, dataset=imgs.name)  # the bundled digits when the chosen data is missing
    preferred = [c for c in backend.catalogue() if c.kind == prefer_kind and c.dataset == imgs.name]
    preferred.sort(key=lambda c: (c.name != f"{prefer_kind}-{imgs.name}", not c.shipped))
    kind = st.radio(label, ["pixels", "encoder"], key=f"{prefix}_src", horizontal=True,
                    format_func={"pixels": "raw pixels", "encoder": "an autoencoder's codes"}.get)
    st.query_params[f"{prefix}_src"] = kind
    if kind == "pixels":
        return Source(), None
    ckpt = backend.pick_checkpoint("Autoencoder", model_key, settings, families=("autoencoder",),
                                   prefer=preferred[0].name if preferred else None,
                                   check=lambda c: projections.check_encoder(c.model, c.config, imgs.image_shape,
                                                                             c.name, imgs.name))
    if ckpt is None:
        return Source(), None
    code = "mean"
    if projections.has_posterior(ckpt.model):
        url_default(f"{prefix}_code", f"{prefix}_code", "mean", list(projections.CODE_KINDS))
        code = st.radio("Code", list(projections.CODE_KINDS), key=f"{prefix}_code", horizontal=True,
                        format_func=projections.CODE_KINDS.get,
                        help="μ is the posterior mean; a sample z = μ + σ·ε shows the VAE's noise too.")
        st.query_params[f"{prefix}_code"] = code
    return source_from(ckpt, code), ckpt


def choose_method(prefix: str, *, default: str = "tsne", n_points: int | None = None) -> tuple[str, dict[str, Any]]:
    """Method and its parameters as keyed widgets mirrored in the URL (`?<prefix>_method=` …). With
    `n_points`, the default t-SNE perplexity, when too large for that many points, is lowered to the largest allowed."""
    methods = list(projections.METHODS)
    url_default(f"{prefix}_method", f"{prefix}_method", default, methods)
    method = st.radio("Method", methods, key=f"{prefix}_method", horizontal=True, format_func=projections.METHODS.get)
    d = projections.DEFAULT_PARAMS[method]
    params: dict[str, Any] = {}
    widgets: list[tuple[str, str, Any]] = []
    if method == "tsne":
        widgets = [("perplexity", "perplexity", float(d["perplexity"])), ("iterations", "iterations", d["iterations"]),
                   ("init", "init", d["init"]), ("engine", "engine", d["engine"])]
    elif method == "umap":
        widgets = [("n_neighbors", "n_neighbors", d["n_neighbors"]), ("min_dist", "min_dist", float(d["min_dist"])),
                   ("epochs", "epochs", d["epochs"])]
    for name, param, default in widgets:
        url_default(f"{prefix}_{name}", f"{prefix}_{param}", default)
    if method == "tsne":
        c1, c2 = st.columns(2)
        cap = _largest_perplexity(n_points)  # a small (uploaded) dataset lowers the default, not a user's choice
        if cap is not None and st.session_state[f"{prefix}_perplexity"] == float(d["perplexity"]) > cap:
            st.session_state[f"{prefix}_perplexity"] = cap
        params["perplexity"] = c1.slider("Perplexity", 2.0, 100.0, step=1.0, key=f"{prefix}_perplexity",
                                         help="About how many neighbours each point attends to; must stay below "
                                              "(points − 1) / 3.")
        params["iterations"] = c2.select_slider("Iterations", [300, 500, 750, 1000, 1500, 2000],
                                                key=f"{prefix}_iterations", help="Including 250 of early exaggeration.")
        params["init"] = c1.radio("Initialisation", ["pca", "random"], key=f"{prefix}_init", horizontal=True)
        params["engine"] = c2.radio("Engine", list(projections.TSNE_ENGINES), key=f"{prefix}_engine", horizontal=True,
                                    format_func={"opentsne": "openTSNE", "sklearn": "scikit-learn"}.get,
                                    help="openTSNE (FFT gradients) is faster on thousands of points; both give "
                                         "maps of the same quality (see BENCHMARKS.md).")
    elif method == "umap":
        c1, c2 = st.columns(2)
        params["n_neighbors"] = c1.slider("n_neighbors", 2, 200, key=f"{prefix}_n_neighbors",
                                          help="Size of the neighbourhood UMAP preserves: small = local detail.")
        params["min_dist"] = c2.slider("min_dist", 0.0, 0.99, step=0.01, key=f"{prefix}_min_dist",
                                       help="How tightly points may pack in the map.")
        params["epochs"] = c1.select_slider("Epochs", [50, 100, 200, 300, 500, 1000], key=f"{prefix}_epochs",
                                            help="Layout optimisation passes (umap-learn alone uses 500 up to "
                                                 "10,000 points).")
    st.query_params.update({f"{prefix}_method": method, **{f"{prefix}_{k}": str(v) for k, v in params.items()}})
    return method, params


def _largest_perplexity(n_points: int | None) -> float | None:
    """The largest whole perplexity below (points − 1) / 3 (see projections), None if none or no count."""
    if not n_points:
        return None
    cap = float(math.ceil((n_points - 1) / 3) - 1)
    return cap if cap >= 2 else None


def choose_points(prefix: str, imgs: data.ImageData) -> tuple[str, int]:
    """Split and number of points (stratified by class), mirrored in the URL."""
    url_default(f"{prefix}_split", f"{prefix}_split", "test", list(SPLITS))
    c1, c2 = st.columns(2)
    split = c1.radio("Split", list(SPLITS), key=f"{prefix}_split", horizontal=True, format_func=SPLITS.get)
    available = len(split_images(imgs, split)[1])
    top = min(projections.MAX_POINTS, available)
    url_default(f"{prefix}_n", f"{prefix}_n", min(2000, top))
    if not 100 <= st.session_state[f"{prefix}_n"] <= top:
        st.session_state[f"{prefix}_n"] = min(max(100, st.session_state[f"{prefix}_n"]), top)
    if top <= 100:  # a small split (your own images): all of it, no slider with equal ends
        n = top
        c2.caption(f"Points: all {top} images of this split.")
    else:
        n = c2.slider("Points", 100, top, step=100 if top >= 200 else 1, key=f"{prefix}_n",
                      help="Chosen at random within each class, in proportion to the class sizes.")
    st.query_params.update({f"{prefix}_split": split, f"{prefix}_n": str(n)})
    return split, n


def show_scores(scores: embedding_metrics.MapScores, space: embedding_metrics.SpaceScores, seconds: float, *,
                per_row: int = 4, shipped: bool = False) -> None:
    """The numbers under a map: kNN in the map and in the full space, trustworthiness, compactness
    (`per_row=2`: two rows of two, so labels are not cut in a half-width column)."""
    c = [col for _ in range(4 // per_row) for col in st.columns(per_row)]
    c[0].metric("1-NN accuracy (map)", f"{scores.knn1:.3f}", f"{scores.knn1 - space.knn1:+.3f} vs full space",
                delta_color="off", help=f"Fit on {scores.n_fit:,} points, scored on {scores.n_held_out:,} held out.")
    c[1].metric("5-NN accuracy (map)", f"{scores.knn5:.3f}", f"{scores.knn5 - space.knn5:+.3f} vs full space",
                delta_color="off")
    c[2].metric("Trustworthiness (k=5)", f"{scores.trustworthiness:.3f}",
                help="1 = every map neighbour is also a neighbour in the code space.")
    c[3].metric("Compactness ↓", f"{scores.compactness:.2f}",  # a longer label is cut in a quarter-width column
                f"{space.compactness:.2f} in full space", delta_color="off",
                help="Mean within-class spread ÷ mean distance between class centres: lower = tighter classes.")
    st.caption(f"Full {space.dims}-dimensional code space: 1-NN {space.knn1:.3f}, 5-NN {space.knn5:.3f}, compactness "
               f"{space.compactness:.2f}; the code cloud's RMS radius is {space.spread:.2f} (a VAE's KL term pulls it "
               f"towards N(0, I), radius √d = {space.dims ** 0.5:.1f}). Map and scores took {seconds:.1f} s"
               + (" when the shipped default map was built (checkpoints/maps-*.json)." if shipped else "."))


def time_left(fraction: float, elapsed: float) -> str:
    """"· about 12 s left", extrapolated from the share done so far; empty until there is enough to go on."""
    if fraction < 0.05 or elapsed < 1 or fraction >= 1:
        return ""
    left = elapsed * (1 - fraction) / fraction
    return f" · about {left:.0f} s left" if left >= 1 else " · almost done"


def progress_panel(slot: str) -> None:
    """A progress bar redrawn every half second while the slot's job runs; a rerun when it ends."""
    state = job_state(slot)
    running = state is not None and state.running
    had_stand_in = stand_in(slot) is not None

    @st.fragment(run_every=0.5 if running else None)
    def panel() -> None:
        now = job_state(slot)
        if now is None:
            return
        if now.running:
            if not had_stand_in and stand_in(slot) is not None:
                st.rerun()  # the PCA stand-in is ready: draw it while UMAP compiles
            st.progress(now.fraction, text=f"{now.message} · {now.elapsed:.0f} s{time_left(now.fraction, now.elapsed)}")
        elif running:
            st.rerun()  # the job ended: redraw the page with the new map and drop the timer
    panel()


def checkpoint_of(source: Source, settings: backend.Settings) -> Checkpoint | None:
    return None if source.pixels else backend.load_checkpoint(source.path, settings.device)


def show_selection(rows: list[int], ps: PointSet, settings: backend.Settings, imgs: data.ImageData) -> None:
    """What a click or lasso picked: one point → its image, reconstruction and nearest neighbours
    in the code space; several → their images and class counts."""
    labels, indices = labels_and_indices(ps, imgs)
    scale = figures.pixel_scale(imgs.image_shape, 56)
    if len(rows) == 1:
        row = rows[0]
        ckpt = checkpoint_of(ps.source, settings)
        c1, c2, c3 = st.columns([1, 1, 4])
        c1.image(figures.image_grid(images(imgs, ps.split, indices[[row]]), 1, scale=scale),
                 caption=f"{imgs.classes[int(labels[row])]} · #{int(indices[row])}", width="stretch")
        recon = reconstructions(ckpt, imgs, ps.split, indices[[row]]) if ps.source.decodes else None
        if recon is not None:
            c2.image(figures.image_grid(recon, 1, scale=scale), caption="reconstruction", width="stretch")
        else:
            c2.caption("Raw pixels have no reconstruction." if ps.source.pixels else "This model does not decode.")
        with c3:
            show_neighbours(row, ps, settings, imgs)
        return
    chosen = np.asarray(rows)
    shown = np.sort(np.random.default_rng(0).choice(chosen, 200, replace=False)) if len(chosen) > 200 else chosen
    counts = np.bincount(labels[chosen], minlength=len(imgs.classes))
    summary = ", ".join(f"{imgs.classes[c]}: {k}" for c, k in enumerate(counts) if k)
    st.image(figures.image_grid(images(imgs, ps.split, indices[shown]), 20, scale=max(1, scale // 2)),
             caption=f"{len(rows):,} selected points{' (200 of them at random)' if len(rows) > 200 else ''} — "
                     f"by class: {summary}", width="stretch")


def show_neighbours(row: int, ps: PointSet, settings: backend.Settings, imgs: data.ImageData, k: int = 8) -> None:
    """The k nearest neighbours of one point in the full code space of `ps.source`."""
    labels, indices = labels_and_indices(ps, imgs)
    pts = points(ps, checkpoint_of(ps.source, settings), imgs)
    near = neighbour_rows(pts, row, k)
    agree = int((labels[near] == labels[row]).sum())
    st.image(figures.image_grid(images(imgs, ps.split, indices[near]), len(near),
                                scale=figures.pixel_scale(imgs.image_shape, 56)),
             caption=f"its {len(near)} nearest neighbours in the {pts.codes.shape[1]}-d code space of "
                     f"{ps.source.title} ({agree} of {len(near)} share its class)", width="stretch")
