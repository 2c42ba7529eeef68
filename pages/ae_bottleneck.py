"""Bottleneck and overfitting: train vs held-out loss as the latent size and the training-set size change."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend

settings = backend.sidebar()
st.title("The bottleneck and overfitting")
st.markdown("A vanilla AE with a code of d < n numbers must *compress*: a small d throws information away, a "
            "large d keeps more. With few training images a flexible AE memorises them — the train loss keeps "
            "falling while the held-out loss does not. Each point below is one vanilla MLP AE trained for a "
            "fixed number of steps.")
st.latex(r"\min_{E,D}\ \frac{1}{N}\sum_{i=1}^{N} \mathcal{L}\big(x_i, D(E(x_i))\big),\quad E: \mathbb{R}^n \to "
         r"\mathbb{R}^d,\ d < n \qquad \text{gap} = \mathcal{L}_{\text{held-out}} - \mathcal{L}_{\text{train}}")


def draw(points: list, n_small: int, n_all: int, d_fixed: int, floor: float | None, key: str) -> None:
    left, right = st.columns(2)
    left.plotly_chart(ae_figures.bottleneck_figure(
        points, x="latent_dim", curves={"latent": f"{n_all:,} images", "latent_small": f"{n_small:,} images"},
        title="Loss against the latent size d", floor=floor), key=f"{key}_latent", width="stretch")
    right.plotly_chart(ae_figures.bottleneck_figure(points, x="n_train", curves={"size": f"d = {d_fixed}"},
                                                    title="Loss against the training-set size", floor=floor),
                       key=f"{key}_size", width="stretch")
    by_size = sorted((p for p in points if p["curve"] == "size"), key=lambda p: p["n_train"])
    if len(by_size) >= 2:
        a, b = by_size[0], by_size[-1]
        st.caption(f"Generalisation gap: {a['test_loss'] - a['train_loss']:.1f} nats with {a['n_train']:,} training "
                   f"images, {b['test_loss'] - b['train_loss']:.1f} nats with {b['n_train']:,}. The dotted line is "
                   "the pixels' own entropy Σₚ H(xₚ) of the images behind the points (the least over the held-out "
                   "set and each training subset): no model's loss on them can go below it.")


imgs = ae_backend.page_dataset(settings, "Recomputing the curves")
shipped_name = settings.dataset if imgs is not None and ae_backend.shipped_curves(settings.dataset) else "digits"
shipped = ae_backend.shipped_curves(shipped_name)
curve_imgs = imgs if imgs is not None and shipped_name == imgs.name else ae_backend.digits(settings)
st.subheader(f"Precomputed on {backend.dataset_title(shipped_name)}")
if shipped_name != settings.dataset:
    st.info(f"No precomputed curves ship for {backend.dataset_title(settings.dataset)}; showing the digits ones.")
if shipped is None:
    st.warning("No precomputed curves are shipped; rebuild them with `python -m genviz pretrain --only ae-curves-digits`, "
               "or recompute them live below.")
else:
    s = shipped["settings"]
    draw(shipped["points"], s["small_train"], max(s["train_sizes"]), s["latent_for_sizes"],
         ae_backend.curves_floor(curve_imgs, shipped["points"], s["seed"]), "bn_shipped")
    st.caption(f"Hidden width {s['hidden']}, {s['steps']} steps of batch {s['batch_size']}, Adam lr {s['lr']:g}; "
               f"computed in {shipped.get('seconds', 0):.0f} s on {shipped.get('created', '?')}.")

live_imgs = imgs if imgs is not None else ae_backend.digits(settings)
live_title = backend.dataset_title(live_imgs.name)
st.subheader(f"Recompute live on {live_title}")
steps = st.select_slider("Training steps per point", [200, 400, 800], 400, key="bn_steps")
job = ae_backend.curves_job()
running = job is not None and job.snapshot().running
b1, b2 = st.columns(2)
if b1.button(f"Recompute on {live_title}", key="bn_start", disabled=running, type="primary"):
    ae_backend.start_curves_job(live_imgs, steps)
    st.session_state.bn_live_dataset = live_imgs.name
    st.rerun()
if b2.button("Stop", key="bn_stop", disabled=not running):
    job.stop()
    st.rerun()


@st.fragment(run_every=0.5 if running else None)
def live() -> None:
    job = ae_backend.curves_job()
    if job is None:
        st.caption("About 20 small models; each point appears as soon as it is trained (≈ 20–60 s in all).")
        return
    snap = job.snapshot()
    points = list(snap.history)
    st.progress(min(1.0, len(points) / 19), text=f"{snap.status} · {len(points)} points · {snap.elapsed:.0f} s")
    if snap.error:
        st.error(snap.error)
    ran_on = st.session_state.get("bn_live_dataset", "digits")
    if points and ran_on == live_imgs.name:
        n_all = len(live_imgs.x_train)
        st.caption(f"Computed on {backend.dataset_title(ran_on)}.")
        draw(points, min(100, n_all), n_all, 16, ae_backend.curves_floor(live_imgs, points, 0), "bn_live")
    elif points:
        st.caption(f"These points were computed on {backend.dataset_title(ran_on)}; recompute to see "
                   f"{live_title}.")
    if not snap.running and st.session_state.get("bn_was_running"):
        st.session_state.bn_was_running = False
        st.rerun()
    st.session_state.bn_was_running = snap.running


live()
