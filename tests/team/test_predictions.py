"""The Match predictor's reading of one match (issue 19 item 5) and the team pages for a newcomer (item 11)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from genviz.team.predictions import FEW_GAMES, ModelCall, agreement, default_teams, evidence

ROOT = Path(__file__).resolve().parents[2]


def test_agreement_flags_a_split_winner_and_names_the_most_accurate_model():
    calls = agreement([ModelCall("factorised", 0.455, 0.62), ModelCall("ability only", 0.87, 0.58),
                       ModelCall("all pairs", 0.998, 0.55)])
    assert calls.split_winner and calls.disagree and calls.best.label == "factorised"
    text = calls.sentence()
    assert "disagree on the winner" in text and "ability only, all pairs pick A" in text and "factorised pick B" in text
    assert "from 46% to 100%" in text and "factorised (62.0% right)" in text


def test_agreement_on_the_side_but_not_the_size_and_full_agreement():
    wide = agreement([ModelCall("a", 0.55, 0.6), ModelCall("b", 0.95, 0.6)])
    assert not wide.split_winner and wide.disagree and "not on how sure" in wide.sentence()
    close = agreement([ModelCall("a", 0.60, 0.6), ModelCall("b", 0.66, 0.7)])
    assert not close.disagree and close.sentence().startswith("The models agree") and close.best.label == "b"


def test_evidence_counts_rare_pairs():
    counts = np.full((6, 6), 100)
    counts[0, 1] = counts[1, 0] = FEW_GAMES - 1
    ev = evidence(counts, [0, 1, 2], [3, 4, 5])
    assert (ev.pairs, ev.rare_pairs, ev.fewest_games) == (6, 1, FEW_GAMES - 1)
    assert "1 of the 6 teammate pairs" in ev.sentence()
    assert evidence(None, [0], [1]) is None


def test_default_teams_are_popular_heroes_dealt_alternately():
    counts = np.zeros((8, 8))
    popularity = [1, 9, 3, 8, 7, 2, 6, 5]  # hero 1 most played, then 3, 4, 6, 7, 2 …
    for i, games in enumerate(popularity):
        counts[i, (i + 1) % 8] = games
    a, b = default_teams(8, 2, counts)
    assert (a, b) == ([1, 4], [3, 6]) and not set(a) & set(b)
    a, b = default_teams(4, 2, None, np.array([0.1, 0.4, 0.3, 0.2]))
    assert (a, b) == ([1, 3], [2, 0])


def _app(monkeypatch, data_dir) -> AppTest:
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(data_dir))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def test_team_pages_hide_the_image_controls(tmp_path, monkeypatch):
    at = _app(monkeypatch, tmp_path).switch_page("pages/team_ability.py").run()
    assert not at.exception, [e.message for e in at.exception]
    sidebar = [w.label for w in at.sidebar.selectbox]
    assert "Dataset" not in sidebar and "Device" not in sidebar and at.sidebar.number_input(key="gv_seed")
    assert at.expander and "GENVIZ_DATA_DIR" in " ".join(m.value for m in at.expander[0].markdown)
    at = at.switch_page("pages/team_predictor.py").run()
    assert not at.exception and "Dataset" not in [w.label for w in at.sidebar.selectbox]
    at = at.switch_page("pages/home.py").run()
    assert "Dataset" in [w.label for w in at.sidebar.selectbox], "the image pages keep their controls"


@pytest.mark.realdata
def test_results_follow_the_match_data_picker(shared_data, monkeypatch):
    at = _app(monkeypatch, shared_data).switch_page("pages/team_ability.py").run()
    assert not at.exception, [e.message for e in at.exception]
    data = at.selectbox(key="team_data")
    assert at.selectbox(key="team_view").value.startswith(f"team-{data.value} ("), "picker and results name one dataset"
    assert data.value != "dota2"
    at.selectbox(key="team_data").set_value("dota2").run()
    assert at.selectbox(key="team_view").value.startswith("team-dota2 (")
    assert any("Held-out accuracy on dota2" in s.value for s in at.subheader)


@pytest.mark.realdata
def test_predictor_shows_every_model_with_its_accuracy_and_popular_default_teams(shared_data, monkeypatch):
    at = _app(monkeypatch, shared_data).switch_page("pages/team_predictor.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table.columns) >= {"model", "P(team A wins)", "right on held-out matches"}
    names = at.multiselect(key="team_a").options
    team_a, team_b = at.multiselect(key="team_a").value, at.multiselect(key="team_b").value
    assert len(team_a) == len(team_b) >= 1 and not set(team_a) & set(team_b)
    assert team_a + team_b != sorted(names)[: len(team_a) + len(team_b)], "not the first heroes alphabetically"
    assert at.warning or at.success, "a sentence on whether the models agree"
