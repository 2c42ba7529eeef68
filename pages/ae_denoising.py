"""Denoising: the same corrupted images through a denoising AE and a vanilla AE, with PSNR."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend
from genviz.core import figures

settings = backend.sidebar()
st.title("Denoising")
st.markdown("A **denoising autoencoder** sees a corrupted image x + δ and is trained to output the *clean* x, "
            "so it must learn what digits look like rather than copy pixels. A vanilla AE never saw noise.")
st.latex(r"\mathcal{L}_{\mathrm{DAE}} = \lVert x - D(E(x + \delta))\rVert^2,\qquad \delta \sim \mathcal{N}(0, \sigma^2 I)")
st.latex(r"\text{or masking noise: } \tilde x_p = m_p\, x_p,\quad m_p \sim \mathrm{Bernoulli}(1-p)")

left, right = st.columns(2)
with left:
    dae = ae_backend.pick_autoencoder("Denoising autoencoder", "dn_dae", settings, ("dae",), prefer="dae-{dataset}")
with right:
    ae = ae_backend.pick_autoencoder("Compare with (vanilla AE)", "dn_ae", settings, ("ae",), prefer="ae-{dataset}", two_d=False)

models = {name: c for name, c in (("denoising AE", dae), ("vanilla AE", ae)) if c is not None}
imgs = ae_backend.page_dataset(settings) if models else None
if models and imgs is not None:
    c1, c2, c3 = st.columns(3)
    noise = c1.radio("Noise", ["gaussian", "mask"], horizontal=True, key="dn_noise",
                     format_func={"gaussian": "Gaussian σ", "mask": "masking p"}.get)
    high = 1.0 if noise == "gaussian" else 0.9
    if "dn_level" not in st.session_state:
        st.session_state.dn_level = 0.4
    level = c2.slider("Noise level (σ or p)", 0.0, high, step=0.05, key="dn_level")
    n = c3.slider("Images", 4, 16, 8, key="dn_n")
    result = backend.show_error(lambda: ae_backend.denoise(models, imgs, noise, min(level, high), n, settings.seed))
    if result is not None:
        rows = ([result.clean, result.noisy, *result.outputs.values()])
        st.image(figures.image_grid(rows, nrow=n, scale=figures.pixel_scale(imgs.image_shape, 48)),
                 caption="Rows: clean / noisy / " + " / ".join(result.outputs), width="stretch")
        st.latex(r"\mathrm{PSNR}(x, \hat x) = 10 \log_{10} \frac{1}{\frac{1}{n}\sum_p (x_p - \hat x_p)^2}\ \ \text{dB}")
        cols = st.columns(len(result.psnr))
        base = result.psnr["noisy input"]
        for col, (name, value) in zip(cols, result.psnr.items()):
            col.metric(f"PSNR · {name}", f"{value:.1f} dB",
                       delta=None if name == "noisy input" else f"{value - base:+.1f} dB vs noisy")
        levels = tuple(round((i + 1) * high / 10, 3) for i in range(10))  # σ = 0 would be infinite PSNR
        curves = backend.show_error(lambda: ae_backend.psnr_curves(models, imgs, noise, levels, settings.seed))
        if curves:
            st.plotly_chart(ae_figures.psnr_curves(levels, curves, current=level,
                                                   x_title="σ" if noise == "gaussian" else "masking probability p"),
                            key="dn_curve", width="stretch")
            st.caption("Mean over 500 held-out images. Above the dotted line a model removes noise; the denoising AE "
                       "keeps its advantage as the noise grows past what it was trained on.")
