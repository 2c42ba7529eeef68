"""Latent walk: G along a path in noise space, between two noise vectors or along one direction."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures
from genviz.gans import figures as gan_figures
from genviz.gans import ui as gan_backend

settings = backend.sidebar()
st.title("Latent walk")

ckpt = backend.pick_checkpoint("Generator", "gans_walk_model", settings, families=("gan",),
                               prefer="dcgan-{dataset}")
if ckpt is not None:
    mode = st.radio("Walk", ["Between two noise vectors", "Along one direction"], horizontal=True,
                    key="gans_walk_mode")
    c1, c2, c3 = st.columns(3)
    steps = c3.slider("Steps", 3, 20, 10, key="gans_walk_steps")
    label = None
    if ckpt.config.conditional:
        imgs = backend.dataset(settings)
        label = st.selectbox("Class (fixed along the walk)", list(range(ckpt.config.n_classes)),
                             format_func=lambda k: imgs.classes[k], key="gans_walk_label")
    if mode == "Between two noise vectors":
        st.latex(r"\text{linear: } z_t = (1-t)\,z_a + t\,z_b \qquad "
                 r"\text{spherical: } z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_a + \frac{\sin(t\Omega)}{\sin\Omega} z_b,"
                 r"\ \cos\Omega = \frac{z_a \cdot z_b}{\lVert z_a\rVert \lVert z_b\rVert}")
        seed_a = c1.number_input("Seed of z_a", 0, 10**6, settings.seed, key="gans_walk_a")
        seed_b = c2.number_input("Seed of z_b", 0, 10**6, settings.seed + 1, key="gans_walk_b")
        method = st.radio("Interpolation", ["spherical", "linear"], horizontal=True, key="gans_walk_method")
        images = backend.show_error(lambda: gan_backend.latent_walk(ckpt, int(seed_a), int(seed_b), steps, method, label))
        if images is not None:
            st.image(figures.image_grid(images, nrow=steps, scale=figures.pixel_scale(images.shape, 64)),
                     caption=f"G(z_t) for t = 0 … 1 ({method})", width="stretch")
            norms = gan_backend.path_norms(ckpt, int(seed_a), int(seed_b), steps)
            st.plotly_chart(gan_figures.latent_norms(norms, ckpt.config.latent_dim ** 0.5), key="gans_walk_norms",
                            width="stretch")
            st.caption("Noise from N(0, I_d) lives near the sphere of radius √d. The straight line cuts inside it, "
                       "through norms the generator rarely saw in training; the spherical path stays on it.")
    else:
        st.latex(r"z_t = z + t\,\frac{u}{\lVert u \rVert}, \qquad t \in [-r, r]")
        seed = c1.number_input("Seed of z", 0, 10**6, settings.seed, key="gans_walk_z")
        direction = c2.number_input("Seed of the direction u", 0, 10**6, settings.seed + 100, key="gans_walk_u")
        radius = st.slider("Radius r", 0.5, 10.0, 4.0, step=0.5, key="gans_walk_radius")
        images = backend.show_error(lambda: gan_backend.direction_walk(ckpt, int(seed), int(direction), steps, radius,
                                                                       label))
        if images is not None:
            st.image(figures.image_grid(images, nrow=steps, scale=figures.pixel_scale(images.shape, 64)),
                     caption=f"G(z + t·u) for t from −{radius:g} to {radius:g}", width="stretch")
            st.caption("One direction of the noise space, walked both ways from z. Large |t| leaves the region "
                       "the generator was trained on, and the images degrade.")
