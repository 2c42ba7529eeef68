"""Do hero roles separate in the teamwork vectors v_i? k-NN role accuracy and silhouette, each
against the same statistic with the roles shuffled among the heroes (a permutation test).

The lecture's figure colours the PCA of v_i by role and invites the reading "roles cluster"; these
numbers say whether that reading holds for a given model. Pure numpy / scikit-learn.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

UNKNOWN_ROLES = ("", "unknown", "none")


@dataclass(frozen=True)
class RoleSeparation:
    """Role statistics of one set of hero coordinates, with their shuffled-role reference."""

    space: str  # "PCA 2-D" | "v (all d)"
    dims: int  # coordinates per hero
    n_heroes: int  # heroes with a known role (the others are left out)
    n_roles: int
    k: int
    knn_accuracy: float  # leave-one-out k-NN: share of heroes whose role is the vote of its k nearest
    knn_shuffled: float  # the same, mean over role shuffles
    knn_shuffled_p95: float
    knn_p_value: float  # (1 + #shuffles at least as good) / (1 + #shuffles)
    majority: float  # share of the commonest role (what always guessing it scores)
    silhouette: float  # in [-1, 1]; ≈ 0 for no structure
    silhouette_shuffled: float
    silhouette_p_value: float
    shuffles: int
    seed: int

    @property
    def separates(self) -> bool:
        """Both statistics beat 95% of the role shuffles."""
        return self.knn_p_value < 0.05 and self.silhouette_p_value < 0.05

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def _knn_votes(neighbours: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Majority label among each row's neighbours (ties → the label of the nearest tied one)."""
    votes = labels[neighbours]  # (n, k), nearest first
    n, k = votes.shape
    counts = np.zeros((n, n_labels), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), k), votes.reshape(-1)), 1)
    first = np.full((n, n_labels), k, dtype=np.int64)  # position of each label's nearest vote
    np.minimum.at(first, (np.repeat(np.arange(n), k), votes.reshape(-1)), np.tile(np.arange(k), n))
    return np.argmax(counts * (k + 1) - first, axis=1)


def silhouettes(dist: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Mean silhouette (b − a) / max(a, b) for each row of `labels` (P, n) over one distance matrix (n, n).

    a: mean distance to the other members of one's group; b: the smallest mean distance to another
    group; 0 for a member alone in its group (Rousseeuw 1987; scikit-learn's convention). Vectorised
    over the P labelings, so a permutation test costs a few matrix products.
    """
    labels = np.atleast_2d(labels)
    onehot = np.eye(n_labels)[labels]  # (P, n, R)
    sums = dist[None] @ onehot  # (P, n, R): Σ distances from each point to each group
    sizes = onehot.sum(1, keepdims=True)  # (P, 1, R)
    own = np.take_along_axis(sums, labels[..., None], 2)[..., 0]  # (P, n)
    own_size = np.take_along_axis(np.broadcast_to(sizes, sums.shape), labels[..., None], 2)[..., 0]
    a = own / np.maximum(own_size - 1, 1)
    mean_to = np.where(sizes > 0, sums / np.maximum(sizes, 1), np.inf)
    np.put_along_axis(mean_to, labels[..., None], np.inf, 2)
    b = mean_to.min(2)
    denom = np.maximum(a, b)
    s = np.where((own_size > 1) & (denom > 0), (b - a) / np.where(denom > 0, denom, 1), 0.0)
    return s.mean(1)


def role_separation(coords: np.ndarray, roles: Sequence[str], *, space: str = "", k: int = 5,
                    shuffles: int = 500, seed: int = 0) -> RoleSeparation:
    """k-NN (leave-one-out, Euclidean) role accuracy and silhouette of `coords` (H, D) by `roles`,
    each against `shuffles` seeded permutations of the roles over the same heroes."""
    roles = np.asarray([str(r) for r in roles])
    keep = np.array([r.strip().lower() not in UNKNOWN_ROLES for r in roles])
    x = np.asarray(coords, dtype=np.float64)[keep]
    names, labels = np.unique(roles[keep], return_inverse=True)
    n = len(labels)
    if n < 3 or len(names) < 2 or len(names) >= n:
        nan = float("nan")
        return RoleSeparation(space, x.shape[1], n, len(names), k, nan, nan, nan, nan, nan, nan, nan, nan, shuffles, seed)
    k = max(1, min(k, n - 1))
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    order = np.argsort(dist + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, :k]
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(labels) for _ in range(shuffles)]

    def knn(lab: np.ndarray) -> float:
        return float((_knn_votes(order, lab, len(names)) == lab).mean())

    knn_obs, sil_obs = knn(labels), float(silhouettes(dist, labels, len(names))[0])
    knn_null = np.array([knn(p) for p in perms])
    sil_null = silhouettes(dist, np.stack(perms), len(names)) if shuffles else np.zeros(0)
    return RoleSeparation(
        space=space, dims=x.shape[1], n_heroes=n, n_roles=len(names), k=k,
        knn_accuracy=knn_obs, knn_shuffled=float(knn_null.mean()), knn_shuffled_p95=float(np.quantile(knn_null, 0.95)),
        knn_p_value=float((1 + (knn_null >= knn_obs).sum()) / (1 + shuffles)),
        majority=float(np.bincount(labels).max() / n),
        silhouette=sil_obs, silhouette_shuffled=float(sil_null.mean()),
        silhouette_p_value=float((1 + (sil_null >= sil_obs).sum()) / (1 + shuffles)),
        shuffles=shuffles, seed=seed,
    )


def pca_coords(v: np.ndarray, n: int = 2) -> np.ndarray:
    """The first `n` principal coordinates of the rows of v (centred SVD), zero-padded when d < n."""
    v = np.asarray(v, dtype=np.float64)
    v = v - v.mean(0)
    u, s, _ = np.linalg.svd(v, full_matrices=False)
    coords = (u * s)[:, :n]
    return np.pad(coords, ((0, 0), (0, n - coords.shape[1])))


def role_separations(v: np.ndarray, roles: Sequence[str], **kwargs) -> tuple[RoleSeparation, RoleSeparation]:
    """Role separation in the figure's PCA plane and in the full d-dimensional v."""
    return (role_separation(pca_coords(v), roles, space="PCA 2-D", **kwargs),
            role_separation(v, roles, space="v (all d)", **kwargs))


def role_verdict(pca: RoleSeparation, full: RoleSeparation) -> str:
    """One plain sentence (or two) on what the numbers show."""
    if not np.isfinite(pca.knn_accuracy):
        return "Too few heroes with a known role to measure whether roles separate."
    numbers = (f"in the PCA plane a hero's {pca.k} nearest neighbours name its role for {pca.knn_accuracy:.0%} of "
               f"{pca.n_heroes} heroes, against {pca.knn_shuffled:.0%} with the roles shuffled (p = {pca.knn_p_value:.2g}; "
               f"the commonest role alone is {pca.majority:.0%}); silhouette {pca.silhouette:+.2f} "
               f"(shuffled {pca.silhouette_shuffled:+.2f}). In all {full.dims} dimensions of v: "
               f"k-NN {full.knn_accuracy:.0%} vs {full.knn_shuffled:.0%} shuffled (p = {full.knn_p_value:.2g}), "
               f"silhouette {full.silhouette:+.2f}.")
    if pca.separates or full.separates:
        strength = "weakly" if max(pca.silhouette, full.silhouette) < 0.25 else "clearly"
        return f"Roles separate {strength}, better than chance: {numbers}"
    if pca.knn_p_value < 0.05 or full.knn_p_value < 0.05:
        return (f"Roles barely separate: neighbours share roles a little more often than chance, but the role groups "
                f"do not form clusters — {numbers}")
    return f"Roles do not separate — the colours are no more grouped than shuffled ones: {numbers}"
