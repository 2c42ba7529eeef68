"""Reconstructions: inputs vs outputs of any autoencoder, with per-image and held-out loss."""
import streamlit as st

from genviz import backend, figures
from genviz.backend import autoencoders as ae_backend

settings = backend.sidebar()
st.title("Reconstructions")
st.latex(r"\hat x = D(E(x)), \qquad \mathcal{L}(x) = -\sum_p \big[x_p \log \hat x_p + (1-x_p)\log(1-\hat x_p)\big]")

ckpt = backend.pick_checkpoint("Autoencoder", "recon_model", settings, families=("autoencoder",))
if ckpt is not None:
    imgs = backend.dataset(settings)
    n = st.slider("Images", 4, 32, 16, step=4, key="recon_n")
    result = backend.show_error(lambda: ae_backend.reconstructions(ckpt, imgs, n, settings.seed))
    if result is not None:
        st.image(figures.image_grid(result.images, nrow=n, scale=figures.pixel_scale(imgs.image_shape, 48)),
                 caption="Held-out inputs (top) and reconstructions (bottom)", width="stretch")
        c1, c2 = st.columns(2)
        c1.metric("Held-out loss (nats / image)", f"{result.test_loss:.2f}")
        c2.metric("Mean loss of the images shown", f"{result.per_image.mean():.2f}")
        st.bar_chart({"loss (nats)": result.per_image.tolist()}, x_label="image", y_label="loss")
