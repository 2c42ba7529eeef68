"""The Fréchet distance: the FID formula, exact on singular covariances, and silent (no LinAlgWarning)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy import linalg

from genviz.core.scoring import frechet_distance


def _reference(a: np.ndarray, b: np.ndarray) -> float:
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca) + np.trace(cb)
                 - 2 * np.trace(linalg.sqrtm(ca @ cb).real))


def test_matches_the_sqrtm_formula_on_well_conditioned_features():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 16))
    b = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) + 1.0
    assert frechet_distance(a, b) == pytest.approx(_reference(a, b), rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9) and frechet_distance(a, a) >= 0


def test_collapsed_samples_give_no_linalg_warning():
    """A few-step model's samples collapse to a handful of points: their covariance is singular."""
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 32))
    collapsed = np.repeat(rng.normal(size=(3, 32)), 100, axis=0)
    dead = real.copy()
    dead[:, :20] = 0.0  # dead ReLU features
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [frechet_distance(collapsed, real), frechet_distance(dead, real), frechet_distance(real, dead)]
    assert all(np.isfinite(v) and v > 0 for v in values)
    assert values[1] == pytest.approx(values[2], rel=1e-6), "the distance is symmetric"


def test_non_finite_features_give_nan_not_an_exception():
    a = np.ones((10, 4))
    a[0, 0] = np.nan
    assert np.isnan(frechet_distance(a, np.ones((10, 4))))


class _TinyClassifier(torch.nn.Module):
    """features = a linear map of the pixels; counts the images it has seen."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(16, 3)
        self.head = torch.nn.Linear(3, 2)
        self.seen = 0

    def features(self, x):
        self.seen += len(x)
        return self.body(x.flatten(1))


def test_real_features_are_computed_once_then_read_from_memory_or_disk():
    from genviz.core import scoring

    torch.manual_seed(0)
    clf, real = _TinyClassifier(), torch.rand(50, 1, 4, 4)
    direct = scoring.classifier_features(clf, real)[0]
    clf.seen = 0
    assert torch.equal(scoring.cached_features(clf, real), direct) and clf.seen == 50
    assert torch.equal(scoring.cached_features(clf, real), direct) and clf.seen == 50, "memory"
    scoring._memo.clear()  # a new process: the file under $GENVIZ_HOME/data-cache/features is read
    assert torch.equal(scoring.cached_features(clf, real), direct) and clf.seen == 50, "disk"
    scoring._memo.clear()
    scoring.features_cache_path(scoring.features_key(clf, real)).write_bytes(b"truncated")
    assert torch.equal(scoring.cached_features(clf, real), direct) and clf.seen == 100, "a bad file is recomputed"
    with torch.no_grad():
        clf.body.weight.add_(1.0)  # other weights, other key: never a stale answer
    assert not torch.equal(scoring.cached_features(clf, real), direct) and clf.seen == 150
    fake = torch.rand(20, 1, 4, 4)
    now = scoring.classifier_features(clf, real)[0]
    assert scoring.score_samples(clf, fake, real) == scoring.score_samples(clf, fake, None, real_features=now)
