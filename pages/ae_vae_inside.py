"""Inside a VAE: the ELBO split into reconstruction and KL, posterior draws, active units, and β."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend
from genviz.core import figures

settings = backend.sidebar()
st.title("Inside a VAE")
st.markdown("The encoder outputs a Gaussian q(z|x) = N(μ(x), diag σ²(x)) instead of one code. Training maximises "
            "the evidence lower bound (ELBO): reconstruct x from a *sampled* z, and keep q(z|x) close to the prior.")
st.latex(r"\log p(x) \ \ge\ \underbrace{\mathbb{E}_{q(z|x)}[\log p(x \mid z)]}_{-\text{reconstruction}} - "
         r"\beta\, \underbrace{\mathrm{KL}\big(q(z|x)\,\|\,\mathcal{N}(0, I)\big)}_{\frac12\sum_j(\mu_j^2+\sigma_j^2-\log\sigma_j^2-1)}")
st.latex(r"z = \mu + \sigma \odot \varepsilon,\quad \varepsilon \sim \mathcal{N}(0, I)\quad\text{(reparameterisation: "
         r"gradients flow through } \mu, \sigma)")

ckpt = ae_backend.pick_autoencoder("VAE", "vi_model", settings, ("vae",), prefer="vae-{dataset}")
imgs = ae_backend.page_dataset(settings) if ckpt is not None else None
if ckpt is not None and imgs is not None:
    st.subheader("The ELBO, image by image")
    n = st.slider("Images", 4, 16, 8, key="vi_n")
    inside = backend.show_error(lambda: ae_backend.vae_inside(ckpt, imgs, n, settings.seed))
    if inside is not None:
        left, right = st.columns([2, 3])
        left.image(figures.image_grid(inside.images, nrow=n, scale=figures.pixel_scale(imgs.image_shape, 40)),
                   caption="Held-out images (top), decoded μ (bottom)", width="stretch")
        right.plotly_chart(ae_figures.per_image_bars({"reconstruction": inside.recon, "KL": inside.kl}, stacked=True,
                                                     title="−ELBO per image = reconstruction + KL (nats)"),
                           key="vi_bars", width="stretch")
        curve = ae_backend.training_curve(ckpt)
        if curve:
            st.plotly_chart(ae_figures.training_curve(curve, {"recon": "reconstruction (train)", "test_recon":
                                                              "reconstruction (held-out)", "kl": "KL (train)",
                                                              "test_kl": "KL (held-out)"},
                                                      title="Reconstruction and KL over training"),
                            key="vi_curve", width="stretch")
        else:
            st.caption("This checkpoint carries no training curve (models saved from the Train page show theirs there).")

        st.subheader("Posterior collapse: active units")
        st.latex(r"A_u = \operatorname{Var}_{x}\big(\mathbb{E}_{q(z|x)}[z_u]\big) = \operatorname{Var}_x\big(\mu_u(x)\big) > 0.01")
        c1, c2 = st.columns([1, 3])
        c1.metric("Active units", f"{inside.active} / {len(inside.variances)}")
        c1.caption("An inactive unit has μᵤ ≈ 0 and σᵤ ≈ 1 for every image: it costs no KL and carries no "
                   "information; the decoder ignores it.")
        c2.plotly_chart(ae_figures.unit_variances(inside.variances, 0.01), key="vi_units", width="stretch")

    st.subheader("Several z for one x")
    c1, c2 = st.columns(2)
    index = c1.number_input("Held-out image index", 0, len(imgs.x_test) - 1, 0, key="vi_index")
    draws = c2.slider("Draws z ~ q(z|x)", 4, 32, 12, key="vi_draws")
    grid = backend.show_error(lambda: ae_backend.posterior_draws(ckpt, imgs, int(index), draws, settings.seed))
    if grid is not None:
        st.image(figures.image_grid(grid, nrow=draws + 2, scale=figures.pixel_scale(imgs.image_shape, 40)),
                 caption="x, D(μ), then D(z) for each draw: the spread is what the model is unsure about", width="stretch")

st.subheader("β: trading reconstruction for KL (trained live on digits)")
st.latex(r"\mathcal{L}_\beta = \text{reconstruction} + \beta \cdot \mathrm{KL}")
c1, c2, c3 = st.columns(3)
beta = c1.slider("β", 0.0, 10.0, 1.0, step=0.25, key="vi_beta")
latent = c2.slider("Latent size", 2, 32, 8, key="vi_beta_latent")
epochs = c3.slider("Epochs", 10, 100, 40, step=10, key="vi_beta_epochs")
job = ae_backend.beta_job()
running = job is not None and job.snapshot().running
if st.button("Train a VAE with this β", key="vi_beta_start", disabled=running, type="primary"):
    digits = backend.show_error(lambda: ae_backend.digits(settings))
    if digits is not None:
        ae_backend.start_beta_run(digits, beta, latent, epochs, settings.seed)
        st.rerun()
if "vi_beta_runs" not in st.session_state:
    st.session_state.vi_beta_runs = []


@st.fragment(run_every=0.5 if running else None)
def beta_runs() -> None:
    job = ae_backend.beta_job()
    runs = st.session_state.vi_beta_runs
    if job is not None:
        snap = job.snapshot()
        last = snap.latest
        if snap.error:
            st.error(snap.error)
        if last is not None and not last["done"]:
            st.progress(last["progress"], text=f"β = {last['beta']:g} · training · {snap.elapsed:.1f} s")
        if last is not None and last["done"] and (not runs or runs[-1] is not last):
            runs.append(last)
        if not snap.running and st.session_state.get("vi_was_running"):
            st.session_state.vi_was_running = False
            st.rerun()
        st.session_state.vi_was_running = snap.running
    if runs:
        st.dataframe([{"β": r["beta"], "latent size": r["latent_dim"], "held-out recon": round(r["test_recon"], 2),
                       "held-out KL": round(r["test_kl"], 2), "active units": r["active_units"]} for r in runs],
                     key="vi_runs_table", hide_index=True)
        r = runs[-1]
        st.image(figures.image_grid(r["pictures"], nrow=8, scale=6), width="stretch",
                 caption=f"β = {r['beta']:g}: inputs / reconstructions / samples from N(0, I). Larger β → fewer "
                         "active units, blurrier reconstructions, samples closer to the data.")
    else:
        st.caption("Each run takes a few seconds; try β = 0, 1 and 8 and compare the rows.")


beta_runs()
