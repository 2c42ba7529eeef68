"""How good is a map? kNN accuracy, trustworthiness and class compactness of embedded points.

- kNN accuracy (Sainburg, McInnes & Gentner 2021, "Parametric UMAP", section 4.2): a k-nearest-
  neighbour classifier is fit on the map coordinates of some points and scored on the others
  (here a stratified 80 / 20 split of the map's points). The same classifier in the full latent
  space says how much of the class structure the projection kept.
- Trustworthiness (Venna & Kaski 2001), the value `sklearn.manifold.trustworthiness` returns:
      T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)
  where U_k(i) are the map's k nearest neighbours of i that are not among its k nearest in the
  original space, and r(i, j) is j's rank among i's neighbours in the original space. 1 = no map
  neighbour is a stranger in the original space. Computed here in row blocks, so 10,000 points
  need ~40 MB instead of scikit-learn's two 10,000² matrices (≈1.6 GB).
- Compactness: mean within-class spread relative to the typical distance between classes,
      C = mean_c s_c / mean_{c ≠ c'} ‖μ_c − μ_c'‖,   s_c = sqrt(mean_{i ∈ c} ‖x_i − μ_c‖²)
  with μ_c the class centroid. Scale-free, so a map and a latent space can be compared;
  lower = tighter, better separated classes.
- Spread of the whole code cloud: its RMS distance to the mean code, sqrt(mean_i ‖x_i − x̄‖²), in
  the code space's own units. A VAE's KL term pulls the cloud towards N(0, I), so "VAE: more
  compact" shows here (a small, hole-free cloud) even where the class compactness above does not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genviz.core.errors import ConfigError

HELD_OUT = 0.2
TRUST_K = 5


@dataclass(frozen=True)
class MapScores:
    """Numbers under a 2-D map."""

    knn1: float
    knn5: float
    trustworthiness: float
    compactness: float
    n_fit: int
    n_held_out: int


@dataclass(frozen=True)
class SpaceScores:
    """The same kNN and compactness in the full latent space the map was made from."""

    knn1: float
    knn5: float
    compactness: float
    dims: int
    spread: float  # RMS distance of the codes to their mean


def held_out_split(labels: np.ndarray, fraction: float = HELD_OUT, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fit, held_out): `fraction` of every class held out, chosen with `seed`."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        held.append(members[: int(round(fraction * len(members)))])
    held_out = np.sort(np.concatenate(held)) if held else np.array([], dtype=int)
    mask = np.ones(len(labels), dtype=bool)
    mask[held_out] = False
    return np.flatnonzero(mask), held_out


def _squared_distance_blocks(query: np.ndarray, points: np.ndarray, block: int, self_offset: int | None = None):
    """Yield (start, squared distances (b, n)) for row blocks of `query` against all `points`.

    With `self_offset` = 0 the query rows are the points themselves and each row's own entry is
    +inf (a point is not its own neighbour). float32 matrix products keep 784-d pixels fast.
    """
    sq_points = np.einsum("ij,ij->i", points, points)
    for s in range(0, len(query), block):
        q = query[s: s + block]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] + sq_points[None, :] - 2.0 * (q @ points.T)
        if self_offset is not None:
            d2[np.arange(len(q)), np.arange(s, s + len(q)) + self_offset] = np.inf
        yield s, d2


def nearest_neighbours(points: np.ndarray, k: int, *, query: np.ndarray | None = None,
                       block: int = 1024) -> np.ndarray:
    """Indices (m, k) of each query's k nearest `points`, nearest first (Euclidean).

    Without `query`, the points' own neighbours, each point excluded from its own list. A k-d tree
    serves 2-D maps; wide codes use blocked float32 distances (scikit-learn would upcast them).
    """
    x = np.ascontiguousarray(points, dtype=np.float32)
    if x.shape[1] <= 3:
        from sklearn.neighbors import NearestNeighbors

        index = NearestNeighbors(n_neighbors=k).fit(x)
        return index.kneighbors(None if query is None else np.asarray(query, np.float32), return_distance=False)
    q = x if query is None else np.ascontiguousarray(query, dtype=np.float32)
    out = np.empty((len(q), k), dtype=np.int64)
    for s, d2 in _squared_distance_blocks(q, x, block, self_offset=0 if query is None else None):
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(d2, part, axis=1), axis=1, kind="stable")
        out[s: s + len(d2)] = np.take_along_axis(part, order, axis=1)
    return out


def knn_accuracy(points: np.ndarray, labels: np.ndarray, ks: tuple[int, ...] = (1, 5), *,
                 held_out: float = HELD_OUT, seed: int = 0) -> dict[int, float]:
    """Accuracy of a k-NN classifier fit on the fit points and scored on the held-out ones, per k.

    Votes are uniform; a tie goes to the smallest class label (as scikit-learn's classifier does).
    """
    x = np.asarray(points, dtype=np.float32)
    y = np.asarray(labels)
    fit, test = held_out_split(y, held_out, seed)
    k_max = max(ks)
    if len(test) == 0 or len(fit) < k_max:
        raise ConfigError(f"kNN accuracy needs more points: {len(fit)} to fit and {len(test)} held out (k up to {k_max}).")
    neighbours = nearest_neighbours(x[fit], k_max, query=x[test])
    votes_for = y[fit][neighbours]  # (n_test, k_max), nearest first
    n_classes = int(y.max()) + 1
    out = {}
    for k in ks:
        counts = np.zeros((len(test), n_classes), dtype=np.int32)
        np.add.at(counts, (np.arange(len(test))[:, None], votes_for[:, :k]), 1)
        out[k] = float((counts.argmax(axis=1) == y[test]).mean())
    return out


def trustworthiness(high: np.ndarray, low: np.ndarray, k: int = TRUST_K, *, block: int = 512) -> float:
    """Trustworthiness T(k) of the map `low` (n, 2) of `high` (n, d); equals scikit-learn's value."""
    x = np.asarray(high, dtype=np.float32)
    n = len(x)
    if not 1 <= k < n / 2:
        raise ConfigError(f"Trustworthiness with k = {k} needs more than {2 * k} points; got {n}.")
    in_map = nearest_neighbours(np.asarray(low, dtype=np.float32), k)
    penalty = 0
    for s, d2 in _squared_distance_blocks(x, x, block, self_offset=0):
        to_map_neighbours = np.take_along_axis(d2, in_map[s: s + len(d2)], axis=1)  # (b, k)
        ranks = np.count_nonzero(d2[:, None, :] < to_map_neighbours[:, :, None], axis=2) + 1  # 1 = nearest
        penalty += int(np.clip(ranks - k, 0, None).sum())
    return float(1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def compactness(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean within-class RMS spread divided by the mean distance between class centroids."""
    x = np.asarray(points, dtype=np.float64)
    y = np.asarray(labels)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ConfigError("Compactness compares classes: the points need at least two classes.")
    centroids = np.stack([x[y == c].mean(axis=0) for c in classes])
    spreads = [np.sqrt(((x[y == c] - mu) ** 2).sum(axis=1).mean()) for c, mu in zip(classes, centroids)]
    gaps = np.sqrt(((centroids[:, None] - centroids[None]) ** 2).sum(-1))[np.triu_indices(len(classes), 1)]
    return float(np.mean(spreads) / max(gaps.mean(), 1e-12))


def score_map(codes: np.ndarray, coords: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> MapScores:
    """kNN (k = 1, 5), trustworthiness (k = 5) and compactness of a 2-D map of `codes`."""
    acc = knn_accuracy(coords, labels, (1, 5), seed=seed)
    fit, held = held_out_split(labels, HELD_OUT, seed)
    return MapScores(acc[1], acc[5], trustworthiness(codes, coords, TRUST_K), compactness(coords, labels),
                     len(fit), len(held))


def score_space(codes: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> SpaceScores:
    """kNN (k = 1, 5), compactness and spread in the full code space (same split as `score_map`)."""
    acc = knn_accuracy(codes, labels, (1, 5), seed=seed)
    x = np.asarray(codes, dtype=np.float64)
    spread = float(np.sqrt(((x - x.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return SpaceScores(acc[1], acc[5], compactness(codes, labels), int(x.shape[1]), spread)


SAME_WITHIN = 0.05  # two compactness values closer than 5% (relative) count as equal


def _tighter(names: tuple[str, str], values: tuple[float, float], where: str) -> str:
    a, b = values
    if abs(a - b) <= SAME_WITHIN * max(abs(a), abs(b), 1e-12):
        return f"{where} both are about equally compact ({a:.2f} vs {b:.2f})"
    tighter, looser = (names[0], names[1]) if a < b else (names[1], names[0])
    return f"{where} {tighter} has the tighter classes ({min(a, b):.2f} vs {max(a, b):.2f} for {looser})"


def compactness_verdict(names: tuple[str, str], maps: tuple[MapScores, MapScores],
                        spaces: tuple[SpaceScores, SpaceScores], kinds: tuple[str, str] = ("", "")) -> str:
    """One paragraph that says what the two maps' numbers say about "which codes are more compact":
    class compactness on the maps and in the full code spaces (lower = tighter), and the RMS radius
    of each whole code cloud (in each space's own units). Every comparison follows the numbers; for
    a vanilla AE against a VAE (`kinds`) it ends with where the lecture's claim holds."""
    parts = [_tighter(names, (maps[0].compactness, maps[1].compactness), "On the maps,"),
             _tighter(names, (spaces[0].compactness, spaces[1].compactness), "in the full code spaces,")]
    r = (spaces[0].spread, spaces[1].spread)
    small, big = (0, 1) if r[0] < r[1] else (1, 0)
    if abs(r[0] - r[1]) <= SAME_WITHIN * max(r):
        cloud = f"The two code clouds have about the same RMS radius ({r[0]:.2f} vs {r[1]:.2f})."
    else:
        cloud = (f"{names[small]}'s whole code cloud is smaller: RMS radius {r[small]:.2f} vs {r[big]:.2f} "
                 "(each in its own units).")
    verdict = "Class compactness: " + "; ".join(parts) + ". " + cloud
    if sorted(kinds) != ["ae", "vae"]:
        return verdict
    v, a = kinds.index("vae"), kinds.index("ae")
    measures = {"class compactness on the map": maps[v].compactness < maps[a].compactness,
                "class compactness in the full space": spaces[v].compactness < spaces[a].compactness,
                "the size of the code cloud": spaces[v].spread < spaces[a].spread}
    holds = [m for m, ok in measures.items() if ok]
    fails = [m for m, ok in measures.items() if not ok]
    if not fails:
        return verdict + " So here the VAE's codes are more compact by all three measures, as the lecture says."
    if not holds:
        return verdict + " So here the VAE's codes are not more compact by any of the three measures."
    return (verdict + f" So the lecture's \"a VAE's codes are more compact\" holds here for {' and '.join(holds)}, "
            f"not for {' and '.join(fails)}.")
