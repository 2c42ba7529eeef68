"""Gradient vanishing: the saturating vs the non-saturating generator loss against a strong discriminator."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures
from genviz.core.errors import GenvizError
from genviz.gans import figures as gan_figures
from genviz.gans import ui as gan_backend

settings = backend.sidebar()
st.title("Why the saturating loss stalls")
st.latex(r"\text{saturating: } \min_G\ \mathbb{E}_z[\log(1 - D(G(z)))] \qquad "
         r"\text{non-saturating: } \min_G\ \mathbb{E}_z[-\log D(G(z))]")
st.latex(r"D = \sigma(\ell):\quad \frac{\partial}{\partial \ell}\log(1-\sigma(\ell)) = -D, \qquad "
         r"\frac{\partial}{\partial \ell}\big(-\log\sigma(\ell)\big) = -(1-D)")
st.markdown("Early in training D rejects the generator's samples easily, so D(G(z)) → 0. The saturating loss "
            "then passes G a gradient proportional to D(G(z)) — almost nothing — while the non-saturating loss "
            "passes its largest gradient exactly there. **Experiment:** one DCGAN whose discriminator was first "
            "trained alone (until D(G(z)) < 0.001) is copied twice; the copies train on the same batches and noise, "
            "one with each loss. Plain SGD keeps a step as large as its gradient (Adam would rescale it; try it).")
st.plotly_chart(gan_figures.logit_gradient_theory(), key="gans_van_theory", width="stretch")


def show(progress, key: str) -> None:
    st.plotly_chart(gan_figures.gradient_vs_d_fake(progress.curves), key=f"{key}_scatter", width="stretch")
    st.plotly_chart(gan_figures.vanishing_over_steps(progress.curves), key=f"{key}_steps", width="stretch")
    scale = figures.pixel_scale(progress.start_samples.shape, 40)
    cols = st.columns(3)
    cols[0].image(figures.image_grid(progress.start_samples, nrow=5, scale=scale),
                  caption=f"the common start (after {progress.d_warmup} D-only steps)", width="stretch")
    for col, loss in zip(cols[1:], ("saturating", "non-saturating")):
        last = progress.curves[loss][-1] if progress.curves[loss] else {}
        col.image(figures.image_grid(progress.samples[loss], nrow=5, scale=scale), width="stretch",
                  caption=f"{loss}, after {progress.step} steps: D(G(z)) = {last.get('d_fake', float('nan')):.3g}, "
                          f"‖∇G‖ = {last.get('g_grad_norm', float('nan')):.3g}")


tab_stored, tab_live = st.tabs(["Precomputed", "Run it live"])
with tab_stored:
    stored = backend.show_error(lambda: gan_backend.precomputed_vanishing(settings))
    if stored is None:
        st.info(f"No precomputed experiment is shipped for {backend.dataset_title(settings.dataset)}; run it live.")
    else:
        st.caption(f"Stored with the shipped checkpoint {stored[0]}.")
        show(stored[1], "gans_van_stored")

with tab_live:
    c1, c2, c3, c4 = st.columns(4)
    steps = c1.slider("Steps per run", 20, 600, 150, step=10, key="gans_van_steps")
    warmup = c2.slider("D-only warm-up steps", 0, 1000, 500, step=50, key="gans_van_warmup")
    optimizer = c3.selectbox("Optimizer", ["sgd", "adam"], key="gans_van_opt")
    default_lr = gan_backend.default_vanishing_lr(settings.dataset) if optimizer == "sgd" else 5e-4
    lr = c4.number_input("Learning rate", 1e-5, 1.0, default_lr, format="%.4f",
                         key=f"gans_van_lr_{optimizer}_{settings.dataset}")
    if st.button("Run the experiment", type="primary", key="gans_van_run"):
        try:
            gan_backend.start_vanishing(settings, steps=steps, d_warmup=warmup, optimizer=optimizer, lr=lr)
        except GenvizError as err:
            st.error(str(err))
    job = gan_backend.vanishing_job()

    @st.fragment(run_every=0.5 if job is not None and job.snapshot().running else None)
    def live_view() -> None:
        job = gan_backend.vanishing_job()
        if job is None:
            st.info("Press **Run the experiment** (on digits it takes a few seconds; on MNIST about a minute).")
            return
        snap = job.snapshot()
        if snap.error:
            st.error(snap.error)
        latest = snap.latest
        st.progress(latest.step / latest.total if latest else 0.0,
                    text=f"{snap.status} · step {latest.step if latest else 0} · {snap.elapsed:.1f} s")
        if snap.running and st.button("Stop", key="gans_van_stop"):
            job.stop()
        if latest is not None:
            show(latest, "gans_van_live")
        if not snap.running and st.session_state.get("gans_van_seen_running"):
            st.session_state["gans_van_seen_running"] = False
            st.rerun()
        st.session_state["gans_van_seen_running"] = snap.running

    live_view()
