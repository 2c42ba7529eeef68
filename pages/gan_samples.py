"""GAN samples: a grid from any generator, seed control and resample; 1,000 samples scored by the classifier."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures
from genviz.gans import figures as gan_figures
from genviz.gans import ui as gan_backend
from genviz.ui import downloads

settings = backend.sidebar()
st.title("GAN samples")
st.latex(r"x = G(z), \qquad z \sim \mathcal{N}(0, I_d)")

ckpt = backend.pick_checkpoint("Generator", "gans_model", settings, families=("gan",),
                               prefer="dcgan-{dataset}")
if ckpt is not None:
    imgs = backend.dataset(settings)
    if "gans_offset" not in st.session_state:
        st.session_state["gans_offset"] = 0

    def resample() -> None:
        st.session_state["gans_offset"] += 1

    left, right = st.columns([3, 1])
    with right:
        n = st.slider("Samples", 10, 100, 40, step=10, key="gans_n")
        st.button("Resample", key="gans_resample", on_click=resample, width="stretch",
                  help="Draw fresh noise (the seed moves on by one).")
        seed = settings.seed + st.session_state["gans_offset"]
        st.caption(f"Noise seed {seed} (sidebar seed + {st.session_state['gans_offset']} resamples). "
                   "The same seed always gives the same grid.")
        truncate = st.toggle("Truncate z", key="gans_truncate",
                             help="The truncation trick (BigGAN): every entry of z with |z| > ψ is resampled.")
        psi = st.slider("ψ", 0.1, 2.0, 0.5, step=0.05, key="gans_psi", disabled=not truncate) if truncate else None
    images = backend.show_error(lambda: gan_backend.samples(ckpt, n, seed, psi))
    if images is not None:
        caption = f"{n} samples of {ckpt.name}"
        if ckpt.config.conditional:
            caption += " (classes drawn uniformly at random; see the Class grid page to choose them)"
        left.image(figures.image_grid(images, nrow=10, scale=figures.pixel_scale(images.shape, 40)),
                   caption=caption, width="stretch")
        with left:
            downloads.sample_downloads(images, f"{ckpt.name}-seed{seed}" + (f"-psi{psi:g}" if psi else ""), "gans_dl")

    st.subheader("1,000 samples through the classifier")
    st.caption("The shipped classifier labels every sample: a flat histogram means every class is drawn "
               "(no mode collapse). The Fréchet distance compares the classifier's features of the samples "
               "with those of the real test images: lower is closer.")
    st.latex(r"d_F = \lVert \mu_{g} - \mu_{r} \rVert^2 + \operatorname{Tr}\!\big(\Sigma_{g} + \Sigma_{r} "
             r"- 2(\Sigma_{g}\Sigma_{r})^{1/2}\big)")
    with st.spinner("Scoring 1,000 samples…"):
        scores = backend.show_error(lambda: gan_backend.quality(ckpt, imgs, seed, psi))
    if scores is None:
        st.info(f"No classifier is shipped for {backend.dataset_title(imgs.name)}, so samples cannot be scored here.")
    else:
        cols = st.columns(4)
        cols[0].metric("Fréchet distance", f"{scores['frechet_distance']:.1f}")
        cols[1].metric("Mean confidence", f"{scores['sample_confidence']:.2f}")
        cols[2].metric("Classes covered", f"{scores['classes_covered']} / {len(imgs.classes)}",
                       help="Classes that get at least 1% of the samples.")
        if "label_agreement" in scores:
            cols[3].metric("Label agreement", f"{scores['label_agreement']:.0%}",
                           help="Share of samples the classifier puts in the class the generator was asked for.")
        st.plotly_chart(gan_figures.label_histogram(scores["label_counts"], imgs.classes), key="gans_hist",
                        width="stretch")
    st.subheader("Truncation: realism against variety")
    st.caption("Smaller ψ keeps z near the centre of N(0, I): samples get more typical (confidence and "
               "precision — the share of samples inside the real images' k-NN manifold — rise) and less "
               "varied (recall — the share of real images inside the samples' manifold — falls). 1,000 "
               "samples per ψ, seed 0, in the shipped classifier's features.")
    if (ckpt.meta.get("extra") or {}).get("truncation_curve") or st.button(
            "Measure the truncation curve (about 20 s)", key="gans_trunc_run"):
        curve = backend.show_error(lambda: gan_backend.truncation_curve(ckpt, imgs))
        if curve:
            st.plotly_chart(gan_figures.truncation_figure(curve), key="gans_trunc_fig", width="stretch")
            trend = {k: [p[k] for p in curve] for k in ("confidence", "precision", "recall")}
            falls = [k for k, v in trend.items() if v[0] > v[-1]]
            st.caption("From ψ = 2 down to ψ = 0.1: " + ", ".join(
                f"{k} {v[-1]:.2f} → {v[0]:.2f}" for k, v in trend.items()) + ". "
                + ("Confidence and precision rise and recall falls, as the lecture says."
                   if falls == ["confidence", "precision"] else
                   "Here not every number moves the way the lecture says: read the curve."))
    extra = ckpt.meta.get("extra") or {}
    ran = [f"{extra['train_steps']:,} steps" if extra.get("train_steps") else "",
           f"{float(ckpt.meta['epochs']):.3g} epochs" if ckpt.meta.get("epochs") else "",
           f"in {extra['train_seconds']:.0f} s" if extra.get("train_seconds") else ""]
    if any(ran):  # only what was recorded: never "? steps"
        length = " ".join(p for p in (", ".join(r for r in ran[:2] if r), ran[2]) if p)
        st.caption(f"Trained for {length} on {ckpt.dataset}"
                   + (f"; created {ckpt.meta['created']}." if ckpt.meta.get("created") else "."))
