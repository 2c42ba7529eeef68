"""Team ability without tuning on the test split (validation split, grid, record) and the role-separation tests."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from genviz.team import roles as team_roles
from genviz.team.selection import select_settings
from genviz.team.training import TeamTrainSettings, load_result, save_result, train_models
from tests.team.test_team import planted_matches

TINY = TeamTrainSettings(dim=2, l2=1e-4, epochs=1, lr=0.05, batch_size=128, seed=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_validation_split_is_seeded_and_holds_only_training_matches():
    m = planted_matches(n=500)
    val = m.validation_split(0.2, seed=3)
    assert val.n_train + val.n_test == m.n_train and val.n_test == round(0.2 * m.n_train)
    again = m.validation_split(0.2, seed=3)
    assert torch.equal(val.is_test, again.is_test) and torch.equal(val.team_a, again.team_a)
    assert not torch.equal(val.is_test, m.validation_split(0.2, seed=4).is_test)
    train_rows = {tuple(r) for r in torch.cat([m.team_a, m.team_b], 1)[~m.is_test].tolist()}
    assert {tuple(r) for r in torch.cat([val.team_a, val.team_b], 1).tolist()} <= train_rows
    assert "validation split: 20%" in val.source


def test_selection_never_looks_at_the_test_matches():
    """Flipping every test outcome changes nothing in what the grid chooses or scores."""
    m = planted_matches(n=400)
    flipped = replace(m, a_won=torch.where(m.is_test, 1 - m.a_won, m.a_won))
    grid = dict(dims=(1, 2), l2s=(1e-4, 0.3))
    chosen, record = select_settings(m, TINY, **grid)
    chosen2, record2 = select_settings(flipped, TINY, **grid)
    assert chosen == chosen2 and record == record2
    assert record["n_fit"] + record["n_val"] == m.n_train and record["criterion"] == "validation log-loss"
    assert chosen.dim in (1, 2) and chosen.l2 in (1e-4, 0.3) and chosen.ability_l2 in (1e-4, 0.3)
    assert {r["model"] for r in record["grid"]} == {"factorised", "ability only", "all pairs"}
    assert len(record["grid"]) == 2 * 2 + 2 * 2  # factorised per (d, λ), each baseline per λ
    best = min((r for r in record["grid"] if r["model"] == "factorised"), key=lambda r: r["val_logloss"])
    assert (best["dim"], best["l2"]) == (chosen.dim, chosen.l2)


def test_chosen_baseline_lambdas_are_used_and_the_record_is_saved(tmp_path):
    m = planted_matches(n=400)
    settings = replace(TINY, ability_l2=0.5, pairs_l2=0.25)
    record = {"criterion": "validation log-loss", "fraction": 0.15, "seed": 0, "n_fit": 1, "n_val": 1,
              "chosen": {"dim": 2}, "grid": [{"model": "factorised", "dim": 2, "l2": 1e-4}]}
    *_, result = train_models(m, settings, selection=record)
    assert result.get("ability only").config.l2 == 0.5 and result.get("all pairs").config.l2 == 0.25
    assert result.main.config.l2 == 1e-4
    loaded = load_result(save_result(tmp_path / "t", result))
    assert loaded.selection == record and loaded.settings == settings
    assert "grid" not in loaded.summary()["selection"]


# --- roles ------------------------------------------------------------------------------------

def test_knn_votes_break_ties_by_the_nearest_neighbour():
    neighbours = np.array([[1, 2, 3, 4], [0, 2, 3, 4]])
    labels = np.array([0, 1, 2, 2, 1])
    # row 0 sees 1, 2, 2, 1: a tie between 1 and 2, the nearest (index 1) has label 1
    assert team_roles._knn_votes(neighbours, labels, 3).tolist() == [1, 2]


def test_clustered_roles_separate_and_random_ones_do_not():
    rng = np.random.default_rng(0)
    roles = [f"role {k % 3}" for k in range(45)]
    centres = np.array([[0, 0, 0], [5, 0, 0], [0, 5, 0]], dtype=float)
    clustered = centres[[k % 3 for k in range(45)]] + rng.normal(0, 0.5, (45, 3))
    pca, full = team_roles.role_separations(clustered, roles, shuffles=99)
    assert pca.separates and full.separates and full.dims == 3 and pca.dims == 2
    assert full.knn_accuracy > 0.9 > full.knn_shuffled and full.knn_p_value == pytest.approx(0.01)
    verdict = team_roles.role_verdict(pca, full)
    assert verdict.startswith("Roles separate clearly") and "In all 3 dimensions of v" in verdict
    noise = rng.normal(0, 1, (45, 8))
    pca, full = team_roles.role_separations(noise, roles, shuffles=99)
    assert not (pca.separates or full.separates)
    assert team_roles.role_verdict(pca, full).startswith(("Roles do not separate", "Roles barely"))


def test_unknown_roles_are_left_out_and_too_few_say_so():
    coords = np.arange(12, dtype=float).reshape(6, 2)
    sep = team_roles.role_separation(coords, ["a", "a", "b", "b", "Unknown", ""], shuffles=9)
    assert sep.n_heroes == 4 and sep.n_roles == 2
    few = team_roles.role_separation(coords[:2], ["a", "b"], shuffles=9)
    assert np.isnan(few.knn_accuracy)
    assert team_roles.role_verdict(few, few).startswith("Too few heroes")


def test_planted_clans_show_in_the_trained_teamwork_vectors():
    """The planted data's two clans team up differently, so the trained v_i separate them."""
    m = planted_matches(n=3000)
    *_, result = train_models(m, replace(TINY, dim=2, epochs=15, baselines=False))
    pca, full = team_roles.role_separations(result.main.model.v.detach().double().numpy(), m.roster.roles, shuffles=99)
    assert full.knn_accuracy > 0.8 and full.knn_p_value < 0.05


def test_vectorised_silhouette_equals_scikit_learns():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 4))
    dist = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    labelings = np.stack([rng.integers(0, 4, 30) for _ in range(5)] + [np.r_[np.zeros(29, int), 3]])
    for lab, ours in zip(labelings, team_roles.silhouettes(dist, labelings, 4)):
        assert ours == pytest.approx(silhouette_score(dist, lab, metric="precomputed"), abs=1e-12)


def test_ability_page_says_how_d_and_lambda_were_chosen_and_whether_roles_separate(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.team.test_team import ROOT

    monkeypatch.setenv("GENVIZ_HOME", str(tmp_path))
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(tmp_path / "data"))
    m = planted_matches(n=600)
    chosen, record = select_settings(m, TINY, dims=(2,), l2s=(1e-4, 1e-2))
    *_, result = train_models(m, chosen, selection=record)
    save_result(tmp_path / "checkpoints" / "team-planted", result)
    import streamlit as st

    st.cache_data.clear()  # listings cached by earlier tests' pages must not hide this home's checkpoint
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/team_ability.py").run()
    labels = at.selectbox(key="team_view").options
    at.selectbox(key="team_view").set_value(next(o for o in labels if "planted" in o)).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("chosen by validation log-loss" in c.value and f"{record['n_val']:,} held out" in c.value for c in at.caption)
    assert any(m.label.startswith("k-NN role accuracy") for m in at.metric)
    assert any(md.value.startswith(("Roles separate", "Roles barely", "Roles do not")) for md in at.markdown)
    assert len(at.dataframe[1].value) == 2  # the chosen d under each λ of the grid, with its role numbers
