"""Choosing d and λ without the test split.

A seeded validation split is carved from the training matches (`Matches.validation_split`); every
(d, λ) of a small grid trains the factorised model on the rest and is scored on it, and so are the
two logistic-regression baselines for every λ. The lowest validation log-loss wins, for each model
on its own. The caller then trains the chosen settings once on all training matches and reports the
test split once. The grid's rows (with the role separation of each factorised model's v_i) are
recorded with the result, so the page can show how roles depend on λ among validation-chosen models.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from genviz.team.matches import Matches
from genviz.team.roles import role_separations
from genviz.team.training import TeamTrainSettings, train

VALIDATION_FRACTION = 0.15
VALIDATION_SEED = 0
GRID_DIMS = (8, 16, 64)
GRID_L2 = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
CRITERION = "validation log-loss"
ROLE_SHUFFLES = 200


def _roles_of(model: Any, roles: Sequence[str], seed: int) -> dict[str, float] | None:
    if not any(r.strip() and r.strip().lower() not in ("unknown", "none") for r in roles):
        return None
    pca, full = role_separations(model.v.detach().double().cpu().numpy(), roles, shuffles=ROLE_SHUFFLES, seed=seed)
    return {"pca_knn": pca.knn_accuracy, "pca_knn_shuffled": pca.knn_shuffled, "pca_knn_p": pca.knn_p_value,
            "pca_silhouette": pca.silhouette, "knn": full.knn_accuracy, "knn_shuffled": full.knn_shuffled,
            "knn_p": full.knn_p_value, "silhouette": full.silhouette, "silhouette_p": full.silhouette_p_value}


def select_settings(matches: Matches, base: TeamTrainSettings, *, dims: Sequence[int] = GRID_DIMS,
                    l2s: Sequence[float] = GRID_L2, fraction: float = VALIDATION_FRACTION,
                    seed: int = VALIDATION_SEED,
                    log: Callable[[str], None] = lambda s: None) -> tuple[TeamTrainSettings, dict[str, Any]]:
    """`base` with d, λ and the baselines' λ chosen on a validation split; and the record of how.

    The record: criterion, the split (fraction, seed, matches fitted / validated), every grid row
    (model, d, λ, validation accuracy and log-loss, role separation of v_i) and the chosen values.
    """
    val = matches.validation_split(fraction, seed)
    rows: list[dict[str, Any]] = []
    for l2 in l2s:
        for i, dim in enumerate(dims):
            result = train(val, replace(base, dim=dim, l2=l2, ability_l2=None, pairs_l2=None, baselines=i == 0))
            for f in result.fitted:
                if f.label != "factorised" and i != 0:
                    continue
                row = {"model": f.label, "dim": dim if f.label == "factorised" else 0, "l2": l2,
                       "val_accuracy": round(f.metrics["test_accuracy"], 4),
                       "val_logloss": round(f.metrics["test_logloss"], 5)}
                if f.label == "factorised":
                    row["roles"] = _roles_of(f.model, matches.roster.roles, base.seed)
                rows.append(row)
                log(f"validation: {row['model']} d={row['dim']} λ={l2:g}: accuracy {row['val_accuracy']:.4f} "
                    f"log-loss {row['val_logloss']:.4f}")
    best = {label: min((r for r in rows if r["model"] == label), key=lambda r: r["val_logloss"])
            for label in ("factorised", "ability only", "all pairs")}
    chosen = replace(base, dim=best["factorised"]["dim"], l2=best["factorised"]["l2"],
                     ability_l2=best["ability only"]["l2"], pairs_l2=best["all pairs"]["l2"])
    record = {"criterion": CRITERION, "fraction": fraction, "seed": seed, "n_fit": val.n_train, "n_val": val.n_test,
              "dims": list(dims), "l2s": list(l2s),
              "chosen": {"dim": chosen.dim, "l2": chosen.l2, "ability_l2": chosen.ability_l2,
                         "pairs_l2": chosen.pairs_l2},
              "val_accuracy": {k: v["val_accuracy"] for k, v in best.items()}, "grid": rows}
    return chosen, record
