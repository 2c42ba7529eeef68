"""Class grid: rows = classes, columns = shared noise vectors (conditional GAN, AC-GAN)."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures
from genviz.gans import ui as gan_backend

settings = backend.sidebar()
st.title("Class grid")
st.markdown("A conditional generator takes the class as an input: **row k** is G(z_j, y = k) and **column j** "
            "keeps the same noise z_j for every class, so the noise carries what the label does not "
            "(style, slant, thickness).")
st.latex(r"x_{kj} = G(z_j, y = k), \qquad z_j \sim \mathcal{N}(0, I_d)")

ckpt = backend.pick_checkpoint("Conditional generator (cGAN, AC-GAN, BigGAN)", "gans_cg_model", settings,
                               kinds=gan_backend.CONDITIONAL_KINDS, prefer="cgan-{dataset}")
if ckpt is not None:
    imgs = backend.dataset(settings)
    n_cols = st.slider("Noise vectors (columns)", 2, 16, 8, key="gans_cg_cols")
    grid = backend.show_error(lambda: gan_backend.class_grid(ckpt, n_cols, settings.seed))
    if grid is not None:
        classes = ", ".join(imgs.classes[: ckpt.config.n_classes])
        st.image(figures.image_grid(grid, nrow=n_cols, scale=figures.pixel_scale(grid.shape, 40)),
                 caption=f"Rows top to bottom: {classes}. Columns: {n_cols} noise vectors from seed {settings.seed}.",
                 width=min(900, 90 * n_cols))
