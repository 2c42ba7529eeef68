"""Team ability: loaders (real data, CSV and its errors), the model's algebra, training, checkpoints, CLI, pages."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from genviz.cli import main
from genviz.core import checkpoints
from genviz.core.errors import DataFormatError, DatasetUnavailable
from genviz.core.train import fit, total_steps
from genviz.team.analysis import contributions, ranked_pairs, teamwork_pca, win_probability
from genviz.team.matches import Matches, Roster, available, load_csv, load_matches
from genviz.team.models import AllPairsConfig, AllPairsModel, TeamConfig, TeamModel, build_team_model, pair_sum
from genviz.team.recipe import TeamRecipe, cosine_factor
from genviz.team.training import (
    TeamResult,
    TeamTrainSettings,
    load_result,
    result_from_checkpoint,
    save_result,
    train,
    train_models,
)

ROOT = Path(__file__).resolve().parents[2]
TINY = TeamTrainSettings(dim=4, l2=1e-4, epochs=3, lr=0.05, batch_size=64, seed=0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- synthetic data ---------------------------------------------------------------------------

def planted_matches(n: int = 3000, heroes: int = 12, size: int = 3, seed: int = 0) -> Matches:
    """Matches whose outcome depends mostly on planted pair effects (two 'clans' that team up well)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(heroes, generator=g) * 0.3
    clan = torch.arange(heroes) % 2
    v = torch.stack([torch.where(clan == 0, 1.0, -1.0), torch.ones(heroes) * 0.2], 1) * 1.2  # (H, 2)
    teams = torch.stack([torch.randperm(heroes, generator=g)[: 2 * size] for _ in range(n)])
    a, b = teams[:, :size], teams[:, size:]

    def score(t: torch.Tensor) -> torch.Tensor:
        vv = v[t]
        return w[t].sum(1) + 0.5 * (vv.sum(1).pow(2).sum(-1) - vv.pow(2).sum((1, 2)))

    a_won = (torch.rand(n, generator=g) < torch.sigmoid(score(a) - score(b))).float()
    is_test = torch.zeros(n, dtype=torch.bool)
    is_test[: n // 5] = True
    names = tuple(f"h{k}" for k in range(heroes))
    roster = Roster(names, names, tuple("clan " + str(int(c)) for c in clan))
    return Matches("planted", a, b, a_won, is_test, roster, side_advantage=False)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    return path


def tiny_csv_rows(n: int = 20) -> list[list[str]]:
    names = ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"]
    rows = [["team1_1", "team1_2", "team2_1", "team2_2", "winner"]]
    for k in range(n):
        p = [names[(k + s) % 6] for s in (0, 1, 2, 3)]
        rows.append(p + ["1" if k % 3 else "2"])
    return rows


# --- the model's algebra ----------------------------------------------------------------------

def test_pair_sum_identity_matches_an_explicit_double_loop():
    g = torch.Generator().manual_seed(1)
    v = torch.randn(7, 5, 3, generator=g, dtype=torch.float64)
    loop = torch.tensor([sum(float(v[b, i] @ v[b, j]) for i in range(5) for j in range(i + 1, 5)) for b in range(7)],
                        dtype=torch.float64)
    assert torch.allclose(pair_sum(v), loop)


def test_team_score_with_padding_equals_the_formula():
    model = TeamModel(TeamConfig(n_heroes=6, dim=3, init_scale=1.0), torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.w.copy_(torch.arange(6.0))
    teams = torch.tensor([[0, 2, 5], [1, 3, 6], [4, 6, 6]])  # 6 = padding (unknown hero)
    expect = []
    w, v = model.w.detach(), model.v.detach()
    for row in teams.tolist():
        members = [i for i in row if i < 6]
        s = sum(float(w[i]) for i in members)
        s += sum(float(v[i] @ v[j]) for x, i in enumerate(members) for j in members[x + 1:])
        expect.append(s)
    assert torch.allclose(model.score(teams), torch.tensor(expect), atol=1e-5)
    out = model(teams[:2], teams[1:])
    assert torch.allclose(out.logit, out.score_a - out.score_b)


def test_padding_gets_no_gradient_and_all_pairs_counts_each_pair_once():
    model = AllPairsModel(AllPairsConfig(n_heroes=5))
    with torch.no_grad():
        model.u.copy_(torch.arange(1.0, 11.0))
    m = model.pair_matrix()
    assert torch.equal(m, m.T) and float(m.diag().abs().sum()) == 0
    teams = torch.tensor([[0, 1, 2], [4, 3, 5]])
    expect = [float(m[0, 1] + m[0, 2] + m[1, 2]), float(m[3, 4])]
    assert torch.allclose(model.score(teams), torch.tensor(expect))
    fm = TeamModel(TeamConfig(n_heroes=5, dim=2))
    fm.score(torch.tensor([[0, 5, 5]])).sum().backward()
    assert fm.v.grad.shape == (5, 2) and float(fm.w.grad[1:].abs().sum()) == 0


def test_contributions_add_up_to_the_logit():
    m = planted_matches(n=50)
    model = TeamModel(TeamConfig(n_heroes=12, dim=3, init_scale=0.5), torch.Generator().manual_seed(0))
    terms = contributions(model, m.roster, [0, 1, 2], [3, 4, 5])
    with torch.no_grad():
        logit = model(torch.tensor([[0, 1, 2]]), torch.tensor([[3, 4, 5]])).logit
    assert math.isclose(sum(t.value for t in terms), float(logit), abs_tol=1e-5)
    assert sum(t.kind == "pair" for t in terms) == 6
    p = win_probability(model, [0, 1, 2], [3, 4, 5])
    assert math.isclose(p, float(torch.sigmoid(logit)), abs_tol=1e-6)


# --- training ---------------------------------------------------------------------------------

def test_loss_decreases_and_every_model_is_reported():
    result = train(planted_matches(n=1500), TINY)
    assert [f.label for f in result.fitted] == ["ability only", "all pairs", "factorised"]
    curve = result.main.curve
    assert len(curve) == TINY.epochs and curve[-1]["train logloss"] < curve[0]["train logloss"]
    summary = result.summary()
    assert {"ability_only_accuracy", "model_accuracy", "ability_only_logloss", "model_logloss", "dim",
            "seconds"} <= set(summary)


def test_factorised_model_beats_ability_only_on_planted_pair_effects():
    matches = planted_matches()
    result = train(matches, TeamTrainSettings(dim=2, l2=1e-4, epochs=15, lr=0.05, batch_size=128))
    ability = result.get("ability only").metrics
    model = result.main.metrics
    assert model["test_accuracy"] > ability["test_accuracy"] + 0.05, (ability, model)
    assert model["test_logloss"] < ability["test_logloss"]
    strong, weak = ranked_pairs(result.main.model, matches.roster, 3)
    same_clan = lambda p: int(p.first[1:]) % 2 == int(p.second[1:]) % 2  # noqa: E731
    assert all(same_clan(p) for p in strong) and not any(same_clan(p) for p in weak)
    proj = teamwork_pca(result.main.model)
    assert proj.coords.shape == (12, 2) and 0.5 < sum(proj.explained) <= 1.0 + 1e-6


def test_training_is_seeded():
    m = planted_matches(n=600)
    r1, r2 = train(m, TINY), train(m, TINY)
    r3 = train(m, TeamTrainSettings(**{**TINY.__dict__, "seed": 1}))
    assert torch.equal(r1.main.model.v, r2.main.model.v) and r1.main.metrics == r2.main.metrics
    assert not torch.equal(r1.main.model.v, r3.main.model.v)


def test_recipe_keeps_no_state_between_fits_and_decays_the_lr_like_lambda_lr():
    m = planted_matches(n=600)
    split, params = m.split("cpu"), TINY.train_params()
    config = TeamConfig(n_heroes=m.n_heroes, dim=TINY.dim, l2=TINY.l2, init_scale=TINY.init_scale)
    recipe = TeamRecipe(config, split.n_train)
    before = dict(vars(recipe))
    models = []
    for _ in range(2):  # one recipe, two runs: each starts its own schedule
        model = build_team_model(config, TINY.seed)
        list(fit(model, recipe, split, params))
        models.append(model)
        assert vars(recipe) == before, "fit must leave the recipe as it was"
    assert torch.equal(models[0].v, models[1].v)
    # the schedule steps exactly as torch's LambdaLR over a cosine would
    steps = total_steps(split.n_train, params)
    ours = recipe.optimizers(build_team_model(config), params)["model"]
    ref_opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=params.lr)
    ref = torch.optim.lr_scheduler.LambdaLR(ref_opt, lambda s: cosine_factor(s, steps))
    batch = tuple(t[:8] for t in split.train)
    for _ in range(steps + 2):
        recipe.step(build_team_model(config), {"model": ours}, batch, None)
        ref_opt.step()
        ref.step()
        assert ours.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]
    assert ours.param_groups[0]["lr"] == 0.0


def test_stop_keeps_the_factorised_model():
    import threading

    stop = threading.Event()
    items = []
    for item in train_models(planted_matches(n=600), TINY, stop=stop):
        items.append(item)
        stop.set()
    result = items[-1]
    assert isinstance(result, TeamResult) and [f.label for f in result.fitted] == ["factorised"]


def test_checkpoint_round_trip_keeps_model_baselines_and_roster(tmp_path):
    m = planted_matches(n=600)
    result = train(m, TINY)
    path = save_result(tmp_path / "team-planted", result)
    ckpt = checkpoints.load(path)
    assert ckpt.kind == "team" and ckpt.family == "team" and ckpt.dataset == "planted"
    back = result_from_checkpoint(ckpt)
    assert back.roster == result.roster and back.settings == result.settings
    assert np.array_equal(back.pair_counts, m.pair_counts())
    a, b = m.team_a[:20], m.team_b[:20]
    for f, g in zip(result.fitted, back.fitted):
        assert f.label == g.label and f.metrics == pytest.approx(g.metrics)
        assert torch.allclose(f.model(a, b).logit, g.model(a, b).logit, atol=1e-6)
    assert any(c.path == path and c.kind == "team" for c in checkpoints.catalogue([tmp_path]))


def test_settings_are_validated():
    with pytest.raises(Exception, match="Teamwork dimension d must be between"):
        TeamTrainSettings(dim=0)
    with pytest.raises(Exception, match="Learning rate must be between"):
        TeamTrainSettings(lr=5.0)


# --- the user's CSV ---------------------------------------------------------------------------

def test_csv_loads_with_a_seeded_split_and_its_own_roster(tmp_path):
    m = load_csv(write_csv(tmp_path / "games.csv", tiny_csv_rows()))
    assert m.team_a.shape == (20, 2) and m.n_heroes == 6 and m.n_test == 4 and m.side_advantage
    assert float(m.a_won.sum()) == sum(1 for k in range(20) if k % 3)
    assert set(m.roster.names) == {"Ann", "Ben", "Cat", "Dan", "Eve", "Fay"}
    again = load_csv(write_csv(tmp_path / "again.csv", tiny_csv_rows()))
    assert torch.equal(m.is_test, again.is_test)


def test_csv_split_column_and_game_roster(tmp_path):
    roster = Roster(("1", "2", "3", "4"), ("Abathur", "Anub'arak", "Artanis", "Arthas"), ("S", "W", "W", "W"))
    rows = [["winner", "team2_1", "team1_1", "split", "team2_2", "team1_2"]]
    rows += [["2", "abathur", "2", "train" if k < 8 else "test", "4", "Artanis"] for k in range(10)]
    m = load_csv(write_csv(tmp_path / "g.csv", rows), roster=roster)
    assert m.team_a[0].tolist() == [1, 2] and m.team_b[0].tolist() == [0, 3]
    assert m.n_test == 2 and float(m.a_won.sum()) == 0 and m.roster is roster


BAD_CSVS = [
    ("no winner", lambda r: [[c for c in row[:4]] for row in r], "no 'winner' column"),
    ("extra column", lambda r: [row + (["score"] if i == 0 else ["3"]) for i, row in enumerate(r)], "unexpected column"),
    ("uneven teams", lambda r: [row[:3] + row[4:] if True else row for row in r], "same size"),
    ("gap in numbering", lambda r: [["team1_1", "team1_3"] + r[0][2:]] + r[1:], "without gaps"),
    ("missing member", lambda r: r[:5] + [["Ann", "", "Cat", "Dan", "1"]] + r[6:], "team 1 has 1 member(s)"),
    ("winner 3", lambda r: r[:-1] + [r[-1][:4] + ["3"]], "it must be 1 or 2"),
    ("same hero twice", lambda r: r[:-1] + [["Ann", "Ben", "Ann", "Dan", "1"]], "lists 'Ann' twice"),
    ("too few rows", lambda r: r[:4], "at least 10"),
    ("short row", lambda r: r[:-1] + [r[-1][:3]], "has 3 fields"),
    ("empty", lambda r: [], "empty"),
]


@pytest.mark.parametrize("name, change, message", BAD_CSVS, ids=[b[0] for b in BAD_CSVS])
def test_bad_csv_is_refused_with_one_sentence(tmp_path, name, change, message):
    path = write_csv(tmp_path / "bad.csv", change(tiny_csv_rows()))
    with pytest.raises(DataFormatError) as err:
        load_csv(path)
    text = str(err.value)
    assert message in text and "\n" not in text
    if "column" in message or "size" in message or "gaps" in message:
        assert "Expected columns: team1_1" in text


def test_csv_unknown_id_and_non_utf8_are_refused(tmp_path):
    roster = Roster(("1", "2"), ("Abathur", "Arthas"), ("S", "W"))
    rows = [["team1_1", "team2_1", "winner"]] + [["1", "2", "1"]] * 11 + [["1", "99", "2"]]
    with pytest.raises(DataFormatError, match="row 13: '99' is not a known hero id or name"):
        load_csv(write_csv(tmp_path / "u.csv", rows), roster=roster)
    with pytest.raises(DataFormatError, match="not UTF-8"):
        load_csv(b"team1_1,team2_1,winner\n\xff\xfe,x,1\n")


# --- real data --------------------------------------------------------------------------------

@pytest.mark.realdata
def test_hots_tournament_loader(shared_data):
    m = load_matches("hots-tournament", shared_data)
    assert m.team_a.shape == (9610, 5) and m.n_train == 7688 and m.n_test == 1922 and m.n_heroes == 54
    assert float(m.a_won.min()) == 1.0 and not m.side_advantage
    assert set(m.roster.roles) <= {"Warrior", "Support", "Assassin", "Specialist", "Multiclass"}
    assert "Anub'arak" in m.roster.names and int(m.team_a.max()) < 54


@pytest.mark.realdata
def test_hots_public_loader_pads_missing_heroes(shared_data):
    m = load_matches("hots-public", shared_data)
    assert m.team_a.shape == (139426, 5) and m.n_train == 111538 and m.n_test == 27888 and m.n_heroes == 62
    pads = (m.team_a == m.n_heroes).sum(1)
    assert int(pads.max()) == 2 and int((pads == 0).sum()) == 46901
    assert "Kael'thas" in m.roster.names  # HTML entities decoded


@pytest.mark.realdata
def test_dota2_loader(shared_data):
    m = load_matches("dota2", shared_data)
    assert m.team_a.shape == (102944, 5) and m.n_train == 92650 and m.n_test == 10294 and m.side_advantage
    assert m.n_heroes == 111 and "24" not in m.roster.ids and "108" not in m.roster.ids
    assert 0.52 < float(m.a_won.mean()) < 0.54
    both = torch.cat([m.team_a, m.team_b], 1)
    assert all(len(set(row)) == 10 for row in both[:2000].tolist())
    assert "Anti-Mage" in m.roster.names and m.roster.roles[m.roster.names.index("Anti-Mage")] == "Carry"


def test_missing_data_says_where_to_put_it(tmp_path):
    assert available(tmp_path) == []
    with pytest.raises(DatasetUnavailable, match=r"put hots/hero_roles\.json.*there"):
        load_matches("hots-tournament", tmp_path)


# --- CLI --------------------------------------------------------------------------------------

def test_cli_team_on_a_csv_prints_one_json_object(tmp_path, capsys):
    path = write_csv(tmp_path / "g.csv", tiny_csv_rows(40))
    out = tmp_path / "model"
    assert main(["team", "--csv", str(path), "--dim", "2", "--epochs", "2", "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"ability_only_accuracy", "model_accuracy", "ability_only_logloss", "model_logloss", "dim",
            "seconds"} <= set(result) and result["dim"] == 2
    assert load_result(result["path"]).main.config.dim == 2


def test_cli_team_bad_csv_is_one_sentence(tmp_path, capsys):
    path = write_csv(tmp_path / "g.csv", [["a", "b"], ["1", "2"]])
    assert main(["team", "--csv", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unexpected column" in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.realdata
def test_cli_team_on_hots_tournament(shared_data, monkeypatch, capsys):
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    assert main(["team", "--dataset", "hots-tournament", "--dim", "8", "--epochs", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dataset"] == "hots-tournament" and 0.4 < result["model_accuracy"] <= 1.0


# --- pages ------------------------------------------------------------------------------------

def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def test_pages_without_data_say_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(tmp_path))
    at = _app().switch_page("pages/team_ability.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Upload a CSV of your own matches" in i.value for i in at.info), "speaks to users (issue 19)"
    assert not any("GENVIZ_DATA_DIR" in i.value for i in at.info), "server details only in the expander"
    assert at.selectbox(key="team_data").options == ["Your CSV (upload)"]
    at = at.switch_page("pages/team_predictor.py").run()
    assert not at.exception and not at.error


@pytest.mark.realdata
def test_ability_page_trains_and_predictor_uses_the_result(shared_data, monkeypatch):
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    at = _app().switch_page("pages/team_ability.py").run()
    at.selectbox(key="team_data").set_value("hots-tournament").run()
    at.slider(key="team_dim").set_value(4)
    at.slider(key="team_epochs").set_value(2).run()
    at.button(key="team_train").click().run()
    job = at.session_state["team_run"].job
    deadline = time.time() + 60
    while job.snapshot().running and time.time() < deadline:
        time.sleep(0.2)
    at.run()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="team_view").value.startswith("Trained in this session (hots-tournament, d=4)")
    assert len(at.dataframe[0].value) == 3
    at = at.switch_page("pages/team_predictor.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["model"]) == ["factorised", "ability only", "all pairs"] or len(table) == 3
    assert all(v.endswith("%") for v in table["P(team A wins)"]) and all(v.endswith("%") for v in
                                                                        table["right on held-out matches"])
    at.multiselect(key="team_a").set_value(["Abathur", "Artanis"]).run()
    assert not at.exception and len(at.multiselect(key="team_a").value) == 2
