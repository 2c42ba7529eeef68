"""The Streamlit side of the team-ability pages: match data, settings, the training job, results.

Match data are read-only and shared (`st.cache_resource`). Training runs as this session's
`BackgroundJob` (in the server-wide training queue); a finished `TeamResult` (frozen, its models
only ever read) is also kept in a small shared `LRUStore` keyed by (data, settings), so pressing
Train again with the same settings — in any session — shows the result at once instead of retraining.
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st

from genviz.core import checkpoints
from genviz.core.data import data_dir
from genviz.core.errors import ConfigError, GenvizError
from genviz.core.jobs import BackgroundJob, LRUStore, training_queue
from genviz.team.matches import (
    CSV_HELP,
    DATASETS,
    Matches,
    available,
    game_roster,
    load_csv,
    load_matches,
    missing_files,
)
from genviz.team.roles import RoleSeparation, role_separations, role_verdict
from genviz.team.training import (
    TeamProgress,
    TeamResult,
    TeamTrainSettings,
    default_settings,
    result_from_checkpoint,
    save_result,
    train_models,
)
from genviz.ui import catalogue, load_checkpoint, start_job

JOB = "team"
CSV_CHOICE = "csv"
SESSION_LABEL = "Trained in this session"
L2_OPTIONS = (0.0, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 6e-4, 1e-3, 3e-3, 1e-2)
LR_OPTIONS = (0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2)
CSV_EXAMPLE = "team1_1,team1_2,team2_1,team2_2,winner\nAnna,Ben,Cleo,Dan,1\nAnna,Cleo,Ben,Dan,2\n…"


class DataChoice(NamedTuple):
    key: str  # dataset name, or "csv-<sha1>" of an uploaded file
    matches: Matches


@st.cache_resource(show_spinner="Loading matches…", max_entries=3)
def _matches(name: str, root: str) -> Matches:
    return load_matches(name, Path(root))


@st.cache_resource(show_spinner="Reading your CSV…", max_entries=4)
def _csv_matches(content: bytes, name: str, game: str | None, root: str) -> Matches:
    roster = game_roster(game, Path(root)) if game else None
    return load_csv(content, roster=roster, name=name)


def _dataset_label(name: str) -> str:
    return "Your CSV (upload)" if name == CSV_CHOICE else DATASETS[name].title


NO_DATA = ("No match data here yet. Upload a CSV of your own matches below — one row per match: the players or "
           "heroes of each team and which team won — and train on it; the shipped models can be looked at "
           "further down without any data.")


def where_to_put_files() -> str:
    """For whoever runs the server: where the Heroes of the Storm and Dota 2 files go."""
    return (f"genviz looks for match files in its data folder, `{data_dir()}` (the `GENVIZ_DATA_DIR` setting). "
            "Heroes of the Storm: `hots/tournament/…`, `hots/public/…` and `hots/hero_roles.json`; Dota 2 (UCI): "
            "`dota2/dota2Train.csv`, `dota2/dota2Test.csv` and `dota2/heroes.json` (shared/data/SOURCES.md says "
            "where to download them). Reload the page once they are there.")


def data_source(key: str = "team_data") -> DataChoice | None:
    """Pick a match dataset present on disk, or upload a CSV; None (with a message) until data are there."""
    root = str(data_dir())
    present = available(Path(root))
    if not present:
        st.info(NO_DATA, icon=":material/upload_file:")
        with st.expander("Running genviz yourself? Where the game files go"):
            st.markdown(where_to_put_files())
    choice = st.selectbox("Match data", present + [CSV_CHOICE], format_func=_dataset_label, key=key)
    if choice == CSV_CHOICE:
        upload = st.file_uploader("Your matches (CSV)", type=["csv"], key=f"{key}_csv", help=CSV_HELP)
        games = [g for g in DATASETS if not missing_files(g, Path(root))]
        game = st.selectbox("The cells name", ["players or heroes of my own"] + games, key=f"{key}_csv_game",
                            help="Pick a game to check every cell against its hero ids or names.")
        if upload is None:
            st.caption(CSV_HELP + " For example:")
            st.code(CSV_EXAMPLE, language="text")
            return None
        content = upload.getvalue()
        try:
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(upload.name).stem)[:40] or "csv"
            matches = _csv_matches(content, stem, game if game in games else None, root)
        except GenvizError as err:
            st.error(str(err))
            return None
        return DataChoice(f"csv-{hashlib.sha1(content).hexdigest()[:12]}", matches)
    try:
        return DataChoice(choice, _matches(choice, root))
    except GenvizError as err:
        st.error(str(err))
        return None


def settings_widgets(choice: DataChoice, seed: int) -> TeamTrainSettings:
    """Sliders for d, λ, epochs and lr; they jump to the dataset's recommended values when it changes."""
    defaults = default_settings(choice.matches.name if choice.key == choice.matches.name else "csv")
    if st.session_state.get("team_settings_for") != choice.key:
        st.session_state.update(team_dim=defaults.dim, team_l2=min(L2_OPTIONS, key=lambda x: abs(x - defaults.l2)),
                                team_epochs=defaults.epochs, team_lr=min(LR_OPTIONS, key=lambda x: abs(x - defaults.lr)),
                                team_settings_for=choice.key)
    c1, c2 = st.columns(2)
    dim = c1.slider("Teamwork dimension d", 1, 128, key="team_dim", help="Size of each hero's teamwork vector v_i.")
    l2 = c2.select_slider("L2 weight λ", L2_OPTIONS, key="team_l2", format_func=lambda x: f"{x:g}",
                          help="Penalty λ(‖w‖² + ‖v‖²): larger values shrink abilities and teamwork towards 0.")
    epochs = c1.slider("Epochs", 1, 300, key="team_epochs")
    lr = c2.select_slider("Learning rate (Adam, cosine decay)", LR_OPTIONS, key="team_lr", format_func=lambda x: f"{x:g}")
    return TeamTrainSettings(dim=dim, l2=l2, epochs=epochs, lr=lr, batch_size=defaults.batch_size, seed=seed,
                                  init_scale=defaults.init_scale)


@st.cache_resource
def _finished() -> LRUStore:
    """Finished, read-only `TeamResult`s shared by all sessions, keyed by (data, settings)."""
    return LRUStore(capacity=8)


@dataclass
class TeamRun:
    key: tuple
    job: BackgroundJob


def start_training(choice: DataChoice, settings: TeamTrainSettings) -> None:
    """Start this session's training job, or reuse a finished result with the same data and settings."""
    key = (choice.key, settings)
    cached = _finished().get(key)
    if cached is not None:
        _show_session_result(cached)
        return
    matches = choice.matches

    def run(stop: threading.Event):
        yield from train_models(matches, settings, stop=stop)

    job = BackgroundJob(run, name=JOB, keep_history=5000, lane=_curve_of, queue=training_queue())
    st.session_state["team_run"] = TeamRun(key, job)
    start_job(JOB, job)


def _curve_of(item) -> str:
    """History lanes: each model's progress is thinned on its own, so every curve keeps its points."""
    return item.label if isinstance(item, TeamProgress) else ""


def current_run() -> TeamRun | None:
    """This session's latest run (its job stops with the session; a finished result stays)."""
    return st.session_state.get("team_run")


def finish(run: TeamRun) -> None:
    """Once the job is over, make its result this session's (and share it if it ran to the end)."""
    snap = run.job.snapshot()
    if snap.running or st.session_state.get("team_finished_job") is run.job:
        return
    st.session_state["team_finished_job"] = run.job
    if isinstance(snap.latest, TeamResult):
        if snap.status == "done":
            _finished().put(run.key, snap.latest)
        _show_session_result(snap.latest)


def _show_session_result(result: TeamResult) -> None:
    st.session_state["team_result"] = result
    st.session_state["team_select_session"] = True


def session_result() -> TeamResult | None:
    return st.session_state.get("team_result")


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def _checkpoint_result(path: str, mtime: float) -> TeamResult:
    return result_from_checkpoint(load_checkpoint(path, "cpu"))


def team_checkpoints() -> list[checkpoints.CheckpointInfo]:
    return [c for c in catalogue() if c.kind == "team"]


def pick_result(key: str, dataset: str | None = None) -> TeamResult | None:
    """Choose what to look at: this session's training or a saved / shipped team checkpoint.

    Starts on this session's model, else on the shipped model of `dataset` (the match data picked above
    it), and follows `dataset` when it changes, so the picker and the results name the same data.
    """
    run = current_run()
    if run is not None:
        finish(run)  # a run that ended while another page was open becomes this session's result here too
    options: dict[str, object] = {}
    if session_result() is not None:
        r = session_result()
        options[f"{SESSION_LABEL} ({r.dataset}, d={r.settings.dim})"] = None
    for info in team_checkpoints():
        options[info.label] = info
    if not options:
        return None
    labels = list(options)
    matching = next((lb for lb, info in options.items()
                     if info is not None and dataset is not None and info.dataset == dataset), None)
    followed = f"{key}__for"
    if st.session_state.pop("team_select_session", False) or st.session_state.get(key) not in labels:
        st.session_state[key] = labels[0] if options[labels[0]] is None or matching is None else matching
    elif dataset is not None and st.session_state.get(followed, dataset) != dataset and matching is not None:
        st.session_state[key] = matching  # the match data changed above: show its model
    st.session_state[followed] = dataset
    label = st.selectbox("Model to look at", labels, key=key)
    info = options[label]
    if info is None:
        return session_result()
    try:
        return _checkpoint_result(str(info.path), info.path.stat().st_mtime)
    except (GenvizError, OSError) as err:
        st.error(str(err))
        return None


def save(result: TeamResult, name: str) -> Path:
    """Save to the user's checkpoint folder (then it appears in every team model picker)."""
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}", name):
        raise ConfigError("A checkpoint name uses letters, digits, '-', '_' or '.', starts with a letter or "
                          "digit, and has at most 80 characters.")
    path = save_result(checkpoints.user_dir() / name, result)
    catalogue.clear()
    return path


class RoleView(NamedTuple):
    pca: RoleSeparation
    full: RoleSeparation
    verdict: str


@st.cache_data(show_spinner="Testing whether roles separate…", max_entries=16)
def role_view(v: np.ndarray, roles: tuple[str, ...], seed: int = 0) -> RoleView:
    """k-NN role accuracy and silhouette of v_i (PCA plane and all d) against 500 role shuffles, and the sentence."""
    pca, full = role_separations(v, roles, seed=seed)
    return RoleView(pca, full, role_verdict(pca, full))


def selection_rows(result: TeamResult) -> list[dict[str, object]]:
    """The validation grid of the factorised model at the chosen d, one row per λ, with its role numbers."""
    sel = result.selection or {}
    rows = []
    for r in sel.get("grid", []):
        if r["model"] != "factorised" or r["dim"] != sel.get("chosen", {}).get("dim"):
            continue
        roles = r.get("roles") or {}
        rows.append({"λ": f"{r['l2']:g}", "chosen": r["l2"] == sel["chosen"]["l2"],
                     "validation accuracy": r["val_accuracy"], "validation log-loss": r["val_logloss"],
                     "role k-NN (all d)": roles.get("knn"), "shuffled": roles.get("knn_shuffled"),
                     "p": roles.get("knn_p"), "silhouette": roles.get("silhouette"),
                     "silhouette p": roles.get("silhouette_p")})
    return rows
