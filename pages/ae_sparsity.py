"""Sparsity: how L1 and KL penalties make codes sparse, against a vanilla AE."""
import streamlit as st

from genviz import ui as backend
from genviz.autoencoders import figures as ae_figures
from genviz.autoencoders import ui as ae_backend

settings = backend.sidebar()
st.title("Sparse codes")
st.markdown("A sparse autoencoder may have many code units, but a penalty keeps only a few of them active for "
            "any one image. Two penalties: **L1** on the codes (here ReLU codes, so many are exactly 0), and "
            "**KL** between a target rate ρ and each unit's mean activation ρ̂ⱼ (sigmoid codes).")
st.latex(r"\text{L1:}\quad \mathcal{L} = \mathcal{L}_{\mathrm{rec}} + \lambda \sum_j |z_j|")
st.latex(r"\text{KL:}\quad \mathcal{L} = \mathcal{L}_{\mathrm{rec}} + \lambda \sum_j \Big[\rho \log\frac{\rho}{\hat\rho_j} + "
         r"(1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}\Big]")
st.latex(r"\hat\rho_j = \frac{1}{B}\sum_{b=1}^{B} z_{bj}\quad\text{(mean activation of unit } j \text{ over a batch)}")

cols = st.columns(3)
with cols[0]:
    l1 = ae_backend.pick_autoencoder("Sparse AE (L1)", "sp_l1", settings, ("sae-l1",), prefer="sae-l1-{dataset}")
with cols[1]:
    kl = ae_backend.pick_autoencoder("Sparse AE (KL)", "sp_kl", settings, ("sae-kl",), prefer="sae-kl-{dataset}")
with cols[2]:
    ae = ae_backend.pick_autoencoder("Vanilla AE", "sp_ae", settings, ("ae",), prefer="ae-{dataset}", two_d=False)

models = {name: c for name, c in (("L1", l1), ("KL", kl), ("vanilla", ae)) if c is not None}
imgs = ae_backend.page_dataset(settings) if models else None
if models and imgs is not None:
    rel = st.slider("Count |z| as zero below this fraction of the model's largest |z|", 0.01, 0.3, 0.05, step=0.01,
                    key="sp_threshold")
    stats = {}
    for name, ckpt in models.items():
        s = backend.show_error(lambda c=ckpt: ae_backend.code_stats(c, imgs, rel))
        if s is not None:
            stats[name] = s
    if stats:
        cols = st.columns(len(stats))
        for col, (name, s) in zip(cols, stats.items()):
            ckpt = models[name]
            cfg = ckpt.config
            col.metric(f"{name}: near-zero codes", f"{100 * s.near_zero:.0f} %",
                       help=f"|z| < {s.threshold:.3g} on held-out images")
            col.caption(f"{cfg.latent_dim} units · {s.dead_units} never active · mean activation "
                        f"{s.unit_means.mean():.3f}" + (f" · λ = {cfg.sparsity_weight:g}" if hasattr(cfg, "sparsity_weight") else "")
                        + (f" · ρ = {cfg.rho:g}" if cfg.kind == "sae-kl" else "")
                        + f" · held-out loss {ckpt.metrics.get('test_loss', float('nan')):.1f} nats")
        st.plotly_chart(ae_figures.code_histograms({k: s.codes for k, s in stats.items()},
                                                   {k: s.threshold for k, s in stats.items()}),
                        key="sp_hist", width="stretch")
        rho = models["KL"].config.rho if "KL" in models else None
        st.plotly_chart(ae_figures.unit_means({k: s.unit_means for k, s in stats.items() if k != "vanilla"}, rho),
                        key="sp_means", width="stretch")
        st.caption("The KL penalty pins every unit's average activation ρ̂ⱼ near ρ; L1 lets a few units carry a "
                   "lot and silences the rest. A vanilla AE's codes are dense: almost none is near zero.")
