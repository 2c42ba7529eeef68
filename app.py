"""genviz: the Streamlit entry point. It only configures the app and routes to pages/."""
import streamlit as st

st.set_page_config(page_title="genviz", page_icon="🧠", layout="wide")

# Each group lists its pages; a page file is UI only (widgets → genviz calls → figures).
PAGES = {
    "genviz": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
    ],
    "Autoencoders": [
        st.Page("pages/ae_reconstructions.py", title="Reconstructions", icon="🔁"),
        st.Page("pages/ae_denoising.py", title="Denoising", icon="🧽"),
        st.Page("pages/ae_sparsity.py", title="Sparse codes", icon="🕳️"),
        st.Page("pages/ae_bottleneck.py", title="Bottleneck & overfitting", icon="⏳"),
        st.Page("pages/ae_prior_sampling.py", title="Sampling from the prior", icon="🎲"),
        st.Page("pages/ae_vae_inside.py", title="Inside a VAE", icon="🔬"),
        st.Page("pages/ae_latent_space.py", title="Latent space", icon="🗺️"),
    ],
    "GANs": [
        st.Page("pages/gan_samples.py", title="GAN samples", icon="🖼️"),
        st.Page("pages/gan_class_grid.py", title="Class grid", icon="🔢"),
        st.Page("pages/gan_latent_walk.py", title="Latent walk", icon="🚶"),
        st.Page("pages/gan_training_dynamics.py", title="Training dynamics", icon="📉"),
        st.Page("pages/gan_gradient_vanishing.py", title="Gradient vanishing", icon="⚖️"),
        st.Page("pages/gan_later_ideas.py", title="Later GAN ideas", icon=":material/science:"),
    ],
    "Embeddings": [st.Page("pages/embed_explorer.py", title="Embedding explorer", icon="🗺️"),
                   st.Page("pages/embed_compare.py", title="Compare two maps", icon="🆚")],
    "Team ability": [
        st.Page("pages/team_ability.py", title="Team ability", icon="🤝"),
        st.Page("pages/team_predictor.py", title="Match predictor", icon="🏆"),
    ],
    "Concepts": [st.Page("pages/concept_transposed_conv.py", title="Transposed convolution", icon="🧮"), st.Page("pages/concept_gaussian_generator.py", title="Gaussian generator", icon="🔔"), st.Page("pages/concept_gan2d.py", title="2-D GAN, live", icon="🎯")],
}

groups = {group: pages for group, pages in PAGES.items() if pages}
st.session_state["gv_pages"] = groups  # the home page links every page
pg = st.navigation(groups)
pg.run()
