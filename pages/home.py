"""Home: what genviz is, and a map of every page."""
import streamlit as st

from genviz import ui as backend

settings = backend.sidebar()

st.title("genviz — look inside generative models")
st.markdown(
    """
Train, load and **look inside** the classic generative models on your own machine, offline.
Pick a dataset in the sidebar (the bundled 8×8 **digits** always work; MNIST, Fashion-MNIST,
KMNIST and CIFAR-10 load through torchvision; **your own images** — a .npz or a zip of PNG folders —
upload under it), open a page, and move the sliders.
On digits and MNIST every page starts from a pretrained checkpoint (Fashion-MNIST ships a classifier, an AE and
a VAE; a page without a model offers a button to train one); the **Train** page trains a new model live —
loss curves and reconstructions update while it runs — and saved models appear in every model picker.
"""
)

SECTIONS = {
    "Autoencoders": "vanilla, denoising, sparse (L1, KL), VAE and adversarial AE: reconstructions, "
                    "denoising, sparsity, the bottleneck, sampling from the prior, latent interpolation.",
    "GANs": "DCGAN, conditional GAN, AC-GAN, WGAN-GP, SN-GAN: samples, class grids, latent walks, "
            "training dynamics and the vanishing gradient of the saturating loss; then the later ideas: BigGAN "
            "(class-conditional BN, truncation), Fast-GAN (adversarial training of D) and StyleGAN (mapping network, "
            "style mixing).",
    "Embeddings": "PCA, t-SNE and UMAP of latent codes, vanilla AE vs VAE side by side, with kNN "
                  "accuracy, trustworthiness and the images behind the points.",
    "Team ability": "a match-outcome model with player ability w_i and pairwise teamwork v_iᵀv_j, "
                    "trained on Heroes of the Storm and Dota 2, its v_i projected by PCA.",
    "Concepts": "transposed-convolution arithmetic, the Gaussian generator z → Σ^½ z, and a 2-D GAN "
                "trained live.",
    "Translation": "CycleGAN: unpaired image-to-image translation between two domains (MNIST ↔ digits, thick "
                   "strokes, inverted, Fashion-MNIST), with the numbers that say whether the label survived.",
}

cols = st.columns(2)
# Every navigation group but the first ("genviz": this page and Train, which the sidebar shows on top) has a box.
for i, (group, blurb) in enumerate(SECTIONS.items()):
    with cols[i % 2].container(border=True):
        st.subheader(group)
        st.write(blurb)
        for page in backend.pages_in_group(group):
            st.page_link(page)

st.caption(f"Dataset: {settings.dataset} · device: {settings.device} · seed: {settings.seed}")
