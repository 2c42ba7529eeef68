"""The Embeddings pages in AppTest (digits, ≤ 360 points), and the map job's UMAP wait.

Plotly selection events cannot be simulated in AppTest (FACTS.md): clicks and lassos are covered
by the browser test; here the pages' maps, numbers, bad input and caching.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from genviz.core import jobs as jobs_module
from genviz.core.jobs import LRUStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_umap_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENVIZ_UMAP_WARMUP", "0")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _until(at: AppTest, ready, timeout: float = 180.0) -> AppTest:
    """Rerun (as the progress fragment would) until `ready(at)` or fail."""
    deadline = time.time() + timeout
    while True:
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        if ready(at):
            return at
        assert time.time() < deadline, (f"page not ready: errors {[e.value for e in at.error]}, "
                                        f"metrics {list(_metrics(at))}, progress {[p.proto.text for p in at.get('progress')]}, "
                                        f"info {[i.value for i in at.info]}")
        time.sleep(0.3)


def _has_map(at: AppTest, n_maps: int = 1) -> bool:
    return sum(m.label.startswith("1-NN") for m in at.metric) == n_maps


def _explorer(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    at.run()
    at.switch_page("pages/embed_explorer.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_explorer_pca_shows_map_numbers_components_and_download():
    at = _until(_explorer(emb_method="pca"), _has_map)
    m = _metrics(at)
    assert 0.3 < float(m["1-NN accuracy (map)"]) <= 1 and 0.5 < float(m["Trustworthiness (k=5)"]) <= 1
    assert len(at.get("plotly_chart")) == 2, "explained variance + the map"
    assert at.get("download_button"), "the map downloads as CSV"
    assert "PCA of raw pixels" in " ".join(md.value for md in at.markdown)
    before = m["1-NN accuracy (map)"]
    at.selectbox(key="emb_pc_y").set_value("PC3").run()
    assert not at.exception and at.query_params["emb_pc_y"] == "PC3"
    assert _metrics(at)["1-NN accuracy (map)"] != before, "PC1 × PC3 is scored on its own"
    assert at.query_params["emb_method"] == "pca" and at.query_params["emb_src"] == "pixels"


def test_explorer_tsne_then_bad_perplexity_replaces_the_map_with_its_sentence():
    at = _explorer(emb_method="tsne", emb_n="300", emb_perplexity="20", emb_iterations="300")
    assert at.slider(key="emb_n").value == 300, "the URL sets the view"
    at = _until(at, _has_map)
    first = _metrics(at)
    assert float(first["1-NN accuracy (map)"]) > 0.8
    at.slider(key="emb_perplexity").set_value(100.0).run()
    assert any("Perplexity 100 is out of range" in e.value for e in at.error)
    assert not _has_map(at) and not at.get("plotly_chart"), "no stale map under the error (issue 19)"
    assert not at.exception


def test_a_rerun_that_only_changes_the_tooltips_recomputes_nothing():

    def job(at: AppTest):
        return at.session_state["embed_job:explorer"] if "embed_job:explorer" in at.session_state else None

    at = _until(_explorer(emb_method="pca"), _has_map)
    before, jobs = job(at), len(jobs_module._LIVE)
    for value in (False, True):
        at.toggle(key="emb_thumbs").set_value(value).run()
        assert not at.exception and _has_map(at)
        assert job(at) is before and len(jobs_module._LIVE) == jobs, "no new map job"
        assert not at.get("progress")


def _save_autoencoder(kind: str, image_shape: tuple[int, int, int], name: str, *, nan: bool = False,
                      dataset: str | None = None) -> None:
    from genviz import ui as backend
    from genviz.core import checkpoints, registry

    spec = registry.get(kind)
    torch.manual_seed(0)
    config = spec.make_config(image_shape, 10, latent_dim=3)
    model = spec.build(config)
    if nan:
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(math.nan)
    checkpoints.save(checkpoints.user_dir() / name, model, config,
                     dataset=dataset or ("mnist" if image_shape[1] == 28 else "digits"))
    backend.catalogue.clear()


@pytest.mark.parametrize("kind, shape, nan, message, model_stays", [
    # A file that claims digits but does not fit them: the picker refuses it and the last good model stays
    # (the map's title names it).
    ("ae", (1, 28, 28), False, "encodes images of shape (1, 28, 28), but the digits dataset has (1, 8, 8)", True),
    # NaN weights are refused at load time: the same.
    ("ae", (1, 8, 8), True, "weights that are NaN or infinite", True),
])
def test_bad_encoders_give_a_sentence(kind, shape, nan, message, model_stays):
    _save_autoencoder(kind, shape, "zz-bad-encoder", nan=nan, dataset="digits")
    at = _until(_explorer(emb_method="pca", emb_src="encoder", emb_model="ae-digits"), _has_map)
    first = _metrics(at)
    assert "PCA of ae-digits" in " ".join(md.value for md in at.markdown)
    labels = at.selectbox(key="emb_model").options
    at.selectbox(key="emb_model").set_value(next(o for o in labels if o.startswith("zz-bad-encoder"))).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    if model_stays:
        assert any("Still showing ae-digits" in e.value for e in at.error)
        assert _metrics(at) == first and "PCA of ae-digits" in " ".join(md.value for md in at.markdown)
    else:
        assert not _has_map(at), "no stale map under the error (issue 19)"


def test_explorer_offers_only_autoencoders_of_the_dataset_and_starts_on_its_vae():
    _save_autoencoder("ae", (1, 28, 28), "zz-mnist-encoder")  # an MNIST model: never offered on digits
    at = _until(_explorer(emb_method="pca", emb_src="encoder", emb_model="zz-mnist-encoder"), _has_map)
    picker = at.selectbox(key="emb_model")
    assert picker.options and all(", digits, " in o for o in picker.options), picker.options
    assert picker.value.startswith("vae-digits ("), "the URL's MNIST model cannot be chosen: the reference VAE instead"
    assert "PCA of vae-digits" in " ".join(md.value for md in at.markdown)


def test_compare_page_draws_two_maps_with_their_numbers():
    from genviz import ui as backend

    backend.catalogue.clear()  # forget checkpoints other tests saved in their own GENVIZ_HOME
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"cmp_a_method": "pca", "cmp_b_method": "pca", "cmp_b_src": "pixels"})
    at.run()
    at.switch_page("pages/embed_compare.py").run()
    at = _until(at, lambda a: _has_map(a, 2))
    titles = [md.value for md in at.markdown if md.value.startswith("**")]
    assert len(titles) == 2 and "PCA of ae-digits · μ" in titles[0] and "raw pixels" in titles[1]
    assert len(at.get("plotly_chart")) == 1, "one figure, two panels, one legend"
    verdict = [i.value for i in at.info if i.value.startswith("Class compactness:")]
    assert len(verdict) == 1 and "ae-digits · μ" in verdict[0] and "raw pixels" in verdict[0], verdict
    assert any("lower = tighter" in e.proto.body for e in at.expander[0].markdown), "compactness defined on the page"


def test_compactness_verdict_follows_the_numbers():
    from genviz.embeddings.metrics import MapScores, SpaceScores, compactness_verdict

    def maps(c):
        return MapScores(0.9, 0.9, 0.9, c, 10, 10)

    def space(c, r):
        return SpaceScores(0.9, 0.9, c, 16, r)

    # The numbers: the AE's classes are tighter (0.30 vs 0.33 map, 0.92 vs 1.24 full), the VAE's cloud smaller.
    text = compactness_verdict(("AE", "VAE"), (maps(0.30), maps(0.33)), (space(0.92, 5.0), space(1.24, 3.0)),
                               ("ae", "vae"))
    assert "AE has the tighter classes (0.30 vs 0.33 for VAE)" in text and "(0.92 vs 1.24 for VAE)" in text
    assert "VAE's whole code cloud is smaller" in text
    assert "holds here for the size of the code cloud, not for class compactness" in text
    text = compactness_verdict(("AE", "VAE"), (maps(0.5), maps(0.3)), (space(1.2, 5.0), space(0.9, 3.0)),
                               ("ae", "vae"))
    assert "more compact by all three measures" in text
    assert "about equally compact (0.30 vs 0.31)" in compactness_verdict(
        ("a", "b"), (maps(0.30), maps(0.31)), (space(1, 1), space(2, 2)))


def test_map_job_waits_for_the_umap_warm_up_and_says_so():
    """...and files the PCA map of the same points first, which the pages draw meanwhile."""
    from genviz.embeddings import ui as emb

    class SlowWarmup:
        started = time.time()
        elapsed = 12.0
        done = False

        def wait(self, timeout: float) -> bool:
            time.sleep(timeout)
            return False

    x = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    pts = emb.Points(x, np.arange(60) % 3, np.arange(60))
    spec = emb.make_spec(emb.PointSet(emb.Source(), "digits", "test", 60, 0), "umap", {"n_neighbors": 10})
    store = LRUStore()
    job = emb.map_job(spec, pts, store, SlowWarmup()).start()
    deadline = time.time() + 20  # the stand-in comes first (importing scikit-learn's PCA: a second or two)
    while "compiles" not in (state := emb.map_state(job.snapshot())).message and time.time() < deadline:
        time.sleep(0.2)
    assert state.running and "compiles its numba code" in state.message and "12 s so far" in state.message
    assert 0 < state.fraction < 0.6
    stand_in = store.get(emb.stand_in_spec(spec))
    assert stand_in is not None and stand_in.projection.method == "pca" and store.get(spec) is None
    assert stand_in.projection.coords.shape[0] == 60 and 0 <= stand_in.scores.knn1 <= 1
    job.stop()
    state = emb.map_state(job.join(5))
    assert state.status == "failed" and state.error == "Stopped."


def test_umap_warm_up_only_under_a_real_server(monkeypatch):
    from genviz.embeddings import ui as emb

    monkeypatch.delenv("GENVIZ_UMAP_WARMUP")
    assert emb.umap_warmup() is None, "no `streamlit run` runtime here"
    monkeypatch.setenv("GENVIZ_UMAP_WARMUP", "0")
    assert emb.umap_warmup() is None


def test_a_umap_request_before_the_compile_shows_the_pca_map_meanwhile(monkeypatch):
    """Issue 18: nobody looks at an empty page while numba compiles; the PCA map of the same points stands in."""
    from genviz.embeddings import ui as emb

    class NeverDone:  # a warm-up that is still compiling
        started, elapsed, done, error = time.time(), 3.0, False, None

        def wait(self, timeout: float) -> bool:
            time.sleep(timeout)
            return False

    monkeypatch.setenv("GENVIZ_UMAP_WARMUP", "1")
    monkeypatch.setattr(emb, "_umap_warmup", lambda: NeverDone())
    at = _until(_explorer(emb_method="umap", emb_n="300"), _has_map)
    assert any("Meanwhile this is the **PCA** map" in i.value for i in at.info)
    assert "PCA of raw pixels" in " ".join(md.value for md in at.markdown)
    assert at.get("progress"), "the UMAP job still runs, its progress shown above the stand-in"
    job = at.session_state["embed_job:explorer"].job
    job.stop()
    assert emb.map_state(job.join(5)).status == "failed"


def test_the_default_map_is_drawn_at_once_from_the_shipped_file():
    from genviz.embeddings import ui as emb

    emb.map_store.clear()  # nothing computed earlier in this process
    at = _explorer()
    assert _has_map(at), "the default t-SNE is drawn on the first run, from checkpoints/maps-digits.json"
    assert "embed_job:explorer" not in at.session_state, "no job computed it"
    assert float(_metrics(at)["1-NN accuracy (map)"]) > 0.8
    assert any("when the shipped default map was built" in c.value for c in at.caption)
    at.slider(key="emb_perplexity").set_value(12.0).run()  # any other setting is computed as before
    assert "embed_job:explorer" in at.session_state
