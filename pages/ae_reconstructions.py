"""Reconstructions: inputs vs outputs of any autoencoder, with per-image and held-out loss."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend
from genviz.core import figures

settings = backend.sidebar()
st.title("Reconstructions")
st.markdown("An autoencoder squeezes each image x through a code z of d numbers and rebuilds it. "
            "Pixels are in [0, 1], so the loss is the Bernoulli negative log-likelihood in nats per image "
            "(the squared error ‖x − x̂‖² is the other common choice).")
st.latex(r"\hat x = D(E(x)), \qquad \mathcal{L}(x) = -\sum_p \big[x_p \log \hat x_p + (1-x_p)\log(1-\hat x_p)\big]")
st.latex(r"\text{or}\quad \mathcal{L}(x) = \lVert x - D(E(x))\rVert^2")

ckpt = ae_backend.pick_autoencoder("Autoencoder", "recon_model", settings, prefer="ae-{dataset}")
imgs = ae_backend.page_dataset(settings) if ckpt is not None else None
if ckpt is not None and imgs is not None:
    n = st.slider("Images", 4, 32, 16, step=4, key="recon_n")
    result = backend.show_error(lambda: ae_backend.reconstructions(ckpt, imgs, n, settings.seed))
    if result is not None:
        st.image(figures.image_grid(result.images, nrow=n, scale=figures.pixel_scale(imgs.image_shape, 48)),
                 caption=f"Held-out inputs (top) and reconstructions by {ckpt.name} (bottom); "
                         f"latent size d = {ckpt.config.latent_dim} for {imgs.image_shape[0] * imgs.image_shape[1] * imgs.image_shape[2]} pixels",
                 width="stretch")
        cols = st.columns(3)
        if ckpt.kind == "vae":
            cols[0].metric("Held-out −ELBO (nats / image)", f"{result.test_loss:.2f}",
                           help="Reconstruction of a sampled z plus KL(q(z|x) ‖ N(0, I)), β = 1.")
            cols[1].metric("… of which KL", f"{result.test_metrics['kl']:.2f}")
        else:
            cols[0].metric("Held-out loss (nats / image)", f"{result.test_loss:.2f}",
                           help="BCE summed over pixels, averaged over every test image.")
        cols[2].metric("Mean loss of the images shown", f"{result.per_image.mean():.2f}",
                       help="Decoded from the deterministic code (μ for a VAE).")
        st.plotly_chart(ae_figures.per_image_bars({"reconstruction loss": result.per_image},
                                                  title="Loss of each image shown (left to right)"),
                        key="recon_bars", width="stretch")
