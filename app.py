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
    ],
    "GANs": [],
    "Embeddings": [],
    "Team ability": [],
    "Concepts": [],
}

pg = st.navigation({group: pages for group, pages in PAGES.items() if pages})
pg.run()
