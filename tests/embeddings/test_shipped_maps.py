"""The shipped default maps: used for exactly their request and points, ignored otherwise."""
import json

import pytest

from genviz.core import checkpoints, data
from genviz.embeddings import projections, shipped_maps


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    mp = pytest.MonkeyPatch()
    mp.setattr(shipped_maps, "METHODS", ("tsne",))  # UMAP's numba compile is a minute: not in unit tests
    try:
        path = shipped_maps.build("digits", "cpu", folder)
    finally:
        mp.undo()
    return folder, path


def _request(n, method="tsne", **params):
    return ("digits", "test", n, 0, method, projections.check_params(method, n, params))


def test_build_writes_a_map_that_find_returns_for_exactly_its_request(built):
    folder, path = built
    imgs = data.load("digits", "cpu")
    codes, labels, n = shipped_maps.default_points(imgs)
    found = shipped_maps.find(*_request(n), codes, folder=folder)
    assert found is not None and found.projection.coords.shape == (n, 2)
    assert 0.5 < found.scores.knn1 <= 1 and 0.5 < found.scores.trustworthiness <= 1
    assert found.space.dims == codes.shape[1]
    # Any other setting, or other points, is computed instead.
    assert shipped_maps.find(*_request(n, perplexity=12.0), codes, folder=folder) is None
    assert shipped_maps.find(*_request(n, "umap"), codes, folder=folder) is None
    assert shipped_maps.find(*_request(n), codes + 1e-3, folder=folder) is None
    assert json.loads(path.read_text())["format"] == shipped_maps.FORMAT


def test_a_crafted_or_oversized_maps_file_is_ignored(built, tmp_path, monkeypatch):
    folder, path = built
    imgs = data.load("digits", "cpu")
    codes, _, n = shipped_maps.default_points(imgs)
    doc = json.loads(path.read_text())
    target = shipped_maps.path_for("digits", tmp_path)
    for text in ("{not json", json.dumps({"format": "other", "maps": []}), json.dumps([1, 2]),
                 json.dumps({**doc, "maps": [{**doc["maps"][0], "projection": {"coords": [[1, 2]]}}]}),
                 json.dumps({**doc, "maps": [{**doc["maps"][0], "scores": {"evil": 1}}]})):
        target.write_text(text)
        shipped_maps._cache.clear()
        assert shipped_maps.find(*_request(n), codes, folder=tmp_path) is None, text[:40]
    target.write_text(path.read_text())
    monkeypatch.setattr(shipped_maps, "MAX_BYTES", 100)
    shipped_maps._cache.clear()
    assert shipped_maps.find(*_request(n), codes, folder=tmp_path) is None


@pytest.mark.parametrize("dataset", ["digits", "mnist", "fashion-mnist"])
def test_the_shipped_default_maps_match_todays_default_points(dataset, request, monkeypatch):
    if dataset != "digits":  # real data: skipped with its reason when ../shared/data is absent
        monkeypatch.setenv("GENVIZ_DATA_DIR", str(request.getfixturevalue("shared_data")))
    path = shipped_maps.path_for(dataset)
    assert path.exists(), f"{path.name} is not shipped (python -m genviz pretrain --only maps)"
    assert checkpoints.SHIPPED_DIR in path.parents
    codes, _, n = shipped_maps.default_points(data.load(dataset, "cpu"))
    for method in shipped_maps.METHODS:
        params = projections.check_params(method, n, {})
        assert shipped_maps.find(dataset, "test", n, 0, method, params, codes) is not None, method
