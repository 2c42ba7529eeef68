"""Sampling from the prior: z ~ N(0, I) through a vanilla AE's decoder and a VAE's, scored by a classifier."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend
from genviz.core import figures
from genviz.core.errors import GenvizError
from genviz.ui import downloads

settings = backend.sidebar()
st.title("Sampling from the prior")
st.markdown("Draw codes from the prior and decode them. A VAE was trained so that its codes *are* distributed "
            "like N(0, I), so its decoder has seen such codes; a vanilla AE's codes sit wherever training put "
            "them, and the same z often decodes to garbage. An AAE matches its prior with a discriminator instead.")
st.latex(r"z \sim p(z) = \mathcal{N}(0, I), \qquad x = D(z)")

cols = st.columns(3)
with cols[0]:
    ae = ae_backend.pick_autoencoder("Vanilla AE", "ps_ae", settings, ("ae",), prefer="ae-{dataset}", two_d=False)
with cols[1]:
    vae = ae_backend.pick_autoencoder("VAE", "ps_vae", settings, ("vae",), prefer="vae-{dataset}", two_d=False)
with cols[2]:
    aae = ae_backend.pick_autoencoder("Adversarial AE (optional)", "ps_aae", settings, ("aae",), prefer="aae-{dataset}",
                                      two_d=False, quiet=True)
models = {name: c for name, c in (("vanilla AE", ae), ("VAE", vae), ("AAE", aae)) if c is not None}

if models:
    imgs = ae_backend.page_dataset(settings, "Scoring the samples")
    n = st.select_slider("Samples to score", [100, 250, 500, 1000, 2000], 1000, key="ps_n")
    # The first visit on MNIST samples and scores for ~5 s: say what is being computed meanwhile.
    with st.spinner(f"Sampling {n:,} images from each model's prior and scoring them with the classifier "
                    "(a few seconds the first time, about 5 s on MNIST; instant afterwards)…", show_time=True):
        has_scorer = imgs is not None
        try:
            if has_scorer:
                ae_backend.scorer(imgs.name, settings.device)
        except GenvizError as err:
            has_scorer = False
            st.info(f"{err} The samples are shown without scores.")
        results = {}
        for name, ckpt in models.items():
            if has_scorer:
                results[name] = backend.show_error(lambda c=ckpt: ae_backend.prior_scores(c, imgs, settings.device, n, settings.seed))
            else:
                results[name] = backend.show_error(lambda c=ckpt: (ae_backend.prior_samples(c, settings.device, 64, settings.seed), None))
    grid_cols = st.columns(len(models))
    for col, (name, res) in zip(grid_cols, results.items()):
        if res is None:
            continue
        samples, scores = res
        prior = getattr(models[name].model, "prior", "gaussian")
        col.image(figures.image_grid(samples[:36], nrow=6, scale=figures.pixel_scale(samples.shape, 40)),
                  caption=f"{name}: {models[name].name}, z ~ {'N(0, I)' if prior == 'gaussian' else 'its 10-Gaussian mixture'}",
                  width="stretch")
        with col:
            downloads.sample_downloads(samples, f"{models[name].name}-prior-seed{settings.seed}", f"ps_dl_{models[name].kind}")
        if scores is not None:
            col.metric("Confidence ↑", f"{scores.confidence:.3f}", help="Mean max-class probability of the samples.")
            col.metric("Fréchet distance ↓", f"{scores.frechet_distance:.1f}",
                       help="To real test images, on the project classifier's features; lower is better.")
            col.caption(f"Classes predicted for ≥ 1 % of samples: {scores.classes_covered} / {len(imgs.classes)}")
    scored = {k: v[1] for k, v in results.items() if v is not None and v[1] is not None}
    if scored:
        with st.spinner(f"Scoring {n:,} real images for reference…", show_time=True):
            real = ae_backend.real_scores(imgs.name, settings.device, n, settings.seed, imgs)
        st.latex(r"\text{confidence} = \frac{1}{N}\sum_i \max_k p(k \mid x_i)")
        st.latex(r"d_F = \lVert \mu_s - \mu_r \rVert^2 + \operatorname{Tr}\big(\Sigma_s + \Sigma_r - 2(\Sigma_s\Sigma_r)^{1/2}\big)")
        st.caption(f"For reference, {n:,} real training images score confidence {real.confidence:.3f} and Fréchet "
                   f"distance {real.frechet_distance:.1f} against the test images. μ, Σ: mean and covariance of the "
                   "classifier's features of samples (s) and real test images (r).")
        counts = {k: s.label_counts for k, s in scored.items()}
        counts["real images"] = real.label_counts
        with st.container(key="ps_class_bars"):  # a test-id for the browser test
            st.plotly_chart(ae_figures.label_histogram(counts, imgs.classes), key="ps_labels", width="stretch")
        best = min(scored, key=lambda k: scored[k].frechet_distance)
        st.success(f"Lowest Fréchet distance: **{best}** ({scored[best].frechet_distance:.1f}).")

    st.subheader("Is q(z) pushed to the prior?")
    st.markdown("The *aggregate posterior* q(z) = E_x q(z|x) is where the encoder puts the codes of real images. "
                "Sampling works when q(z) matches p(z): the decoder then has seen codes wherever prior draws land. "
                "The kernel two-sample test (MMD, Gretton et al. 2012) measures the gap; shuffling which points "
                "are codes and which are draws gives its p-value.")
    st.latex(r"\mathrm{MMD}^2 = \mathbb{E}\,k(z, z') + \mathbb{E}\,k(\zeta, \zeta') - 2\,\mathbb{E}\,k(z, \zeta),"
             r"\quad z \sim q(z),\ \zeta \sim p(z),\ k(a, b) = e^{-\lVert a - b \rVert^2 / 2\sigma^2}")
    if imgs is not None:
        views = {name: backend.show_error(lambda c=c: ae_backend.prior_match(c, imgs, min(n, 1000), settings.seed))
                 for name, c in models.items()}
        views = {k: v for k, v in views.items() if v is not None}
        if views:
            st.dataframe([{"model": k, "MMD²": round(v.match.mmd2, 4), "two prior samples": round(v.match.reference, 4),
                           "p-value": round(v.match.p_value, 3), "max per-dim KS": round(v.match.ks_max, 3)}
                          for k, v in views.items()], hide_index=True, width="stretch")
            shown = st.radio("2-D view of", list(views), index=len(views) - 1, horizontal=True, key="ps_qz_model")
            v = views[shown]
            plane = ("its two latent axes" if models[shown].config.latent_dim <= 2 else
                     f"the codes' first two principal axes ({v.explained[0]:.0%} + {v.explained[1]:.0%} of their variance;"
                     " an isotropic prior looks the same on any plane)")
            # The plane goes in a caption: as the chart's title it ran past the chart's width and was cut off.
            st.plotly_chart(ae_figures.posterior_vs_prior(v.codes, v.draws, v.labels, imgs.classes,
                                                          f"{shown}: prior draws and test codes"),
                            key="ps_qz", width="stretch")
            st.caption(f"{v.match.n:,} prior draws and {v.match.n:,} test codes on {plane}.")
            st.write(v.match.verdict(f"{shown}'s q(z)"))
