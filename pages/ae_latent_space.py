"""Latent space: interpolation between two images; for 2-D codes, the decoded manifold and the codes vs the prior."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend
from genviz.core import figures

settings = backend.sidebar()
st.title("Latent space")
imgs = ae_backend.page_dataset(settings)
if imgs is None:
    st.stop()

st.subheader("Interpolating between two images")
st.latex(r"\text{linear: } z_t = (1-t)\,z_a + t\,z_b")
st.latex(r"\text{spherical: } z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega}z_a + "
         r"\frac{\sin(t\Omega)}{\sin\Omega}z_b,\ \ \cos\Omega = \frac{z_a\cdot z_b}{\lVert z_a\rVert\lVert z_b\rVert}")
ckpt = ae_backend.pick_autoencoder("Autoencoder", "ls_model", settings, prefer="vae-{dataset}")
if ckpt is not None:
    c1, c2, c3 = st.columns(3)
    first, other = ae_backend.interpolation_ends(imgs)  # two images of different classes
    a = c1.number_input("From held-out image #", 0, len(imgs.x_test) - 1, first, key="ls_a")
    b = c2.number_input("To held-out image #", 0, len(imgs.x_test) - 1, other, key="ls_b")
    steps = c3.slider("Steps", 3, 16, 10, key="ls_steps")
    rows = []
    for mode in ("linear", "spherical"):
        path = backend.show_error(lambda m=mode: ae_backend.interpolation(ckpt, imgs, int(a), int(b), steps, m))
        if path is not None:
            rows.append(path)
    if rows:
        st.caption(f"From a {imgs.classes[int(imgs.y_test[int(a)])]} to a {imgs.classes[int(imgs.y_test[int(b)])]}.")
        st.image(figures.image_grid(rows, nrow=steps, scale=figures.pixel_scale(imgs.image_shape, 48)),
                 caption="Top: linear path. Bottom: spherical path (keeps ‖z‖ typical of a Gaussian prior; it matters "
                         "most for VAEs in many dimensions).", width="stretch")

st.subheader("Two-dimensional codes: AE vs VAE vs AAE")
st.markdown("With d = 2 the whole code space fits on the screen. The vanilla AE puts codes anywhere; the VAE's "
            "KL term pulls them toward N(0, I); the AAE's discriminator pulls them toward its prior — here a "
            "mixture of 10 Gaussians on a circle, to make the point visible. Grey lines: each model's prior.")
st.latex(r"p_{\text{VAE}}(z) = \mathcal{N}(0, I)")
st.latex(r"p_{\text{AAE}}(z) = \frac{1}{10}\sum_{k=1}^{10}"
         r"\mathcal{N}\big(z;\ 3(\cos\tfrac{2\pi k}{10}, \sin\tfrac{2\pi k}{10}),\ 0.4^2 I\big)")
cols = st.columns(3)
picked = {}
for col, (name, kind) in zip(cols, (("AE", "ae"), ("VAE", "vae"), ("AAE", "aae"))):
    with col:
        c = ae_backend.pick_autoencoder(f"2-D {name}", f"ls2_{kind}", settings, (kind,), prefer=kind + "-{dataset}-2d", two_d=True)
        if c is not None:
            picked[name] = c
if picked:
    grid_n = st.slider("Manifold grid size", 5, 25, 15, key="ls_grid")
    views = {}
    for name, c in picked.items():
        v = backend.show_error(lambda c=c: ae_backend.latent_2d(c, imgs, grid_n))
        if v is not None:
            views[name] = v
    if views:
        first = next(iter(views.values()))
        st.plotly_chart(ae_figures.latent_scatter({k: v.codes for k, v in views.items()}, first.labels, imgs.classes,
                                                  density={k: v.density for k, v in views.items()},
                                                  extents={k: v.extent for k, v in views.items()}),
                        key="ls_scatter", width="stretch")
        cols = st.columns(len(views))
        for col, (name, v) in zip(cols, views.items()):
            # A 2-pixel white gap between tiles, so one decoded image reads as one image.
            col.image(figures.image_grid(v.grid, nrow=grid_n, padding=2, scale=figures.pixel_scale(imgs.image_shape, 24)),
                      caption=f"{name}: decoded grid, z₁ ∈ [{v.grid_extent[0]:.1f}, {v.grid_extent[1]:.1f}] left→right, "
                              f"z₂ ∈ [{v.grid_extent[3]:.1f}, {v.grid_extent[2]:.1f}] top→bottom (where its codes lie)", width="stretch")
