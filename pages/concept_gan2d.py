"""Concepts · a 2-D GAN trained live: real vs fake points, D's decision map, G's warped grid, gradient arrows."""
import streamlit as st

from genviz import ui as backend
from genviz.concepts import figures
from genviz.concepts import ui as gan_lab
from genviz.core.errors import GenvizError

settings = backend.sidebar()
st.title("A 2-D GAN, live")
st.caption("The generator G maps 2-D noise z ~ N(0, I) to points (purple) that should look like the target "
           "(green); the discriminator D colours the plane by how real it finds each place. Press Play, or step "
           "D and G one update at a time. Changing the loss, optimisers or learning rates acts live; changing "
           "the target or the networks starts again.")

settings_col, main = st.columns([1, 3], gap="large")
with settings_col:
    try:
        config = gan_lab.gan2d_settings(settings.seed)
    except GenvizError as err:
        st.error(str(err))
        st.stop()

with main:
    st.latex(config.objective.formula)
    if config.target == "custom":
        with st.expander("Draw your own target", expanded=gan_lab.custom_points() is None):
            gan_lab.custom_points_panel()
    try:
        lab = gan_lab.lab(config)
    except GenvizError as err:
        st.info(str(err))
        st.stop()

    running = gan_lab.running()
    buttons = st.columns(6)
    buttons[0].button("Play", key="gan2d_play", icon=":material/play_arrow:", type="primary", on_click=gan_lab.play,
                      args=(lab,), disabled=running, width="stretch")
    buttons[1].button("Pause", key="gan2d_pause", icon=":material/pause:", on_click=gan_lab.pause,
                      disabled=not running, width="stretch")
    buttons[2].button("Step D", key="gan2d_step_d", on_click=gan_lab.step, args=(lab, "d"), disabled=running,
                      width="stretch", help="One discriminator update; G stays fixed.")
    buttons[3].button("Step G", key="gan2d_step_g", on_click=gan_lab.step, args=(lab, "g"), disabled=running,
                      width="stretch", help="One generator update against the current D.")
    buttons[4].button("Step D+G", key="gan2d_step", on_click=gan_lab.step, args=(lab, "both"), disabled=running,
                      width="stretch", help="'D steps per G step' discriminator updates, then one generator update.")
    buttons[5].button("Reset", key="gan2d_reset", icon=":material/restart_alt:", on_click=gan_lab.reset,
                      args=(config,), width="stretch")

    speed_col, toggle_col = st.columns([1, 2], vertical_alignment="center")
    speed = speed_col.select_slider("Speed (training steps per second)", gan_lab.SPEEDS, value=20, key="gan2d_speed")
    gan_lab.set_speed(lab, speed)
    toggles = toggle_col.columns(5)
    layers = [name for col, (name, label) in zip(toggles, (
        ("real", "real"), ("fake", "fake"), ("heatmap", "D map"), ("manifold", "G grid"), ("gradients", "arrows"),
    )) if col.checkbox(label, value=name != "gradients", key=f"gan2d_show_{name}")]

    for message in (st.session_state.get(gan_lab.ERROR), None if running else gan_lab.job_error()):
        if message:
            st.error(message)
    if not running and gan_lab.paused_unwatched():
        st.info(f"Paused by itself: nobody watched it for {gan_lab.IDLE_STOP_S:.0f} s (another page or a closed "
                "tab). Press Play to go on.")


@st.fragment(run_every=0.5 if running else None)
def live_view() -> None:
    """The canvas and the metrics; reruns twice a second while training runs, alone (not the whole page)."""
    frame = gan_lab.latest_frame(lab)
    m = frame.metrics
    canvas, side = st.columns([3, 2])
    canvas.plotly_chart(figures.gan2d_canvas(frame, layers), key="gan2d_canvas", width="stretch")
    with side:
        a, b, c = st.columns(3)
        a.metric("G steps", f"{m.step:,}", help=f"{m.d_step:,} discriminator steps")
        b.metric("D loss", gan_lab.number(m.d_loss))
        c.metric("G loss", gan_lab.number(m.g_loss))
        a.metric("KL (bits)", f"{m.kl:.2f}", help="KL(real ‖ fake) on a 24×24 histogram grid over the canvas.")
        b.metric("JS (bits)", f"{m.js:.2f}", help="Jensen–Shannon divergence on the same grid: 0 = same, 1 = disjoint.")
        c.metric("Modes", "—" if m.modes_covered is None else f"{m.modes_covered}/{m.n_modes}",
                 help="Modes covered: Gaussians of the target with at least 0.8% of 1,000 fakes within 3σ of "
                      "their centre.")
        st.caption(f"Mean ‖∇ₓ L_G‖ per fake: {m.grad_norm:.3g}"
                   + ("" if m.quality is None else f" · fakes within 3σ of a mode: {m.quality:.0%}"))
        if lab.history:
            st.plotly_chart(figures.gan2d_metrics_figure(list(lab.history)), key="gan2d_metrics", width="stretch")
    if running and not gan_lab.running():
        st.rerun()  # the run ended by itself (diverged, or unwatched): drop the refresh timer, show why


with main:
    live_view()
    st.caption("Arrows: −∇ₓ L_G for each fake point — where the generator's loss pushes it (scaled so the longest "
               "is half a unit). With the saturating loss they vanish wherever D confidently says \"fake\".")
