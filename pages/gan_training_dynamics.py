"""Training dynamics: D and G losses, D(x) and D(G(z)), G's gradient norm, and the fixed-noise grid over time."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures
from genviz.gans import figures as gan_figures
from genviz.gans import ui as gan_backend

settings = backend.sidebar()
st.title("Training dynamics")
st.latex(r"\mathcal{L}_D = \mathbb{E}_x[-\log D(x)] + \mathbb{E}_z[-\log(1 - D(G(z)))], \qquad "
         r"\mathcal{L}_G = \mathbb{E}_z[-\log D(G(z))]")
st.caption("D and G take turns: one step of D on a real and a fake batch, then one of G. At the game's equilibrium "
           "D(x) = D(G(z)) = ½ and L_D = 2 log 2 ≈ 1.39. For WGAN-GP and SN-GAN, D(·) is the critic's raw score. "
           "A GAN trained live on the Train page shows up here too, while it trains.")

live = gan_backend.live_history()
sources = ["A checkpoint"] + (["The live run on the Train page"] if live is not None else [])
# A choice only when there is one: a radio with a single option asks nothing.
source = st.radio("Show", sources, horizontal=True, key="gans_dyn_source") if len(sources) > 1 else sources[0]


def show(history) -> None:
    if not history.curve:
        st.info(f"{history.source} has no recorded training curve (it was saved without one).")
        return
    step = None
    if history.grids is not None and len(history.grid_steps):
        if len(history.grid_steps) == 1:
            step = history.grid_steps[0]
        else:
            step = st.select_slider("Training step of the grid", history.grid_steps, value=history.grid_steps[-1],
                                    key="gans_dyn_step")
    st.plotly_chart(gan_figures.training_dynamics(history.curve, marker_step=step), key="gans_dyn_fig",
                    width="stretch")
    if step is None:
        st.info("No fixed-noise grids were saved with this run; shipped checkpoints have them "
                "(`python -m genviz pretrain`), and so does a GAN training live on the Train page.")
        return
    grid = history.grids[history.grid_steps.index(step)]
    st.image(figures.image_grid(grid, nrow=10, scale=figures.pixel_scale(grid.shape, 40)),
             caption=f"G(z) at step {step} for the same fixed noise z as at every other step", width="stretch")


if source == "A checkpoint":
    ckpt = backend.pick_checkpoint("GAN", "gans_dyn_model", settings, families=("gan",),
                                   prefer="dcgan-{dataset}")
    if ckpt is not None:
        history = backend.show_error(lambda: gan_backend.checkpoint_history(ckpt))
        if history is not None:
            show(history)
else:
    running = live is not None and live.running

    @st.fragment(run_every=1.0 if running else None)
    def live_view() -> None:
        history = gan_backend.live_history()
        if history is None:
            st.info("The live run has gone; start one on the Train page.")
            return
        st.caption(f"{history.source} — {'training' if history.running else 'finished'}")
        show(history)
        if not history.running and running:
            st.rerun()  # stop the refresh timer

    live_view()
