"""The Streamlit side of the Concepts pages: the 2-D GAN lab of this session, its job, its widgets.

The lab (`Gan2dLab`) lives in this session's state — never in a cache, it is mutated by training. Play
starts `lab.run` as this session's BackgroundJob "gan2d"; the step buttons act only while it is paused.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from genviz.concepts import figures
from genviz.concepts.gan2d import (
    GAN2D_OBJECTIVES,
    OPTIMIZERS,
    TARGETS,
    Gan2dConfig,
    Gan2dFrame,
    Gan2dLab,
    fit_to_canvas,
    points_from_csv,
)
from genviz.core.errors import GenvizError
from genviz.core.jobs import BackgroundJob
from genviz.ui import session_job, start_job

JOB = "gan2d"
IDLE_STOP_S = 20.0  # a run nobody watches (tab closed, another page open) pauses itself after this long
LAB = "gan2d_lab_object"
CUSTOM = "gan2d_custom_points"
ERROR = "gan2d_step_error"
UPLOAD_ERROR = "gan2d_upload_error"  # why the last CSV was refused; cleared as soon as new points arrive
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, "max")
TARGET_TITLES = {"ring": "Ring of 8 Gaussians", "grid": "Grid of 25 Gaussians", "line": "Line", "moons": "Two moons",
                 "custom": "Draw your own"}
# Short enough for the dropdown in a narrow column (a long one was cut off); the formula goes below it.
LOSS_TITLES = {"bce-saturating": "Saturating (minimax)", "bce-non-saturating": "Non-saturating",
               "lsgan": "Least squares (LSGAN)", "wgan-gp": "Wasserstein + GP"}
LOSS_FORMULAS = {"bce-saturating": "G minimises log(1 − D(G(z)))", "bce-non-saturating": "G minimises −log D(G(z))",
                 "lsgan": "G minimises (D(G(z)) − 1)²", "wgan-gp": "G minimises −D(G(z)); D's gradient norm kept near 1"}


def gan2d_settings(seed: int) -> Gan2dConfig:
    """The lab's settings as keyed widgets (draw them inside a column or expander); `seed` from the sidebar."""
    defaults = Gan2dConfig()
    target = st.selectbox("Target distribution", TARGETS, format_func=TARGET_TITLES.get, key="gan2d_target")
    loss = st.selectbox("Loss", GAN2D_OBJECTIVES, index=GAN2D_OBJECTIVES.index(defaults.loss),
                        format_func=LOSS_TITLES.get, key="gan2d_loss")
    st.caption(LOSS_FORMULAS[loss])
    values = {}
    for who, label in (("g", "Generator"), ("d", "Discriminator")):
        with st.expander(label, expanded=False):
            values[f"{who}_layers"] = st.slider("Hidden layers", 1, 6, 2, key=f"gan2d_{who}_layers")
            values[f"{who}_width"] = st.select_slider("Width", [4, 8, 16, 32, 64, 128, 256], 64, key=f"gan2d_{who}_width")
            values[f"{who}_optimizer"] = st.radio("Optimiser", OPTIMIZERS, horizontal=True,
                                                  key=f"gan2d_{who}_opt")
            values[f"{who}_lr"] = st.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
                                                   3e-3, format_func=lambda v: f"{v:g}", key=f"gan2d_{who}_lr")
    with st.expander("Training", expanded=False):
        values["d_steps"] = st.slider("D steps per G step", 1, 10, 1, key="gan2d_d_steps",
                                      help="WGAN-GP usually wants several critic steps (5) per generator step.")
        values["batch_size"] = st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], 128, key="gan2d_batch")
        values["gp_weight"] = st.select_slider("Gradient-penalty weight λ (WGAN-GP)", [0.0, 0.01, 0.1, 1.0, 10.0], 0.1,
                                               key="gan2d_gp")
        values["activation"] = st.radio("Activation", ["relu", "leaky_relu", "tanh"], horizontal=True,
                                        key="gan2d_activation")
    return Gan2dConfig(target=target, loss=loss, seed=seed, **values)


def custom_points() -> np.ndarray | None:
    """The user's own points (from a CSV or the drawing canvas), if any."""
    return st.session_state.get(CUSTOM)


def set_custom_points(points: np.ndarray | None) -> None:
    """Replace the user's points; an earlier upload's error is stale from here on."""
    st.session_state[CUSTOM] = None if points is None else np.asarray(points, dtype=np.float32)
    st.session_state.pop(UPLOAD_ERROR, None)


def lab(config: Gan2dConfig) -> Gan2dLab:
    """This session's lab for `config`: rebuilt when the target, the networks or the seed change,
    otherwise updated in place (loss, optimisers, learning rates, D steps, batch size act live)."""
    current: Gan2dLab | None = st.session_state.get(LAB)
    points = custom_points() if config.target == "custom" else None
    if (current is None or current.config.rebuild_needed(config)
            or (config.target == "custom" and current.custom_points is not points)):
        return reset(config)
    if current.config != config:
        current.apply(config)
    return current


def reset(config: Gan2dConfig) -> Gan2dLab:
    """Stop any run and start again from fresh networks."""
    pause()
    points = custom_points() if config.target == "custom" else None
    new = Gan2dLab(config, points)
    new.frame()
    st.session_state[LAB] = new
    st.session_state.pop(ERROR, None)
    return new


def running() -> bool:
    job = session_job(JOB)
    return job is not None and job.snapshot().running


def paused_unwatched() -> bool:
    """True when the last run paused itself because no page drew its frames for IDLE_STOP_S."""
    job = session_job(JOB)
    return job is not None and job.snapshot().status == "done"


def job_error() -> str | None:
    job = session_job(JOB)
    return job.snapshot().error if job is not None else None


def play(current: Gan2dLab) -> None:
    """Train in this session's background thread until Pause (the canvas fragment redraws meanwhile)."""
    st.session_state.pop(ERROR, None)
    start_job(JOB, BackgroundJob(lambda stop: current.run(stop, idle_stop_s=IDLE_STOP_S), name=JOB, keep_history=1))


def pause() -> None:
    job = session_job(JOB)
    if job is not None:
        job.stop()


def step(current: Gan2dLab, which: str) -> None:
    """Button callback: one D step, one G step or one full step, then a new frame (only while paused)."""
    if running():
        return
    try:
        {"d": current.step_discriminator, "g": current.step_generator, "both": current.step}[which]()
        current.frame()
        st.session_state.pop(ERROR, None)
    except GenvizError as err:
        st.session_state[ERROR] = str(err)


def set_speed(current: Gan2dLab, speed: int | str) -> None:
    current.max_speed = speed == "max"
    if speed != "max":
        current.speed = float(speed)


def number(value: float) -> str:
    """A loss for a (narrow) metric tile: 2 decimals, or a dash before the first step."""
    return "—" if value != value else f"{value:.2f}"


def latest_frame(current: Gan2dLab) -> Gan2dFrame:
    """The newest frame to draw; drawing it tells a running job that someone is watching."""
    current.seen()
    return current.last_frame if current.last_frame is not None else current.frame()


# The drawing canvas: a field of candidate points to lasso or box-select (one trace, selection by index).
_TICKS = np.linspace(-2.5, 2.5, 41)
CANDIDATES = np.stack(np.meshgrid(_TICKS, _TICKS), -1).reshape(-1, 2)


def custom_points_panel() -> None:
    """Upload a CSV of x,y or select points on a canvas; the result becomes the "custom" target."""
    upload = st.file_uploader("Upload a CSV of x,y points", type=["csv", "txt"], key="gan2d_csv")
    if upload is not None and st.session_state.get("gan2d_csv_seen") != upload.file_id:
        st.session_state["gan2d_csv_seen"] = upload.file_id
        try:
            set_custom_points(points_from_csv(upload.getvalue()).numpy())
        except GenvizError as err:
            st.session_state[UPLOAD_ERROR] = str(err)
    if st.session_state.get(UPLOAD_ERROR):
        st.error(st.session_state[UPLOAD_ERROR])
    st.caption("…or drag a lasso or box over the grey field, then press a button. Points are centred and "
               "scaled to fit the canvas; each one becomes a small Gaussian blob.")
    chosen = custom_points()
    shown = None if chosen is None else fit_to_canvas(torch.from_numpy(chosen)).numpy()
    event = st.plotly_chart(figures.draw_points_figure(CANDIDATES, shown), on_select="rerun",
                            selection_mode=("box", "lasso"), key="gan2d_draw", width="stretch")
    selected = event.selection.points if event else []
    picked = CANDIDATES[np.array([p["point_index"] for p in selected if p.get("curve_number") == 0], dtype=int)]
    a, b, c = st.columns(3)
    if a.button(f"Use selection ({len(picked)})", key="gan2d_use_selection", disabled=len(picked) < 3):
        set_custom_points(picked)
        st.rerun()
    if b.button("Add selection", key="gan2d_add_selection", disabled=len(picked) == 0 or chosen is None):
        set_custom_points(np.concatenate([shown, picked]))
        st.rerun()
    if c.button("Clear points", key="gan2d_clear_points", disabled=chosen is None):
        set_custom_points(None)
        st.rerun()
