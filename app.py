"""genviz: the Streamlit entry point. It only configures the app and routes to pages/."""
from pathlib import Path

import streamlit as st

# The favicon is a file of ours: a :material/…: page icon makes the browser fetch its SVG from
# fonts.gstatic.com (a console error offline, and an outside connection).
st.set_page_config(page_title="genviz", page_icon=str(Path(__file__).parent / "assets" / "genviz-icon.png"), layout="wide")

# Each group lists its pages; a page file is UI only (widgets → genviz calls → figures).
PAGES = {
    "genviz": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    ],
    "Autoencoders": [
        st.Page("pages/ae_reconstructions.py", title="Reconstructions", icon=":material/compare:"),
        st.Page("pages/ae_denoising.py", title="Denoising", icon=":material/blur_off:"),
        st.Page("pages/ae_sparsity.py", title="Sparse codes", icon=":material/grain:"),
        st.Page("pages/ae_bottleneck.py", title="Bottleneck & overfitting", icon=":material/hourglass_bottom:"),
        st.Page("pages/ae_prior_sampling.py", title="Sampling from the prior", icon=":material/casino:"),
        st.Page("pages/ae_vae_inside.py", title="Inside a VAE", icon=":material/biotech:"),
        st.Page("pages/ae_latent_space.py", title="Latent space", icon=":material/explore:"),
    ],
    "GANs": [
        st.Page("pages/gan_samples.py", title="GAN samples", icon=":material/image:"),
        st.Page("pages/gan_class_grid.py", title="Class grid", icon=":material/grid_view:"),
        st.Page("pages/gan_latent_walk.py", title="Latent walk", icon=":material/directions_walk:"),
        st.Page("pages/gan_training_dynamics.py", title="Training dynamics", icon=":material/monitoring:"),
        st.Page("pages/gan_gradient_vanishing.py", title="Gradient vanishing", icon=":material/trending_down:"),
        st.Page("pages/gan_later_ideas.py", title="Later GAN ideas", icon=":material/science:"),
        st.Page("pages/gan_stylegan.py", title="StyleGAN", icon=":material/style:"),
    ],
    "Embeddings": [st.Page("pages/embed_explorer.py", title="Embedding explorer", icon=":material/scatter_plot:"),
                   st.Page("pages/embed_compare.py", title="Compare two maps", icon=":material/compare_arrows:")],
    "Team ability": [
        st.Page("pages/team_ability.py", title="Team ability", icon=":material/groups:"),
        st.Page("pages/team_predictor.py", title="Match predictor", icon=":material/emoji_events:"),
    ],
    "Concepts": [st.Page("pages/concept_transposed_conv.py", title="Transposed convolution", icon=":material/calculate:"), st.Page("pages/concept_gaussian_generator.py", title="Gaussian generator", icon=":material/bar_chart:"), st.Page("pages/concept_gan2d.py", title="2-D GAN, live", icon=":material/my_location:")],
    "Translation": [st.Page("pages/translation_cyclegan.py", title="CycleGAN", icon=":material/swap_horiz:")],
}

groups = {group: pages for group, pages in PAGES.items() if pages}
st.session_state["gv_pages"] = groups  # the home page links every page
pg = st.navigation(groups, expanded=True)  # every page one click away (no "View N more")
pg.run()
